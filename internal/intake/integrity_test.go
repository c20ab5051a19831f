//go:build integration

package intake_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
	"github.com/hydrant-dev/hydrant/internal/testkit/faultproxy"
)

// The integrity part of the fault and attack suite (issue 9): records that must not disappear
// without a signal. Each test drives the hydrate function against the emulators, with AWS's own
// errors injected by internal/faultproxy.

// TestIntegrityAccessDeniedFailsTheMessage: a read refused by IAM or KMS is configuration to
// fix while the records wait in the stream. The intake message fails back to SQS (batch item
// failure: redelivered, then the intake DLQ and its alarm), nothing is published, and once the
// refusal is lifted the redelivered message hydrates every record. (KMSThrottlingException is
// retried first, then fails the message the same way: TestErrorRules, TestKinesisThrottling.)
func TestIntegrityAccessDeniedFailsTheMessage(t *testing.T) {
	const role = "arn:aws:sts::000000000000:assumed-role/hydrant-hydrate/hydrate"
	for _, tc := range []struct {
		name string
		op   string
		err  func(streamARN, streamName string) faultproxy.AWSError
	}{
		{"IAM refuses GetShardIterator", "GetShardIterator", func(arn, _ string) faultproxy.AWSError {
			return faultproxy.KinesisAccessDenied(role, "kinesis:GetShardIterator", arn)
		}},
		{"IAM refuses GetRecords", "GetRecords", func(arn, _ string) faultproxy.AWSError {
			return faultproxy.KinesisAccessDenied(role, "kinesis:GetRecords", arn)
		}},
		{"KMS refuses decrypt", "GetRecords", func(_, name string) faultproxy.AWSError {
			return faultproxy.KinesisKMSAccessDenied("hydrant-hydrate", "000000000000", name)
		}},
		{"KMS key disabled", "GetRecords", func(string, string) faultproxy.AWSError { return faultproxy.KinesisKMSError("KMSDisabledException") }},
		{"KMS key not found", "GetRecords", func(string, string) faultproxy.AWSError { return faultproxy.KinesisKMSError("KMSNotFoundException") }},
		{"KMS key pending deletion", "GetRecords", func(string, string) faultproxy.AWSError {
			return faultproxy.KinesisKMSError("KMSInvalidStateException")
		}},
		{"KMS opt-in required", "GetRecords", func(string, string) faultproxy.AWSError { return faultproxy.KinesisKMSError("KMSOptInRequired") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var proxy *faultproxy.Proxy
			h := newHarness(t, harnessOptions{frontKinesis: func(t *testing.T, kinesisURL string) string {
				p, url := faultproxy.Start(t, kinesisURL)
				proxy = p
				return url
			}})
			data := [][]byte{[]byte(`{"n":0}`), []byte(`{"n":1}`), []byte(`{"n":2}`)}
			b := failuretest.PutKinesis(t, h.ep, data)
			name := b.StreamARN[strings.LastIndex(b.StreamARN, "/")+1:]
			rule := proxy.Fail(tc.op, 0, tc.err(b.StreamARN, name))

			resp := h.invoke(b.FailureJSON(0, 2))
			if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "msg-0" {
				t.Fatalf("a refused read must fail the message back to SQS, got batch item failures %+v", resp.BatchItemFailures)
			}
			if rule.Hits() == 0 {
				t.Fatal("the refusal was never served")
			}
			if !strings.Contains(h.metrics.String(), `"MessagesFailed":1`) || !strings.Contains(h.metrics.String(), `"RecordsFailed":0`) {
				t.Errorf("metrics must count a failed message and no failed record: %s", h.metrics.String())
			}

			// The policy is fixed; SQS redelivers the message.
			proxy.Clear()
			if resp := h.invoke(b.FailureJSON(0, 2)); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("redelivered message failed again: %+v", resp.BatchItemFailures)
			}
			// Both deliveries' events: exactly the records, once each; no RecordHydrationFailed
			// (hydrated fails on any other event and on duplicates).
			if got := hydrated(t, failuretest.ForStream(h.drain(), b.StreamARN)); len(got) != len(data) {
				t.Fatalf("%d records hydrated after the fix, want %d", len(got), len(data))
			}
		})
	}

	t.Run("DynamoDB Streams: IAM refuses GetShardIterator", func(t *testing.T) {
		var proxy *faultproxy.Proxy
		h := newHarness(t, harnessOptions{frontDynamoDBStreams: func(t *testing.T, url string) string {
			p, purl := faultproxy.Start(t, url)
			proxy = p
			return purl
		}})
		c := failuretest.WriteDynamoDB(t, h.ep)
		proxy.Fail("GetShardIterator", 0, faultproxy.DynamoDBAccessDenied(role, "dynamodb:GetShardIterator", c.StreamARN))
		if resp := h.invoke(c.FailureJSON()); len(resp.BatchItemFailures) != 1 {
			t.Fatalf("a refused read must fail the message, got %+v", resp.BatchItemFailures)
		}
		proxy.Clear()
		if resp := h.invoke(c.FailureJSON()); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("redelivered message failed again: %+v", resp.BatchItemFailures)
		}
		if got := hydrated(t, failuretest.ForStream(h.drain(), c.StreamARN)); len(got) != 3 {
			t.Fatalf("%d records hydrated after the fix, want 3", len(got))
		}
	})

	t.Run("a deleted stream is gone", func(t *testing.T) {
		var proxy *faultproxy.Proxy
		h := newHarness(t, harnessOptions{frontKinesis: func(t *testing.T, kinesisURL string) string {
			p, url := faultproxy.Start(t, kinesisURL)
			proxy = p
			return url
		}})
		b := failuretest.PutKinesis(t, h.ep, [][]byte{[]byte("a"), []byte("b")})
		name := b.StreamARN[strings.LastIndex(b.StreamARN, "/")+1:]
		proxy.Fail("GetShardIterator", 0, faultproxy.AWSError{StatusCode: 400, Code: "ResourceNotFoundException",
			Message: fmt.Sprintf("Stream %s under account 000000000000 not found.", name)})
		if resp := h.invoke(b.FailureJSON(0, 1)); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("gone records are a result, not a reason to redeliver: %+v", resp.BatchItemFailures)
		}
		evs := failuretest.ForStream(h.drain(), b.StreamARN)
		if len(evs) != 1 {
			t.Fatalf("want one RecordHydrationFailed, got %d events", len(evs))
		}
		if d, ok := evs[0].Detail.(*hydrantevent.RecordHydrationFailed); !ok || d.Reason != hydrantevent.ReasonStreamNotFound || d.Missing.Count != 2 {
			t.Fatalf("event %+v, want 2 records stream-not-found", evs[0].Detail)
		}
	})
}
