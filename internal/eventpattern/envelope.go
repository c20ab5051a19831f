package eventpattern

import (
	"encoding/json"
	"strings"
	"time"
)

// EnvelopeFields are the event fields the TestEventPattern API requires ("the following fields
// are mandatory"), in the order its reference lists them.
var EnvelopeFields = []string{"id", "account", "source", "time", "region", "resources", "detail-type"}

// CheckEnvelope reports an *EventError unless the event carries every EnvelopeFields field with
// the type EventBridge gives it: resources an array of strings, time an RFC 3339 timestamp, the
// others strings. TestEventPattern answers "ValidationException: Parameter Event is not
// valid." for such events; matching itself does not need the envelope.
func CheckEnvelope(event []byte) error {
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(event, &ev); err != nil {
		return &EventError{Reason: "not a JSON object: " + err.Error()}
	}
	var missing, wrong []string
	for _, f := range EnvelopeFields {
		raw, ok := ev[f]
		if !ok {
			missing = append(missing, f)
			continue
		}
		switch f {
		case "resources":
			var rs []string
			if json.Unmarshal(raw, &rs) != nil || rs == nil {
				wrong = append(wrong, "resources (must be an array of strings)")
			}
		case "time":
			var s string
			if json.Unmarshal(raw, &s) != nil {
				wrong = append(wrong, "time (must be a string)")
			} else if _, err := time.Parse(time.RFC3339, s); err != nil {
				wrong = append(wrong, "time (must be an RFC 3339 timestamp such as 2026-01-02T15:04:05Z)")
			}
		default:
			var s string
			if json.Unmarshal(raw, &s) != nil {
				wrong = append(wrong, f+" (must be a string)")
			}
		}
	}
	if len(missing) == 0 && len(wrong) == 0 {
		return nil
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+strings.Join(missing, ", "))
	}
	if len(wrong) > 0 {
		parts = append(parts, "wrong type: "+strings.Join(wrong, ", "))
	}
	return &EventError{Reason: strings.Join(parts, "; ")}
}
