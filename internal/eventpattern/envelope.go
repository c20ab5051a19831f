package eventpattern

import (
	"encoding/json"
	"errors"
	"strings"
)

// EnvelopeFields are the event fields AWS's TestEventPattern refuses an event without, in
// the order its API reference lists them. The reference also lists resources; AWS does not
// require it (DECISIONS.md, "Event envelope").
var EnvelopeFields = []string{"id", "account", "source", "time", "region", "detail-type"}

// CheckEnvelope reports an *EventError for an event AWS's TestEventPattern refuses with
// "ValidationException: Parameter Event is not valid.": text that is not JSON, JSON that is
// not an object (a string, an array), and an object without one of EnvelopeFields. Only the
// presence of those fields is checked: AWS answers events whose detail-type is an array and
// events without resources, version or detail. Matching itself needs none of this.
func CheckEnvelope(event []byte) error {
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(event, &ev); err != nil {
		if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) {
			return &EventError{Reason: "not a JSON object but " + te.Value}
		}
		return &EventError{Reason: "not valid JSON: " + err.Error()}
	}
	if ev == nil {
		return &EventError{Reason: "not a JSON object but null"}
	}
	var missing []string
	for _, f := range EnvelopeFields {
		if _, ok := ev[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return &EventError{Reason: "missing " + strings.Join(missing, ", ")}
	}
	return nil
}
