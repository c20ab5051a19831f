//go:build integration

package eventbus_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/smithy-go"
)

// TestTestEventPatternEnvelope: which events TestEventPattern answers and which it refuses, as
// recorded against AWS (github.com/localstack/localstack tests/aws/services/events/
// test_events_patterns.py, TestEventPattern::<test id>, recorded date):
//
//	test_event_pattern_source          11-07-2024  no resources/version/detail → Result true
//	test_event_pattern[content_ignorecase]         detail-type an array       → Result true
//	test_plain_string_payload          05-12-2024  "plain string"             → ValidationException "Parameter Event is not valid."
//	test_array_event_payload           06-12-2024  ["plain string"]           → same
//	test_invalid_event_payload         05-12-2024  {"testEvent": "value"}     → same
//
// The local message is AWS's, followed by the reason ("Parameter Event is not valid. Reason:
// missing id, ...").
func TestTestEventPatternEnvelope(t *testing.T) {
	h := newHarness(t)
	const recorded = `{"id":"1","source":"order","detail-type":"Test","account":"123456789012","region":"us-east-1","time":"2024-07-11T13:55:39Z"}`
	// The pattern of the three refused cases; AWS checks the event, not the match.
	const numericPattern = `{"body":{"test2":[{"numeric":[">",100]}]}}`
	for _, c := range []struct {
		name, pattern, event string
		want                 bool
		refused              bool
	}{
		{"no resources, version or detail", `{"source":["order"],"detail-type":["Test"]}`, recorded, true, false},
		{"no resources, no match", `{"source":["shipment"],"detail-type":["Test"]}`, recorded, false, false},
		{"detail-type an array", `{"detail-type":[{"equals-ignore-case":"ec2 instance state-change notification"}]}`,
			strings.Replace(recorded, `"Test"`, `["EC2 Instance State-change Notification"]`, 1), true, false},
		{"plain string", numericPattern, `plain string`, false, true},
		{"array", numericPattern, `["plain string"]`, false, true},
		{"object without the envelope", numericPattern, `{"testEvent":"value"}`, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := h.eb.TestEventPattern(h.ctx(), &eventbridge.TestEventPatternInput{EventPattern: aws.String(c.pattern), Event: aws.String(c.event)})
			if c.refused {
				var api smithy.APIError
				if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" || !strings.HasPrefix(api.ErrorMessage(), "Parameter Event is not valid.") {
					t.Fatalf("got %v; want ValidationException: Parameter Event is not valid.", err)
				}
				return
			}
			if err != nil || out.Result != c.want {
				t.Fatalf("got %+v, %v; want Result %v", out, err, c.want)
			}
		})
	}
}

// TestInvalidPatternMessage: the InvalidEventPatternException message is AWS's "Event pattern
// is not valid. Reason: ..." once (LocalStack test_invalid_json_event_pattern, recorded
// 29-11-2024: "Event pattern is not valid. Reason: Filter is not an object ..."), in PutRule
// and TestEventPattern alike.
func TestInvalidPatternMessage(t *testing.T) {
	h := newHarness(t)
	bus, _ := h.bus("msg")
	const event = `{"id":"1","source":"s","detail-type":"t","account":"1","region":"us-east-1","time":"2022-07-13T13:48:01Z","detail":{"test":"test"}}`
	_, err1 := h.eb.TestEventPattern(h.ctx(), &eventbridge.TestEventPatternInput{EventPattern: aws.String(`["not","a","dict"]`), Event: aws.String(event)})
	_, err2 := h.eb.PutRule(h.ctx(), &eventbridge.PutRuleInput{Name: aws.String(h.name("bad")), EventBusName: aws.String(bus), EventPattern: aws.String(`["not","a","dict"]`)})
	for _, err := range []error{err1, err2} {
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "InvalidEventPatternException" {
			t.Fatalf("got %v; want InvalidEventPatternException", err)
		}
		msg := api.ErrorMessage()
		if !strings.HasPrefix(msg, "Event pattern is not valid. Reason: Filter is not an object") || strings.Count(msg, "Event pattern is not valid") != 1 {
			t.Errorf("message %q; want AWS's prefix once, then the reason", msg)
		}
	}
}

// TestRuleTooComplex: AWS refuses content_wildcard_complex_EXC's pattern in TestEventPattern
// with InvalidEventPatternException "Event pattern is not valid. Reason: Rule is too complex -
// try using fewer wildcard characters or fewer repeating character sequences after a wildcard
// character" (LocalStack test_events_patterns.py::TestEventPattern::
// test_event_pattern[content_wildcard_complex_EXC], recorded 15-10-2025) and accepts
// content_wildcard_simplified's; PutRule applies the same check (event-ruler's README).
func TestRuleTooComplex(t *testing.T) {
	h := newHarness(t)
	bus, _ := h.bus("complex")
	const event = `{"id":"1","source":"test-source","detail-type":"test-detail-type","account":"123456789012","region":"us-east-2","time":"2022-07-13T13:48:01Z","EventBusArn":"arn:aws:events:us-east-1:123456789012:event-bus/myEventBus"}`
	const complex = `{"EventBusArn":[{"wildcard":"*:*:*:*:*:event-bus/*"}]}`
	const simplified = `{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}`
	const reason = "Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character"

	_, err1 := h.eb.TestEventPattern(h.ctx(), &eventbridge.TestEventPatternInput{EventPattern: aws.String(complex), Event: aws.String(event)})
	_, err2 := h.eb.PutRule(h.ctx(), &eventbridge.PutRuleInput{Name: aws.String(h.name("complex")), EventBusName: aws.String(bus), EventPattern: aws.String(complex)})
	for _, err := range []error{err1, err2} {
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "InvalidEventPatternException" || !strings.HasPrefix(api.ErrorMessage(), reason) {
			t.Errorf("got %v; want InvalidEventPatternException %q", err, reason)
		}
	}
	out, err := h.eb.TestEventPattern(h.ctx(), &eventbridge.TestEventPatternInput{EventPattern: aws.String(simplified), Event: aws.String(event)})
	if err != nil || !out.Result {
		t.Fatalf("simplified pattern: %+v, %v; want Result true", out, err)
	}
	if _, err := h.eb.PutRule(h.ctx(), &eventbridge.PutRuleInput{Name: aws.String(h.name("simplified")), EventBusName: aws.String(bus), EventPattern: aws.String(simplified)}); err != nil {
		t.Fatalf("PutRule simplified: %v", err)
	}
}
