//go:build integration

package intake_test

import (
	"bytes"
	"testing"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/streams/kpl/kpltest"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
)

// TestKPLAggregatesBecomeOneEventPerUserRecord reads a batch holding a KPL aggregate, a
// corrupt aggregate and a plain record back from the stream: the aggregate's user records
// each get their own event (with their sub-sequence number), the corrupt one travels whole in
// a RecordHydrationFailed event, and nothing is dropped.
func TestKPLAggregatesBecomeOneEventPerUserRecord(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	users := []kpltest.Record{{PartitionKey: "a", Data: []byte(`{"u":0}`)}, {PartitionKey: "b", Data: []byte(`{"u":1}`)}, {PartitionKey: "a", Data: []byte("raw")}}
	corrupt := kpltest.Seal(append(kpltest.Protobuf(users[:1]), 0xff)) // valid MD5 over a broken message
	b := failuretest.PutKinesis(t, h.ep, [][]byte{kpltest.Aggregate(users), corrupt, []byte("plain")})
	if resp := h.invoke(b.FailureJSON(0, 2)); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("message reported as failed: %+v", resp.BatchItemFailures)
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
	if len(got) != 4 || len(failed) != 1 {
		t.Fatalf("got %d hydrated and %d failed events, want 4 (3 user records + 1 plain) and 1", len(got), len(failed))
	}
	subs := map[int64][]byte{}
	for _, d := range got {
		if d.SequenceNumber == b.Seqs[0] {
			if d.SubSequenceNumber == nil {
				t.Fatalf("user record of the aggregate without a sub-sequence number: %+v", d)
			}
			subs[*d.SubSequenceNumber] = d.Kinesis.Data
			if d.Kinesis.PartitionKey != users[*d.SubSequenceNumber].PartitionKey {
				t.Errorf("user record %d has partition key %s", *d.SubSequenceNumber, d.Kinesis.PartitionKey)
			}
		} else if d.SequenceNumber != b.Seqs[2] || d.SubSequenceNumber != nil || string(d.Kinesis.Data) != "plain" {
			t.Errorf("unexpected record %+v", d)
		}
	}
	for i, u := range users {
		if !bytes.Equal(subs[int64(i)], u.Data) {
			t.Errorf("user record %d: %q, want %q", i, subs[int64(i)], u.Data)
		}
	}
	f := failed[0]
	if f.Reason != hydrantevent.ReasonCorruptAggregate || f.Missing.StartSequenceNumber != b.Seqs[1] || f.Kinesis == nil || !bytes.Equal(f.Kinesis.Data, corrupt) {
		t.Fatalf("corrupt aggregate event %+v, want its raw bytes with reason corrupt-aggregate", f)
	}
}
