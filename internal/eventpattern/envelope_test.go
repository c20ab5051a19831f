package eventpattern

import (
	"errors"
	"strings"
	"testing"
)

// TestCheckEnvelope pins what AWS's TestEventPattern refuses ("ValidationException: Parameter
// Event is not valid.") and what it answers, as recorded against AWS. Sources, in
// github.com/localstack/localstack tests/aws/services/events/ (test id, recorded date):
//
//	[P]  test_events_patterns.py::TestEventPattern::test_plain_string_payload      05-12-2024
//	[A]  test_events_patterns.py::TestEventPattern::test_array_event_payload       06-12-2024
//	[I]  test_events_patterns.py::TestEventPattern::test_invalid_event_payload     05-12-2024
//	[S]  test_events_patterns.py::TestEventPattern::test_event_pattern_source      11-07-2024
//	     (no resources, no version, no detail: answered)
//	[T]  test_events_patterns.py::TestEventPattern::test_event_pattern[<template>] with
//	     event_pattern_templates/<template>.json5; 147 of the 157 templates' events have no
//	     resources and all were answered (e.g. content_exists, recorded 15-10-2025);
//	     content_ignorecase's event has an array as detail-type and was answered.
func TestCheckEnvelope(t *testing.T) {
	const minimal = `{"id":"1","source":"order","detail-type":"Test","account":"123456789012","region":"us-east-1","time":"2024-07-11T13:55:39Z"}`
	for _, tc := range []struct {
		name, event, reason string // reason "" means AWS answers the event
	}{
		{"[S] no resources, version or detail", minimal, ""},
		{"[T] detail-type an array", strings.Replace(minimal, `"Test"`, `["EC2 Instance State-change Notification"]`, 1), ""},
		{"[T] full envelope", `{"version":"0","id":"1","detail-type":"x","source":"s","account":"1","time":"2022-07-13T13:48:01Z","region":"us-east-2","resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"],"detail":{}}`, ""},
		{"[P] a plain string, not JSON", `plain string`, "not valid JSON"},
		{"[A] a JSON array", `["plain string"]`, "not a JSON object but array"},
		{"a JSON string", `"plain string"`, "not a JSON object but string"},
		{"null", `null`, "not a JSON object but null"},
		{"[I] an object without the envelope", `{"testEvent":"value"}`, "missing id, account, source, time, region, detail-type"},
		// Each field alone: the reference lists them as mandatory; recorded only all at once [I].
		{"without id", strings.Replace(minimal, `"id":"1",`, "", 1), "missing id"},
		{"without time", strings.Replace(minimal, `,"time":"2024-07-11T13:55:39Z"`, "", 1), "missing time"},
	} {
		err := CheckEnvelope([]byte(tc.event))
		var ee *EventError
		switch {
		case tc.reason == "" && err != nil:
			t.Errorf("%s: %v; AWS answers this event", tc.name, err)
		case tc.reason != "" && (!errors.As(err, &ee) || ee.Reason != tc.reason && !strings.HasPrefix(ee.Reason, tc.reason)):
			t.Errorf("%s: error %v, want *EventError with reason %q", tc.name, err, tc.reason)
		}
	}
}
