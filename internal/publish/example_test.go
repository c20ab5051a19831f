package publish_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/hydrant-dev/hydrant/internal/localcloud/eventbus"
	"github.com/hydrant-dev/hydrant/internal/publish"
)

// Publishing 25 events on a bus: three PutEvents calls of at most ten entries each. The bus
// here is the local EventBridge endpoint, in process; in Lambda it is the real one.
func ExamplePublisher_Publish() {
	ctx := context.Background()
	bus := eventbus.New(eventbus.Options{})
	defer bus.Close(ctx)
	srv := httptest.NewServer(bus)
	defer srv.Close()
	client := eventbridge.New(eventbridge.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.AnonymousCredentials{},
	})
	if _, err := client.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("hydrant")}); err != nil {
		fmt.Println(err)
		return
	}

	p, err := publish.New(client, publish.Config{EventBusName: "hydrant"})
	if err != nil {
		fmt.Println(err)
		return
	}
	entries := make([]publish.Entry, 25)
	for i := range entries {
		entries[i] = publish.Entry{ID: fmt.Sprint(i), Source: "hydrant", DetailType: "RecordHydrated", Detail: []byte(`{"n":1}`)}
	}
	stats, err := p.Publish(ctx, entries)
	fmt.Printf("%+v %v\n", stats, err)
	// Output:
	// {Published:25 Calls:3 Retried:0} <nil>
}

// Pack fills each call up to EventBridge's limits: ten entries, and the call's summed size.
func ExamplePack() {
	big := publish.Entry{Source: "hydrant", DetailType: "RecordHydrated", Detail: []byte(`{"data":"` + strings.Repeat("x", 100_000) + `"}`)}
	small := publish.Entry{Source: "hydrant", DetailType: "RecordHydrated", Detail: []byte(`{}`)}
	entries := []publish.Entry{big, big, big, small, small}
	for _, call := range publish.Pack(entries, publish.DefaultMaxEntrySize) {
		fmt.Println(len(call), "entries")
	}
	// Output:
	// 2 entries
	// 3 entries
}
