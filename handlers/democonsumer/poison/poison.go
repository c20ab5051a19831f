// Package poison is the demo stack's stream consumer: it accepts Kinesis and DynamoDB stream
// batches and reports the records marked as poison as batch item failures, so the event source
// mapping retries them, bisects, and finally hands them to Hydrant's failure destination.
//
// A Kinesis record is poison when its data is a JSON object with "poison": true; a DynamoDB
// record is poison when its new image has the attribute poison = true (BOOL).
//
// The consumer can be "fixed": with the environment variable DEMO_CONSUMER_FIXED=true, read at
// every invocation, it processes poison records like any other instead of failing them. On a
// deployed stack, set it with `aws lambda update-function-configuration --environment`; the
// local cloud sets it with Cloud.UpdateFunctionEnvironment (hydrant demo's second act). Every
// poison record is logged, failed (LogFailed) or processed (LogProcessed), with its stream,
// sequence number, eventID and payload, so that a redrive can be checked against the failure.
package poison

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"

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

// FixedEnv is the environment variable that fixes the consumer ("true" or "false").
const FixedEnv = "DEMO_CONSUMER_FIXED"

// Log messages of the poison records, with the attributes LogAttrs names.
const (
	LogFailed    = "poison record failed"
	LogProcessed = "poison record processed"
)

// Attributes of the LogFailed and LogProcessed records: the record's event source ARN,
// sequence number, eventID, and payload (a Kinesis record's data as a string, a DynamoDB
// record's new image as DynamoDB JSON).
const (
	AttrStreamARN = "eventSourceArn"
	AttrSequence  = "sequenceNumber"
	AttrEventID   = "eventId"
	AttrPayload   = "payload"
)

// Consumer handles stream batches.
type Consumer struct {
	Log *slog.Logger
	// Getenv reads the environment at each invocation (os.Getenv in Lambda); nil is an empty
	// environment: the consumer is not fixed.
	Getenv func(string) string
}

// fixed reads FixedEnv; a value that is not a boolean fails the invocation with a message
// naming it.
func (c Consumer) fixed() (bool, error) {
	if c.Getenv == nil {
		return false, nil
	}
	v := c.Getenv(FixedEnv)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("environment variable %s=%q: want true or false", FixedEnv, v)
	}
	return b, nil
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
	fixed, err := c.fixed()
	if err != nil {
		return Response{}, err
	}
	resp := Response{BatchItemFailures: []ItemFailure{}}
	processed := 0
	for i, raw := range batch.Records {
		var head struct {
			EventSource string `json:"eventSource"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return Response{}, fmt.Errorf("decode record %d: %w", i, err)
		}
		var seq, stream, eventID, payload string
		var poisoned bool
		switch head.EventSource {
		case SourceKinesis:
			var r events.KinesisEventRecord
			if err := json.Unmarshal(raw, &r); err != nil {
				return Response{}, fmt.Errorf("decode kinesis record %d: %w", i, err)
			}
			seq, poisoned = r.Kinesis.SequenceNumber, KinesisPoison(r.Kinesis.Data)
			stream, eventID, payload = r.EventSourceArn, r.EventID, string(r.Kinesis.Data)
		case SourceDynamoDB:
			var r events.DynamoDBEventRecord
			if err := json.Unmarshal(raw, &r); err != nil {
				return Response{}, fmt.Errorf("decode dynamodb record %d: %w", i, err)
			}
			seq, poisoned = r.Change.SequenceNumber, DynamoDBPoison(r.Change.NewImage)
			stream, eventID = r.EventSourceArn, r.EventID
			if poisoned {
				img, err := json.Marshal(r.Change.NewImage)
				if err != nil {
					return Response{}, fmt.Errorf("encode dynamodb record %d's new image: %w", i, err)
				}
				payload = string(img)
			}
		default:
			return Response{}, fmt.Errorf("record %d: unsupported event source %q", i, head.EventSource)
		}
		if seq == "" {
			return Response{}, fmt.Errorf("record %d (%s): no sequence number", i, head.EventSource)
		}
		if !poisoned {
			processed++
			continue
		}
		attrs := []any{"source", head.EventSource, AttrStreamARN, stream, AttrSequence, seq, AttrEventID, eventID, AttrPayload, payload}
		if fixed {
			processed++
			c.logger().InfoContext(ctx, LogProcessed, attrs...)
			continue
		}
		c.logger().WarnContext(ctx, LogFailed, attrs...)
		resp.BatchItemFailures = append(resp.BatchItemFailures, ItemFailure{ItemIdentifier: seq})
	}
	c.logger().InfoContext(ctx, "batch processed", "records", len(batch.Records), "processed", processed, "failed", len(resp.BatchItemFailures), "fixed", fixed)
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
