package demo

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/handlers/democonsumer/poison"
)

// The second act's verdict: every poison record processed exactly once by the fixed consumer,
// in sequence order per shard, with the payload it failed on and the demo put; every run
// complete; nothing else processed.
func TestRedriveActCheck(t *testing.T) {
	const kin, ddb = "arn:aws:kinesis:us-east-1:000000000000:stream/orders", "arn:aws:dynamodb:ddblocal:000000000000:table/users/stream/x"
	poisonOut := []Outcome{
		{Record: Record{Source: "kinesis", StreamARN: kin, Key: "order-7", Sequence: "7", Data: json.RawMessage(`{"orderId":"order-7","poison":true}`)}},
		{Record: Record{Source: "kinesis", StreamARN: kin, Key: "order-14", Sequence: "14", Data: json.RawMessage(`{"orderId":"order-14","poison":true}`)}},
		{Record: Record{Source: "dynamodb", StreamARN: ddb, Key: "user-4", Sequence: "400", Data: json.RawMessage(`{"id":"user-4","name":"User 4","poison":true}`)}},
	}
	k7 := ConsumerEntry{StreamARN: kin, Sequence: "7", EventID: "shardId-000000000000:7", Payload: `{"orderId":"order-7","poison":true}`}
	k14 := ConsumerEntry{StreamARN: kin, Sequence: "14", EventID: "shardId-000000000000:14", Payload: `{"orderId":"order-14","poison":true}`}
	d4 := ConsumerEntry{StreamARN: ddb, Sequence: "400", EventID: "abc", Payload: `{"id":{"S":"user-4"},"name":{"S":"User 4"},"poison":{"BOOL":true}}`}
	done := func(e ConsumerEntry) ConsumerEntry { e.Processed = true; return e }
	failedAll := []ConsumerEntry{k7, k14, d4, k7, k14} // the mapping's retries fail them more than once
	good := []RedriveRun{{From: "team", Read: 3, Redriven: 3}, {From: "archive", Read: 3, AlreadyDone: 3}}
	tests := []struct {
		name    string
		runs    []RedriveRun
		entries []ConsumerEntry
		ok      bool
		problem string
	}{
		{"pass", good, append(failedAll, done(d4), done(k7), done(k14)), true, ""},
		{"not processed", good, append(failedAll, done(k7), done(k14)), false, "user-4: not processed"},
		{"processed twice", good, append(failedAll, done(d4), done(k7), done(k14), done(k7)), false, "order-7: processed 2 times"},
		{"out of order", good, append(failedAll, done(d4), done(k14), done(k7)), false, "order-7: processed out of sequence order"},
		{"another shard is not out of order", good, append(failedAll, done(d4), done(ConsumerEntry{StreamARN: kin, Sequence: "14", EventID: "shardId-000000000001:14", Payload: k14.Payload}), done(k7)), true, ""},
		{"payload changed", good, append(failedAll, done(d4), done(k7), done(ConsumerEntry{StreamARN: kin, Sequence: "14", EventID: k14.EventID, Payload: `{"orderId":"order-14"}`})), false, "order-14: processed payload"},
		{"failed and processed alike, but not what was put", good, func() []ConsumerEntry {
			bad := ConsumerEntry{StreamARN: ddb, Sequence: "400", EventID: "abc", Payload: `{"id":{"S":"user-5"}}`}
			return []ConsumerEntry{k7, k14, bad, done(bad), done(k7), done(k14)}
		}(), false, "user-4: payload"},
		{"never failed", good, []ConsumerEntry{k7, k14, done(d4), done(k7), done(k14)}, false, "user-4: the consumer never logged failing it"},
		{"run failed again", []RedriveRun{{From: "team", Read: 3, Redriven: 2, FailedAgain: 1}}, append(failedAll, done(d4), done(k7), done(k14)), false, "redrive team: 1 records failed again"},
		{"unexpected record", good, append(failedAll, done(d4), done(k7), done(k14), done(ConsumerEntry{StreamARN: kin, Sequence: "99", EventID: "shardId-000000000000:99"})), false, "processed 1 records that are no poison record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &RedriveAct{Switch: poison.FixedEnv + "=true", Runs: tt.runs}
			a.check(poisonOut, tt.entries)
			if a.OK != tt.ok {
				t.Errorf("ok %v, want %v; problems %v", a.OK, tt.ok, a.Problems)
			}
			if tt.problem != "" && !strings.Contains(strings.Join(a.Problems, "\n"), tt.problem) {
				t.Errorf("problems %v, want one with %q", a.Problems, tt.problem)
			}
			rep := Report{OK: a.OK, Redrive: a, Poison: []Outcome{{EventID: "e"}}}
			rep.verdict(60e9)
			want := "PASS: 1 poison records isolated, hydrated, delivered to all 0 promised destinations and, once the consumers were fixed, redriven"
			if !tt.ok {
				want = "FAIL: the poison records were delivered, but the redrive to the fixed consumers fell short"
			}
			if !strings.HasPrefix(rep.Verdict, want) {
				t.Errorf("verdict %q, want prefix %q", rep.Verdict, want)
			}
			var b strings.Builder
			if err := rep.WriteText(&b); err != nil || !strings.Contains(b.String(), "Second act: consumers fixed (DEMO_CONSUMER_FIXED=true") {
				t.Errorf("text report (%v):\n%s", err, b.String())
			}
		})
	}
}

// ConsumerLog keeps the consumer's poison records, with the function named by the logger's
// attributes, whatever the level of the log it passes records on to.
func TestConsumerLogKeepsTheConsumersRecords(t *testing.T) {
	var out strings.Builder
	cl := NewConsumerLog(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelError}))
	log := slog.New(cl).With("function", "orders-consumer")
	c := poison.Consumer{Log: log, Getenv: func(string) string { return "true" }}
	event := `{"Records":[{"eventSource":"aws:kinesis","eventID":"shardId-000000000000:5","eventSourceARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s","kinesis":{"sequenceNumber":"5","partitionKey":"p","data":"eyJwb2lzb24iOnRydWV9"}}]}`
	if _, err := c.Handle(context.Background(), json.RawMessage(event)); err != nil {
		t.Fatal(err)
	}
	log.Error("passed on")
	got := cl.Entries()
	want := ConsumerEntry{Function: "orders-consumer", Processed: true, StreamARN: "arn:aws:kinesis:us-east-1:000000000000:stream/s", Sequence: "5", EventID: "shardId-000000000000:5", Payload: `{"poison":true}`}
	if len(got) != 1 || got[0] != want {
		t.Errorf("entries %+v, want [%+v]", got, want)
	}
	if strings.Contains(out.String(), poison.LogProcessed) || !strings.Contains(out.String(), "passed on") {
		t.Errorf("the log below kept its level:\n%s", out.String())
	}
}
