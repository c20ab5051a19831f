//go:build integration

package intake_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/awsclient"
	"github.com/hydrant-dev/hydrant/internal/emf"
	"github.com/hydrant-dev/hydrant/internal/intake"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
)

func TestMain(m *testing.M) { emulators.Main(m) }

// harness is a hydrate function wired to the emulators and to a local EventBridge endpoint
// whose only rule sends every Hydrant event to an in-process collector.
type harness struct {
	t       *testing.T
	ep      emulators.Endpoints
	bus     *failuretest.Bus
	handler *intake.Handler
	svc     *intake.Services
	metrics bytes.Buffer
}

type harnessOptions struct {
	maxEntrySize int
	// front wraps the EventBridge endpoint's URL (e.g. with a fault proxy); nil: direct.
	front func(t *testing.T, busURL string) string
	// frontKinesis wraps the Kinesis emulator's URL for the function's reads; nil: direct.
	frontKinesis func(t *testing.T, kinesisURL string) string
	// frontDynamoDBStreams wraps DynamoDB Local's URL for the function's stream reads; nil: direct.
	frontDynamoDBStreams func(t *testing.T, dynamoDBURL string) string
	// handler configures the handler (concurrency, deadline margin).
	handler intake.HandlerOptions
	// env adds to the function's environment (HYDRANT_TRUSTED_STREAMS, HYDRANT_INTAKE_DLQ_URL).
	env map[string]string
}

func newHarness(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	h := &harness{t: t, ep: emulators.Get(t)}
	h.bus = failuretest.NewBus(t, h.ep)
	url := h.bus.URL
	if o.front != nil {
		url = o.front(t, url)
	}
	ctx := context.Background()

	// The function reads its AWS configuration as in Lambda: the SDK's standard chain, with
	// AWS_ENDPOINT_URL_<SERVICE> pointing at the emulators (exported by emulators.Main).
	t.Setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", url)
	if o.frontKinesis != nil {
		t.Setenv("AWS_ENDPOINT_URL_KINESIS", o.frontKinesis(t, h.ep.Kinesis))
	}
	if o.frontDynamoDBStreams != nil {
		t.Setenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", o.frontDynamoDBStreams(t, h.ep.DynamoDB))
	}
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	maxSize := o.maxEntrySize
	if maxSize == 0 {
		maxSize = 256 * 1024
	}
	env := map[string]string{
		intake.EnvEventBus: h.bus.Name, intake.EnvClaimCheckBucket: h.bus.Bucket, intake.EnvMaxEntrySize: fmt.Sprint(maxSize),
	}
	for k, v := range o.env {
		env[k] = v
	}
	cfg, err := intake.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	if h.svc, err = intake.NewServices(awsCfg, cfg, log); err != nil {
		t.Fatal(err)
	}
	h.handler = intake.NewHandler(h.svc, log, emf.New("Hydrant", map[string]string{"FunctionName": "hydrate"}), &h.metrics, o.handler)
	return h
}

// invoke hands the bodies to the handler as one SQS batch, as the intake queue's ESM does.
func (h *harness) invoke(bodies ...string) events.SQSEventResponse {
	h.t.Helper()
	return h.invokeCtx(context.Background(), bodies...)
}

// invokeCtx is invoke with the invocation's context (its deadline is the function's timeout).
func (h *harness) invokeCtx(ctx context.Context, bodies ...string) events.SQSEventResponse {
	h.t.Helper()
	ev := events.SQSEvent{}
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("msg-%d", i), Body: b,
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}, EventSource: "aws:sqs"})
	}
	resp, err := h.handler.Handle(ctx, ev)
	if err != nil {
		h.t.Fatalf("Handle returned an error (it must report per message instead): %v", err)
	}
	return resp
}

// drain waits for every pending delivery of the local bus and returns what reached it.
func (h *harness) drain() []hydrantevent.Event { return h.bus.Drain() }

// testWriter sends the function's logs to the test's log, shown when a test fails.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
