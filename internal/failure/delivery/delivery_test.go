//go:build integration

// Package delivery_test sends on-failure records through the emulated SQS and
// SNS (goaws, as the local cloud does) and checks that failure.Parse reads
// what arrives: the SQS body, the SNS envelope of a subscription without raw
// delivery, and the bare record of one with raw delivery. It lives apart from
// package failure so that the parser's unit tests and fuzzing need no
// emulators.
package delivery_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

func TestMain(m *testing.M) { emulators.Main(m) }

func TestDeliveredShapesParse(t *testing.T) {
	e := emulators.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sqsc, snsc := e.SQSClient(), e.SNSClient()

	for _, file := range []string{"kinesis-sqs-partial-batch.json", "dynamodb-local.json"} {
		record, err := os.ReadFile("../testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		want, err := failure.Parse(record)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(file+"/sqs", func(t *testing.T) {
			queueURL, _ := newQueue(ctx, t, sqsc)
			if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &queueURL, MessageBody: aws.String(string(record))}); err != nil {
				t.Fatal(err)
			}
			msg := receive(ctx, t, sqsc, queueURL)
			if msg.Destination != failure.DestinationSQS || !reflect.DeepEqual(msg.Record, want.Record) {
				t.Errorf("got %+v, want the record of %s from the sqs destination", msg, file)
			}
		})
		for _, raw := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/sns-raw-%v", file, raw), func(t *testing.T) {
				queueURL, queueARN := newQueue(ctx, t, sqsc)
				topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(uniqueName("topic"))})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _, _ = snsc.DeleteTopic(context.Background(), &sns.DeleteTopicInput{TopicArn: topic.TopicArn}) })
				sub, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: &queueARN})
				if err != nil {
					t.Fatal(err)
				}
				if raw {
					if _, err := snsc.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
						SubscriptionArn: sub.SubscriptionArn, AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true"),
					}); err != nil {
						t.Fatal(err)
					}
				}
				pub, err := snsc.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(string(record))})
				if err != nil {
					t.Fatal(err)
				}
				msg := receive(ctx, t, sqsc, queueURL)
				if !reflect.DeepEqual(msg.Record, want.Record) {
					t.Errorf("delivered record differs from %s:\n got %+v\nwant %+v", file, msg.Record, want.Record)
				}
				if raw {
					// Raw delivery leaves nothing of SNS in the body.
					if msg.Destination != failure.DestinationSQS || msg.SNSMessageID != "" {
						t.Errorf("raw delivery parsed as %+v", msg)
					}
					return
				}
				if msg.Destination != failure.DestinationSNS || msg.SNSTopicARN != *topic.TopicArn || msg.SNSMessageID == "" {
					t.Errorf("envelope parsed as destination %q, topic %q, message id %q (publish id %q)",
						msg.Destination, msg.SNSTopicARN, msg.SNSMessageID, aws.ToString(pub.MessageId))
				}
			})
		}
	}
}

func uniqueName(kind string) string {
	return fmt.Sprintf("failure-%s-%d", kind, time.Now().UnixNano())
}

func newQueue(ctx context.Context, t *testing.T, c *sqs.Client) (url, arn string) {
	t.Helper()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniqueName("queue"))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}) })
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	return *q.QueueUrl, attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
}

// receive waits for one message on the queue and parses its body.
func receive(ctx context.Context, t *testing.T, c *sqs.Client, url string) failure.Message {
	t.Helper()
	for ctx.Err() == nil {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 1, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			continue
		}
		body := aws.ToString(out.Messages[0].Body)
		msg, err := failure.Parse([]byte(body))
		if err != nil {
			t.Fatalf("Parse(%s): %v", body, err)
		}
		return msg
	}
	t.Fatalf("no message on %s: %v", url, ctx.Err())
	return failure.Message{}
}
