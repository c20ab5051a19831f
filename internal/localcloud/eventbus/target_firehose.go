package eventbus

import (
	"context"
	"errors"

	"github.com/hydrant-dev/hydrant/internal/localcloud/firehose"
)

// AddDeliveryStream creates (or replaces) the delivery stream a Firehose target ARN
// (arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME) delivers to.
func (s *Server) AddDeliveryStream(name string, cfg firehose.Config) error {
	f, err := firehose.New(name, cfg, s.opts.S3, s.log)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.firehoses[name] = f
	return nil
}

func (s *Server) sendFirehose(ctx context.Context, t *target, _ *busEvent, body []byte) error {
	s.mu.RLock()
	f, ok := s.firehoses[t.resource]
	s.mu.RUnlock()
	if !ok {
		return noResource("delivery stream %s does not exist (configure it with AddDeliveryStream or --firehose)", t.spec.Arn)
	}
	if s.opts.S3 == nil {
		return &deliveryError{Code: "SDK_CLIENT_ERROR", Err: errors.New("the local EventBridge endpoint has no S3 client for Firehose")}
	}
	if err := f.Put(ctx, body); err != nil {
		// Once accepted, a record is Firehose's responsibility; only a closed stream refuses.
		return &deliveryError{Code: "SDK_CLIENT_ERROR", Retryable: errors.Is(err, firehose.ErrClosed), Err: err}
	}
	return nil
}
