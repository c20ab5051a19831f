package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

// The batch engine alone, against the documented rules (see batchRunner.run),
// with an in-memory function: every case gives the exact sequence of batches
// invoked and of batches discarded.

type fakeDiscard struct {
	seqs      []string
	condition string
	count     int
	responded bool
	fnErr     string
}

// seqs returns n sequence numbers, as a shard would number its records.
func testRecords(n int, arrival time.Time) []record {
	recs := make([]record, n)
	for i := range recs {
		seq := fmt.Sprintf("4960000000000000000000000000000000000000000000000000%04d", i+1)
		recs[i] = record{seq: seq, arrival: arrival, event: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i+1))}
	}
	return recs
}

func numbers(recs []record) []int {
	out := make([]int, len(recs))
	for i, r := range recs {
		var v struct{ N int }
		_ = json.Unmarshal(r.event, &v)
		out[i] = v.N
	}
	return out
}

// behaviour is the function under test: given the record numbers of a batch,
// its response and error.
type behaviour func(nums []int, seqOf func(int) string) ([]byte, error)

// failOn throws when the batch holds a poison record.
func failOn(poison ...int) behaviour {
	return func(nums []int, _ func(int) string) ([]byte, error) {
		for _, n := range nums {
			if slices.Contains(poison, n) {
				return nil, errors.New("poison")
			}
		}
		return []byte("null"), nil
	}
}

// reportOn answers batch item failures naming the poison records.
func reportOn(poison ...int) behaviour {
	return func(nums []int, seqOf func(int) string) ([]byte, error) {
		var items []string
		for _, n := range nums {
			if slices.Contains(poison, n) {
				items = append(items, fmt.Sprintf(`{"itemIdentifier":%q}`, seqOf(n)))
			}
		}
		return []byte(`{"batchItemFailures":[` + strings.Join(items, ",") + `]}`), nil
	}
}

func respond(body string) behaviour {
	return func([]int, func(int) string) ([]byte, error) { return []byte(body), nil }
}

type runResult struct {
	invoked   [][]int
	discarded []fakeDiscard
}

func runBatch(t *testing.T, s settings, n int, fn behaviour, now time.Time, arrival time.Time) runResult {
	t.Helper()
	recs := testRecords(n, arrival)
	seqOf := func(k int) string { return recs[k-1].seq }
	var res runResult
	b := &batchRunner{
		s: &s, now: func() time.Time { return now }, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		invoke: func(_ context.Context, batch []record) outcome {
			nums := numbers(batch)
			res.invoked = append(res.invoked, nums)
			resp, err := fn(nums, seqOf)
			return classify(resp, err, batch, s.rbif)
		},
		discard: func(_ context.Context, d discarded) error {
			fd := fakeDiscard{condition: d.condition, count: d.invokeCount, responded: d.responded, fnErr: d.functionError}
			for _, r := range d.records {
				fd.seqs = append(fd.seqs, fmt.Sprint(numbers([]record{r})[0]))
			}
			res.discarded = append(res.discarded, fd)
			return nil
		},
	}
	if err := b.run(context.Background(), recs); err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func sizes(inv [][]int) []int {
	out := make([]int, len(inv))
	for i, b := range inv {
		out[i] = len(b)
	}
	return out
}

func rng(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestBatchSemantics(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	fresh := now.Add(-time.Second)
	st := func(retries int, bisect, rbif bool) settings {
		return settings{maxRetries: retries, maxAge: -1, rbif: rbif, Config: Config{BisectBatchOnFunctionError: bisect}}
	}
	tests := []struct {
		name      string
		s         settings
		n         int
		fn        behaviour
		arrival   time.Time
		invoked   [][]int
		discarded []fakeDiscard
	}{
		{
			name: "success is one invocation", s: st(2, false, false), n: 10, fn: failOn(),
			invoked: [][]int{rng(1, 10)},
		},
		{
			// "Lambda retries the whole batch until ... the configured retry quota": 1 + MaximumRetryAttempts invocations.
			name: "function error retried MaximumRetryAttempts times then discarded whole", s: st(2, false, false), n: 10, fn: failOn(8),
			invoked:   [][]int{rng(1, 10), rng(1, 10), rng(1, 10)},
			discarded: []fakeDiscard{{seqs: strs(rng(1, 10)), condition: "RetryAttemptsExhausted", count: 3, responded: true, fnErr: "Unhandled"}},
		},
		{
			name: "MaximumRetryAttempts 0 invokes once", s: st(0, false, false), n: 4, fn: failOn(1),
			invoked:   [][]int{rng(1, 4)},
			discarded: []fakeDiscard{{seqs: strs(rng(1, 4)), condition: "RetryAttemptsExhausted", count: 1, responded: true, fnErr: "Unhandled"}},
		},
		{
			// Bisection splits at once and doesn't consume the retry quota; the
			// isolated record is retried up to the quota; good halves go through.
			name: "bisect isolates the poison record of 10", s: st(2, true, false), n: 10, fn: failOn(8),
			invoked:   [][]int{rng(1, 10), rng(1, 5), rng(6, 10), rng(6, 8), rng(6, 7), {8}, {8}, {8}, rng(9, 10)},
			discarded: []fakeDiscard{{seqs: []string{"8"}, condition: "RetryAttemptsExhausted", count: 3, responded: true, fnErr: "Unhandled"}},
		},
		{
			name: "bisect with two poison records discards each alone", s: st(1, true, false), n: 4, fn: failOn(2, 3),
			invoked: [][]int{rng(1, 4), rng(1, 2), {1}, {2}, {2}, rng(3, 4), {3}, {3}, {4}},
			discarded: []fakeDiscard{
				{seqs: []string{"2"}, condition: "RetryAttemptsExhausted", count: 2, responded: true, fnErr: "Unhandled"},
				{seqs: []string{"3"}, condition: "RetryAttemptsExhausted", count: 2, responded: true, fnErr: "Unhandled"},
			},
		},
		{
			// Checkpoint at the lowest failed sequence number; retry from there
			// (records after it redelivered, records before it not); discarded
			// with functionError null.
			name: "partial batch response retries from the lowest failure", s: st(2, false, true), n: 10, fn: reportOn(9, 7),
			invoked:   [][]int{rng(1, 10), rng(7, 10), rng(7, 10)},
			discarded: []fakeDiscard{{seqs: strs(rng(7, 10)), condition: "RetryAttemptsExhausted", count: 3, responded: true}},
		},
		{
			// aws-serverless-failure-modes: ReportBatchItemFailures (with bisect) on 10 records, bad #8: 1-10, 8-10, 8, 9-10.
			name: "partial batch response with bisect splits at the returned sequence number", s: st(2, true, true), n: 10, fn: reportOn(8),
			invoked:   [][]int{rng(1, 10), rng(8, 10), {8}, {8}, {8}, rng(9, 10)},
			discarded: []fakeDiscard{{seqs: []string{"8"}, condition: "RetryAttemptsExhausted", count: 3, responded: true}},
		},
		{
			name: "empty batchItemFailures is success", s: st(2, false, true), n: 3, fn: respond(`{"batchItemFailures":[]}`),
			invoked: [][]int{rng(1, 3)},
		},
		{
			name: "null batchItemFailures is success", s: st(2, false, true), n: 3, fn: respond(`{"batchItemFailures":null}`),
			invoked: [][]int{rng(1, 3)},
		},
		{
			name: "empty response is success", s: st(2, false, true), n: 3, fn: respond(``),
			invoked: [][]int{rng(1, 3)},
		},
		{
			name: "empty itemIdentifier fails the whole batch", s: st(1, false, true), n: 3, fn: respond(`{"batchItemFailures":[{"itemIdentifier":""}]}`),
			invoked:   [][]int{rng(1, 3), rng(1, 3)},
			discarded: []fakeDiscard{{seqs: strs(rng(1, 3)), condition: "RetryAttemptsExhausted", count: 2, responded: true}},
		},
		{
			name: "null itemIdentifier fails the whole batch", s: st(0, false, true), n: 3, fn: respond(`{"batchItemFailures":[{"itemIdentifier":null}]}`),
			invoked:   [][]int{rng(1, 3)},
			discarded: []fakeDiscard{{seqs: strs(rng(1, 3)), condition: "RetryAttemptsExhausted", count: 1, responded: true}},
		},
		{
			name: "unknown itemIdentifier fails the whole batch", s: st(0, false, true), n: 3, fn: respond(`{"batchItemFailures":[{"itemIdentifier":"123"}]}`),
			invoked:   [][]int{rng(1, 3)},
			discarded: []fakeDiscard{{seqs: strs(rng(1, 3)), condition: "RetryAttemptsExhausted", count: 1, responded: true}},
		},
		{
			name: "wrong key name fails the whole batch", s: st(0, false, true), n: 2, fn: respond(`{"batchItemFailures":[{"id":"1"}]}`),
			invoked:   [][]int{rng(1, 2)},
			discarded: []fakeDiscard{{seqs: strs(rng(1, 2)), condition: "RetryAttemptsExhausted", count: 1, responded: true}},
		},
		{
			name: "batch item failures ignored without ReportBatchItemFailures", s: st(2, false, false), n: 3, fn: reportOn(2),
			invoked: [][]int{rng(1, 3)},
		},
		{
			name: "records older than MaximumRecordAgeInSeconds are discarded unprocessed, one record each",
			s:    settings{maxRetries: 2, maxAge: 60}, n: 2, fn: failOn(), arrival: now.Add(-61 * time.Second),
			discarded: []fakeDiscard{
				{seqs: []string{"1"}, condition: "RecordAgeExceeded", count: 1},
				{seqs: []string{"2"}, condition: "RecordAgeExceeded", count: 1},
			},
		},
		{
			name: "records within MaximumRecordAgeInSeconds are invoked", s: settings{maxRetries: 2, maxAge: 60}, n: 2, fn: failOn(),
			arrival: now.Add(-59 * time.Second), invoked: [][]int{rng(1, 2)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arrival := tt.arrival
			if arrival.IsZero() {
				arrival = fresh
			}
			got := runBatch(t, tt.s, tt.n, tt.fn, now, arrival)
			if fmt.Sprint(got.invoked) != fmt.Sprint(tt.invoked) {
				t.Errorf("invoked batches\n got %v (sizes %v)\nwant %v (sizes %v)", got.invoked, sizes(got.invoked), tt.invoked, sizes(tt.invoked))
			}
			if fmt.Sprintf("%+v", got.discarded) != fmt.Sprintf("%+v", tt.discarded) {
				t.Errorf("discarded\n got %+v\nwant %+v", got.discarded, tt.discarded)
			}
		})
	}
}

// A record that ages past the limit while its batch is retried is discarded
// with RecordAgeExceeded before the next retry.
func TestBatchRecordAgeWhileRetrying(t *testing.T) {
	start := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	now := start
	s := settings{maxRetries: -1, maxAge: 60}
	recs := testRecords(3, start.Add(-50*time.Second))
	var invoked [][]int
	var discards []discarded
	b := &batchRunner{
		s: &s, now: func() time.Time { return now }, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		invoke: func(_ context.Context, batch []record) outcome {
			invoked = append(invoked, numbers(batch))
			now = now.Add(5 * time.Second) // each attempt takes 5 s of the clock
			return classify(nil, errors.New("down"), batch, false)
		},
		discard: func(_ context.Context, d discarded) error { discards = append(discards, d); return nil },
	}
	if err := b.run(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	// Ages 50, 55, 60 s are invoked; at 65 s every record has expired.
	if want := [][]int{rng(1, 3), rng(1, 3), rng(1, 3)}; fmt.Sprint(invoked) != fmt.Sprint(want) {
		t.Errorf("invoked %v, want %v", invoked, want)
	}
	if len(discards) != 3 {
		t.Fatalf("%d discards, want 3 (one per expired record)", len(discards))
	}
	for i, d := range discards {
		if d.condition != ConditionRecordAgeExceeded || d.responded || len(d.records) != 1 || d.invokeCount != 3 || d.records[0].seq != recs[i].seq {
			t.Errorf("discard %d = %+v, want record %d alone, RecordAgeExceeded, no response, invoke count 3", i, d, i+1)
		}
	}
}

// Infinite retries end only with the context: the batch is then left
// unprocessed (not discarded).
func TestBatchInfiniteRetriesStopWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := settings{maxRetries: -1, maxAge: -1}
	calls := 0
	b := &batchRunner{
		s: &s, now: time.Now, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		invoke: func(_ context.Context, batch []record) outcome {
			calls++
			if calls == 50 {
				cancel()
			}
			return classify(nil, errors.New("down"), batch, false)
		},
		discard: func(context.Context, discarded) error { t.Error("discarded a batch with infinite retries"); return nil },
	}
	if err := b.run(ctx, testRecords(2, time.Now())); !errors.Is(err, context.Canceled) {
		t.Fatalf("run = %v, want context.Canceled", err)
	}
	if calls != 50 {
		t.Errorf("%d invocations, want 50", calls)
	}
}

func strs(ns []int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = fmt.Sprint(n)
	}
	return out
}

// Batches stay within Lambda's 6 MB synchronous payload limit.
func TestFitPayload(t *testing.T) {
	mb := func(n int) record { return record{event: json.RawMessage(`"` + strings.Repeat("x", n) + `"`)} }
	tests := []struct {
		name string
		recs []record
		want int
	}{
		{"small batch fits whole", []record{mb(10), mb(10)}, 2},
		{"cut before the record crossing 6 MB", []record{mb(2 << 20), mb(2 << 20), mb(2 << 20), mb(10)}, 2},
		{"exactly at the limit", []record{mb(maxPayload - len(`{"Records":[]}`) - 3)}, 1},
		{"an oversized first record still goes alone", []record{mb(7 << 20), mb(1)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fitPayload(tt.recs); got != tt.want {
				t.Errorf("fitPayload = %d, want %d", got, tt.want)
			}
			if n := fitPayload(tt.recs); n > 1 && len(eventPayload(tt.recs[:n])) > maxPayload {
				t.Errorf("payload of %d records is %d bytes, over %d", n, len(eventPayload(tt.recs[:n])), maxPayload)
			}
		})
	}
}
