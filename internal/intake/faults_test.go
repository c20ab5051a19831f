//go:build integration

package intake_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
	"github.com/hydrant-dev/hydrant/internal/testkit/faultproxy"
)

// throttleSome puts a fault proxy in front of the bus that fails every third entry of the
// first calls' PutEvents with the given error, forwarding the others.
func throttleSome(calls int, entryErr faultproxy.EntryError, rule **faultproxy.Rule) func(t *testing.T, busURL string) string {
	return func(t *testing.T, busURL string) string {
		p, url := faultproxy.Start(t, busURL)
		*rule = p.Add(&faultproxy.Rule{Operation: "PutEvents", Times: calls,
			Respond: faultproxy.PutEventsPartialFailure(func(i int, _ json.RawMessage) bool { return i%3 == 0 }, entryErr)})
		return url
	}
}

func TestThrottledEntriesAreRetriedAndNothingIsDuplicated(t *testing.T) {
	var rule *faultproxy.Rule
	h := newHarness(t, harnessOptions{front: throttleSome(3, faultproxy.EntryThrottled(), &rule)})
	data := make([][]byte, 40)
	for i := range data {
		data[i] = fmt.Appendf(nil, `{"n":%d}`, i)
	}
	b := failuretest.PutKinesis(t, h.ep, data)
	if resp := h.invoke(b.FailureJSON(0, len(data)-1)); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("message reported as failed: %+v", resp.BatchItemFailures)
	}
	if rule.Hits() != 3 {
		t.Fatalf("the fault proxy answered %d PutEvents calls, want 3", rule.Hits())
	}
	got := hydrated(t, failuretest.ForStream(h.drain(), b.StreamARN)) // fails on any duplicate
	if len(got) != len(data) {
		t.Fatalf("%d records on the bus, want %d", len(got), len(data))
	}
	if strings.Contains(h.metrics.String(), `"PublishRetries":0`) || !strings.Contains(h.metrics.String(), `"PublishRetries"`) {
		t.Errorf("metrics must count the retried entries: %s", h.metrics.String())
	}
}

func TestRefusedEntryFailsTheMessageSoItIsRedelivered(t *testing.T) {
	var rule *faultproxy.Rule
	refused := faultproxy.EntryError{Code: "InvalidArgument", Message: "Parameter Detail is not valid."}
	h := newHarness(t, harnessOptions{front: throttleSome(0, refused, &rule)})
	b := failuretest.PutKinesis(t, h.ep, [][]byte{[]byte("a"), []byte("b")})
	resp := h.invoke(b.FailureJSON(0, 1))
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "msg-0" {
		t.Fatalf("a non-retryable PutEvents entry error must fail the message, got %+v", resp.BatchItemFailures)
	}
	if rule.Hits() != 1 {
		t.Fatalf("a non-retryable code must not be retried: %d PutEvents calls answered", rule.Hits())
	}
}

func TestTrimmedRangeBecomesRecordHydrationFailed(t *testing.T) {
	var horizon string // set once the records exist, before the function reads
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
	data := make([][]byte, 10)
	for i := range data {
		data[i] = fmt.Appendf(nil, `{"n":%d}`, i)
	}
	b := failuretest.PutKinesis(t, h.ep, data)
	horizon = b.Seqs[4] // records 0-3 are past retention
	if resp := h.invoke(b.FailureJSON(0, 9)); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("trimmed records are a result, not a reason to redeliver: %+v", resp.BatchItemFailures)
	}
	evs := failuretest.ForStream(h.drain(), b.StreamARN)
	var recovered []*hydrantevent.RecordHydrated
	var failed []*hydrantevent.RecordHydrationFailed
	for _, e := range evs {
		switch d := e.Detail.(type) {
		case *hydrantevent.RecordHydrated:
			recovered = append(recovered, d)
		case *hydrantevent.RecordHydrationFailed:
			failed = append(failed, d)
		}
	}
	if len(recovered) != 6 {
		t.Fatalf("%d records recovered, want the 6 still in the stream", len(recovered))
	}
	if len(failed) != 1 {
		t.Fatalf("want one RecordHydrationFailed event for the trimmed part, got %d", len(failed))
	}
	f := failed[0]
	if f.Reason != hydrantevent.ReasonTrimmed || f.Missing.Count != 4 || f.Missing.StartSequenceNumber != b.Seqs[0] {
		t.Fatalf("failure event %+v, want 4 records trimmed from %s", f, b.Seqs[0])
	}
	if !strings.Contains(h.metrics.String(), `"RecordsFailed":1`) {
		t.Errorf("metrics must count the failure event: %s", h.metrics.String())
	}
}
