package intake

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/internal/hydrate"
)

// Message attributes a refused failure record carries in the intake DLQ.
const (
	AttrRefusal       = "HydrantRefusal"       // the reason: one of hydrate's or trust's Refused* constants
	AttrRefusalDetail = "HydrantRefusalDetail" // what was refused, naming the record
	AttrSenderID      = "HydrantSenderId"      // the original message's SenderId, kept for the operator
)

// SQSAPI is the part of the SQS client that moves a refused message to the intake DLQ.
type SQSAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// refuse moves a refused intake message to the intake DLQ with its reason, unchanged
// otherwise. It returns an error when the message could not be moved: the caller then fails
// it back to SQS, so it is never dropped (the redrive policy moves it to the DLQ in the end).
func (s *Services) refuse(ctx context.Context, m events.SQSMessage, refusal *hydrate.RefusedError) error {
	if s.dlq == nil || s.dlqURL == "" {
		return errors.New("no intake DLQ configured (" + EnvIntakeDLQURL + ")")
	}
	attrs := map[string]sqstypes.MessageAttributeValue{
		AttrRefusal:       {DataType: aws.String("String"), StringValue: aws.String(refusal.Reason)},
		AttrRefusalDetail: {DataType: aws.String("String"), StringValue: aws.String(truncate(refusal.Detail, 1024))},
	}
	// A record refused before, moved back to the intake queue and refused again keeps the
	// sender of its first refusal: that is the evidence (the mover is the new SenderId).
	id := m.Attributes["SenderId"]
	if first := m.MessageAttributes[AttrSenderID].StringValue; first != nil && *first != "" {
		id = *first
	}
	if id != "" {
		attrs[AttrSenderID] = sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(id)}
	}
	if _, err := s.dlq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.dlqURL), MessageBody: aws.String(m.Body), MessageAttributes: attrs}); err != nil {
		return fmt.Errorf("move refused message %s to the intake DLQ: %w", m.MessageId, err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
