package eventbus

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// noSQSRetries leaves retrying to the target's RetryPolicy, as EventBridge's own attempts do.
func noSQSRetries(o *sqs.Options) { o.RetryMaxAttempts = 1 }

// queueURL resolves a queue ARN through GetQueueUrl (the emulator's URLs are its own).
func (s *Server) queueURL(ctx context.Context, queueARN string) (string, *deliveryError) {
	if s.opts.SQS == nil {
		return "", &deliveryError{Code: "SDK_CLIENT_ERROR", Err: errors.New("the local EventBridge endpoint has no SQS client configured")}
	}
	q, err := arn.Parse(queueARN)
	if err != nil || q.Resource == "" {
		return "", noResource("queue ARN %s is not valid", queueARN)
	}
	account, name := q.AccountID, q.Resource
	in := &sqs.GetQueueUrlInput{QueueName: aws.String(name)}
	if account != "" && account != s.opts.AccountID {
		in.QueueOwnerAWSAccountId = aws.String(account)
	}
	out, err := s.opts.SQS.GetQueueUrl(ctx, in, noSQSRetries)
	if err != nil {
		var missing *sqstypes.QueueDoesNotExist
		if errors.As(err, &missing) {
			return "", noResource("queue %s does not exist: %v", queueARN, err)
		}
		return "", classifyAWS(fmt.Errorf("get queue url %s: %w", queueARN, err))
	}
	return aws.ToString(out.QueueUrl), nil
}

func (s *Server) sendSQS(ctx context.Context, t *target, ev *busEvent, body []byte) error {
	url, derr := s.queueURL(ctx, t.spec.Arn)
	if derr != nil {
		return derr
	}
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(body))}
	if strings.HasSuffix(t.resource, ".fifo") {
		in.MessageGroupId = aws.String(t.spec.SqsParameters.MessageGroupID)
		// EventBridge deduplicates FIFO deliveries by event id.
		in.MessageDeduplicationId = aws.String(ev.id)
	}
	if _, err := s.opts.SQS.SendMessage(ctx, in, noSQSRetries); err != nil {
		return classifyAWS(fmt.Errorf("send message to %s: %w", t.spec.Arn, err))
	}
	return nil
}
