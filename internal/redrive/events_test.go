package redrive_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hydrant-dev/hydrant/hydrantevent"
)

// The events the tests redrive: built with hydrantevent's types, so they follow the schema
// (Run parses each with hydrantevent.Parse, which validates it).

const (
	testRegion  = "us-east-1"
	testAccount = "000000000000"
)

var arrival = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

func streamARN(name string) string {
	return fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", testRegion, testAccount, name)
}

func failureContext(first, last string) hydrantevent.FailureContext {
	return hydrantevent.FailureContext{
		Condition: "RetryAttemptsExhausted", FunctionARN: "arn:aws:lambda:us-east-1:000000000000:function:orders-consumer",
		RequestID: "3b5f8e41-2c7d-4a0e-9f13-6d2b8a7c1e55", ApproximateInvokeCount: 3, Timestamp: arrival.Add(time.Minute),
		Destination: hydrantevent.DestinationSQS, StartSequenceNumber: first, EndSequenceNumber: last, BatchSize: 10,
	}
}

// seq is a Kinesis-like sequence number (56 digits) that orders as n does.
func seq(n int) string {
	return fmt.Sprintf("49656110238473859283742908321480129644451813676538%06d", n)
}

// kinesisEvent is the RecordHydrated event of record n of a shard.
func kinesisEvent(t testing.TB, stream, shard string, n int, partitionKey string, data []byte, at time.Time) []byte {
	t.Helper()
	d := &hydrantevent.RecordHydrated{
		SchemaVersion: hydrantevent.SchemaVersion, StreamARN: stream, StreamType: hydrantevent.StreamTypeKinesis,
		ShardID: shard, SequenceNumber: seq(n), Failure: failureContext(seq(0), seq(999)),
		Kinesis: &hydrantevent.KinesisRecord{PartitionKey: partitionKey, ApproximateArrivalTimestamp: arrival.Add(time.Duration(n) * time.Second),
			Data: data, DataJSON: hydrantevent.DataJSON(data)},
	}
	d.EventID = hydrantevent.EventID(stream, shard, d.SequenceNumber, nil)
	return envelope(t, d, stream, at)
}

func dynamoDBEvent(t testing.TB, stream, shard string, n int, keys, newImage string, at time.Time) []byte {
	t.Helper()
	d := &hydrantevent.RecordHydrated{
		SchemaVersion: hydrantevent.SchemaVersion, StreamARN: stream, StreamType: hydrantevent.StreamTypeDynamoDB,
		ShardID: shard, SequenceNumber: fmt.Sprintf("%021d", 100+n), Failure: failureContext(fmt.Sprintf("%021d", 100), fmt.Sprintf("%021d", 999)),
		DynamoDB: &hydrantevent.DynamoDBRecord{EventID: fmt.Sprintf("ddb-event-%d", n), EventName: hydrantevent.EventNameInsert,
			Keys: json.RawMessage(keys), NewImage: json.RawMessage(newImage), ApproximateCreationDateTime: arrival,
			StreamViewType: hydrantevent.StreamViewNewAndOldImages, SizeBytes: 42},
	}
	d.EventID = hydrantevent.EventID(stream, shard, d.SequenceNumber, nil)
	return envelope(t, d, stream, at)
}

func envelope(t testing.TB, d hydrantevent.Detail, stream string, at time.Time) []byte {
	t.Helper()
	ev := hydrantevent.Event{Version: "0", ID: fmt.Sprintf("%x", sha256.Sum256([]byte(fmt.Sprint(d))))[:36], DetailType: d.DetailType(), Source: hydrantevent.DefaultSource,
		Account: testAccount, Time: at, Region: testRegion, Resources: []string{stream}, Detail: d}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hydrantevent.Parse(b); err != nil {
		t.Fatalf("test event does not follow the schema: %v\n%s", err, b)
	}
	return b
}
