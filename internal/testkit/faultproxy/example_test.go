package faultproxy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/hydrant-dev/hydrant/internal/testkit/faultproxy"
)

// A proxy in front of an EventBridge endpoint fails the second of three entries with
// ThrottlingException, once; the first and third reach the bus.
func ExamplePutEventsPartialFailure() {
	bus := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var in struct{ Entries []json.RawMessage }
		_ = json.Unmarshal(body, &in)
		fmt.Printf("bus received %d entries\n", len(in.Entries))
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"a"},{"EventId":"c"}]}`)
	}))
	defer bus.Close()

	p, err := faultproxy.New(bus.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Add(&faultproxy.Rule{Operation: "PutEvents", Times: 1,
		Respond: faultproxy.PutEventsPartialFailure(func(i int, _ json.RawMessage) bool { return i == 1 }, faultproxy.EntryThrottled())})
	srv := httptest.NewServer(p)
	defer srv.Close()

	client := eventbridge.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")},
		func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	entry := ebtypes.PutEventsRequestEntry{Source: aws.String("hydrant"), DetailType: aws.String("RecordHydrated"), Detail: aws.String("{}")}
	out, err := client.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry, entry, entry}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("failed:", out.FailedEntryCount)
	for i, e := range out.Entries {
		if e.ErrorCode != nil {
			fmt.Println(i, "error", aws.ToString(e.ErrorCode))
			continue
		}
		fmt.Println(i, "event", aws.ToString(e.EventId))
	}
	// Output:
	// bus received 2 entries
	// failed: 1
	// 0 event a
	// 1 error ThrottlingException
	// 2 event c
}
