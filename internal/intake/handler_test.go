//go:build integration

package intake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
)

// hydrated returns the RecordHydrated details, failing on duplicates (same eventId twice).
func hydrated(t *testing.T, evs []hydrantevent.Event) []*hydrantevent.RecordHydrated {
	t.Helper()
	seen := map[string]bool{}
	var out []*hydrantevent.RecordHydrated
	for _, e := range evs {
		d, ok := e.Detail.(*hydrantevent.RecordHydrated)
		if !ok {
			t.Errorf("unexpected %s event: %+v", e.DetailType, e.Detail)
			continue
		}
		if seen[d.EventID] {
			t.Errorf("record %s (event %s) arrived twice", d.SequenceNumber, d.EventID)
		}
		seen[d.EventID] = true
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *hydrantevent.RecordHydrated) int {
		if len(a.SequenceNumber) != len(b.SequenceNumber) {
			return len(a.SequenceNumber) - len(b.SequenceNumber)
		}
		return strings.Compare(a.SequenceNumber, b.SequenceNumber)
	})
	return out
}

func TestKinesisFailureFromEveryIntakeShapeArrivesExactlyOnce(t *testing.T) {
	shapes := []struct {
		name        string
		destination string
		body        func(t *testing.T, h *harness, b failuretest.KinesisBatch) string
	}{
		{"sqs", "sqs", func(_ *testing.T, _ *harness, b failuretest.KinesisBatch) string {
			return b.FailureJSON(0, len(b.Seqs)-1)
		}},
		{"sns via sqs", "sns", func(_ *testing.T, _ *harness, b failuretest.KinesisBatch) string {
			return failuretest.SNSEnvelope(b.FailureJSON(0, len(b.Seqs)-1))
		}},
		{"s3 object", "s3", func(t *testing.T, _ *harness, b failuretest.KinesisBatch) string {
			return b.S3ObjectJSON(t, 0, len(b.Seqs)-1)
		}},
		{"s3 notification", "s3", func(t *testing.T, h *harness, b failuretest.KinesisBatch) string {
			return failuretest.PutFailureObject(t, h.ep, b.ShardID, b.S3ObjectJSON(t, 0, len(b.Seqs)-1))
		}},
	}
	for _, shape := range shapes {
		t.Run(shape.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			data := make([][]byte, 25)
			for i := range data {
				if i%2 == 0 {
					data[i] = fmt.Appendf(nil, `{"order":%d,"poison":%t}`, i, i == 6)
				} else {
					data[i] = []byte{byte(i), 0, 255, '\n', byte(i * 7)} // not JSON: carried as base64 only
				}
			}
			b := failuretest.PutKinesis(t, h.ep, data)
			resp := h.invoke(shape.body(t, h, b))
			if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("message reported as failed: %+v", resp.BatchItemFailures)
			}
			got := hydrated(t, failuretest.ForStream(h.drain(), b.StreamARN))
			if len(got) != len(data) {
				t.Fatalf("%d records on the bus, want %d", len(got), len(data))
			}
			for i, d := range got {
				if d.SequenceNumber != b.Seqs[i] || d.ShardID != b.ShardID || d.StreamARN != b.StreamARN || d.StreamType != "kinesis" {
					t.Errorf("record %d: got %s/%s/%s, want %s/%s", i, d.StreamARN, d.ShardID, d.SequenceNumber, b.ShardID, b.Seqs[i])
				}
				if d.Kinesis == nil || !bytes.Equal(d.Kinesis.Data, data[i]) || d.Kinesis.PartitionKey != b.Keys[i] {
					t.Errorf("record %d: data %q key %v, want %q %s", i, d.Kinesis.Data, d.Kinesis.PartitionKey, data[i], b.Keys[i])
				}
				if isJSON := i%2 == 0; isJSON != (d.Kinesis.DataJSON != nil) {
					t.Errorf("record %d: dataJson %s", i, d.Kinesis.DataJSON)
				}
				if d.Failure.Destination != shape.destination || d.Failure.Condition != "RetryAttemptsExhausted" || d.Failure.BatchSize != len(data) ||
					d.Failure.Response == nil || d.Failure.Response.FunctionError == nil || *d.Failure.Response.FunctionError != "Unhandled" {
					t.Errorf("record %d: failure context %+v", i, d.Failure)
				}
				if d.EventID != hydrantevent.EventID(b.StreamARN, b.ShardID, b.Seqs[i], nil) {
					t.Errorf("record %d: eventId %s is not the record's deterministic identity", i, d.EventID)
				}
			}
			if !strings.Contains(h.metrics.String(), `"RecordsHydrated":25`) {
				t.Errorf("metrics do not count 25 hydrated records: %s", h.metrics.String())
			}
		})
	}
}

func TestDynamoDBFailureFromEveryIntakeShapeArrivesExactlyOnce(t *testing.T) {
	shapes := []struct {
		name string
		body func(t *testing.T, h *harness, c failuretest.DynamoDBChanges) string
	}{
		{"sqs", func(_ *testing.T, _ *harness, c failuretest.DynamoDBChanges) string { return c.FailureJSON() }},
		{"sns via sqs", func(_ *testing.T, _ *harness, c failuretest.DynamoDBChanges) string {
			return failuretest.SNSEnvelope(c.FailureJSON())
		}},
		{"s3 object", func(t *testing.T, _ *harness, c failuretest.DynamoDBChanges) string { return c.S3ObjectJSON(t) }},
		{"s3 notification", func(t *testing.T, h *harness, c failuretest.DynamoDBChanges) string {
			return failuretest.PutFailureObject(t, h.ep, c.ShardID, c.S3ObjectJSON(t))
		}},
	}
	for _, shape := range shapes {
		t.Run(shape.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			c := failuretest.WriteDynamoDB(t, h.ep)
			if resp := h.invoke(shape.body(t, h, c)); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("message reported as failed: %+v", resp.BatchItemFailures)
			}
			got := hydrated(t, failuretest.ForStream(h.drain(), c.StreamARN))
			if len(got) != 3 {
				t.Fatalf("%d records on the bus, want 3", len(got))
			}
			for i, want := range []string{"INSERT", "MODIFY", "REMOVE"} {
				d := got[i]
				if d.DynamoDB == nil || d.DynamoDB.EventName != want || d.SequenceNumber != c.Seqs[i] || d.StreamType != "dynamodb" {
					t.Fatalf("record %d: %+v, want %s at %s", i, d, want, c.Seqs[i])
				}
				if string(d.DynamoDB.Keys) != `{"pk":"acct-1"}` {
					t.Errorf("record %d keys %s", i, d.DynamoDB.Keys)
				}
			}
			var img map[string]json.RawMessage
			if err := json.Unmarshal(got[0].DynamoDB.NewImage, &img); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"big": "12345678901234567890123456789012345678", "bin": `"AAH+/w=="`, "ok": "true", "none": "null",
				"tags": `["a","b"]`, "nums": `[1,2.5]`, "bins": `["AQ==","Ag=="]`, "list": `["x",3]`, "props": `{"city":"Oslo"}`,
			}
			for k, v := range want {
				if string(img[k]) != v {
					t.Errorf("INSERT newImage.%s = %s, want %s", k, img[k], v)
				}
			}
			if got[1].DynamoDB.OldImage == nil || got[2].DynamoDB.NewImage != nil || got[2].DynamoDB.OldImage == nil {
				t.Errorf("MODIFY needs its old image and REMOVE only its old image: %s / %s %s", got[1].DynamoDB.OldImage, got[2].DynamoDB.NewImage, got[2].DynamoDB.OldImage)
			}
			if fe := got[0].Failure.Response; fe == nil || fe.FunctionError != nil {
				t.Errorf("functionError null (partial batch response) must stay null, got %+v", fe)
			}
		})
	}
}

func TestRecordTooLargeForAnEventArrivesAsAReferenceToItsExactBytes(t *testing.T) {
	h := newHarness(t, harnessOptions{maxEntrySize: 8 * 1024})
	big := make([]byte, 64*1024)
	for i := range big {
		big[i] = byte(i * 31)
	}
	b := failuretest.PutKinesis(t, h.ep, [][]byte{[]byte(`{"small":1}`), big, []byte(`{"small":3}`)})
	if resp := h.invoke(b.FailureJSON(0, 2)); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("message reported as failed: %+v", resp.BatchItemFailures)
	}
	got := hydrated(t, failuretest.ForStream(h.drain(), b.StreamARN))
	if len(got) != 3 {
		t.Fatalf("%d records on the bus, want 3", len(got))
	}
	if got[0].Offload != nil || got[2].Offload != nil {
		t.Errorf("small records must travel in their events")
	}
	d := got[1]
	if d.Offload == nil || d.Kinesis.Data != nil || d.Kinesis.DataJSON != nil {
		t.Fatalf("the large record must be offloaded, with no data in the event: %+v %+v", d.Offload, d.Kinesis)
	}
	if d.Offload.Bucket != h.bus.Bucket || d.Offload.Size != int64(len(big)) {
		t.Errorf("offload %+v, want bucket %s size %d", d.Offload, h.bus.Bucket, len(big))
	}
	obj, err := h.ep.S3Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(d.Offload.Bucket), Key: aws.String(d.Offload.Key)})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(obj.Body)
	if !bytes.Equal(body, big) {
		t.Fatalf("the S3 object does not hold the record's exact bytes (%d bytes)", len(body))
	}
	if err := d.Offload.Verify(body); err != nil {
		t.Fatal(err)
	}
	// A consumer's one call: fetch (from gofakes3), check, restore.
	clean := *d.Kinesis
	restored := *d
	restored.Kinesis = &hydrantevent.KinesisRecord{}
	*restored.Kinesis = clean
	if err := restored.FetchOffloaded(context.Background(), h.ep.S3Client()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(restored.Kinesis.Data, big) || restored.Offload != nil {
		t.Fatalf("FetchOffloaded restored %d bytes (offload %+v), want the record's %d", len(restored.Kinesis.Data), restored.Offload, len(big))
	}
	// A tampered object is an error, never data.
	tampered := append([]byte{}, big...)
	tampered[100] ^= 1
	if _, err := h.ep.S3Client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(d.Offload.Bucket), Key: aws.String(d.Offload.Key), Body: bytes.NewReader(tampered)}); err != nil {
		t.Fatal(err)
	}
	again := *d
	again.Kinesis = &hydrantevent.KinesisRecord{}
	*again.Kinesis = clean
	if err := again.FetchOffloaded(context.Background(), h.ep.S3Client()); err == nil || !strings.Contains(err.Error(), "sha256") || again.Kinesis.Data != nil {
		t.Fatalf("a tampered object: error %v, data %d bytes; want a sha256 error and no data", err, len(again.Kinesis.Data))
	}
	// The caller decides on the error's type: a tampered or missing object is given up
	// (*hydrantevent.OffloadError), an unreachable S3 is tried again (any other error).
	var gone *hydrantevent.OffloadError
	if _, err := d.Offload.Fetch(context.Background(), h.ep.S3Client()); !errors.As(err, &gone) || gone.Missing {
		t.Errorf("a tampered object: %v, want an *OffloadError that is not Missing", err)
	}
	if _, err := h.ep.S3Client().DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(d.Offload.Bucket), Key: aws.String(d.Offload.Key)}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Offload.Fetch(context.Background(), h.ep.S3Client()); !errors.As(err, &gone) || !gone.Missing {
		t.Errorf("a deleted object (gofakes3's NoSuchKey): %v, want an *OffloadError that is Missing", err)
	}
	down := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: aws.AnonymousCredentials{}})
	if _, err := d.Offload.Fetch(context.Background(), down); err == nil || errors.As(err, &gone) {
		t.Errorf("S3 unreachable: %v, want an error that is not an *OffloadError (worth trying again)", err)
	}
	if !strings.Contains(h.metrics.String(), `"RecordsOffloaded":1`) {
		t.Errorf("metrics do not count the offloaded record: %s", h.metrics.String())
	}
}

func TestDeletedStreamBecomesRecordHydrationFailed(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	b := failuretest.PutKinesis(t, h.ep, [][]byte{[]byte("a"), []byte("b")})
	kc := h.ep.KinesisClient()
	if _, err := kc.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamARN: aws.String(b.StreamARN)}); err != nil {
		t.Fatal(err)
	}
	// While the stream is DELETING, reads answer ResourceInUseException, which is worth a retry;
	// the failure is hydrated once the stream is gone.
	waiter := kinesis.NewStreamNotExistsWaiter(kc, func(o *kinesis.StreamNotExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond })
	if err := waiter.Wait(context.Background(), &kinesis.DescribeStreamInput{StreamARN: aws.String(b.StreamARN)}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if resp := h.invoke(b.FailureJSON(0, 1)); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("a gone stream is a result, not a reason to redeliver: %+v", resp.BatchItemFailures)
	}
	evs := failuretest.ForStream(h.drain(), b.StreamARN)
	if len(evs) != 1 {
		t.Fatalf("want one RecordHydrationFailed event, got %d: %+v", len(evs), evs)
	}
	f, ok := evs[0].Detail.(*hydrantevent.RecordHydrationFailed)
	if !ok || f.Reason != hydrantevent.ReasonStreamNotFound || f.Missing.Count != 2 ||
		f.Missing.StartSequenceNumber != b.Seqs[0] || f.Missing.EndSequenceNumber != b.Seqs[1] {
		t.Fatalf("got %s %+v", evs[0].DetailType, evs[0].Detail)
	}
}

func TestMalformedMessagesAreReportedOneByOne(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	b := failuretest.PutKinesis(t, h.ep, [][]byte{[]byte("ok")})
	resp := h.invoke(
		`{"not":"a failure record"}`,
		b.FailureJSON(0, 0),
		`{"requestContext":{"requestId":"r","functionArn":"f","condition":"RetryAttemptsExhausted","approximateInvokeCount":1},"version":"1.0","timestamp":"2026-11-28T10:00:00Z","KinesisBatchInfo":{"shardId":"shardId-000000000000","startSequenceNumber":"abc","endSequenceNumber":"1","batchSize":1,"streamArn":"arn:aws:kinesis:us-east-1:000000000000:stream/x"}}`,
	)
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	if !slices.Equal(ids, []string{"msg-0", "msg-2"}) {
		t.Fatalf("batchItemFailures %v, want the two malformed messages only", ids)
	}
	if got := hydrated(t, failuretest.ForStream(h.drain(), b.StreamARN)); len(got) != 1 {
		t.Fatalf("the good message's record must still be published, got %d", len(got))
	}
	if !strings.Contains(h.metrics.String(), `"MessagesFailed":2`) {
		t.Errorf("metrics do not count the failed messages: %s", h.metrics.String())
	}
}
