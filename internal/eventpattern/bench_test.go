package eventpattern

import (
	"fmt"
	"testing"
)

// benchEvent is a RecordHydrated event as Hydrant puts it on the bus (shape of
// schemas/examples/recordhydrated-kinesis-json.json), for stream-150.
const benchEvent = `{
  "version": "0", "id": "5e7a11c0-0000-4000-8000-000000000002", "detail-type": "RecordHydrated",
  "source": "hydrant", "account": "123456789012", "time": "2026-11-28T14:02:13Z", "region": "eu-west-1",
  "resources": ["arn:aws:kinesis:eu-west-1:123456789012:stream/stream-150"],
  "detail": {
    "schemaVersion": "1.0", "eventId": "dc20abcf23925d0bc84c137b2cfe64bb",
    "streamArn": "arn:aws:kinesis:eu-west-1:123456789012:stream/stream-150", "streamType": "kinesis",
    "shardId": "shardId-000000000003", "sequenceNumber": "49656110238473859283742908321480129644451813676538724418",
    "failure": {
      "condition": "RetryAttemptsExhausted", "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:orders-consumer",
      "requestId": "3b5f8e41-2c7d-4a0e-9f13-6d2b8a7c1e55", "approximateInvokeCount": 4, "timestamp": "2026-11-28T14:02:11.482Z",
      "destination": "sns", "response": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": null},
      "startSequenceNumber": "49656110238473859283742908321476502937458102394857660466",
      "endSequenceNumber": "49656110238473859283742908321491009823475028394857660466", "batchSize": 100,
      "approximateArrivalOfFirstRecord": "2026-11-28T13:58:40.117Z", "approximateArrivalOfLastRecord": "2026-11-28T13:58:44.902Z"
    },
    "kinesis": {
      "partitionKey": "o-100234", "approximateArrivalTimestamp": "2026-11-28T13:58:42.560Z",
      "data": "eyJvcmRlcklkIjoiby0xMDAyMzQiLCJjdXN0b21lcklkIjoiYy00MiIsIml0ZW1zIjpbeyJza3UiOiJTS1UtMSIsInF0eSI6Mn1dLCJ0b3RhbCI6MTI5LjksImN1cnJlbmN5IjoiRVVSIn0=",
      "dataJson": {"orderId": "o-100234", "customerId": "c-42", "items": [{"sku": "SKU-1", "qty": 2}], "total": 129.9, "currency": "EUR"}
    }
  }
}`

// busRules returns 300 rules (EventBridge's per-bus maximum), each keyed by one stream ARN as
// Hydrant's subscribers write them, with a mix of operators on top.
func busRules(tb testing.TB) []*Pattern {
	tb.Helper()
	rules := make([]*Pattern, 0, 300)
	for i := 0; i < 300; i++ {
		arn := fmt.Sprintf("arn:aws:kinesis:eu-west-1:123456789012:stream/stream-%03d", i)
		var extra string
		switch i % 6 {
		case 1:
			extra = `,"failure":{"condition":[{"anything-but":["RecordAgeExceeded"]}]}`
		case 2:
			extra = `,"kinesis":{"partitionKey":[{"prefix":"o-"}]}`
		case 3:
			extra = `,"failure":{"batchSize":[{"numeric":[">=",1,"<=",100]}]}`
		case 4:
			extra = `,"$or":[{"kinesis":{"dataJson":{"currency":["EUR"]}}},{"kinesis":{"dataJson":{"total":[{"numeric":[">",100]}]}}}]`
		case 5:
			extra = `,"failure":{"functionArn":[{"wildcard":"arn:aws:lambda:*:function:orders-*"}]},"kinesis":{"dataJson":{"orderId":[{"exists":true}]}}`
		}
		src := fmt.Sprintf(`{"source":["hydrant"],"detail-type":["RecordHydrated"],"detail":{"streamArn":[%q]%s}}`, arn, extra)
		p, err := Compile([]byte(src))
		if err != nil {
			tb.Fatalf("rule %d %s: %v", i, src, err)
		}
		rules = append(rules, p)
	}
	return rules
}

func matchAll(rules []*Pattern, ev *Event) int {
	n := 0
	for _, r := range rules {
		if r.Match(ev) {
			n++
		}
	}
	return n
}

func TestBusRulesMatchOneStream(t *testing.T) {
	rules := busRules(t)
	ev, err := ParseEvent([]byte(benchEvent))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rules {
		if got, want := r.Match(ev), i == 150; got != want {
			t.Errorf("rule %d (%s) match = %v, want %v", i, r, got, want)
		}
	}
}

// BenchmarkBus300 evaluates one parsed event against a bus of 300 rules per op.
func BenchmarkBus300(b *testing.B) {
	rules := busRules(b)
	ev, err := ParseEvent([]byte(benchEvent))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if matchAll(rules, ev) != 1 {
			b.Fatal("want exactly one matching rule")
		}
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/s, "events/s")
	b.ReportMetric(float64(b.N)*float64(len(rules))/s, "rule-evals/s")
}

// BenchmarkBus300WithParse includes ParseEvent, as a bus does for each incoming event.
func BenchmarkBus300WithParse(b *testing.B) {
	rules := busRules(b)
	data := []byte(benchEvent)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev, err := ParseEvent(data)
		if err != nil {
			b.Fatal(err)
		}
		if matchAll(rules, ev) != 1 {
			b.Fatal("want exactly one matching rule")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkParseEvent(b *testing.B) {
	data := []byte(benchEvent)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := ParseEvent(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	src := []byte(`{"source":["hydrant"],"detail-type":["RecordHydrated"],"detail":{"streamArn":["arn:aws:kinesis:eu-west-1:123456789012:stream/stream-004"],"$or":[{"kinesis":{"dataJson":{"currency":["EUR"]}}},{"kinesis":{"dataJson":{"total":[{"numeric":[">",100]}]}}}]}}`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Compile(src); err != nil {
			b.Fatal(err)
		}
	}
}

// Compiled patterns and parsed events are immutable: many goroutines may match them at once
// (run with -race).
func TestConcurrentMatch(t *testing.T) {
	rules := busRules(t)
	ev, err := ParseEvent([]byte(benchEvent))
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan int, 8)
	for g := 0; g < 8; g++ {
		go func() {
			n := 0
			for i := 0; i < 50; i++ {
				n += matchAll(rules, ev)
			}
			errs <- n
		}()
	}
	for g := 0; g < 8; g++ {
		if n := <-errs; n != 50 {
			t.Errorf("goroutine saw %d matches, want 50", n)
		}
	}
}
