package publish_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/hydrant-dev/hydrant/internal/localcloud/eventbus"
	"github.com/hydrant-dev/hydrant/internal/publish"
	"github.com/hydrant-dev/hydrant/internal/testkit/faultproxy"
)

// bus is a local EventBridge endpoint with a bus whose rule hands every event to a collector.
type bus struct {
	server *eventbus.Server
	url    string
	name   string

	mu  sync.Mutex
	ids map[string]int // entry id (in the detail) -> deliveries
}

func newBus(tb testing.TB) *bus {
	tb.Helper()
	b := &bus{name: "hydrant", ids: map[string]int{}}
	b.server = eventbus.New(eventbus.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxEntrySize: 1024 * 1024})
	srv := httptest.NewServer(b.server)
	tb.Cleanup(srv.Close)
	b.url = srv.URL
	ctx := context.Background()
	eb := client(b.url)
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(b.name)}); err != nil {
		tb.Fatal(err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("all"), EventBusName: aws.String(b.name), EventPattern: aws.String(`{"source":["test"]}`)}); err != nil {
		tb.Fatal(err)
	}
	fn := "arn:aws:lambda:us-east-1:000000000000:function:collect"
	b.server.RegisterFunction(fn, func(_ context.Context, event []byte) error {
		var e struct {
			Detail struct {
				ID string `json:"id"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(event, &e); err != nil {
			return err
		}
		b.mu.Lock()
		b.ids[e.Detail.ID]++
		b.mu.Unlock()
		return nil
	})
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("all"), EventBusName: aws.String(b.name),
		Targets: []ebtypes.Target{{Id: aws.String("collect"), Arn: aws.String(fn)}}}); err != nil {
		tb.Fatal(err)
	}
	return b
}

// delivered waits for pending deliveries and returns how often each entry arrived.
func (b *bus) delivered(t *testing.T) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.server.Close(ctx); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ids
}

func client(url string) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

func entries(n, size int) []publish.Entry {
	out := make([]publish.Entry, n)
	for i := range out {
		id := fmt.Sprintf("e%05d", i)
		pad := max(0, size-len(`{"id":"","pad":""}`)-len(id)-len("test")-len("Test"))
		out[i] = publish.Entry{ID: id, Source: "test", DetailType: "Test",
			Detail: fmt.Appendf(nil, `{"id":%q,"pad":%q}`, id, strings.Repeat("x", pad))}
	}
	return out
}

func newPublisher(t testing.TB, api publish.EventsAPI, cfg publish.Config) *publish.Publisher {
	t.Helper()
	cfg.EventBusName = "hydrant"
	if cfg.BaseDelay == 0 {
		cfg.BaseDelay = time.Millisecond
	}
	p, err := publish.New(api, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPublishPutsEveryEntryOnceInTheFewestCalls(t *testing.T) {
	b := newBus(t)
	p := newPublisher(t, client(b.url), publish.Config{})
	st, err := p.Publish(context.Background(), entries(25, 1024))
	if err != nil {
		t.Fatal(err)
	}
	if st.Published != 25 || st.Calls != 3 || st.Retried != 0 {
		t.Fatalf("stats %+v, want 25 published in 3 calls", st)
	}
	got := b.delivered(t)
	if len(got) != 25 {
		t.Fatalf("%d distinct entries arrived, want 25", len(got))
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("entry %s arrived %d times", id, n)
		}
	}
}

func TestPublishRetriesOnlyTheFailedEntries(t *testing.T) {
	for _, entryErr := range []faultproxy.EntryError{faultproxy.EntryThrottled(), faultproxy.EntryInternalFailure()} {
		t.Run(entryErr.Code, func(t *testing.T) {
			b := newBus(t)
			proxy, url := faultproxy.Start(t, b.url)
			// The first two calls fail their even entries; the bus sees only the others.
			rule := proxy.Add(&faultproxy.Rule{Operation: "PutEvents", Times: 2,
				Respond: faultproxy.PutEventsPartialFailure(func(i int, _ json.RawMessage) bool { return i%2 == 0 }, entryErr)})
			p := newPublisher(t, client(url), publish.Config{Concurrency: 1})
			st, err := p.Publish(context.Background(), entries(10, 200))
			if err != nil {
				t.Fatal(err)
			}
			// Call 1: 10 entries, 5 fail. Call 2: those 5, 3 fail. Call 3: those 3 succeed.
			if rule.Hits() != 2 || st.Calls != 3 || st.Retried != 8 || st.Published != 10 {
				t.Fatalf("stats %+v with %d faulted calls, want 3 calls, 8 retried, 10 published", st, rule.Hits())
			}
			for id, n := range b.delivered(t) {
				if n != 1 {
					t.Errorf("entry %s arrived %d times", id, n)
				}
			}
		})
	}
}

func TestPublishIdentifiesEntriesRefusedForGood(t *testing.T) {
	b := newBus(t)
	proxy, url := faultproxy.Start(t, b.url)
	proxy.Add(&faultproxy.Rule{Operation: "PutEvents",
		Respond: faultproxy.PutEventsPartialFailure(func(i int, _ json.RawMessage) bool { return i == 3 },
			faultproxy.EntryError{Code: "InvalidArgument", Message: "Parameter Detail is not valid."})})
	p := newPublisher(t, client(url), publish.Config{})
	st, err := p.Publish(context.Background(), entries(5, 200))
	var entryErr *publish.EntryError
	if !errors.As(err, &entryErr) || entryErr.ID != "e00003" || entryErr.Code != "InvalidArgument" || entryErr.Attempts != 1 {
		t.Fatalf("error %v, want entry e00003 refused with InvalidArgument after 1 attempt", err)
	}
	if st.Published != 4 || st.Calls != 1 {
		t.Fatalf("stats %+v: the other entries must be published, nothing retried", st)
	}
}

func TestPublishGivesUpAfterMaxAttempts(t *testing.T) {
	b := newBus(t)
	proxy, url := faultproxy.Start(t, b.url)
	proxy.Add(&faultproxy.Rule{Operation: "PutEvents",
		Respond: faultproxy.PutEventsPartialFailure(func(int, json.RawMessage) bool { return true }, faultproxy.EntryThrottled())})
	p := newPublisher(t, client(url), publish.Config{MaxAttempts: 3})
	st, err := p.Publish(context.Background(), entries(2, 100))
	var entryErr *publish.EntryError
	if !errors.As(err, &entryErr) || entryErr.Code != "ThrottlingException" || entryErr.Attempts != 3 || st.Calls != 3 {
		t.Fatalf("err %v stats %+v, want ThrottlingException after 3 attempts", err, st)
	}
}

func TestPublishRefusesAnEntryOverTheMaximumWithoutCallingEventBridge(t *testing.T) {
	var calls atomic.Int32
	p := newPublisher(t, countingAPI{calls: &calls}, publish.Config{MaxEntrySize: 1024})
	_, err := p.Publish(context.Background(), entries(1, 2000))
	if !errors.Is(err, publish.ErrEntryTooLarge) || !strings.Contains(err.Error(), "e00000") || calls.Load() != 0 {
		t.Fatalf("err %v after %d calls, want ErrEntryTooLarge naming e00000 and no call", err, calls.Load())
	}
}

func TestPublishBoundsCallsInFlight(t *testing.T) {
	b := newBus(t)
	api := &inFlight{next: client(b.url)}
	p := newPublisher(t, api, publish.Config{Concurrency: 3})
	if _, err := p.Publish(context.Background(), entries(200, 100)); err != nil {
		t.Fatal(err)
	}
	if m := api.max.Load(); m > 3 || m < 1 {
		t.Fatalf("%d calls in flight at once, want at most 3", m)
	}
}

type countingAPI struct{ calls *atomic.Int32 }

func (c countingAPI) PutEvents(context.Context, *eventbridge.PutEventsInput, ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	c.calls.Add(1)
	return nil, errors.New("unexpected call")
}

// inFlight records the most PutEvents calls running at once.
type inFlight struct {
	next     publish.EventsAPI
	cur, max atomic.Int32
}

func (f *inFlight) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, o ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	n := f.cur.Add(1)
	defer f.cur.Add(-1)
	for m := f.max.Load(); n > m && !f.max.CompareAndSwap(m, n); m = f.max.Load() {
	}
	time.Sleep(2 * time.Millisecond) // let calls overlap
	return f.next.PutEvents(ctx, in, o...)
}
