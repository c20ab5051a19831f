//go:build integration

package intake_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/hydrate"
	"github.com/hydrant-dev/hydrant/internal/intake"
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

// rewritePayload returns an S3 on-failure object with its payload records rewritten by edit:
// each record (decoded JSON) is kept when edit returns true, after edit changed it at will.
func rewritePayload(t *testing.T, object string, edit func(i int, rec map[string]any) bool) string {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal([]byte(object), &obj); err != nil {
		t.Fatal(err)
	}
	pl := obj["payload"].(map[string]any)
	kept := []any{}
	for i, r := range pl["Records"].([]any) {
		if edit(i, r.(map[string]any)) {
			kept = append(kept, r)
		}
	}
	pl["Records"] = kept
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func keepIndexes(idx ...int) func(int, map[string]any) bool {
	return func(i int, _ map[string]any) bool { return slices.Contains(idx, i) }
}

// TestIntegrityS3PayloadShortfall (issue 9, item 1): an S3 on-failure payload that holds fewer
// records than its range is completed from the stream, and what the stream no longer holds
// becomes a RecordHydrationFailed; nothing of the batch disappears silently.
func TestIntegrityS3PayloadShortfall(t *testing.T) {
	data := make([][]byte, 10)
	for i := range data {
		data[i] = fmt.Appendf(nil, `{"n":%d}`, i)
	}
	for _, tc := range []struct {
		name        string
		keep        []int
		trimBelow   int // records below this index are past retention (0: none)
		wantFailed  int // records reported in RecordHydrationFailed events
		wantFirstGo int // the first sequence number the failure event names
	}{
		{name: "tail missing", keep: []int{0, 1, 2, 3, 4, 5}},
		{name: "head missing", keep: []int{3, 4, 5, 6, 7, 8, 9}},
		{name: "gaps inside", keep: []int{0, 1, 4, 7, 9}},
		{name: "no records at all", keep: nil},
		{name: "head missing and trimmed", keep: []int{2, 3, 4, 5, 6, 7, 8, 9}, trimBelow: 4, wantFailed: 2, wantFirstGo: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var horizon string
			h := newHarness(t, harnessOptions{frontKinesis: func(t *testing.T, kinesisURL string) string {
				p, url := faultproxy.Start(t, kinesisURL)
				p.Add(&faultproxy.Rule{Operation: "GetRecords", Respond: func(w http.ResponseWriter, r *faultproxy.Request, forward faultproxy.Forward) {
					trim, err := faultproxy.KinesisTrimHorizon(horizon)
					if err != nil {
						t.Errorf("trim horizon: %v", err)
						return
					}
					trim(w, r, forward)
				}})
				return url
			}})
			b := failuretest.PutKinesis(t, h.ep, data)
			horizon = b.Seqs[tc.trimBelow]
			object := rewritePayload(t, b.S3ObjectJSON(t, 0, len(data)-1), keepIndexes(tc.keep...))
			if resp := h.invoke(failuretest.PutFailureObject(t, h.ep, b.ShardID, object)); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("message failed: %+v", resp.BatchItemFailures)
			}
			var got []*hydrantevent.RecordHydrated
			var failed []*hydrantevent.RecordHydrationFailed
			for _, e := range failuretest.ForStream(h.drain(), b.StreamARN) {
				switch d := e.Detail.(type) {
				case *hydrantevent.RecordHydrated:
					got = append(got, d)
				case *hydrantevent.RecordHydrationFailed:
					failed = append(failed, d)
				}
			}
			seen := map[string]string{}
			for _, d := range got {
				if prev, dup := seen[d.SequenceNumber]; dup {
					t.Errorf("record %s published twice (%s)", d.SequenceNumber, prev)
				}
				seen[d.SequenceNumber] = string(d.Kinesis.Data)
			}
			for i, seq := range b.Seqs {
				_, ok := seen[seq]
				if want := i >= tc.trimBelow || slices.Contains(tc.keep, i); ok != want {
					t.Errorf("record %d (%s): hydrated %v, want %v", i, seq, ok, want)
				} else if ok && seen[seq] != string(data[i]) {
					t.Errorf("record %d: data %s, want %s", i, seen[seq], data[i])
				}
			}
			if tc.wantFailed == 0 {
				if len(failed) != 0 {
					t.Fatalf("nothing is missing, yet %d failure events: %+v", len(failed), failed[0])
				}
				return
			}
			if len(failed) != 1 || failed[0].Missing.Count != tc.wantFailed || failed[0].Reason != hydrantevent.ReasonTrimmed ||
				failed[0].Missing.StartSequenceNumber != b.Seqs[tc.wantFirstGo] {
				t.Fatalf("failure events %+v, want one for %d trimmed records from %s", failed, tc.wantFailed, b.Seqs[tc.wantFirstGo])
			}
		})
	}

	t.Run("dynamodb", func(t *testing.T) {
		h := newHarness(t, harnessOptions{})
		c := failuretest.WriteDynamoDB(t, h.ep)
		object := rewritePayload(t, c.S3ObjectJSON(t), keepIndexes(0, 2)) // the MODIFY is missing
		if resp := h.invoke(object); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("message failed: %+v", resp.BatchItemFailures)
		}
		got := hydrated(t, failuretest.ForStream(h.drain(), c.StreamARN))
		if len(got) != 3 || got[1].DynamoDB.EventName != "MODIFY" {
			t.Fatalf("%d records hydrated, want the 3 changes with the MODIFY read back from the stream", len(got))
		}
	})
}

// TestIntegrityS3PayloadForeignRecordsAreRefused (issue 9, items 1 and 6): records in an S3
// payload that are not the failed batch (outside its range, of another shard or stream,
// repeated, more than the batch size) refuse the whole failure record: the message fails with a
// hydrate.RefusedError naming why, and nothing of it is published.
func TestIntegrityS3PayloadForeignRecordsAreRefused(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	data := [][]byte{[]byte(`{"n":0}`), []byte(`{"n":1}`), []byte(`{"n":2}`), []byte(`{"n":3}`), []byte(`{"n":4}`), []byte(`{"n":5}`)}
	b := failuretest.PutKinesis(t, h.ep, data)
	other := failuretest.PutKinesis(t, h.ep, [][]byte{[]byte(`{"other":0}`)})
	whole := b.S3ObjectJSON(t, 0, 5)
	// A failure record for records 1-3 whose payload is that of 0-5.
	rangeOf13 := func(t *testing.T, edit func(int, map[string]any) bool) string {
		obj := rewritePayload(t, whole, edit)
		return strings.Replace(strings.Replace(strings.Replace(obj, `"startSequenceNumber":"`+b.Seqs[0]+`"`, `"startSequenceNumber":"`+b.Seqs[1]+`"`, 1),
			`"endSequenceNumber":"`+b.Seqs[5]+`"`, `"endSequenceNumber":"`+b.Seqs[3]+`"`, 1), `"batchSize":6`, `"batchSize":3`, 1)
	}
	for _, tc := range []struct {
		name   string
		object string
		reason string
	}{
		{"a record after the range", rangeOf13(t, keepIndexes(1, 2, 3, 5)), hydrate.RefusedOutsideRange},
		{"a record before the range", rangeOf13(t, keepIndexes(0, 1, 2)), hydrate.RefusedOutsideRange},
		{"a record of another shard", rewritePayload(t, whole, func(i int, r map[string]any) bool {
			if i == 2 {
				r["eventID"] = "shardId-000000000007:" + b.Seqs[2]
			}
			return true
		}), hydrate.RefusedOtherShard},
		{"a record of another stream", rewritePayload(t, whole, func(i int, r map[string]any) bool {
			if i == 4 {
				r["eventSourceARN"] = other.StreamARN
			}
			return true
		}), hydrate.RefusedOtherStream},
		{"a record twice", rewritePayload(t, b.S3ObjectJSON(t, 0, 5), func(i int, r map[string]any) bool {
			if i == 3 {
				r["kinesis"].(map[string]any)["sequenceNumber"] = b.Seqs[2]
				r["eventID"] = b.ShardID + ":" + b.Seqs[2]
			}
			return true
		}), hydrate.RefusedDuplicate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantRefused(t, h, tc.object, tc.reason)
			if resp := h.invoke(tc.object); len(resp.BatchItemFailures) != 1 {
				t.Fatalf("a refused failure record must fail its message, got %+v", resp.BatchItemFailures)
			}
		})
	}
	if evs := failuretest.ForStream(h.drain(), b.StreamARN); len(evs) != 0 {
		t.Fatalf("%d events of refused failure records reached the bus", len(evs))
	}
}

// TestAttackS3PayloadThatIsNotTheStream (issue 9, item 6, the S3 path): a consumer role may
// write failure objects only under its own mapping's prefix, for its own stream; but it could
// still make up the records' data, which `hydrant redrive` would then put on the stream. While
// the stream holds the range, every payload record must be the stream's own: other data,
// another partition key or a sequence number the stream never had refuse the whole object,
// and nothing of it is published. What the stream no longer has (here: a deleted stream) is
// taken from the payload, the reason the S3 destination exists.
func TestAttackS3PayloadThatIsNotTheStream(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	data := [][]byte{[]byte(`{"amount":10}`), []byte(`{"amount":20}`), []byte(`{"amount":30}`)}
	b := failuretest.PutKinesis(t, h.ep, data)
	whole := b.S3ObjectJSON(t, 0, 2)
	kinesisOf := func(r map[string]any) map[string]any { return r["kinesis"].(map[string]any) }
	never := new(big.Int)
	never.SetString(b.Seqs[1], 10)
	never.Add(never, big.NewInt(1)) // inside the range, between two records the stream holds
	for _, tc := range []struct {
		name   string
		object string
	}{
		{"other data", rewritePayload(t, whole, func(i int, r map[string]any) bool {
			if i == 1 {
				kinesisOf(r)["data"] = base64.StdEncoding.EncodeToString([]byte(`{"amount":20000}`))
			}
			return true
		})},
		{"another partition key", rewritePayload(t, whole, func(i int, r map[string]any) bool {
			if i == 2 {
				kinesisOf(r)["partitionKey"] = "someone-else"
			}
			return true
		})},
		{"a record the stream never had", rewritePayload(t, whole, func(i int, r map[string]any) bool {
			if i == 1 {
				kinesisOf(r)["sequenceNumber"] = never.String()
				r["eventID"] = b.ShardID + ":" + never.String()
			}
			return true
		})},
	} {
		t.Run(tc.name, func(t *testing.T) { wantRefused(t, h, tc.object, hydrate.RefusedNotTheStream) })
	}
	if evs := failuretest.ForStream(h.drain(), b.StreamARN); len(evs) != 0 {
		t.Fatalf("%d events of refused payloads reached the bus", len(evs))
	}

	// The genuine payload is the stream's: all three records, hydrated.
	genuine := newHarness(t, harnessOptions{})
	if resp := genuine.invoke(whole); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the genuine payload failed: %+v", resp.BatchItemFailures)
	}
	if got := hydrated(t, failuretest.ForStream(genuine.drain(), b.StreamARN)); len(got) != 3 {
		t.Fatalf("%d records hydrated from the genuine payload, want 3", len(got))
	}

	// The stream is gone: the payload cannot be checked, and is what is left of the records.
	var proxy *faultproxy.Proxy
	deleted := newHarness(t, harnessOptions{frontKinesis: func(t *testing.T, kinesisURL string) string {
		p, url := faultproxy.Start(t, kinesisURL)
		proxy = p
		return url
	}})
	name := b.StreamARN[strings.LastIndex(b.StreamARN, "/")+1:]
	proxy.Fail("GetShardIterator", 0, faultproxy.AWSError{StatusCode: 400, Code: "ResourceNotFoundException",
		Message: fmt.Sprintf("Stream %s under account 000000000000 not found.", name)})
	if resp := deleted.invoke(whole); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the payload of a deleted stream failed: %+v", resp.BatchItemFailures)
	}
	got := hydrated(t, failuretest.ForStream(deleted.drain(), b.StreamARN))
	if len(got) != 3 || string(got[2].Kinesis.Data) != string(data[2]) {
		t.Fatalf("%d records hydrated from the payload of a deleted stream, want its 3", len(got))
	}
}

// wantRefused hydrates the failure record object and wants it refused for reason, with
// nothing emitted.
func wantRefused(t *testing.T, h *harness, object, reason string) {
	t.Helper()
	msg, err := failure.Parse([]byte(object))
	if err != nil {
		t.Fatal(err)
	}
	sink := &countingSink{}
	_, err = h.svc.Hydrator.Hydrate(context.Background(), msg, sink)
	var refused *hydrate.RefusedError
	if !errors.As(err, &refused) || refused.Reason != reason {
		t.Fatalf("err = %v, want a refusal %s", err, reason)
	}
	if sink.n != 0 {
		t.Fatalf("%d events emitted from a refused failure record", sink.n)
	}
}

// countingSink counts the events a hydration emits.
type countingSink struct{ n int }

func (s *countingSink) Emit(context.Context, hydrate.Event) error { s.n++; return nil }

// TestIntegrityDeadline (issue 9, item 5): a batch whose reads are throttled must not outlive
// the invocation, or Lambda redelivers the whole batch. With a short deadline and one message
// whose stream throttles every read, the handler answers before the deadline, reports the
// throttled message and the ones it did not start as batch item failures, and hydrates the
// others: every message is either hydrated or failed back to SQS.
func TestIntegrityDeadline(t *testing.T) {
	for _, tc := range []struct {
		name        string
		concurrency int
		timeout     time.Duration
		slowAt      int  // index of the message whose reads are throttled
		wantUnstart bool // messages after the slow one cannot start
	}{
		// One at a time: the slow message holds the invocation until it is cut short, and
		// the messages after it are not started.
		{name: "one at a time", concurrency: 1, timeout: 8 * time.Second, slowAt: 1, wantUnstart: true},
		// Four at a time: the slow message holds one slot; the others go through the rest.
		{name: "in parallel", concurrency: 4, timeout: 10 * time.Second, slowAt: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var slowStream string // set once the streams exist
			h := newHarness(t, harnessOptions{
				handler: intake.HandlerOptions{MessageConcurrency: tc.concurrency, DeadlineMargin: 2 * time.Second},
				frontKinesis: func(t *testing.T, kinesisURL string) string {
					p, url := faultproxy.Start(t, kinesisURL)
					p.Add(&faultproxy.Rule{Operation: "GetRecords",
						Match: func(r *faultproxy.Request) bool {
							return slowStream != "" && strings.Contains(string(r.Body), slowStream)
						},
						Respond: faultproxy.KinesisThroughputExceeded("shardId-000000000000", "slow", "000000000000").Responder()})
					return url
				}})
			fast := make([][]byte, 9)
			for i := range fast {
				fast[i] = fmt.Appendf(nil, `{"fast":%d}`, i)
			}
			a := failuretest.PutKinesis(t, h.ep, fast)
			slow := failuretest.PutKinesis(t, h.ep, [][]byte{[]byte(`{"slow":0}`)})
			slowStream = slow.StreamARN
			var bodies []string
			for i := range fast {
				if len(bodies) == tc.slowAt {
					bodies = append(bodies, slow.FailureJSON(0, 0))
				}
				bodies = append(bodies, a.FailureJSON(i, i))
			}

			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			deadline, _ := ctx.Deadline()
			resp := h.invokeCtx(ctx, bodies...)
			if answered := time.Now(); !answered.Before(deadline) {
				t.Fatalf("the handler answered %v after the invocation's deadline: Lambda would have redelivered the whole batch", answered.Sub(deadline))
			}

			failedIDs := map[string]bool{}
			for _, f := range resp.BatchItemFailures {
				failedIDs[f.ItemIdentifier] = true
			}
			slowID := fmt.Sprintf("msg-%d", tc.slowAt)
			if !failedIDs[slowID] {
				t.Fatalf("the throttled message %s must be failed back to SQS, failures %+v", slowID, resp.BatchItemFailures)
			}
			onBus := map[string]bool{}
			for _, d := range hydrated(t, failuretest.ForStream(h.drain(), a.StreamARN)) {
				onBus[d.SequenceNumber] = true
			}
			// Every message is accounted for: hydrated, or failed back to SQS to be redelivered.
			next := 0
			for i := range bodies {
				id := fmt.Sprintf("msg-%d", i)
				if i == tc.slowAt {
					continue
				}
				seq := a.Seqs[next]
				next++
				if onBus[seq] == failedIDs[id] {
					t.Errorf("%s (%s): on the bus %v, failed back to SQS %v: want exactly one", id, seq, onBus[seq], failedIDs[id])
				}
			}
			metrics := h.metrics.String()
			if tc.wantUnstart {
				if !failedIDs["msg-2"] || !strings.Contains(metrics, fmt.Sprintf(`"MessagesDeferred":%d`, len(bodies)-2)) {
					t.Errorf("the messages after the throttled one must not be started; failures %+v, metrics %s", resp.BatchItemFailures, metrics)
				}
				if failedIDs["msg-0"] {
					t.Errorf("the message before the throttled one had time to be hydrated")
				}
			} else if len(resp.BatchItemFailures) != 1 {
				t.Errorf("in parallel, only the throttled message should fail, got %+v", resp.BatchItemFailures)
			}
		})
	}
}
