package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// bodyTransport answers every PutEvents with success. hold keeps each request body unread and
// open after answering (as net/http may when a response comes before the body is written);
// otherwise it reads the body, checks it with check and closes it.
type bodyTransport struct {
	hold  bool
	check func(body []byte) error
	mu    sync.Mutex
	held  []io.ReadCloser
	errs  []error
}

func (t *bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.hold {
		t.mu.Lock()
		t.held = append(t.held, r.Body)
		t.mu.Unlock()
	} else {
		var err error
		if t.check == nil {
			_, err = io.Copy(io.Discard, r.Body)
		} else {
			var b []byte
			if b, err = io.ReadAll(r.Body); err == nil {
				err = t.check(b)
			}
		}
		r.Body.Close()
		if err != nil {
			t.mu.Lock()
			t.errs = append(t.errs, err)
			t.mu.Unlock()
		}
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: io.NopCloser(strings.NewReader(`{"FailedEntryCount":0,"Entries":[]}`)), Request: r}, nil
}

func bodyTestClient(rt http.RoundTripper) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{},
		BaseEndpoint: aws.String("http://eventbridge.test"), HTTPClient: &http.Client{Transport: rt}, RetryMaxAttempts: 1}, SerializePutEvents)
}

// markedInput is a PutEvents request whose entries all carry marker.
func markedInput(marker string, detailSize int) *eventbridge.PutEventsInput {
	in := &eventbridge.PutEventsInput{}
	for i := range MaxEntriesPerCall {
		detail := fmt.Sprintf(`{"marker":%q,"i":%d,"pad":"%s"}`, marker, i, strings.Repeat("x", detailSize))
		in.Entries = append(in.Entries, types.PutEventsRequestEntry{EventBusName: aws.String("bus"), Source: aws.String("hydrant"),
			DetailType: aws.String("RecordHydrated"), Detail: aws.String(detail), Resources: []string{"arn:aws:kinesis:eu-west-1:123456789012:stream/s"}})
	}
	return in
}

// TestPutEventsBodyIsNotReusedWhileTheTransportMayReadIt: a transport that keeps a body
// open after answering (as net/http may) reads either that call's body or nothing (the SDK
// stops reading a body once its call has returned), never a later call's bytes.
func TestPutEventsBodyIsNotReusedWhileTheTransportMayReadIt(t *testing.T) {
	tr := &bodyTransport{hold: true}
	client := bodyTestClient(tr)
	var want [][]byte
	for i := range 3 {
		in := markedInput(fmt.Sprintf("call-%d", i), 500)
		want = append(want, PutEventsBody(in))
		if _, err := client.PutEvents(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	tr.hold = false // now bodies are read and closed at once, and their buffers reused
	for i := range 3 {
		if _, err := client.PutEvents(context.Background(), markedInput(fmt.Sprintf("later-%d", i), 500)); err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range tr.held {
		got, err := io.ReadAll(b)
		if err != nil || (len(got) > 0 && !bytes.Equal(got, want[i])) {
			t.Errorf("held body %d: %v, read %.120s..., want %.120s... or nothing", i, err, got, want[i])
		}
		b.Close()
	}
}

// holdingClient answers every request and keeps its body open.
type holdingClient struct{ bodies []io.ReadCloser }

func (c *holdingClient) Do(r *http.Request) (*http.Response, error) {
	c.bodies = append(c.bodies, r.Body)
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
}

// TestBodyLeaseWaitsForEveryAttempt: the buffer goes back to the pool only when the call has
// returned and every attempt's body has been closed (once, however often Close is called),
// and never when no attempt was seen going out through bodyClient.
func TestBodyLeaseWaitsForEveryAttempt(t *testing.T) {
	pool := &bodyPool{}
	l := &bodyLease{pool: pool, refs: 1}
	*l.take() = append(*l.take(), "body"...)
	ctx := context.WithValue(context.Background(), bodyLeaseKey{}, l)
	next := &holdingClient{}
	client := bodyClient{next: next}
	for range 2 { // two attempts (a retry)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://eventbridge.test", io.NopCloser(strings.NewReader("body")))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Do(req); err != nil {
			t.Fatal(err)
		}
	}
	returned := func() bool { l.mu.Lock(); defer l.mu.Unlock(); return l.buf == nil }
	l.release() // the call returns
	next.bodies[0].Close()
	next.bodies[0].Close() // a second Close releases nothing more
	if returned() {
		t.Fatal("the buffer went back to the pool while an attempt's body was open")
	}
	next.bodies[1].Close()
	if !returned() {
		t.Fatal("the buffer did not go back to the pool once every body was closed and the call returned")
	}

	unseen := &bodyLease{pool: pool, refs: 1}
	unseen.take()
	unseen.release() // the call returned, but no attempt went out through bodyClient
	if unseen.buf == nil {
		t.Fatal("a buffer no attempt was seen sending went back to the pool")
	}
}

// TestPutEventsBodiesSideBySide: calls in flight at once each send their own body, whole
// (run with -race: a buffer shared between two calls would show here).
func TestPutEventsBodiesSideBySide(t *testing.T) {
	tr := &bodyTransport{check: func(body []byte) error {
		var in struct{ Entries []struct{ Detail string } }
		if err := json.Unmarshal(body, &in); err != nil {
			return fmt.Errorf("body is not JSON: %w", err)
		}
		var first string
		for i, e := range in.Entries {
			var d struct {
				Marker string
				I      int
			}
			if err := json.Unmarshal([]byte(e.Detail), &d); err != nil || d.I != i {
				return fmt.Errorf("entry %d: %v (i %d)", i, err, d.I)
			}
			if i == 0 {
				first = d.Marker
			} else if d.Marker != first {
				return fmt.Errorf("entry %d of call %s carries %s", i, first, d.Marker)
			}
		}
		if len(in.Entries) != MaxEntriesPerCall {
			return fmt.Errorf("%d entries", len(in.Entries))
		}
		return nil
	}}
	client := bodyTestClient(tr)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				if _, err := client.PutEvents(context.Background(), markedInput(fmt.Sprintf("g%d-%d", g, i), 50+100*g+i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if len(tr.errs) > 0 {
		t.Fatalf("%d bad bodies, first: %v", len(tr.errs), tr.errs[0])
	}
}

// TestPutEventsBodyBufferIsReused: once the transport has closed a body, the next call writes
// into its buffer: a call of 10 entries of 100 KB allocates far less than its 1 MB body.
func TestPutEventsBodyBufferIsReused(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops buffers at random; the other body tests run under it")
	}
	client := bodyTestClient(&bodyTransport{})
	in := markedInput("big", 100_000)
	size := len(PutEventsBody(in))
	for range 3 { // warm up
		if _, err := client.PutEvents(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	var before, after runtime.MemStats
	const calls = 10
	runtime.ReadMemStats(&before)
	for range calls {
		if _, err := client.PutEvents(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	// Writing a fresh body would allocate its size per call.
	if per := int(after.TotalAlloc-before.TotalAlloc) / calls; per > size/2 {
		t.Errorf("%d bytes allocated per call of a %d-byte body: the body buffer is not reused", per, size)
	}
}
