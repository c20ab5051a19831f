//go:build integration

package emulators

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestGoawsSurvivesConcurrentQueueCreation is what every test binary sharing one goaws does
// at once: create queues while others send and receive. goaws alone aborts on the first
// overlap of a CreateQueue with another request ("concurrent map read and map write");
// behind goawsguard every call succeeds and goaws keeps answering.
func TestGoawsSurvivesConcurrentQueueCreation(t *testing.T) {
	q := Get(t).SQSClient()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	base, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("guard-%d", time.Now().UnixNano()))})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 25 {
				name := fmt.Sprintf("guard-%d-%d-%d", time.Now().UnixNano(), g, i)
				if _, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)}); err != nil {
					errs <- fmt.Errorf("create %s: %w", name, err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 25 {
				if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: base.QueueUrl, MessageBody: aws.String("x")}); err != nil {
					errs <- fmt.Errorf("send: %w", err)
				}
				if _, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: base.QueueUrl, MaxNumberOfMessages: 10}); err != nil {
					errs <- fmt.Errorf("receive: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, err := q.ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("goaws no longer answers: %v", err)
	}
}

// TestLongPollThroughTheGuardWaitsForAMessage: the guard turns a long poll into short receives;
// a message sent during the wait is still returned before the wait is over.
func TestLongPollThroughTheGuardWaitsForAMessage(t *testing.T) {
	q := Get(t).SQSClient()
	ctx := context.Background()
	out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("guard-poll-%d", time.Now().UnixNano()))})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		_, _ = q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String("late")})
	}()
	got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: out.QueueUrl, WaitTimeSeconds: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "late" {
		t.Fatalf("long poll returned %d messages, want the one sent during the wait", len(got.Messages))
	}
	// An empty queue answers empty once the wait is over.
	start := time.Now()
	got, err = q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: out.QueueUrl, WaitTimeSeconds: 1})
	if err != nil || len(got.Messages) != 0 {
		t.Fatalf("got %v, %v; want no message", got, err)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Fatalf("long poll answered after %v, before its 1 s wait", waited)
	}
}
