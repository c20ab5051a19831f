package eventbus

import (
	"context"
	"fmt"
)

func (s *Server) sendLambda(ctx context.Context, t *target, _ *busEvent, body []byte) error {
	s.mu.RLock()
	fn, ok := s.functions[t.spec.Arn]
	s.mu.RUnlock()
	if !ok {
		return noResource("function %s is not registered with the local EventBridge endpoint", t.spec.Arn)
	}
	if err := fn(ctx, body); err != nil {
		return &deliveryError{Code: "ERROR_FROM_TARGET", Retryable: true, Err: fmt.Errorf("invoke %s: %w", t.spec.Arn, err)}
	}
	return nil
}
