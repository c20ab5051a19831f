//go:build integration

package localcloud_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/internal/localcloud"
)

// The local cloud's SQS endpoint serves clients on the SDK's default JSON protocol (which
// goaws does not speak) as well as query-protocol clients.
func TestSQSEndpointSpeaksJSONAndQuery(t *testing.T) {
	c := start(t, localcloud.Options{})
	e := c.Endpoints()
	ctx := context.Background()
	jsonClient := sqs.NewFromConfig(e.Config(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(e.SQS) })
	name := fmt.Sprintf("localcloud-json-%x", time.Now().UnixNano())
	q, err := jsonClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{"VisibilityTimeout": "9"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jsonClient.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(`{"n":1}`),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			"kind": {DataType: aws.String("String"), StringValue: aws.String("demo")},
			"blob": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 255}},
		}}); err != nil {
		t.Fatal(err)
	}
	// A query-protocol client sees the same queue.
	queryClient := e.SQSClient()
	attrs, err := queryClient.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil || attrs.Attributes["VisibilityTimeout"] != "9" || attrs.Attributes["ApproximateNumberOfMessages"] != "1" {
		t.Fatalf("query client: %v, %v", attrs, err)
	}
	out, err := jsonClient.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != `{"n":1}` ||
		aws.ToString(out.Messages[0].MessageAttributes["kind"].StringValue) != "demo" || string(out.Messages[0].MessageAttributes["blob"].BinaryValue) != "\x00\x01\xff" {
		t.Fatalf("received %+v", out.Messages)
	}
	if _, err := jsonClient.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: out.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	_, err = jsonClient.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name + "-missing")})
	var missing *sqstypes.QueueDoesNotExist
	if !errors.As(err, &missing) {
		t.Errorf("a missing queue: %v, want a typed QueueDoesNotExist", err)
	}
}
