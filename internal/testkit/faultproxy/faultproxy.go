// Package faultproxy is an HTTP reverse proxy to put in front of a real emulator in tests: rules
// answer chosen AWS operations with AWS's exact error, or with a responder that forwards a
// modified request and rewrites the response; everything else passes through unchanged. It
// produces the faults the emulators cannot (read throttling, an expired iterator on demand,
// trimmed data, a 500, PutEvents partial failures).
package faultproxy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Request is a request a rule is asked about: the incoming request with its body already read.
type Request struct {
	*http.Request
	// Operation is the AWS operation: the part of X-Amz-Target after the dot (JSON protocols,
	// "GetRecords" from "Kinesis_20131202.GetRecords"), or the Action parameter (query protocol).
	Operation string
	// Target is X-Amz-Target as sent ("Kinesis_20131202.GetRecords"); empty for other protocols.
	Target string
	Body   []byte
}

// Response is a backend's answer as read by Forward.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Forward sends the matched request on to the emulator with body in place of the original
// body, and returns the emulator's complete response.
type Forward func(ctx context.Context, body []byte) (*Response, error)

// Responder answers a request that a rule matched. It may answer by itself, or call forward
// (any number of times) and write a response built from what the emulator said.
type Responder func(w http.ResponseWriter, r *Request, forward Forward)

// Rule answers matching requests with Respond instead of passing them through.
type Rule struct {
	// Operation to match, "GetRecords" or a full target "Kinesis_20131202.GetRecords"; empty
	// matches every operation.
	Operation string
	// Match, when set, must also accept the request (it sees the body, e.g. a ShardIterator).
	Match func(*Request) bool
	// Times the rule answers before it stops matching; 0 means always.
	Times int
	// Respond answers the request; nil passes it through unchanged (the rule then only counts).
	Respond Responder

	proxy *Proxy // set by Add; guards hits
	hits  int
}

// Hits returns how many requests the rule has answered.
func (r *Rule) Hits() int {
	if r.proxy == nil {
		return 0
	}
	r.proxy.mu.Lock()
	defer r.proxy.mu.Unlock()
	return r.hits
}

func (r *Rule) matches(req *Request) bool {
	if r.Times > 0 && r.hits >= r.Times {
		return false
	}
	if r.Operation != "" {
		if strings.Contains(r.Operation, ".") {
			if r.Operation != req.Target {
				return false
			}
		} else if r.Operation != req.Operation {
			return false
		}
	}
	return r.Match == nil || r.Match(req)
}

// Proxy is the fault-injecting reverse proxy; it is an http.Handler. Rules are tried in the
// order they were added; the first that matches answers.
type Proxy struct {
	target    *url.URL
	transport http.RoundTripper
	rp        *httputil.ReverseProxy

	mu    sync.Mutex
	rules []*Rule
	calls map[string]int
}

// New returns a proxy in front of the emulator at target (a base URL such as
// http://127.0.0.1:4568).
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: target %q: %w", target, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: target %q: want an http:// or https:// URL with a host", target)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Byte-exact pass-through: never ask for gzip on the client's behalf and decode it.
	tr.DisableCompression = true
	p := &Proxy{target: u, transport: tr, calls: map[string]int{}}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host // keep the Host the client signed
		},
		Transport: tr,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, fmt.Sprintf("faultproxy: forward to %s: %v", u, err), http.StatusBadGateway)
		},
	}
	return p, nil
}

// Start runs a proxy in front of target on a local port for the duration of the test and
// returns it with its base URL, to use as the client's endpoint.
func Start(tb testing.TB, target string) (*Proxy, string) {
	tb.Helper()
	p, err := New(target)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(p)
	tb.Cleanup(srv.Close)
	return p, srv.URL
}

// Add installs a rule and returns it, to read its hit counter later.
func (p *Proxy) Add(r *Rule) *Rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	r.proxy = p
	p.rules = append(p.rules, r)
	return r
}

// Fail is shorthand for Add(&Rule{Operation: op, Times: times, Respond: e.Responder()}).
func (p *Proxy) Fail(op string, times int, e AWSError) *Rule {
	return p.Add(&Rule{Operation: op, Times: times, Respond: e.Responder()})
}

// Clear removes every rule; later requests all pass through.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
}

// Calls returns how many requests for the operation (as in Rule.Operation: a name or a full
// target) reached the proxy, whether a rule answered them or not.
func (p *Proxy) Calls(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

// maxBody bounds what the proxy buffers of one request (Kinesis PutRecords is at most 10 MiB
// of data, base64-encoded in JSON).
const maxBody = 64 << 20

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		http.Error(w, fmt.Sprintf("faultproxy: read request body: %v", err), http.StatusBadRequest)
		return
	}
	if len(body) > maxBody {
		http.Error(w, fmt.Sprintf("faultproxy: request body over %d bytes", maxBody), http.StatusRequestEntityTooLarge)
		return
	}
	req := &Request{Request: r, Body: body, Target: r.Header.Get("X-Amz-Target")}
	req.Operation = operation(r, req.Target, body)

	p.mu.Lock()
	if req.Operation != "" {
		p.calls[req.Operation]++
	}
	if req.Target != "" {
		p.calls[req.Target]++
	}
	var rule *Rule
	for _, candidate := range p.rules {
		if candidate.matches(req) {
			rule = candidate
			rule.hits++ // reserved under the lock so Times holds under concurrency
			break
		}
	}
	p.mu.Unlock()

	if rule == nil || rule.Respond == nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		p.rp.ServeHTTP(w, r)
		return
	}
	rule.Respond(w, req, p.forwarder(r))
}

// operation names the AWS operation of a request: the X-Amz-Target suffix for the JSON
// protocols, the Action parameter for the query protocol.
func operation(r *http.Request, target string, body []byte) string {
	if target != "" {
		if i := strings.LastIndexByte(target, '.'); i >= 0 {
			return target[i+1:]
		}
		return target
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			return v.Get("Action")
		}
	}
	return r.URL.Query().Get("Action")
}

// forwarder returns the Forward for one incoming request: same method, path, query and headers,
// new body.
func (p *Proxy) forwarder(in *http.Request) Forward {
	return func(ctx context.Context, body []byte) (*Response, error) {
		u := *p.target
		u.Path = singleJoin(p.target.Path, in.URL.Path)
		u.RawQuery = in.URL.RawQuery
		out, err := http.NewRequestWithContext(ctx, in.Method, u.String(), bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("faultproxy: forward %s: %w", in.URL.Path, err)
		}
		out.Header = in.Header.Clone()
		out.Header.Del("Content-Length")
		out.Host = in.Host
		resp, err := p.transport.RoundTrip(out)
		if err != nil {
			return nil, fmt.Errorf("faultproxy: forward to %s: %w", p.target, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("faultproxy: read response from %s: %w", p.target, err)
		}
		return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: b}, nil
	}
}

func singleJoin(a, b string) string {
	switch {
	case a == "" || a == "/":
		return b
	case strings.HasSuffix(a, "/") && strings.HasPrefix(b, "/"):
		return a + b[1:]
	case !strings.HasSuffix(a, "/") && !strings.HasPrefix(b, "/"):
		return a + "/" + b
	}
	return a + b
}

// WriteResponse writes resp to w as is, recomputing Content-Length for the body.
func WriteResponse(w http.ResponseWriter, resp *Response) {
	for k, vs := range resp.Header {
		if http.CanonicalHeaderKey(k) == "Content-Length" {
			continue
		}
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(resp.Body)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(resp.Body)
}

// forwardOrFail calls forward and, when the emulator cannot be reached, answers 502 saying so;
// ok is false when the responder should stop.
func forwardOrFail(w http.ResponseWriter, r *Request, forward Forward, body []byte) (*Response, bool) {
	resp, err := forward(r.Context(), body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return nil, false
	}
	return resp, true
}
