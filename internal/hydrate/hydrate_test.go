package hydrate

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/publish"
	"github.com/hydrant-dev/hydrant/internal/streams"
)

func TestOffloadKeyIsDerivedFromTheRecordsPosition(t *testing.T) {
	sub := int64(3)
	tests := []struct {
		name, arn, shard, seq string
		sub                   *int64
		want                  string
	}{
		{"kinesis", "arn:aws:kinesis:eu-west-1:123456789012:stream/orders", "shardId-000000000001", "4960", nil,
			"records/eu-west-1/123456789012/kinesis/orders/shardId-000000000001/4960"},
		{"kpl user record", "arn:aws:kinesis:eu-west-1:123456789012:stream/orders", "shardId-000000000001", "4960", &sub,
			"records/eu-west-1/123456789012/kinesis/orders/shardId-000000000001/4960-3"},
		{"dynamodb", "arn:aws:dynamodb:ddblocal:000000000000:table/users/stream/2026-11-28T10:00:00.000", "shardId-0001-ab", "000000000000000000021", nil,
			"records/ddblocal/000000000000/dynamodb/users/2026-11-28T10:00:00.000/shardId-0001-ab/000000000000000000021"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OffloadKey(tt.arn, tt.shard, tt.seq, tt.sub); got != tt.want {
				t.Fatalf("OffloadKey = %s, want %s", got, tt.want)
			}
		})
	}
}

// parse builds the failure record an ESM writes, through the real parser.
func parse(t *testing.T, body string) *failure.Record {
	t.Helper()
	msg, err := failure.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return msg.Record
}

func TestEventsCarryTheFailureContextAsTheRecordHadIt(t *testing.T) {
	const consumerARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders/consumer/hydrant:1700000000"
	rec := parse(t, `{"requestContext":{"requestId":"r-1","functionArn":"arn:aws:lambda:us-east-1:123456789012:function:f","condition":"RecordAgeExceeded","approximateInvokeCount":1},
"version":"1.0","timestamp":"2026-11-28T10:00:00.021Z","KinesisBatchInfo":{"shardId":"shardId-000000000000","startSequenceNumber":"10","endSequenceNumber":"20",
"approximateArrivalOfFirstRecord":"2026-11-28T09:00:00.000Z","approximateArrivalOfLastRecord":"2026-11-28T09:00:01.000Z","batchSize":2,"streamArn":"`+consumerARN+`"}}`)
	b := newBuilder(rec, "sns", "acme.hydrant")
	e, err := b.record(streams.Record{SequenceNumber: "10", Kinesis: &streams.KinesisData{PartitionKey: "p", Data: []byte(`[1,2]`)}})
	if err != nil {
		t.Fatal(err)
	}
	d := e.Detail.(*hydrantevent.RecordHydrated)
	const streamARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"
	if e.Source != "acme.hydrant" || len(e.Resources) != 1 || e.Resources[0] != streamARN || d.StreamARN != streamARN {
		t.Errorf("an enhanced fan-out failure must be routed by its stream's ARN: source %s resources %v detail %s", e.Source, e.Resources, d.StreamARN)
	}
	if d.Failure.Response != nil || d.Failure.Condition != "RecordAgeExceeded" || d.Failure.Destination != "sns" || d.Failure.BatchSize != 2 {
		t.Errorf("failure context %+v: RecordAgeExceeded has no response", d.Failure)
	}
	if string(d.Kinesis.DataJSON) != `[1,2]` {
		t.Errorf("dataJson %s", d.Kinesis.DataJSON)
	}
	if err := hydrantevent.Check(d); err != nil {
		t.Error(err)
	}
}

func TestMissingPartsMapOntoTheSchemasReasons(t *testing.T) {
	for in, want := range map[string]string{
		streams.ReasonTrimmed: hydrantevent.ReasonTrimmed, streams.ReasonStreamNotFound: hydrantevent.ReasonStreamNotFound,
		streams.ReasonShardNotFound: hydrantevent.ReasonShardNotFound, streams.ReasonNotFound: hydrantevent.ReasonNotFound,
		"something new": hydrantevent.ReasonOther,
	} {
		if got := failedReason(in); got != want {
			t.Errorf("failedReason(%q) = %q, want %q", in, got, want)
		}
	}
}

// stubPublisher stands in for the bus in the sink's unit tests; the publisher itself is tested
// against the local EventBridge endpoint (internal/publish, internal/intake).
type stubPublisher struct{ max int }

func (stubPublisher) Publish(context.Context, []publish.Entry) (publish.Stats, error) {
	return publish.Stats{}, errors.New("not called in these tests")
}
func (s stubPublisher) MaxEntrySize() int { return s.max }

func TestAnOversizedEventWithoutAClaimCheckBucketIsAnErrorNamingIt(t *testing.T) {
	sink := NewBusSink(stubPublisher{max: 1024}, nil, 10)
	d := validDetail()
	d.Kinesis = &hydrantevent.KinesisRecord{Data: make([]byte, 4096)}
	err := sink.Emit(context.Background(), Event{Source: "hydrant", DetailType: d.DetailType(), Detail: d})
	if err == nil || !strings.Contains(err.Error(), "event "+d.EventID) || !strings.Contains(err.Error(), "no claim-check bucket") {
		t.Fatalf("err = %v", err)
	}
}

// validDetail is a RecordHydrated that passes hydrantevent.Check.
func validDetail() *hydrantevent.RecordHydrated {
	const stream, shard = "arn:aws:kinesis:us-east-1:123456789012:stream/orders", "shardId-000000000000"
	return &hydrantevent.RecordHydrated{
		EventID: hydrantevent.EventID(stream, shard, "20", nil), StreamARN: stream, ShardID: shard, SequenceNumber: "20",
		Failure: hydrantevent.FailureContext{StartSequenceNumber: "10", EndSequenceNumber: "30"},
	}
}

// countingPublisher records what reaches the bus.
type countingPublisher struct{ entries []publish.Entry }

func (p *countingPublisher) Publish(_ context.Context, es []publish.Entry) (publish.Stats, error) {
	p.entries = append(p.entries, es...)
	return publish.Stats{Published: len(es), Calls: 1}, nil
}
func (p *countingPublisher) MaxEntrySize() int { return 256 * 1024 }

// TestAttackEventFailingCheckIsNeverPublished (issue 9, item 6): hydrantevent.Check runs before
// every publish. An event whose identity is not the one its stream, shard and sequence number
// give, or whose record lies outside the failed range it claims, is refused (for the intake
// DLQ), and nothing of it reaches the bus; a valid one is published.
func TestAttackEventFailingCheckIsNeverPublished(t *testing.T) {
	forgedID := validDetail()
	forgedID.EventID = "0123456789abcdef0123456789abcdef"
	outside := validDetail()
	outside.SequenceNumber, outside.EventID = "99", hydrantevent.EventID(outside.StreamARN, outside.ShardID, "99", nil)
	// The builder stamps its events with the eventId it hashed (the sink does not hash it again
	// when the detail still holds what was hashed); a detail changed after stamping is checked in
	// full and refused all the same.
	stamped := validDetail()
	stamp := hydrantevent.RecordStamp(stamped.StreamARN, stamped.ShardID, stamped.SequenceNumber, nil)
	forgedAfterStamp := validDetail()
	forgedAfterStamp.EventID = "0123456789abcdef0123456789abcdef"
	movedAfterStamp := validDetail()
	movedAfterStamp.SequenceNumber = "21"
	cases := map[string]struct {
		d     *hydrantevent.RecordHydrated
		stamp hydrantevent.Stamp
	}{
		"forged eventId":                                 {d: forgedID},
		"record outside the failed range":                {d: outside},
		"eventId forged after the builder stamped it":    {d: forgedAfterStamp, stamp: stamp},
		"sequence number changed after it was stamped":   {d: movedAfterStamp, stamp: stamp},
		"another record's stamp and eventId":             {d: func() *hydrantevent.RecordHydrated { d := validDetail(); d.SequenceNumber = "22"; return d }(), stamp: stamp},
		"outside the failed range, stamped by its maker": {d: outside, stamp: hydrantevent.RecordStamp(outside.StreamARN, outside.ShardID, "99", nil)},
	}
	for name, tc := range cases {
		d := tc.d
		t.Run(name, func(t *testing.T) {
			pub := &countingPublisher{}
			sink := NewBusSink(pub, nil, 10)
			err := sink.Emit(context.Background(), Event{Source: "hydrant", DetailType: d.DetailType(), Detail: d, stamp: tc.stamp})
			var refused *RefusedError
			if !errors.As(err, &refused) || refused.Reason != RefusedEventCheck {
				t.Fatalf("err = %v, want a refusal (%s)", err, RefusedEventCheck)
			}
			if err := sink.Flush(context.Background()); err != nil || len(pub.entries) != 0 {
				t.Fatalf("published %d entries (%v) of a refused event", len(pub.entries), err)
			}
		})
	}
	pub := &countingPublisher{}
	sink := NewBusSink(pub, nil, 10)
	d := validDetail()
	if err := sink.Emit(context.Background(), Event{Source: "hydrant", DetailType: d.DetailType(), Detail: d}); err != nil {
		t.Fatal(err)
	}
	if err := sink.Emit(context.Background(), Event{Source: "hydrant", DetailType: stamped.DetailType(), Detail: stamped, stamp: stamp}); err != nil {
		t.Fatal(err)
	}
	if err := sink.Flush(context.Background()); err != nil || len(pub.entries) != 2 {
		t.Fatalf("two valid events, one stamped: published %d (%v), want 2", len(pub.entries), err)
	}
}

func TestOffloadKeyPrefixOfARNPrefixCoversExactlyTheSelectedStreams(t *testing.T) {
	tests := []struct{ prefix, want, err string }{
		{prefix: "arn:aws:kinesis:eu-west-1:123456789012:stream/orders-", want: "records/eu-west-1/123456789012/kinesis/orders-"},
		{prefix: "arn:aws:kinesis:eu-west-1:123456789012:stream/", want: "records/eu-west-1/123456789012/kinesis/"},
		{prefix: "arn:aws:dynamodb:eu-west-1:123456789012:table/inv", want: "records/eu-west-1/123456789012/dynamodb/inv"},
		{prefix: "arn:aws:dynamodb:eu-west-1:123456789012:table/invoices/", want: "records/eu-west-1/123456789012/dynamodb/invoices/"},
		{prefix: "arn:aws:dynamodb:eu-west-1:123456789012:table/invoices/stream/2026-", want: "records/eu-west-1/123456789012/dynamodb/invoices/2026-"},
		{prefix: "arn:aws:kinesis:eu-west-1:123456789012:", err: "stream/"},
		{prefix: "arn:aws:kinesis:eu-west-1:1234", err: "account"},
		{prefix: "arn:aws:sqs:eu-west-1:123456789012:q", err: "neither kinesis nor dynamodb"},
	}
	for _, tt := range tests {
		got, err := OffloadKeyPrefixOfARNPrefix(tt.prefix)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want one naming %q", tt.prefix, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.prefix, got, err, tt.want)
		}
	}
	// An exact stream's prefix starts every key of that stream and no other's.
	const orders = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"
	p := OffloadKeyPrefix(orders)
	if !strings.HasPrefix(OffloadKey(orders, "shardId-0", "1", nil), p) || strings.HasPrefix(OffloadKey(orders+"-eu", "shardId-0", "1", nil), p) {
		t.Errorf("prefix %s does not separate orders from orders-eu", p)
	}
}
