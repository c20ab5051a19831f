package eventbus

import (
	"context"
	"errors"

	"github.com/hydrant-dev/hydrant/internal/eventpattern"
)

// testEventPattern answers TestEventPattern. Like AWS it refuses an event that is not a JSON
// object or lacks one of eventpattern.EnvelopeFields with "Parameter Event is not valid." (the
// local answer adds the reason), and accepts patterns up to the API's 4,096 characters (rules
// are held to the account's default quota).
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
		var ee *eventpattern.EventError
		if errors.As(err, &ee) {
			return nil, validationError("Parameter Event is not valid. Reason: %s.", ee.Reason)
		}
		return nil, validationError("Parameter Event is not valid. Reason: %v.", err)
	}
	ok, err := p.MatchJSON([]byte(in.Event))
	if err != nil {
		return nil, validationError("Parameter Event is not valid: %v.", err)
	}
	return testEventPatternOutput{Result: ok}, nil
}
