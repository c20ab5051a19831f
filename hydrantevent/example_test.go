package hydrantevent_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/hydrant-dev/hydrant/hydrantevent"
)

func ExampleParse() {
	body, err := os.ReadFile("../schemas/examples/recordhydrated-kinesis-json.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	ev, err := hydrantevent.Parse(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	switch d := ev.Detail.(type) {
	case *hydrantevent.RecordHydrated:
		var order struct {
			OrderID string  `json:"orderId"`
			Total   float64 `json:"total"`
		}
		if err := json.Unmarshal(d.Kinesis.Data, &order); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(d.StreamARN, d.SequenceNumber[:8], d.EventID)
		fmt.Println(order.OrderID, order.Total, d.Failure.Condition)
	case *hydrantevent.RecordHydrationFailed:
		fmt.Println(d.Reason, d.Message)
	}
	// Output:
	// arn:aws:kinesis:eu-west-1:123456789012:stream/orders 49656110 dc20abcf23925d0bc84c137b2cfe64bb
	// o-100234 129.9 RetryAttemptsExhausted
}

func ExampleParse_invalid() {
	_, err := hydrantevent.Parse([]byte(`{"version":"0","id":"1","detail-type":"RecordHydrated","source":"hydrant",
		"account":"123456789012","time":"2026-11-28T14:02:13Z","region":"eu-west-1","resources":["x"],
		"detail":{"schemaVersion":"1.0","eventId":"dc20abcf23925d0bc84c137b2cfe64bb","streamType":"kinesis"}}`))
	fmt.Println(err)
	// Output:
	// parse hydrant event: invalid RecordHydrated event: detail: needs one of: detail.kinesis: is required, or detail.dynamodb: is required (as streamType is present); detail.failure: is required; detail.sequenceNumber: is required; detail.shardId: is required; detail.streamArn: is required
}

// The identity of user record 2 of a KPL aggregate: the same as in the example event
// schemas/examples/recordhydrated-kinesis-kpl.json.
func ExampleEventID() {
	sub := int64(2)
	fmt.Println(hydrantevent.EventID("arn:aws:kinesis:eu-west-1:123456789012:stream/orders", "shardId-000000000003",
		"49656110238473859283742908321481338570271428305713430610", &sub))
	// Output:
	// d982e1cdee0da02606156ee2b29454eb
}
