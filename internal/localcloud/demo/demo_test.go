package demo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPoisonAtSpreadsPoisonThroughTheBatch(t *testing.T) {
	tests := []struct {
		good, poison int
		want         []int
	}{
		{99, 1, []int{50}},
		{20, 2, []int{7, 14}},
		{8, 1, []int{4}},
		{5, 0, nil},
	}
	for _, tt := range tests {
		var got []int
		for i := range tt.good + tt.poison {
			if poisonAt(i, tt.good, tt.poison) {
				got = append(got, i)
			}
		}
		if jsonOf(got) != jsonOf(tt.want) {
			t.Errorf("good %d poison %d: poison at %v, want %v", tt.good, tt.poison, got, tt.want)
		}
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// parseEvent reads the identity, failure batch and payload of the schema's example events.
func TestParseEventReadsTheSchemaExamples(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "schemas", "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	k := parseEvent(read("recordhydrated-kinesis-json.json"))
	if k.DetailType != "RecordHydrated" || k.StreamARN != "arn:aws:kinesis:eu-west-1:123456789012:stream/orders" ||
		k.Sequence != "49656110238473859283742908321480129644451813676538724418" || k.FailureDestination != "sns" ||
		k.FailureBatchSize != 100 || len(k.Payload) == 0 || !json.Valid(k.Payload) {
		t.Errorf("kinesis example parsed as %+v", k)
	}
	d := parseEvent(read("recordhydrated-dynamodb-insert.json"))
	if d.Keys["customerId"] != "c-42" || !strings.Contains(string(d.Payload), "Ada Lovelace") {
		t.Errorf("dynamodb example parsed as %+v", d)
	}
	kin := Record{Source: "kinesis", StreamARN: k.StreamARN, Sequence: k.Sequence}
	other := Record{Source: "kinesis", StreamARN: k.StreamARN, Sequence: "1"}
	if !kin.matches(k) || other.matches(k) || kin.matches(d) {
		t.Error("records match events by stream and sequence number only")
	}
	if raw := parseEvent([]byte(`{"transformed":true}`)); !strings.HasPrefix(raw.ID, "raw:") {
		t.Errorf("a body that is no event got id %q", raw.ID)
	}
}

func TestReportVerdictsAndText(t *testing.T) {
	delivered := Delivery{Rule: "catch-all", Kind: "sqs", Where: "sqs://q", Delivered: true, Observable: true}
	missing := Delivery{Rule: "team", Kind: "sqs", Where: "team-q", Observable: true}
	dlq := Delivery{Rule: "broken", Kind: "lambda", Where: "sqs://dlq", DeadLettered: true}
	tests := []struct {
		name    string
		rep     Report
		settled bool
		verdict string
		text    string
	}{
		{"pass", Report{OK: true, Poison: []Outcome{{EventID: "e", Deliveries: []Delivery{delivered}}}}, true, "PASS: 1 poison records", "ok      rule catch-all"},
		{"missing delivery", Report{Poison: []Outcome{{EventID: "e", Deliveries: []Delivery{delivered, missing}}}}, false, "FAIL after 1m0s: 1/1 poison records hydrated, 1/2", "MISSING rule team"},
		{"not hydrated", Report{Poison: []Outcome{{Problem: "not hydrated yet"}}}, false, "FAIL after 1m0s: 0/1", "PROBLEM: not hydrated yet"},
		{"dead-lettered", Report{Poison: []Outcome{{EventID: "e", Deliveries: []Delivery{delivered, dlq}}}}, true, "FAIL: 1/2 promised deliveries made", "DLQ     rule broken"},
		{"good leaked", Report{GoodLeaked: []string{"order-1"}}, true, "FAIL: 1 good records were hydrated", "order-1"},
		{"misrouted", Report{Misrouted: []string{"event x at team-b"}}, true, "FAIL: 1 events reached a target", "Misrouted: event x at team-b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rep
			if got := r.settled(); got != tt.settled {
				t.Errorf("settled %v, want %v", got, tt.settled)
			}
			r.verdict(60e9)
			if !strings.HasPrefix(r.Verdict, tt.verdict) {
				t.Errorf("verdict %q, want prefix %q", r.Verdict, tt.verdict)
			}
			var b strings.Builder
			if err := r.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tt.text) || !strings.HasSuffix(b.String(), r.Verdict+"\n") {
				t.Errorf("text lacks %q or does not end with the verdict:\n%s", tt.text, b.String())
			}
			var j strings.Builder
			if err := r.WriteJSON(&j); err != nil || !json.Valid([]byte(j.String())) {
				t.Errorf("JSON report: %v", err)
			}
		})
	}
}
