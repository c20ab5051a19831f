package publish

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// SerializePutEvents is an eventbridge client option (eventbridge.NewFromConfig(cfg,
// publish.SerializePutEvents)) that writes PutEvents request bodies in one pass into a buffer
// sized for them, reused once the call and its transport are done with it (body.go). The SDK's
// generic serializer grows its buffer as it escapes each detail and then copies it, which made
// it the largest cost of the hydrate path (BenchmarkHydratePath, docs/benchmarks.md). Requests
// this writer does not cover (an EndpointId, an entry with Time or TraceHeader, a string that
// is not UTF-8) and every other operation go to the SDK's own protocol;
// TestPutEventsBodyIsTheSDKs holds the two bodies equal as JSON. Apply it once, after any
// option that sets the client's HTTPClient.
func SerializePutEvents(o *eventbridge.Options) {
	if _, done := o.Protocol.(putEventsProtocol); done || o.Protocol == nil {
		return
	}
	pool := &bodyPool{}
	o.Protocol = putEventsProtocol{ClientProtocol: o.Protocol}
	if o.HTTPClient != nil {
		o.HTTPClient = bodyClient{next: o.HTTPClient}
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(leaseBodies{pool: pool}, middleware.Before)
		})
	}
}

type putEventsProtocol struct {
	smithyhttp.ClientProtocol
}

func (p putEventsProtocol) SerializeRequest(ctx context.Context, schema *smithy.OperationSchema, in smithy.Serializable, req *smithyhttp.Request) error {
	pe, ok := in.(*eventbridge.PutEventsInput)
	if !ok || !plainPutEvents(pe) {
		return p.ClientProtocol.SerializeRequest(ctx, schema, in, req)
	}
	req.Method = http.MethodPost
	if req.URL.Path == "" {
		req.URL.Path = "/"
	}
	req.Header.Set("X-Amz-Target", "AWSEvents."+schema.ID().Name)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	var body []byte
	if l := leaseFrom(ctx); l != nil {
		buf := l.take()
		*buf = AppendPutEventsBody((*buf)[:0], pe)
		body = *buf
	} else {
		body = PutEventsBody(pe)
	}
	sreq, err := req.SetStream(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("set stream: %w", err)
	}
	*req = *sreq
	return nil
}

// PutEventsBody is the JSON body SerializePutEvents sends for in (the AWS JSON 1.1 protocol),
// for requests it covers (see SerializePutEvents).
func PutEventsBody(in *eventbridge.PutEventsInput) []byte {
	return appendPutEvents(make([]byte, 0, putEventsSize(in, true)), in)
}

// AppendPutEventsBody is PutEventsBody written into dst's array (from dst[:0]) when it is
// large enough, so that a caller can reuse one buffer for many bodies.
func AppendPutEventsBody(dst []byte, in *eventbridge.PutEventsInput) []byte {
	// A buffer that held bodies before is mostly large enough already: counting the escapes
	// (a twentieth of the hydrate path's CPU) is left to one that is not; if the escapes do not
	// fit after all, appendJSONString grows the buffer, and the caller keeps the larger one.
	n := putEventsSize(in, false)
	if cap(dst) < n {
		n = putEventsSize(in, true)
	}
	return appendPutEvents(slices.Grow(dst[:0], n), in)
}

// plainPutEvents reports whether the request holds only what the writer writes.
func plainPutEvents(in *eventbridge.PutEventsInput) bool {
	if in.EndpointId != nil {
		return false
	}
	for i := range in.Entries {
		e := &in.Entries[i]
		if e.Time != nil || e.TraceHeader != nil {
			return false
		}
		for _, s := range []*string{e.Detail, e.DetailType, e.EventBusName, e.Source} {
			if s != nil && !utf8.ValidString(*s) {
				return false
			}
		}
		for _, r := range e.Resources {
			if !utf8.ValidString(r) {
				return false
			}
		}
	}
	return true
}

// putEventsSize is the body's length when no string holds a control character (those take
// more, and the buffer grows for them): names and punctuation, and each string with one more
// byte for every quote and backslash, counted with strings.Count's vector instructions; without
// escapes, the body's length if no string had any.
func putEventsSize(in *eventbridge.PutEventsInput, escapes bool) int {
	n := 16 + wordSlack
	str := func(s string) int {
		if !escapes {
			return len(s) + 3
		}
		return len(s) + 3 + strings.Count(s, `"`) + strings.Count(s, `\`)
	}
	for i := range in.Entries {
		e := &in.Entries[i]
		n += 70
		for _, s := range []*string{e.Detail, e.DetailType, e.EventBusName, e.Source} {
			if s != nil {
				n += str(*s)
			}
		}
		for _, r := range e.Resources {
			n += str(r)
		}
	}
	return n
}

func appendPutEvents(b []byte, in *eventbridge.PutEventsInput) []byte {
	b = append(b, `{"Entries":[`...)
	for i := range in.Entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendEntry(b, &in.Entries[i])
	}
	return append(b, "]}"...)
}

func appendEntry(b []byte, e *types.PutEventsRequestEntry) []byte {
	b = append(b, '{')
	first := true
	member := func(name string, v *string) {
		if v == nil {
			return
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
		b = appendJSONString(b, *v)
	}
	member("Detail", e.Detail)
	member("DetailType", e.DetailType)
	member("EventBusName", e.EventBusName)
	if e.Resources != nil {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, `"Resources":[`...)
		for i, r := range e.Resources {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, r)
		}
		b = append(b, ']')
	}
	member("Source", e.Source)
	return append(b, '}')
}

// mustEscape marks the bytes a JSON string cannot hold as they are.
var mustEscape = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// appendJSONString writes valid UTF-8 s as a JSON string. Details are long (a 1 KiB record's
// is about 4 KB) and, when the record is JSON, full of quotes; they are escaped eight bytes at
// a time: the word is stored, then for each quote or backslash in it (found exactly, by
// bit arithmetic) a backslash is written in its place and the rest of the word stored again
// one byte further on. A word with a control character (never in Hydrant's details) goes byte
// by byte. Stores may write up to 16 bytes past the end, within the capacity (putEventsSize
// leaves room for it).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	j := len(b)
	for len(s) >= 8 {
		if cap(b)-j < wordSlack {
			b = slices.Grow(b[:j], len(s)+wordSlack)
		}
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		if (w-spaces)&^w&highs != 0 { // a byte below 0x20
			b = appendBytes(b[:j], s[:8])
			j, s = len(b), s[8:]
			continue
		}
		d := b[:cap(b)]
		binary.LittleEndian.PutUint64(d[j:], w)
		for m := zeroBytes(w^quotes) | zeroBytes(w^backs); m != 0; m &= m - 1 {
			k := bits.TrailingZeros64(m) / 8
			d[j+k] = '\\'
			binary.LittleEndian.PutUint64(d[j+k+1:], w>>(8*k))
			j++
		}
		j += 8
		s = s[8:]
	}
	return append(appendBytes(b[:j], s), '"')
}

// wordSlack is what appendJSONString may write past a word's escaped end: another word, twice.
const wordSlack = 24

// appendBytes writes s escaped byte by byte.
func appendBytes(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !mustEscape[c] {
			b = append(b, c)
			continue
		}
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xF])
		}
	}
	return b
}

const (
	lows   = 0x7f7f7f7f7f7f7f7f
	highs  = 0x8080808080808080
	ones   = 0x0101010101010101
	quotes = '"' * ones
	backs  = '\\' * ones
	spaces = 0x20 * ones
)

// zeroBytes has the high bit set of exactly the bytes of x that are zero.
func zeroBytes(x uint64) uint64 {
	return ^((x&lows + lows) | x) & highs
}
