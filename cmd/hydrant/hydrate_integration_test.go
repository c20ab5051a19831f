//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
)

func TestHydratePrintsOneEventPerKinesisRecord(t *testing.T) {
	ep := emulators.Get(t)
	data := [][]byte{[]byte(`{"order":1}`), {0, 1, 2, 255}, []byte(`{"order":3}`)}
	b := failuretest.PutKinesis(t, ep, data)
	for _, tc := range []struct{ name, stdin, file string }{
		{"file", "", failureFile(t, b.FailureJSON(0, 2))},
		{"stdin, SNS envelope", failuretest.SNSEnvelope(b.FailureJSON(0, 2)), "-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.stdin, "hydrate", "--failure", tc.file)
			if code != 0 {
				t.Fatalf("exit %d, stderr: %s", code, stderr)
			}
			evs := printed(t, stdout)
			if len(evs) != 3 {
				t.Fatalf("%d lines, want 3:\n%s", len(evs), stdout)
			}
			for i, e := range evs {
				if string(e["source"]) != `"hydrant"` || string(e["detail-type"]) != `"RecordHydrated"` || string(e["resources"]) != `["`+b.StreamARN+`"]` {
					t.Errorf("line %d envelope: %s %s %s", i, e["source"], e["detail-type"], e["resources"])
				}
				var d struct {
					StreamARN      string `json:"streamArn"`
					StreamType     string `json:"streamType"`
					ShardID        string `json:"shardId"`
					SequenceNumber string `json:"sequenceNumber"`
					Failure        struct {
						Condition string `json:"condition"`
						RequestID string `json:"requestId"`
					} `json:"failure"`
					Kinesis struct {
						PartitionKey                string          `json:"partitionKey"`
						ApproximateArrivalTimestamp time.Time       `json:"approximateArrivalTimestamp"`
						Data                        string          `json:"data"`
						DataJSON                    json.RawMessage `json:"dataJson"`
					} `json:"kinesis"`
				}
				if err := json.Unmarshal(e["detail"], &d); err != nil {
					t.Fatal(err)
				}
				if d.StreamARN != b.StreamARN || d.StreamType != "kinesis" || d.ShardID != b.ShardID || d.SequenceNumber != b.Seqs[i] ||
					d.Failure.Condition != "RetryAttemptsExhausted" || d.Failure.RequestID == "" || d.Kinesis.PartitionKey != b.Keys[i] ||
					d.Kinesis.ApproximateArrivalTimestamp.IsZero() {
					t.Errorf("line %d detail: %+v", i, d)
				}
				if d.Kinesis.Data != base64.StdEncoding.EncodeToString(data[i]) {
					t.Errorf("line %d data %s, want base64 of %q", i, d.Kinesis.Data, data[i])
				}
				if wantJSON := i != 1; wantJSON != (len(d.Kinesis.DataJSON) > 0) {
					t.Errorf("line %d dataJson %s", i, d.Kinesis.DataJSON)
				}
			}
		})
	}
}

func TestHydratePrintsDynamoDBChangesAsPlainJSON(t *testing.T) {
	c := failuretest.WriteDynamoDB(t, emulators.Get(t))
	code, stdout, stderr := runCLI(t, "", "hydrate", "--failure", failureFile(t, c.FailureJSON()))
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, stderr)
	}
	evs := printed(t, stdout)
	if len(evs) != 3 {
		t.Fatalf("%d lines, want 3", len(evs))
	}
	var insert struct {
		DynamoDB struct {
			EventName string                     `json:"eventName"`
			Keys      map[string]string          `json:"keys"`
			NewImage  map[string]json.RawMessage `json:"newImage"`
		} `json:"dynamodb"`
	}
	if err := json.Unmarshal(evs[0]["detail"], &insert); err != nil {
		t.Fatal(err)
	}
	if insert.DynamoDB.EventName != "INSERT" || insert.DynamoDB.Keys["pk"] != "acct-1" ||
		string(insert.DynamoDB.NewImage["big"]) != "12345678901234567890123456789012345678" {
		t.Fatalf("INSERT detail %+v", insert)
	}
	for i, want := range []string{"INSERT", "MODIFY", "REMOVE"} {
		if !bytes.Contains(evs[i]["detail"], []byte(`"eventName":"`+want+`"`)) {
			t.Errorf("line %d is not the %s: %s", i, want, evs[i]["detail"])
		}
	}
}

func TestHydrateExitsThreeAndReportsWhatIsMissing(t *testing.T) {
	ep := emulators.Get(t)
	b := failuretest.PutKinesis(t, ep, [][]byte{[]byte("a"), []byte("b")})
	kc := ep.KinesisClient()
	if _, err := kc.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamARN: aws.String(b.StreamARN)}); err != nil {
		t.Fatal(err)
	}
	w := kinesis.NewStreamNotExistsWaiter(kc, func(o *kinesis.StreamNotExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond })
	if err := w.Wait(context.Background(), &kinesis.DescribeStreamInput{StreamARN: aws.String(b.StreamARN)}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "", "hydrate", "--failure", failureFile(t, b.FailureJSON(0, 1)))
	if code != 3 {
		t.Fatalf("exit %d, want 3; stderr: %s", code, stderr)
	}
	var missing struct {
		Missing struct {
			Count  int    `json:"count"`
			Reason string `json:"reason"`
		} `json:"missing"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(stderr)), &missing); err != nil || missing.Missing.Count != 2 || missing.Missing.Reason != "stream-not-found" {
		t.Fatalf("stderr %q (%v), want the missing range as JSON", stderr, err)
	}
	// The failure event is printed with the others, as it would be put on the bus.
	if evs := printed(t, stdout); len(evs) != 1 || string(evs[0]["detail-type"]) != `"RecordHydrationFailed"` {
		t.Fatalf("stdout %s, want one RecordHydrationFailed event", stdout)
	}
}

func TestHydratePublishPutsTheEventsOnTheBus(t *testing.T) {
	ep := emulators.Get(t)
	bus := failuretest.NewBus(t, ep)
	t.Setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", bus.URL)
	b := failuretest.PutKinesis(t, ep, [][]byte{[]byte(`{"a":1}`), []byte(`{"a":2}`)})
	code, stdout, stderr := runCLI(t, "", "hydrate", "--failure", failureFile(t, b.FailureJSON(0, 1)), "--publish", "--bus", bus.Name, "--bucket", bus.Bucket)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d stdout %q stderr %s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "published 2 events") {
		t.Errorf("stderr does not report what was published: %s", stderr)
	}
	evs := failuretest.ForStream(bus.Drain(), b.StreamARN)
	if len(evs) != 2 {
		t.Fatalf("%d events on the bus, want 2", len(evs))
	}
	for _, e := range evs {
		if d, ok := e.Detail.(*hydrantevent.RecordHydrated); !ok || d.StreamARN != b.StreamARN {
			t.Errorf("unexpected event %+v", e)
		}
	}
}

// failureFile writes a failure record to a file of the test's.
func failureFile(t *testing.T, content string) string {
	t.Helper()
	return writeFile(t, t.TempDir(), "failure.json", content)
}

// printed decodes the JSON lines hydrate prints: the events as they would be put on the bus.
func printed(t *testing.T, stdout string) []map[string]json.RawMessage {
	t.Helper()
	var out []map[string]json.RawMessage
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var e map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}
