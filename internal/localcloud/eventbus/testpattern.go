package eventbus

import (
	"context"

	"github.com/hydrant-dev/hydrant/internal/eventpattern"
)

// testEventPattern answers TestEventPattern. Like AWS it requires the event to carry the
// envelope fields (eventpattern.EnvelopeFields) besides being JSON, and accepts patterns up to
// the API's 4,096 characters (rules are held to the account's default quota).
func (s *Server) testEventPattern(_ context.Context, body []byte) (any, *apiError) {
	var in testEventPatternInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	p, aerr := compilePattern(in.EventPattern, eventpattern.Options{MaxSize: eventpattern.HardMaxSize})
	if aerr != nil {
		return nil, aerr
	}
	if err := eventpattern.CheckEnvelope([]byte(in.Event)); err != nil {
		return nil, validationError("Parameter Event is not valid. Reason: %v.", err)
	}
	ok, err := p.MatchJSON([]byte(in.Event))
	if err != nil {
		return nil, validationError("Parameter Event is not valid: %v.", err)
	}
	return testEventPatternOutput{Result: ok}, nil
}
