//go:build integration

package intake_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
)

// TestMalformedMessageEndsInTheIntakeDLQ runs the intake queue as its event source mapping
// does (receive, invoke, delete what succeeded, let the rest become visible again) against
// goaws, whose redrive policy moves a message received maxReceiveCount times to the DLQ.
func TestMalformedMessageEndsInTheIntakeDLQ(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ctx := context.Background()
	q := h.ep.SQSClient()
	dlq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(failuretest.UniqueName("intake-dlq"))})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	intakeQ, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(failuretest.UniqueName("intake")), Attributes: map[string]string{
		// Long enough for a slow handler to keep its receipt handles (the ESM's rule: at least
		// the function's timeout); failed messages are made visible again at once below.
		"VisibilityTimeout": "60",
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"2"}`, attrs.Attributes["QueueArn"]),
	}})
	if err != nil {
		t.Fatal(err)
	}
	b := failuretest.PutKinesis(t, h.ep, [][]byte{[]byte(`{"fine":true}`)})
	malformed := `{"requestContext":{"requestId":"r-1"},"KinesisBatchInfo":{"shardId":"shardId-000000000000"}}`
	for _, body := range []string{malformed, b.FailureJSON(0, 0)} {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: intakeQ.QueueUrl, MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}

	var dead []sqstypes.Message
	for deadline := time.Now().Add(30 * time.Second); len(dead) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the malformed message never reached the intake DLQ")
		}
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: intakeQ.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) > 0 {
			ev := events.SQSEvent{}
			for _, m := range out.Messages {
				ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body)})
			}
			resp, err := h.handler.Handle(ctx, ev)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ev.Records {
				if slices.ContainsFunc(resp.BatchItemFailures, func(f events.SQSBatchItemFailure) bool { return f.ItemIdentifier == m.MessageId }) {
					// Left for SQS to redeliver, as the ESM does with a partial batch response;
					// visible again now rather than once the visibility timeout has run out.
					if _, err := q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: intakeQ.QueueUrl,
						ReceiptHandle: aws.String(m.ReceiptHandle), VisibilityTimeout: 0}); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: intakeQ.QueueUrl, ReceiptHandle: aws.String(m.ReceiptHandle)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		d, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlq.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		dead = d.Messages
	}
	if len(dead) != 1 || aws.ToString(dead[0].Body) != malformed {
		t.Fatalf("intake DLQ holds %d messages, want exactly the malformed one: %+v", len(dead), dead)
	}
	if got := hydrated(t, failuretest.ForStream(h.drain(), b.StreamARN)); len(got) != 1 {
		t.Fatalf("the good failure record must be hydrated once, got %d events", len(got))
	}
}
