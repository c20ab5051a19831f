// Package poison is the demo stack's stream consumer: it accepts Kinesis and DynamoDB stream
// batches and reports the records marked as poison as batch item failures, so the event source
// mapping retries them, bisects, and finally hands them to Hydrant's failure destination.
//
// A Kinesis record is poison when its data is a JSON object with "poison": true; a DynamoDB
// record is poison when its new image has the attribute poison = true (BOOL).
package poison

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
)

// Response is the partial batch response (ReportBatchItemFailures).
type Response struct {
	BatchItemFailures []ItemFailure `json:"batchItemFailures"`
}

// ItemFailure names a failed record by its sequence number.
type ItemFailure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

// Event sources of the records the consumer accepts.
const (
	SourceKinesis  = "aws:kinesis"
	SourceDynamoDB = "aws:dynamodb"
)

// Consumer handles stream batches.
type Consumer struct {
	Log *slog.Logger
}

// Handle processes a batch of Kinesis or DynamoDB stream records. A record of another source
// or one that cannot be decoded fails the whole invocation: that is a wiring error, not data.
func (c Consumer) Handle(ctx context.Context, event json.RawMessage) (Response, error) {
	var batch struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(event, &batch); err != nil {
		return Response{}, fmt.Errorf("decode stream event: %w", err)
	}
	resp := Response{BatchItemFailures: []ItemFailure{}}
	for i, raw := range batch.Records {
		var head struct {
			EventSource string `json:"eventSource"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return Response{}, fmt.Errorf("decode record %d: %w", i, err)
		}
		var seq string
		var poisoned bool
		switch head.EventSource {
		case SourceKinesis:
			var r events.KinesisEventRecord
			if err := json.Unmarshal(raw, &r); err != nil {
				return Response{}, fmt.Errorf("decode kinesis record %d: %w", i, err)
			}
			seq, poisoned = r.Kinesis.SequenceNumber, KinesisPoison(r.Kinesis.Data)
		case SourceDynamoDB:
			var r events.DynamoDBEventRecord
			if err := json.Unmarshal(raw, &r); err != nil {
				return Response{}, fmt.Errorf("decode dynamodb record %d: %w", i, err)
			}
			seq, poisoned = r.Change.SequenceNumber, DynamoDBPoison(r.Change.NewImage)
		default:
			return Response{}, fmt.Errorf("record %d: unsupported event source %q", i, head.EventSource)
		}
		if seq == "" {
			return Response{}, fmt.Errorf("record %d (%s): no sequence number", i, head.EventSource)
		}
		if poisoned {
			c.logger().WarnContext(ctx, "poison record", "source", head.EventSource, "sequenceNumber", seq)
			resp.BatchItemFailures = append(resp.BatchItemFailures, ItemFailure{ItemIdentifier: seq})
		}
	}
	c.logger().InfoContext(ctx, "batch processed", "records", len(batch.Records), "failed", len(resp.BatchItemFailures))
	return resp, nil
}

func (c Consumer) logger() *slog.Logger {
	if c.Log == nil {
		return slog.Default()
	}
	return c.Log
}

// KinesisPoison reports whether record data is a JSON object with "poison": true.
func KinesisPoison(data []byte) bool {
	var v struct {
		Poison bool `json:"poison"`
	}
	return json.Unmarshal(data, &v) == nil && v.Poison
}

// DynamoDBPoison reports whether a new image has poison = true (BOOL).
func DynamoDBPoison(image map[string]events.DynamoDBAttributeValue) bool {
	v, ok := image["poison"]
	return ok && v.DataType() == events.DataTypeBoolean && v.Boolean()
}
