package poison

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

func kinesisRecord(seq, data string) string {
	return fmt.Sprintf(`{"eventSource":"aws:kinesis","eventID":"shardId-000000000000:%s","eventName":"aws:kinesis:record","kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"p","sequenceNumber":%q,"data":%q,"approximateArrivalTimestamp":1764324000.5}}`,
		seq, seq, base64.StdEncoding.EncodeToString([]byte(data)))
}

func dynamoRecord(seq, newImage string) string {
	return fmt.Sprintf(`{"eventSource":"aws:dynamodb","eventID":"e%s","eventName":"INSERT","eventVersion":"1.1","dynamodb":{"ApproximateCreationDateTime":1764324000,"Keys":{"id":{"S":"1"}},"NewImage":%s,"SequenceNumber":%q,"SizeBytes":20,"StreamViewType":"NEW_AND_OLD_IMAGES"}}`,
		seq, newImage, seq)
}

func batch(records ...string) json.RawMessage {
	return json.RawMessage(`{"Records":[` + strings.Join(records, ",") + `]}`)
}

func TestHandleReportsPoisonRecords(t *testing.T) {
	c := Consumer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tc := range []struct {
		name  string
		event json.RawMessage
		want  []ItemFailure
	}{
		{"kinesis clean", batch(kinesisRecord("1", `{"order":1}`), kinesisRecord("2", `not json`)), []ItemFailure{}},
		{"kinesis poison", batch(kinesisRecord("1", `{"order":1}`), kinesisRecord("2", `{"poison":true}`), kinesisRecord("3", `{"poison":false}`), kinesisRecord("4", `{"poison":true,"x":1}`)),
			[]ItemFailure{{"2"}, {"4"}}},
		{"dynamodb", batch(dynamoRecord("10", `{"id":{"S":"1"}}`), dynamoRecord("11", `{"id":{"S":"2"},"poison":{"BOOL":true}}`), dynamoRecord("12", `{"poison":{"S":"true"}}`), dynamoRecord("13", `{"poison":{"BOOL":false}}`)),
			[]ItemFailure{{"11"}}},
		{"empty", batch(), []ItemFailure{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Handle(context.Background(), tc.event)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.BatchItemFailures, tc.want) {
				t.Errorf("failures %v, want %v", got.BatchItemFailures, tc.want)
			}
			b, _ := json.Marshal(got)
			if !strings.HasPrefix(string(b), `{"batchItemFailures":[`) {
				t.Errorf("response JSON %s", b)
			}
		})
	}
}

func TestHandleRejectsWhatIsNotAStreamBatch(t *testing.T) {
	c := Consumer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tc := range []struct {
		name  string
		event string
		want  string
	}{
		{"not json", `nope`, "decode stream event"},
		{"sqs record", `{"Records":[{"eventSource":"aws:sqs","messageId":"1"}]}`, `unsupported event source "aws:sqs"`},
		{"no sequence number", `{"Records":[{"eventSource":"aws:kinesis","kinesis":{"data":""}}]}`, "no sequence number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Handle(context.Background(), json.RawMessage(tc.event))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
