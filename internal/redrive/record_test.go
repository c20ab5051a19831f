package redrive_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/redrive"
)

func record(t *testing.T, event []byte) *redrive.Record {
	t.Helper()
	ev, err := hydrantevent.Parse(event)
	if err != nil {
		t.Fatal(err)
	}
	return &redrive.Record{Event: ev, Detail: ev.Detail.(*hydrantevent.RecordHydrated)}
}

// The Kinesis record is the one the event source mapping sent: aws-lambda-go's own type
// decodes it back to the original identifiers, partition key, data and arrival time.
func TestLambdaRecordKinesis(t *testing.T) {
	stream := streamARN("orders")
	rec := record(t, kinesisEvent(t, stream, "shardId-000000000001", 7, "pk-7", []byte(`{"orderId":"o-7"}`), arrival))
	b, err := rec.LambdaRecord()
	if err != nil {
		t.Fatal(err)
	}
	var got events.KinesisEventRecord
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := events.KinesisEventRecord{
		AwsRegion: testRegion, EventID: "shardId-000000000001:" + seq(7), EventName: "aws:kinesis:record", EventSource: "aws:kinesis",
		EventSourceArn: stream, EventVersion: "1.0",
		Kinesis: events.KinesisRecord{PartitionKey: "pk-7", SequenceNumber: seq(7), KinesisSchemaVersion: "1.0", Data: []byte(`{"orderId":"o-7"}`)},
	}
	if got.EventID != want.EventID || got.EventSourceArn != want.EventSourceArn || got.EventSource != want.EventSource ||
		got.EventName != want.EventName || got.EventVersion != want.EventVersion || got.AwsRegion != want.AwsRegion {
		t.Errorf("envelope = %+v, want %+v", got, want)
	}
	if got.Kinesis.PartitionKey != "pk-7" || got.Kinesis.SequenceNumber != seq(7) || string(got.Kinesis.Data) != `{"orderId":"o-7"}` || got.Kinesis.KinesisSchemaVersion != "1.0" {
		t.Errorf("kinesis = %+v", got.Kinesis)
	}
	if !got.Kinesis.ApproximateArrivalTimestamp.Equal(arrival.Add(7e9)) {
		t.Errorf("approximateArrivalTimestamp = %v, want %v", got.Kinesis.ApproximateArrivalTimestamp, arrival.Add(7e9))
	}
	// The wire form is Lambda's: the arrival time in epoch seconds, the data in base64.
	var raw map[string]map[string]any
	_ = json.Unmarshal(b, &raw)
	if _, ok := raw["kinesis"]["approximateArrivalTimestamp"].(float64); !ok {
		t.Errorf("approximateArrivalTimestamp is %T, want a number of seconds", raw["kinesis"]["approximateArrivalTimestamp"])
	}
}

func TestLambdaRecordDynamoDB(t *testing.T) {
	stream := "arn:aws:dynamodb:us-east-1:000000000000:table/carts/stream/2026-12-06T00:00:00.000"
	rec := record(t, dynamoDBEvent(t, stream, "shardId-00000001733000000000-abcdef01", 3, `{"id":"c-3"}`,
		`{"id":"c-3","qty":12.50,"gift":true,"note":null,"tags":["a","b"],"addr":{"city":"Lyon"}}`, arrival))
	b, err := rec.LambdaRecord()
	if err != nil {
		t.Fatal(err)
	}
	var got events.DynamoDBEventRecord
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.EventID != "ddb-event-3" || got.EventSource != "aws:dynamodb" || got.EventVersion != "1.1" || got.EventSourceArn != stream || got.EventName != "INSERT" {
		t.Errorf("envelope = %+v", got)
	}
	c := got.Change
	if c.SequenceNumber != rec.Detail.SequenceNumber || c.StreamViewType != "NEW_AND_OLD_IMAGES" || c.SizeBytes != 42 || !c.ApproximateCreationDateTime.Equal(arrival) {
		t.Errorf("change = %+v", c)
	}
	if c.Keys["id"].String() != "c-3" {
		t.Errorf("keys = %v", c.Keys)
	}
	img := c.NewImage
	if img["qty"].DataType() != events.DataTypeNumber || img["qty"].Number() != "12.50" {
		t.Errorf("qty = %v, want N 12.50 with its exact digits", img["qty"])
	}
	if !img["gift"].Boolean() || !img["note"].IsNull() || img["addr"].Map()["city"].String() != "Lyon" {
		t.Errorf("image = %v", img)
	}
	if l := img["tags"].List(); len(l) != 2 || l[1].String() != "b" {
		t.Errorf("tags = %v, want L [a b]", img["tags"])
	}
	if c.OldImage != nil {
		t.Errorf("old image = %v, want none (the event has none)", c.OldImage)
	}
}

func TestJournalKeepsAcceptedRecordsAcrossRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "j.journal")
	j, err := redrive.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Add("a", "b"); err != nil {
		t.Fatal(err)
	}
	if err := j.Add("bad\nid"); err == nil {
		t.Error("an id with a line break was journaled")
	}
	j.Close()
	j, err = redrive.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if !j.Has("a") || !j.Has("b") || j.Has("c") || j.Len() != 2 {
		t.Errorf("reopened journal: a=%v b=%v c=%v len=%d", j.Has("a"), j.Has("b"), j.Has("c"), j.Len())
	}
}
