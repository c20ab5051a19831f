package eventpattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// The Set benchmarks' events and rules. /tmp harnesses that measure Quamina on the same inputs
// (docs/benchmarks.md) build them with the same code.

// hydratedEvent is a compact RecordHydrated Kinesis event for stream-150 (the shape of
// schemas/examples/recordhydrated-kinesis-json.json) whose dataJson holds items order lines;
// its data member is the base64 of that JSON, as Hydrant publishes it.
func hydratedEvent(items int) []byte {
	var lines []string
	for i := 0; i < items; i++ {
		lines = append(lines, fmt.Sprintf(`{"sku":"SKU-%d","qty":%d,"price":%d.5}`, i, i%7+1, i*3))
	}
	dataJSON := `{"orderId":"o-100234","customerId":"c-42","items":[` + strings.Join(lines, ",") + `],"total":129.9,"currency":"EUR"}`
	b64, _ := json.Marshal([]byte(dataJSON))
	ev := `{"version":"0","id":"5e7a11c0-0000-4000-8000-000000000002","detail-type":"RecordHydrated","source":"hydrant",` +
		`"account":"123456789012","time":"2026-11-28T14:02:13Z","region":"eu-west-1",` +
		`"resources":["arn:aws:kinesis:eu-west-1:123456789012:stream/stream-150"],` +
		`"detail":{"schemaVersion":"1.0","eventId":"dc20abcf23925d0bc84c137b2cfe64bb",` +
		`"streamArn":"arn:aws:kinesis:eu-west-1:123456789012:stream/stream-150","streamType":"kinesis",` +
		`"shardId":"shardId-000000000003","sequenceNumber":"49656110238473859283742908321480129644451813676538724418",` +
		`"failure":{"condition":"RetryAttemptsExhausted","functionArn":"arn:aws:lambda:eu-west-1:123456789012:function:orders-consumer",` +
		`"requestId":"3b5f8e41-2c7d-4a0e-9f13-6d2b8a7c1e55","approximateInvokeCount":4,"timestamp":"2026-11-28T14:02:11.482Z",` +
		`"destination":"sns","response":{"statusCode":200,"executedVersion":"$LATEST","functionError":null},` +
		`"startSequenceNumber":"49656110238473859283742908321476502937458102394857660466",` +
		`"endSequenceNumber":"49656110238473859283742908321491009823475028394857660466","batchSize":100,` +
		`"approximateArrivalOfFirstRecord":"2026-11-28T13:58:40.117Z","approximateArrivalOfLastRecord":"2026-11-28T13:58:44.902Z"},` +
		`"kinesis":{"partitionKey":"o-100234","approximateArrivalTimestamp":"2026-11-28T13:58:42.560Z",` +
		`"data":` + string(b64) + `,"dataJson":` + dataJSON + `}}}`
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(ev)); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

type setEvent struct {
	name string
	data []byte
}

// setEvents: about 1.4 KB and 10.4 KB.
var setEvents = []setEvent{
	{"1.4KB", hydratedEvent(1)},
	{"10KB", hydratedEvent(100)},
}

func streamARN(i int) string {
	return fmt.Sprintf("arn:aws:kinesis:eu-west-1:123456789012:stream/stream-%03d", i)
}

// teamRule is the rule Hydrant deploys for a team subscribed to one stream.
func teamRule(i int) string {
	return fmt.Sprintf(`{"source":["hydrant"],"detail-type":["RecordHydrated"],"detail":{"streamArn":[%q]}}`, streamARN(i))
}

// mixedRule uses the operators both Hydrant and Quamina support, keyed by stream so that exactly
// one of 300 matches stream-150: prefix, exists, anything-but, wildcard, equals-ignore-case.
func mixedRule(i int) string {
	arn := streamARN(i)
	switch i % 5 {
	case 0:
		return fmt.Sprintf(`{"detail":{"streamArn":[{"prefix":%q}]}}`, arn)
	case 1:
		return fmt.Sprintf(`{"detail-type":["RecordHydrated"],"detail":{"streamArn":[{"equals-ignore-case":%q}]}}`, strings.ToUpper(arn))
	case 2:
		return fmt.Sprintf(`{"detail":{"streamArn":[{"wildcard":"arn:aws:kinesis:*:stream/stream-%03d"}],"kinesis":{"dataJson":{"orderId":[{"exists":true}]}}}}`, i)
	case 3:
		return fmt.Sprintf(`{"detail":{"streamArn":[{"prefix":%q}],"failure":{"condition":[{"anything-but":["RecordAgeExceeded"]}]}}}`, arn)
	default:
		return fmt.Sprintf(`{"source":[{"prefix":"hydr"}],"detail":{"streamArn":[{"wildcard":"*stream/stream-%03d"}],"failure":{"destination":[{"anything-but":["s3","sqs"]}]}}}`, i)
	}
}

type setFixture struct {
	name    string
	rules   []string
	set     *Set
	matches int // on every setEvents event
}

func setFixtures(tb testing.TB) []setFixture {
	tb.Helper()
	var team, mixed []string
	for i := 0; i < 300; i++ {
		team = append(team, teamRule(i))
		mixed = append(mixed, mixedRule(i))
	}
	fxs := []setFixture{
		{name: "1rule", rules: []string{teamRule(150)}, matches: 1},
		{name: "300team", rules: team, matches: 1},
		{name: "300mixed", rules: mixed, matches: 1},
	}
	for i := range fxs {
		fxs[i].set = NewSet()
		for j, r := range fxs[i].rules {
			if err := fxs[i].set.Add(fmt.Sprintf("rule-%03d", j), []byte(r)); err != nil {
				tb.Fatalf("%s rule %d: %v", fxs[i].name, j, err)
			}
		}
	}
	return fxs
}

// BenchmarkSet matches one event per op against a Set of rules, as the local bus does for each
// event put on it (scan, index lookups, evaluation of the candidates).
func BenchmarkSet(b *testing.B) {
	for _, fx := range setFixtures(b) {
		for _, ev := range setEvents {
			b.Run(fx.name+"/"+ev.name, func(b *testing.B) {
				dst := make([]string, 0, 4)
				b.ReportAllocs()
				b.SetBytes(int64(len(ev.data)))
				b.ResetTimer()
				cpu := startCPU(b)
				defer cpu.report(b)
				for i := 0; i < b.N; i++ {
					var err error
					if dst, err = fx.set.AppendMatchJSON(dst[:0], ev.data); err != nil || len(dst) != fx.matches {
						b.Fatalf("matches %q, %v; want %d", dst, err, fx.matches)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkPatternsOneByOne is the same work done before Set existed: ParseEvent, then every
// rule's Match.
func BenchmarkPatternsOneByOne(b *testing.B) {
	for _, fx := range setFixtures(b) {
		var ps []*Pattern
		for _, r := range fx.rules {
			ps = append(ps, mustCompile(b, r))
		}
		for _, ev := range setEvents {
			b.Run(fx.name+"/"+ev.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(ev.data)))
				cpu := startCPU(b)
				defer cpu.report(b)
				for i := 0; i < b.N; i++ {
					pe, err := ParseEvent(ev.data)
					if err != nil || matchAll(ps, pe) != fx.matches {
						b.Fatalf("want %d matches (%v)", fx.matches, err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}
