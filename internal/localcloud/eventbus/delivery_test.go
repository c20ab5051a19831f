//go:build integration

package eventbus_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// The first acceptance case: bus, rule, SQS target, event, message.
func TestSQSTargetReceivesMatchingEvent(t *testing.T) {
	h := newHarness(t)
	bus, _ := h.bus("orders")
	qurl, qarn := h.queue("orders", nil)
	ruleArn := h.rule(bus, "by-stream", `{"source":["hydrant"],"detail":{"streamArn":[{"prefix":"arn:aws:kinesis:us-east-1:000000000000:stream/orders"}]}}`)
	if want := "arn:aws:events:us-east-1:000000000000:rule/" + bus + "/by-stream"; ruleArn != want {
		t.Fatalf("rule ARN %s, want %s", ruleArn, want)
	}
	h.targets(bus, "by-stream", ebtypes.Target{Id: aws.String("q"), Arn: aws.String(qarn)})

	out := h.put(
		entry(bus, "hydrant", "RecordHydrated", `{"streamArn":"arn:aws:kinesis:us-east-1:000000000000:stream/orders","n":1}`),
		entry(bus, "hydrant", "RecordHydrated", `{"streamArn":"arn:aws:kinesis:us-east-1:000000000000:stream/payments","n":2}`),
		ebtypes.PutEventsRequestEntry{EventBusName: aws.String(bus), Source: aws.String("hydrant"), DetailType: aws.String("RecordHydrated"),
			Detail:    aws.String(`{ "streamArn" : "arn:aws:kinesis:us-east-1:000000000000:stream/orders-eu", "n": 3 }`),
			Resources: []string{"arn:aws:kinesis:us-east-1:000000000000:stream/orders-eu"}, Time: aws.Time(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))},
	)
	if out.FailedEntryCount != 0 || len(out.Entries) != 3 {
		t.Fatalf("put events: %d failed, %d entries", out.FailedEntryCount, len(out.Entries))
	}
	msgs := h.receive(qurl, 2)
	byN := map[string]string{}
	for _, m := range msgs {
		ev := decodeEvent(t, aws.ToString(m.Body))
		byN[string(ev.Detail)] = ev.ID
		if ev.Version != "0" || ev.Source != "hydrant" || ev.DetailType != "RecordHydrated" || ev.Account != "000000000000" || ev.Region != "us-east-1" {
			t.Errorf("envelope %+v", ev)
		}
		if _, err := time.Parse(time.RFC3339, ev.Time); err != nil {
			t.Errorf("time %q is not RFC 3339: %v", ev.Time, err)
		}
	}
	if id := byN[`{"streamArn":"arn:aws:kinesis:us-east-1:000000000000:stream/orders","n":1}`]; id != aws.ToString(out.Entries[0].EventId) {
		t.Errorf("first event: id %q in queue, PutEvents returned %q (received %v)", id, aws.ToString(out.Entries[0].EventId), byN)
	}
	third := `{"streamArn":"arn:aws:kinesis:us-east-1:000000000000:stream/orders-eu","n":3}`
	if id := byN[third]; id != aws.ToString(out.Entries[2].EventId) {
		t.Errorf("third event (detail minified as AWS delivers it): id %q, want %q (received %v)", id, aws.ToString(out.Entries[2].EventId), byN)
	}
	for _, m := range msgs {
		ev := decodeEvent(t, aws.ToString(m.Body))
		if string(ev.Detail) == third && (ev.Time != "2026-11-28T12:00:00Z" || len(ev.Resources) != 1) {
			t.Errorf("third event keeps the entry's Time and Resources: %+v", ev)
		}
	}
	h.empty(qurl)
}
