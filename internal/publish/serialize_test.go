package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// capture records each request's target, content type and body, and answers PutEvents.
type capture struct{ target, contentType, body string }

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	c.target, c.contentType, c.body = r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type"), string(b)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: io.NopCloser(strings.NewReader(`{"FailedEntryCount":0,"Entries":[]}`)), Request: r}, nil
}

func sent(t *testing.T, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) capture {
	t.Helper()
	var c capture
	client := eventbridge.New(eventbridge.Options{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{},
		BaseEndpoint: aws.String("http://eventbridge.test"), HTTPClient: &http.Client{Transport: &c}, RetryMaxAttempts: 1}, opts...)
	if _, err := client.PutEvents(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return c
}

func putEventsCases() map[string]*eventbridge.PutEventsInput {
	odd := "quote\" backslash\\ slash/ <>& \n\r\t\b\f\x00\x1f\x7f é \u2028 😀"
	detail := `{"a":"` + strings.ReplaceAll(odd, `"`, `\"`) + `","n":[1,2.5e3,null,true],"s":"` + strings.Repeat("x", 3000) + `"}`
	return map[string]*eventbridge.PutEventsInput{
		"hydrant entries": {Entries: []types.PutEventsRequestEntry{
			{EventBusName: aws.String("bus"), Source: aws.String("hydrant"), DetailType: aws.String("RecordHydrated"), Detail: aws.String(`{"k":1}`), Resources: []string{"arn:aws:kinesis:eu-west-1:1:stream/s"}},
			{EventBusName: aws.String("bus"), Source: aws.String("hydrant"), DetailType: aws.String("RecordHydrated"), Detail: aws.String(detail), Resources: []string{}},
			{Source: aws.String(odd), DetailType: aws.String(odd), Detail: aws.String(odd), Resources: []string{odd, ""}},
			{},
		}},
		"no entries":  {Entries: []types.PutEventsRequestEntry{}},
		"time is set": {Entries: []types.PutEventsRequestEntry{{Source: aws.String("s"), Time: aws.Time(time.Unix(1700000000, 0))}}},
		"not UTF-8":   {Entries: []types.PutEventsRequestEntry{{Source: aws.String("s\xff")}}},
		"endpoint":    {EndpointId: aws.String("abc.xyz"), Entries: []types.PutEventsRequestEntry{{Source: aws.String("s")}}},
	}
}

// TestPutEventsBodyIsTheSDKs: the writer's request is the SDK serializer's, as JSON, with the
// same target and content type.
func TestPutEventsBodyIsTheSDKs(t *testing.T) {
	for name, in := range putEventsCases() {
		want := sent(t, in)
		got := sent(t, in, SerializePutEvents)
		var w, g any
		if err := json.Unmarshal([]byte(want.body), &w); err != nil {
			t.Fatalf("%s: SDK body %q: %v", name, want.body, err)
		}
		if err := json.Unmarshal([]byte(got.body), &g); err != nil {
			t.Fatalf("%s: body %q is not JSON: %v", name, got.body, err)
		}
		if !reflect.DeepEqual(g, w) || got.target != want.target || got.contentType != want.contentType {
			t.Errorf("%s:\n got %s %s %.300s\nwant %s %s %.300s", name, got.target, got.contentType, got.body, want.target, want.contentType, want.body)
		}
	}
	// The option is idempotent and leaves other operations to the SDK.
	o := eventbridge.Options{}
	SerializePutEvents(&o)
	if o.Protocol != nil {
		t.Error("an unset protocol must stay unset")
	}
	// Applied twice, it wraps the HTTP client and adds its middleware once.
	twice := eventbridge.New(eventbridge.Options{Region: "eu-west-1", HTTPClient: &http.Client{}}, SerializePutEvents, SerializePutEvents).Options()
	if c, ok := twice.HTTPClient.(bodyClient); !ok || len(twice.APIOptions) != 1 {
		t.Errorf("applied twice: HTTP client %T, %d API options; want bodyClient once and one", twice.HTTPClient, len(twice.APIOptions))
	} else if _, again := c.next.(bodyClient); again {
		t.Error("applied twice: the HTTP client is wrapped twice")
	}
}

func BenchmarkSerializePutEvents(b *testing.B) {
	detail := aws.String(`{"schemaVersion":"1.0","eventId":"x","data":"` + strings.Repeat("ab", 1000) + `","dataJson":{"k":"v","items":[{"sku":"a","qty":1}]}}`)
	in := &eventbridge.PutEventsInput{}
	for range 10 {
		in.Entries = append(in.Entries, types.PutEventsRequestEntry{EventBusName: aws.String("bus"), Source: aws.String("hydrant"), DetailType: aws.String("RecordHydrated"), Detail: detail, Resources: []string{"arn:aws:kinesis:eu-west-1:1:stream/s"}})
	}
	b.ReportAllocs()
	for b.Loop() {
		appendPutEvents(make([]byte, 0, putEventsSize(in, true)), in)
	}
}

// The buffer is sized for the body: no growth for Hydrant's entries.
func TestPutEventsSizeIsExact(t *testing.T) {
	in := putEventsCases()["hydrant entries"]
	in.Entries = append(in.Entries[:1], types.PutEventsRequestEntry{Source: aws.String("hydrant"), Detail: aws.String(`{"k":"a\"b\\c` + strings.Repeat(`","x":"y`, 500) + `"}`)})
	body := appendPutEvents(make([]byte, 0, putEventsSize(in, true)), in)
	if len(body) > putEventsSize(in, true) || putEventsSize(in, true)-len(body) > 200 {
		t.Errorf("body %d bytes, sized for %d", len(body), putEventsSize(in, true))
	}
}

// AppendPutEventsBody writes PutEventsBody's bytes whatever the buffer holds and however
// large it is: fresh, holding an old body, or large enough for the body without its escapes
// only (the escapes grow it).
func TestAppendPutEventsBodyIsPutEventsBody(t *testing.T) {
	for name, in := range putEventsCases() {
		want := PutEventsBody(in)
		raw := putEventsSize(in, false)
		for dname, dst := range map[string][]byte{
			"nil":                      nil,
			"old body":                 bytes.Repeat([]byte(`"\x`), len(want)),
			"room for no escapes only": make([]byte, 0, raw),
			"a byte short of that":     make([]byte, 0, raw-1),
		} {
			if got := AppendPutEventsBody(dst, in); !bytes.Equal(got, want) {
				t.Errorf("%s into %s:\n got %.200s\nwant %.200s", name, dname, got, want)
			}
		}
	}
}

// appendJSONString escapes eight bytes at a time: it must write what escaping byte by byte
// writes, wherever in a word the bytes to escape fall, however many there are, and whatever
// room the buffer has.
func TestAppendJSONStringByteByByte(t *testing.T) {
	specials := []string{`"`, `\`, `""`, `\"`, "\n", "\x00", "\x1f", "\t", " ", "!", "#", "[", "]", "\x7f", "é", "\u2028", "😀", "\xe2\x80"}
	var cases []string
	for n := 0; n <= 20; n++ {
		for _, sp := range specials {
			for at := 0; at <= n; at++ {
				s := strings.Repeat("a", n)
				cases = append(cases, s[:at]+sp+s[at:], s[:at]+sp+s[at:]+sp, sp+s[:at]+sp+s[at:])
			}
		}
	}
	cases = append(cases, "", strings.Repeat(`"`, 40), strings.Repeat(`\`, 17), strings.Repeat(`{"sku":"SKU-00012","qty":3,"price":6.5},`, 30))
	for _, s := range cases {
		want := string(appendBytes([]byte{'"'}, s)) + `"`
		for _, room := range []int{0, 1, 7, len(want), len(want) + wordSlack} {
			b := append(make([]byte, 0, 3+room), "ab,"...)
			if got := string(appendJSONString(b, s)); got != "ab,"+want {
				t.Fatalf("appendJSONString(%q) with room %d = %s, want %s", s, room, got, want)
			}
		}
	}
}

// FuzzAppendJSONString: for valid UTF-8, encoding/json reads back exactly the string written.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", `"\`, `{"sku":"SKU-00012","qty":3,"price":6.5}`, "a\x00b\nc\"d\\e" + strings.Repeat("x", 9)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		out := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(out, &got); err != nil || got != s {
			t.Fatalf("appendJSONString(%q) = %s: reads back %q, %v", s, out, got, err)
		}
	})
}
