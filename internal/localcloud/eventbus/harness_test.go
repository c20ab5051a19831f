//go:build integration

package eventbus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/internal/localcloud/eventbus"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

func TestMain(m *testing.M) { emulators.Main(m) }

// harness is one local EventBridge endpoint on httptest, wired to the shared goaws and
// gofakes3, with the SDK clients a test drives it and reads the targets with.
type harness struct {
	t      *testing.T
	srv    *eventbus.Server
	url    string
	eb     *eventbridge.Client
	sqs    *sqs.Client
	sns    *sns.Client
	s3     *s3.Client
	logs   *syncBuffer
	prefix string
}

// syncBuffer collects the endpoint's logs for assertions.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var harnessSeq atomic.Int64

func newHarness(t *testing.T, configure ...func(*eventbus.Options)) *harness {
	t.Helper()
	e := emulators.Get(t)
	logs := &syncBuffer{}
	opts := eventbus.Options{
		Region:           e.Region,
		AccountID:        "000000000000",
		SQS:              e.SQSClient(),
		SNS:              e.SNSClient(),
		S3:               e.S3Client(),
		RetryBaseDelay:   time.Millisecond,
		RetryMaxDelay:    20 * time.Millisecond,
		ReplaySliceDelay: 20 * time.Millisecond,
		Logger:           slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	for _, c := range configure {
		c(&opts)
	}
	srv := eventbus.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("close endpoint: %v", err)
		}
	})
	e.EventBridge = ts.URL
	return &harness{
		t: t, srv: srv, url: ts.URL, eb: e.EventBridgeClient(noRetries), sqs: e.SQSClient(), sns: e.SNSClient(), s3: e.S3Client(), logs: logs,
		// goaws and gofakes3 are shared by every test: names carry a unique prefix.
		prefix: fmt.Sprintf("eb%d-%d", time.Now().UnixNano()%1_000_000, harnessSeq.Add(1)),
	}
}

func (h *harness) name(base string) string { return h.prefix + "-" + base }

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

// queue creates a goaws queue and returns its URL and ARN.
func (h *harness) queue(base string, attrs map[string]string) (string, string) {
	h.t.Helper()
	ctx := h.ctx()
	out, err := h.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(h.name(base)), Attributes: attrs})
	if err != nil {
		h.t.Fatalf("create queue %s: %v", base, err)
	}
	a, err := h.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		h.t.Fatalf("queue %s attributes: %v", base, err)
	}
	return aws.ToString(out.QueueUrl), a.Attributes["QueueArn"]
}

// receive polls a queue until it has n messages or the deadline passes.
func (h *harness) receive(url string, n int) []sqstypes.Message {
	h.t.Helper()
	ctx := h.ctx()
	var got []sqstypes.Message
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		out, err := h.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			h.t.Fatalf("receive from %s: %v", url, err)
		}
		for _, m := range out.Messages {
			got = append(got, m)
			if _, err := h.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				h.t.Fatalf("delete message: %v", err)
			}
		}
		if len(out.Messages) == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(got) < n {
		h.t.Fatalf("queue %s: got %d messages within 10s, want %d; endpoint logs:\n%s", url, len(got), n, h.logs.String())
	}
	return got
}

// empty asserts that url holds no message once the endpoint has no delivery pending, that is
// once everything it would deliver has arrived.
func (h *harness) empty(url string) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.srv.Idle(ctx); err != nil {
		h.t.Fatalf("queue %s: %v", url, err)
	}
	out, err := h.sqs.ReceiveMessage(h.ctx(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	if err != nil {
		h.t.Fatalf("receive from %s: %v", url, err)
	}
	if len(out.Messages) != 0 {
		h.t.Fatalf("queue %s: got %d unexpected messages, first %s", url, len(out.Messages), aws.ToString(out.Messages[0].Body))
	}
}

func (h *harness) bus(base string) (string, string) {
	h.t.Helper()
	name := h.name(base)
	out, err := h.eb.CreateEventBus(h.ctx(), &eventbridge.CreateEventBusInput{Name: aws.String(name)})
	if err != nil {
		h.t.Fatalf("create bus %s: %v", name, err)
	}
	return name, aws.ToString(out.EventBusArn)
}

func (h *harness) rule(bus, name, pattern string) string {
	h.t.Helper()
	out, err := h.eb.PutRule(h.ctx(), &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String(bus), EventPattern: aws.String(pattern)})
	if err != nil {
		h.t.Fatalf("put rule %s: %v", name, err)
	}
	return aws.ToString(out.RuleArn)
}

func (h *harness) targets(bus, rule string, targets ...ebtypes.Target) {
	h.t.Helper()
	out, err := h.eb.PutTargets(h.ctx(), &eventbridge.PutTargetsInput{Rule: aws.String(rule), EventBusName: aws.String(bus), Targets: targets})
	if err != nil {
		h.t.Fatalf("put targets on %s: %v", rule, err)
	}
	if out.FailedEntryCount != 0 {
		h.t.Fatalf("put targets on %s: %d failed: %+v", rule, out.FailedEntryCount, out.FailedEntries)
	}
}

func (h *harness) put(entries ...ebtypes.PutEventsRequestEntry) *eventbridge.PutEventsOutput {
	h.t.Helper()
	out, err := h.eb.PutEvents(h.ctx(), &eventbridge.PutEventsInput{Entries: entries})
	if err != nil {
		h.t.Fatalf("put events: %v", err)
	}
	return out
}

func entry(bus, source, detailType, detail string) ebtypes.PutEventsRequestEntry {
	return ebtypes.PutEventsRequestEntry{EventBusName: aws.String(bus), Source: aws.String(source), DetailType: aws.String(detailType), Detail: aws.String(detail)}
}

// capture registers an in-process Lambda function that records its invocations.
type capture struct {
	mu     sync.Mutex
	events [][]byte
	fail   int // invocations to fail before succeeding
	calls  int
}

func (c *capture) handler(_ context.Context, event []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.calls <= c.fail {
		return errors.New("function error (injected)")
	}
	c.events = append(c.events, bytes.Clone(event))
	return nil
}

func (c *capture) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		if len(c.events) >= n {
			out := append([][]byte(nil), c.events...)
			c.mu.Unlock()
			return out
		}
		c.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("function got %d events within 10s, want %d", len(c.events), n)
	return nil
}

func (h *harness) function(name string, c *capture) string {
	arn := "arn:aws:lambda:us-east-1:000000000000:function:" + h.name(name)
	h.srv.RegisterFunction(arn, c.handler)
	return arn
}

func decodeEvent(t *testing.T, body string) eventbus.Event {
	t.Helper()
	var ev eventbus.Event
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		t.Fatalf("decode event %q: %v", body, err)
	}
	return ev
}

func attr(m sqstypes.Message, name string) string {
	v, ok := m.MessageAttributes[name]
	if !ok {
		return "<absent>"
	}
	return aws.ToString(v.StringValue)
}

// noRetries keeps the SDK from retrying the endpoint's LimitExceededException (a throttling
// code to the SDK's retryer), which would only slow the tests down.
func noRetries(o *eventbridge.Options) { o.RetryMaxAttempts = 1 }
