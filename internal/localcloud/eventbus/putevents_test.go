//go:build integration

package eventbus_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/hydrant-dev/hydrant/internal/localcloud/eventbus"
)

func TestPutEventsWholeCallValidation(t *testing.T) {
	// A 100-byte limit makes the size formula checkable at its boundary.
	h := newHarness(t, func(o *eventbus.Options) { o.MaxEntrySize = 100 })
	bus, _ := h.bus("limits")

	sized := func(n int, withTime bool, resources ...string) ebtypes.PutEventsRequestEntry {
		// Source "s" (1) + DetailType "d" (1) + Detail {"p":"..."} (8 + padding) + resources (+ 14 for Time).
		fixed := 2 + len(`{"p":""}`)
		if withTime {
			fixed += 14
		}
		for _, r := range resources {
			fixed += len(r)
		}
		e := entry(bus, "s", "d", `{"p":"`+strings.Repeat("x", n-fixed)+`"}`)
		e.Resources = resources
		if withTime {
			e.Time = aws.Time(time.Now())
		}
		return e
	}
	withTime := func(e ebtypes.PutEventsRequestEntry) ebtypes.PutEventsRequestEntry {
		e.Time = aws.Time(time.Now())
		return e
	}
	cases := []struct {
		name    string
		entries []ebtypes.PutEventsRequestEntry
		ok      bool
	}{
		{"exactly at the limit", []ebtypes.PutEventsRequestEntry{sized(100, false)}, true},
		{"one byte over", []ebtypes.PutEventsRequestEntry{sized(101, false)}, false},
		{"Time counts 14 bytes", []ebtypes.PutEventsRequestEntry{sized(100, true)}, true},
		{"Time over by 14 bytes", []ebtypes.PutEventsRequestEntry{withTime(sized(100, false))}, false},
		{"resources count", []ebtypes.PutEventsRequestEntry{sized(100, true, "arn:aws:kinesis:us-east-1:000000000000:stream/s")}, true},
		{"entries are summed", []ebtypes.PutEventsRequestEntry{sized(60, false), sized(41, false)}, false},
		{"UTF-8 bytes, not characters", []ebtypes.PutEventsRequestEntry{entry(bus, "s", "d", `{"p":"`+strings.Repeat("é", 46)+`"}`)}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := h.eb.PutEvents(h.ctx(), &eventbridge.PutEventsInput{Entries: c.entries})
			if c.ok {
				if err != nil || out.FailedEntryCount != 0 {
					t.Fatalf("got %+v, %v; want success", out, err)
				}
				return
			}
			wantCode(t, c.name, err, "ValidationException")
		})
	}

	var eleven []ebtypes.PutEventsRequestEntry
	for range 11 {
		eleven = append(eleven, entry(bus, "s", "d", `{}`))
	}
	_, err := h.eb.PutEvents(h.ctx(), &eventbridge.PutEventsInput{Entries: eleven})
	wantCode(t, "11 entries", err, "ValidationException")
}

func TestPutEventsPartialFailures(t *testing.T) {
	h := newHarness(t)
	bus, _ := h.bus("partial")
	qurl, qarn := h.queue("partial", nil)
	h.rule(bus, "all", `{"source":["ok"]}`)
	h.targets(bus, "all", ebtypes.Target{Id: aws.String("q"), Arn: aws.String(qarn)})

	entries := []ebtypes.PutEventsRequestEntry{
		entry(bus, "ok", "d", `{"n":0}`),
		{EventBusName: aws.String(bus), DetailType: aws.String("d"), Detail: aws.String(`{}`)}, // no Source
		{EventBusName: aws.String(bus), Source: aws.String("ok"), Detail: aws.String(`{}`)},    // no DetailType
		{EventBusName: aws.String(bus), Source: aws.String("ok"), DetailType: aws.String("d")}, // no Detail
		entry(bus, "ok", "d", `[1,2]`),                                                      // not an object
		entry(bus, "ok", "d", `"text"`),                                                     // not an object
		entry(bus, "ok", "d", `{"n":`),                                                      // not JSON
		entry(h.name("no-such-bus"), "ok", "d", `{}`),                                       // bus missing
		entry("arn:aws:events:us-east-1:000000000000:event-bus/"+bus, "ok", "d", `{"n":8}`), // bus by ARN
		entry(bus, "ok", "d", `{"n":9}`),
	}
	out := h.put(entries...)
	want := []string{"", "InvalidArgument", "InvalidArgument", "InvalidArgument", "MalformedDetail", "MalformedDetail", "MalformedDetail", "ResourceNotFoundException", "", ""}
	if len(out.Entries) != len(want) {
		t.Fatalf("%d result entries for %d request entries", len(out.Entries), len(want))
	}
	failed := 0
	for i, w := range want {
		e := out.Entries[i]
		if aws.ToString(e.ErrorCode) != w {
			t.Errorf("entry %d: code %q (%s), want %q", i, aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage), w)
		}
		if w == "" && aws.ToString(e.EventId) == "" {
			t.Errorf("entry %d: no EventId", i)
		}
		if w != "" {
			failed++
			if aws.ToString(e.EventId) != "" || aws.ToString(e.ErrorMessage) == "" {
				t.Errorf("entry %d: failed entry has EventId %q, message %q", i, aws.ToString(e.EventId), aws.ToString(e.ErrorMessage))
			}
		}
	}
	if int(out.FailedEntryCount) != failed {
		t.Errorf("FailedEntryCount %d, want %d", out.FailedEntryCount, failed)
	}
	if msg := aws.ToString(out.Entries[7].ErrorMessage); !strings.Contains(msg, h.name("no-such-bus")) {
		t.Errorf("missing-bus message should name the bus: %q", msg)
	}
	if got := h.receive(qurl, 3); len(got) != 3 {
		t.Fatalf("only the three valid entries are delivered, got %d", len(got))
	}
	h.empty(qurl)
}
