package failuretest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/localcloud/eventbus"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/schemas"
)

// Bus is a local EventBridge endpoint with one custom bus whose only rule sends every Hydrant
// event to an in-process collector, and a claim-check bucket on the S3 emulator.
type Bus struct {
	Server *eventbus.Server
	URL    string // the endpoint, for AWS_ENDPOINT_URL_EVENTBRIDGE
	Name   string // the bus
	Bucket string // a claim-check bucket

	t         testing.TB
	mu        sync.Mutex
	collected []hydrantevent.Event
	raw       [][]byte
}

// NewBus starts the endpoint for the test and creates the bus, rule, target and bucket.
func NewBus(t testing.TB, ep emulators.Endpoints) *Bus {
	t.Helper()
	b := &Bus{t: t, Name: UniqueName("bus"), Bucket: UniqueName("claims")}
	b.Server = eventbus.New(eventbus.Options{
		SQS: ep.SQSClient(), SNS: ep.SNSClient(), S3: ep.S3Client(),
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	srv := httptest.NewServer(b.Server)
	t.Cleanup(srv.Close)
	b.URL = srv.URL

	ctx := context.Background()
	ep.EventBridge = srv.URL
	eb := ep.EventBridgeClient()
	Must(t, "create bus", func() error {
		_, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(b.Name)})
		return err
	})
	Must(t, "put rule", func() error {
		_, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("all"), EventBusName: aws.String(b.Name),
			EventPattern: aws.String(`{"source":["` + hydrantevent.DefaultSource + `"]}`)})
		return err
	})
	fn := "arn:aws:lambda:us-east-1:000000000000:function:" + UniqueName("collector")
	b.Server.RegisterFunction(fn, func(_ context.Context, event []byte) error {
		var e hydrantevent.Event
		if err := json.Unmarshal(event, &e); err != nil {
			t.Errorf("collector: an event on the bus does not decode: %v: %s", err, event)
			return nil
		}
		b.mu.Lock()
		b.collected = append(b.collected, e)
		b.raw = append(b.raw, append([]byte(nil), event...))
		b.mu.Unlock()
		return nil
	})
	Must(t, "put targets", func() error {
		_, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("all"), EventBusName: aws.String(b.Name),
			Targets: []ebtypes.Target{{Id: aws.String("collector"), Arn: aws.String(fn)}}})
		return err
	})
	Must(t, "create claim-check bucket", func() error {
		_, err := ep.S3Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b.Bucket)})
		return err
	})
	return b
}

// Drain waits for every pending delivery, checks that every event validates against the
// schemas in schemas/ and passes hydrantevent.Check (identity, sequence order), and returns the events that reached the bus.
func (b *Bus) Drain() []hydrantevent.Event {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Server.Close(ctx); err != nil {
		b.t.Fatalf("close local bus: %v", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, raw := range b.raw {
		if err := schemas.ValidateEvent(raw); err != nil {
			b.t.Errorf("an event on the bus does not validate against schemas/: %v\n%s", err, raw)
		}
		if err := hydrantevent.Check(b.collected[i].Detail); err != nil {
			b.t.Errorf("an event on the bus breaks a rule the schema cannot express: %v", err)
		}
	}
	return slices.Clone(b.collected)
}

// ForStream keeps the events whose resources name streamARN.
func ForStream(evs []hydrantevent.Event, streamARN string) []hydrantevent.Event {
	var out []hydrantevent.Event
	for _, e := range evs {
		if slices.Contains(e.Resources, streamARN) {
			out = append(out, e)
		}
	}
	return out
}
