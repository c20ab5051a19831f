package failure

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

func logLine(t *testing.T, m Message) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("failure", "msg", m)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line %s: %v", buf.Bytes(), err)
	}
	return line["msg"].(map[string]any)
}

func TestLogValue(t *testing.T) {
	m, err := Parse(readTestdata(t, "kinesis-s3-object.json"))
	if err != nil {
		t.Fatal(err)
	}
	got := logLine(t, m)
	want := map[string]any{
		"destination": "s3",
		"record": map[string]any{
			"streamType": "kinesis", "streamArn": "arn:aws:kinesis:us-east-1:111111111111:stream/orders",
			"shardId":             "shardId-000000000001",
			"startSequenceNumber": "49656710281519541963539395939497386316536497893463375874",
			"endSequenceNumber":   "49656710281519541963539395939499804168175727151812788226",
			"batchSize":           float64(3), "condition": "RetryAttemptsExhausted",
			"requestId": "7a3b9c1d-2e4f-4a6b-8c0d-1e2f3a4b5c6d", "functionError": "Unhandled", "payloadRecords": float64(3),
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("log value\n got %v\nwant %v", got, want)
	}
	// The payload's data never reaches the log.
	if b, _ := json.Marshal(got); strings.Contains(string(b), "eyJ") {
		t.Errorf("payload data in the log: %s", b)
	}

	m, err = Parse(readTestdata(t, "s3-notification-via-sns-envelope.json"))
	if err != nil {
		t.Fatal(err)
	}
	got = logLine(t, m)
	want = map[string]any{
		"destination": "s3", "snsMessageId": "b1946ac9-2fc0-5c3a-9d1e-8f7a6b5c4d3e",
		"snsTopicArn": "arn:aws:sns:us-east-1:111111111111:hydrant-failure-objects",
		"objects": map[string]any{"0": map[string]any{
			"bucket": "hydrant-failures-111111111111", "size": float64(2554),
			"key": "aws/lambda/3f2d8c5e-7a1b-4c9d-9e8f-0a1b2c3d4e5f/shardId-000000000001/2024/11/28/2024-11-28T12.16.05-9b2e4c7a-1d3f-4e5a-8b6c-7d8e9f0a1b2c",
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("log value\n got %v\nwant %v", got, want)
	}
}
