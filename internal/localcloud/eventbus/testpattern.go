package eventbus

import (
	"context"
	"encoding/json"
)

// testEventPattern answers TestEventPattern. Like AWS it requires the event to carry the
// envelope fields (id, account, source, time, region, detail-type) besides being JSON.
func (s *Server) testEventPattern(_ context.Context, body []byte) (any, *apiError) {
	var in testEventPatternInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	p, aerr := compilePattern(in.EventPattern)
	if aerr != nil {
		return nil, aerr
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal([]byte(in.Event), &env); err != nil {
		return nil, validationError("Parameter Event is not valid: %v.", err)
	}
	for _, f := range []string{"id", "account", "source", "time", "region", "detail-type"} {
		if _, ok := env[f]; !ok {
			return nil, validationError("Parameter Event is not valid. Reason: the event has no %q field.", f)
		}
	}
	ok, err := p.MatchJSON([]byte(in.Event))
	if err != nil {
		return nil, validationError("Parameter Event is not valid: %v.", err)
	}
	return testEventPatternOutput{Result: ok}, nil
}
