//go:build integration

package esm

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// An SQS source with partial batch responses: the messages that succeeded
// are deleted and delivered once; the failed one is redelivered by goaws
// after the visibility timeout and, past the redrive policy's
// maxReceiveCount, moved to the queue's dead-letter queue.
func TestSQSPartialBatchResponseAndRedrive(t *testing.T) {
	t.Parallel()
	ep := emulators.Get(t)
	dlqURL, dlqARN := newQueue(t, ep, nil)
	srcURL, srcARN := newQueue(t, ep, map[string]string{
		"VisibilityTimeout": "1",
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"2"}`, dlqARN),
	})
	ctx := context.Background()
	for _, body := range []string{"m1", "m2", "poison", "m4"} {
		if _, err := ep.SQSClient().SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(srcURL), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var first []events.SQSMessage
	fn := func(_ context.Context, payload []byte) ([]byte, error) {
		var ev events.SQSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = ev.Records
		}
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		for _, m := range ev.Records {
			seen[m.Body]++
			if m.Body == "poison" {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			}
		}
		return json.Marshal(resp)
	}
	m := newMappings(t, ep, Options{})
	mp, err := m.Add(ctx, Config{EventSourceARN: srcARN, FunctionARN: testFunctionARN, BatchSize: 10,
		FunctionResponseTypes: []string{ReportBatchItemFailures}}, fn)
	if err != nil {
		t.Fatal(err)
	}
	dead := receiveAll(t, ep, dlqURL, 1, 20*time.Second)
	if len(dead) != 1 || aws.ToString(dead[0].Body) != "poison" {
		t.Fatalf("dead-letter queue holds %d messages (first %q), want the poison message alone", len(dead), aws.ToString(dead[0].Body))
	}
	settle(t, mp, 3)
	mu.Lock()
	defer mu.Unlock()
	for _, b := range []string{"m1", "m2", "m4"} {
		if seen[b] != 1 {
			t.Errorf("%s delivered %d times, want once (deleted after success)", b, seen[b])
		}
	}
	// AWS moves a message after maxReceiveCount receives; goaws v0.4.5
	// counts redeliveries instead and moves it once they exceed
	// maxReceiveCount (app/gosqs/gosqs.go: msg.Retry++; Retry > MaxReceiveCount),
	// so the poison message is received maxReceiveCount+1 = 3 times.
	if seen["poison"] != 3 {
		t.Errorf("poison delivered %d times, want 3 (goaws: maxReceiveCount+1)", seen["poison"])
	}
	if st := mp.Stats(); st.MessagesDeleted != 3 || st.PartialResponses != 3 {
		t.Errorf("stats = %+v, want 3 messages deleted, 3 partial responses", st)
	}
	for _, r := range first {
		if r.EventSource != "aws:sqs" || r.EventSourceARN != srcARN || r.AWSRegion != "us-east-1" || r.MessageId == "" ||
			r.ReceiptHandle == "" || r.Md5OfBody == "" || r.Attributes["SentTimestamp"] == "" || r.Attributes["ApproximateReceiveCount"] == "" {
			t.Errorf("SQS event record = %+v", r)
		}
	}
}

// A function error leaves the whole batch for redelivery.
func TestSQSFunctionErrorRedelivers(t *testing.T) {
	t.Parallel()
	ep := emulators.Get(t)
	srcURL, srcARN := newQueue(t, ep, map[string]string{"VisibilityTimeout": "1"})
	ctx := context.Background()
	if _, err := ep.SQSClient().SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(srcURL), MessageBody: aws.String("flaky")}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls := 0
	fn := func(context.Context, []byte) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return nil, fmt.Errorf("transient")
		}
		return nil, nil
	}
	m := newMappings(t, ep, Options{})
	mp, err := m.Add(ctx, Config{EventSourceARN: srcARN, FunctionARN: testFunctionARN, BatchSize: 1}, fn)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the message to be redelivered and deleted", func() bool { return mp.Stats().MessagesDeleted == 1 })
	settle(t, mp, 2)
	if st := mp.Stats(); st.Invocations != 2 || st.FunctionErrors != 1 {
		t.Errorf("stats = %+v, want 2 invocations, 1 function error", st)
	}
}
