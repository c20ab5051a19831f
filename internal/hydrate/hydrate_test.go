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
	d := &hydrantevent.RecordHydrated{EventID: "abc", Kinesis: &hydrantevent.KinesisRecord{Data: make([]byte, 4096)}}
	err := sink.Emit(context.Background(), Event{Source: "hydrant", DetailType: d.DetailType(), Detail: d})
	if err == nil || !strings.Contains(err.Error(), "event abc") || !strings.Contains(err.Error(), "no claim-check bucket") {
		t.Fatalf("err = %v", err)
	}
}
