package hydrantinfra_test

import (
	"encoding/json"
	"testing"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/hydrant-dev/hydrant/internal/eventpattern"
)

// A record too large for an event is offloaded: its event carries no kinesis.data or
// dataJson (no DynamoDB images), only a reference. A team whose detail pattern filters on
// that content would never match it, and the record would reach only the catch-all queue and
// the archive, with nothing to tell the team. The rule takes every offloaded record of the
// team's streams that the rest of its pattern (partition key, event name, ...) selects: the
// team's consumer filters its content after fetching it.
func TestRulePatternTakesOffloadedRecordsItCannotFilter(t *testing.T) {
	const stream, other = "arn:aws:kinesis:us-east-1:123456789012:stream/orders", "arn:aws:kinesis:us-east-1:123456789012:stream/payments"
	const table = "arn:aws:dynamodb:us-east-1:123456789012:table/users/stream/2026-01-01T00:00:00.000"
	kinesisRecord := func(streamARN, pk, data string, offloaded bool) []byte {
		d := &hydrantevent.RecordHydrated{SchemaVersion: hydrantevent.SchemaVersion, StreamARN: streamARN, StreamType: hydrantevent.StreamTypeKinesis,
			ShardID: "shardId-000000000000", SequenceNumber: "1", Kinesis: &hydrantevent.KinesisRecord{PartitionKey: pk, Data: []byte(data), DataJSON: hydrantevent.DataJSON([]byte(data))}}
		if offloaded {
			d.SetOffload(hydrantevent.Offload{Bucket: "claims", Key: "records/k", Size: 300000, SHA256: "00"})
		}
		return envelopeOf(t, d)
	}
	ddbRecord := func(eventName string, offloaded bool) []byte {
		d := &hydrantevent.RecordHydrated{SchemaVersion: hydrantevent.SchemaVersion, StreamARN: table, StreamType: hydrantevent.StreamTypeDynamoDB,
			ShardID: "shardId-1", SequenceNumber: "1", DynamoDB: &hydrantevent.DynamoDBRecord{EventName: eventName, Keys: json.RawMessage(`{"id":"u1"}`), NewImage: json.RawMessage(`{"id":"u1","tier":"gold"}`)}}
		if offloaded {
			d.SetOffload(hydrantevent.Offload{Bucket: "claims", Key: "records/u", Size: 300000, SHA256: "00"})
		}
		return envelopeOf(t, d)
	}
	for _, tc := range []struct {
		name    string
		streams []hydrantinfra.StreamMatch
		detail  string
		failed  bool
		event   []byte
		want    bool
	}{
		{"a big order, whole", []hydrantinfra.StreamMatch{{ARN: stream}}, `{"kinesis":{"dataJson":{"total":[{"numeric":[">",100]}]}}}`, false, kinesisRecord(stream, "eu-1", `{"total":500}`, false), true},
		{"a small order, whole, is filtered out", []hydrantinfra.StreamMatch{{ARN: stream}}, `{"kinesis":{"dataJson":{"total":[{"numeric":[">",100]}]}}}`, false, kinesisRecord(stream, "eu-1", `{"total":5}`, false), false},
		{"an offloaded order cannot be filtered on its data: it reaches the team", []hydrantinfra.StreamMatch{{ARN: stream}}, `{"kinesis":{"dataJson":{"total":[{"numeric":[">",100]}]}}}`, false, kinesisRecord(stream, "eu-1", `{"total":500}`, true), true},
		{"with failures too", []hydrantinfra.StreamMatch{{ARN: stream}}, `{"kinesis":{"dataJson":{"total":[{"numeric":[">",100]}]}}}`, true, kinesisRecord(stream, "eu-1", `{"total":500}`, true), true},
		{"the rest of the pattern still selects it", []hydrantinfra.StreamMatch{{ARN: stream}}, `{"kinesis":{"partitionKey":[{"prefix":"eu-"}],"dataJson":{"total":[{"numeric":[">",100]}]}}}`, false, kinesisRecord(stream, "us-1", `{"total":500}`, true), false},
		{"another stream's offloaded record does not", []hydrantinfra.StreamMatch{{ARN: stream}}, `{"kinesis":{"dataJson":{"total":[{"numeric":[">",100]}]}}}`, true, kinesisRecord(other, "eu-1", `{"total":500}`, true), false},
		{"an offloaded DynamoDB record", []hydrantinfra.StreamMatch{{ARN: table}}, `{"dynamodb":{"eventName":["MODIFY"],"newImage":{"tier":["gold"]}}}`, false, ddbRecord("MODIFY", true), true},
		{"an offloaded DynamoDB record of another event name", []hydrantinfra.StreamMatch{{ARN: table}}, `{"dynamodb":{"eventName":["MODIFY"],"newImage":{"tier":["gold"]}}}`, false, ddbRecord("REMOVE", true), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := hydrantinfra.RulePattern("", tc.failed, tc.streams, tc.detail)
			if err != nil {
				t.Fatal(err)
			}
			p, err := eventpattern.Compile([]byte(src))
			if err != nil {
				t.Fatalf("pattern %s: %v", src, err)
			}
			ev, err := eventpattern.ParseEvent(tc.event)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Match(ev); got != tc.want {
				t.Errorf("pattern %s matches %v, want %v; event %s", src, got, tc.want, tc.event)
			}
		})
	}
}

func envelopeOf(t *testing.T, d *hydrantevent.RecordHydrated) []byte {
	t.Helper()
	detail, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{"version": "0", "id": "e1", "detail-type": hydrantevent.DetailTypeRecordHydrated, "source": hydrantevent.DefaultSource,
		"account": "123456789012", "time": "2026-12-06T00:00:00Z", "region": "us-east-1", "resources": []string{d.StreamARN}, "detail": json.RawMessage(detail)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
