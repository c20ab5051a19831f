package eventbus_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/hydrant-dev/hydrant/internal/localcloud/eventbus"
)

// BenchmarkPutEvents300Rules measures PutEvents through the SDK client on a bus with the
// per-bus maximum of 300 rules (one per team, keyed by stream ARN prefix, as Hydrant's
// subscriptions are), 10 entries per call, each event matching one rule whose in-process
// function target receives it. The clock stops when every event has been delivered.
func BenchmarkPutEvents300Rules(b *testing.B) {
	srv := eventbus.New(eventbus.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close(context.Background())
	eb := eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	ctx := context.Background()
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	var delivered atomic.Int64
	fn := "arn:aws:lambda:us-east-1:000000000000:function:count"
	srv.RegisterFunction(fn, func(context.Context, []byte) error { delivered.Add(1); return nil })
	for i := range 300 {
		name := fmt.Sprintf("team-%03d", i)
		pattern := fmt.Sprintf(`{"source":["hydrant"],"detail-type":["RecordHydrated"],"detail":{"streamArn":[{"prefix":"arn:aws:kinesis:us-east-1:000000000000:stream/%s"}],"record":{"size":[{"numeric":[">=",0]}]}}}`, name)
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String("bench"), EventPattern: aws.String(pattern)}); err != nil {
			b.Fatal(err)
		}
		if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: aws.String("bench"),
			Targets: []ebtypes.Target{{Id: aws.String("fn"), Arn: aws.String(fn)}}}); err != nil {
			b.Fatal(err)
		}
	}
	entries := make([]ebtypes.PutEventsRequestEntry, 10)
	for i := range entries {
		entries[i] = ebtypes.PutEventsRequestEntry{EventBusName: aws.String("bench"), Source: aws.String("hydrant"), DetailType: aws.String("RecordHydrated"),
			Detail: aws.String(fmt.Sprintf(`{"streamArn":"arn:aws:kinesis:us-east-1:000000000000:stream/team-%03d-orders","shardId":"shardId-000000000001","record":{"sequenceNumber":"4959","size":512,"data":"eyJvcmRlciI6NDJ9"}}`, i*29))}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil || out.FailedEntryCount != 0 {
			b.Fatalf("put events: %v (%d failed)", err, out.FailedEntryCount)
		}
	}
	want := int64(b.N * len(entries))
	deadline := time.Now().Add(time.Minute)
	for delivered.Load() < want {
		if time.Now().After(deadline) {
			b.Fatalf("delivered %d of %d events", delivered.Load(), want)
		}
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(want)/b.Elapsed().Seconds(), "events/s")
}
