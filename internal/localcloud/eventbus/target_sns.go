package eventbus

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// noSNSRetries leaves retrying to the target's RetryPolicy, as noSQSRetries does.
func noSNSRetries(o *sns.Options) { o.RetryMaxAttempts = 1 }

func (s *Server) sendSNS(ctx context.Context, t *target, _ *busEvent, body []byte) error {
	if s.opts.SNS == nil {
		return &deliveryError{Code: "SDK_CLIENT_ERROR", Err: errors.New("the local EventBridge endpoint has no SNS client configured")}
	}
	if _, err := s.opts.SNS.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(t.spec.Arn), Message: aws.String(string(body))}, noSNSRetries); err != nil {
		return classifyAWS(fmt.Errorf("publish to %s: %w", t.spec.Arn, err))
	}
	return nil
}
