package publish

import (
	"context"
	"io"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/smithy-go/middleware"
)

// PutEvents request bodies are large (about 39 KB for ten 1 KiB records) and made for every
// call; allocating each one was a third of the hydrate path's CPU, counting the collections it
// caused (docs/benchmarks.md). SerializePutEvents therefore writes them into buffers it reuses,
// and a buffer is reused only when nothing can read it any more: the PutEvents operation has
// returned (the SDK reads the body to sign it and again for each retry), and the HTTP
// transport has closed the request body of every attempt (net/http closes it when it is done
// writing, possibly after RoundTrip has returned; the SDK's body wrapper stops reading once
// closed). When an attempt is not seen going out through bodyClient (another HTTP client was
// put in its place), or the transport never closes a body, the buffer is left to the garbage
// collector, never reused.

// bodyPool holds one client's request body buffers.
type bodyPool struct{ bufs sync.Pool }

func (p *bodyPool) get() *[]byte {
	if b, ok := p.bufs.Get().(*[]byte); ok {
		return b
	}
	return new([]byte)
}

// bodyLease is one PutEvents operation's body buffer: held by the operation until it returns,
// and by each attempt the transport has not closed yet.
type bodyLease struct {
	pool *bodyPool
	mu   sync.Mutex
	buf  *[]byte // nil: no body written into a pooled buffer (yet)
	refs int     // the operation, if it has not returned, plus open attempts
	sent bool    // an attempt went out through bodyClient
}

type bodyLeaseKey struct{}

func leaseFrom(ctx context.Context) *bodyLease {
	l, _ := ctx.Value(bodyLeaseKey{}).(*bodyLease)
	return l
}

// take gives the operation a buffer from the pool to write its body into.
func (l *bodyLease) take() *[]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf == nil {
		l.buf = l.pool.get()
	}
	return l.buf
}

// release drops one hold (the operation's or an attempt's) and returns the buffer to the pool
// when it was the last and an attempt was seen going out through bodyClient.
func (l *bodyLease) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refs--
	if l.refs == 0 && l.sent && l.buf != nil {
		l.pool.bufs.Put(l.buf)
		l.buf = nil
	}
}

func (l *bodyLease) attempt() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refs++
	l.sent = true
}

// leaseBodies is an initialize middleware: it gives each PutEvents operation its lease and
// releases the operation's hold when the operation returns.
type leaseBodies struct{ pool *bodyPool }

func (leaseBodies) ID() string { return "hydrant.PutEventsBodyLease" }

func (m leaseBodies) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	if _, ok := in.Parameters.(*eventbridge.PutEventsInput); !ok {
		return next.HandleInitialize(ctx, in)
	}
	l := &bodyLease{pool: m.pool, refs: 1}
	defer l.release()
	return next.HandleInitialize(context.WithValue(ctx, bodyLeaseKey{}, l), in)
}

// bodyClient is the client's HTTP client with each attempt's request body wrapped, so that
// the lease learns when the transport has closed it.
type bodyClient struct{ next eventbridge.HTTPClient }

func (c bodyClient) Do(req *http.Request) (*http.Response, error) {
	l := leaseFrom(req.Context())
	if l == nil || req.Body == nil || req.Body == http.NoBody {
		return c.next.Do(req)
	}
	l.attempt()
	b := &leasedBody{ReadCloser: req.Body, lease: l}
	if wt, ok := req.Body.(io.WriterTo); ok {
		req.Body = leasedWriterTo{leasedBody: b, wt: wt}
	} else {
		req.Body = b
	}
	return c.next.Do(req)
}

// leasedBody releases the attempt's hold once, after the body it wraps is closed.
type leasedBody struct {
	io.ReadCloser
	lease *bodyLease
	once  sync.Once
}

func (b *leasedBody) Close() error {
	err := b.ReadCloser.Close() // the SDK's body reads nothing after this returns
	b.once.Do(b.lease.release)
	return err
}

// leasedWriterTo keeps the wrapped body's WriteTo, which net/http uses to send it.
type leasedWriterTo struct {
	*leasedBody
	wt io.WriterTo
}

func (b leasedWriterTo) WriteTo(w io.Writer) (int64, error) { return b.wt.WriteTo(w) }
