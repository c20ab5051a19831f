//go:build integration

package intakedlq_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/internal/intakedlq"
	"github.com/hydrant-dev/hydrant/internal/localcloud"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

func TestMain(m *testing.M) { emulators.Main(m) }

// pipe is an intake queue and its DLQ, holding n messages, on the local cloud's SQS endpoint
// (which runs message move tasks).
func pipe(t *testing.T, n int) (c *sqs.Client, dlqURL, dlqARN, intakeURL, intakeARN string) {
	t.Helper()
	cloud, err := localcloud.Start(context.Background(), localcloud.Options{Endpoints: emulators.Get(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = cloud.Close(ctx)
	})
	e := cloud.Endpoints()
	c = sqs.NewFromConfig(e.Config(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(e.SQS) })
	ctx := context.Background()
	prefix := fmt.Sprintf("intakedlq-%x", time.Now().UnixNano())
	create := func(name string, attrs map[string]string) (string, string) {
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(prefix + name), Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		a, err := intakedlq.QueueARN(ctx, c, aws.ToString(out.QueueUrl))
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl), a
	}
	dlqURL, dlqARN = create("-dlq", nil)
	intakeURL, intakeARN = create("", map[string]string{"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"5"}`, dlqARN)})
	for i := range n {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(dlqURL), MessageBody: aws.String(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	return c, dlqURL, dlqARN, intakeURL, intakeARN
}

func depth(t *testing.T, c *sqs.Client, url string) int64 {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.ParseInt(out.Attributes["ApproximateNumberOfMessages"], 10, 64)
	return n
}

// Interrupted, Move cancels its task: the task ends CANCELLED and what it had not moved stays
// in the DLQ.
func TestMoveCancelsItsTaskWhenInterrupted(t *testing.T) {
	c, dlqURL, dlqARN, intakeURL, intakeARN := pipe(t, 6)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen []intakedlq.Progress
	p, err := intakedlq.Move(ctx, c, dlqARN, intakeARN, intakedlq.MoveOptions{Rate: 1, Poll: 50 * time.Millisecond, Progress: func(p intakedlq.Progress) {
		seen = append(seen, p)
		if p.Moved >= 1 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || p.Status != "CANCELLING" {
		t.Fatalf("Move interrupted: %+v, %v; want context.Canceled with the task cancelling", p, err)
	}
	if len(seen) == 0 || seen[0].Status != "RUNNING" || seen[0].ToMove != 6 {
		t.Errorf("progress %+v, want RUNNING with 6 to move first", seen)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		tasks, err := intakedlq.Tasks(context.Background(), c, dlqARN)
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) == 1 && aws.ToString(tasks[0].Status) == "CANCELLED" {
			if left, moved := depth(t, c, dlqURL), depth(t, c, intakeURL); left == 0 || left+moved != 6 {
				t.Errorf("%d left in the DLQ, %d moved: want some left and 6 in all", left, moved)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tasks %+v: not CANCELLED within 30 s", tasks)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A task that FAILS (its destination deleted while it runs) is an error naming the reason and
// what was moved.
func TestMoveReportsAFailedTask(t *testing.T) {
	c, _, dlqARN, intakeURL, intakeARN := pipe(t, 6)
	deleted := false
	p, err := intakedlq.Move(context.Background(), c, dlqARN, intakeARN, intakedlq.MoveOptions{Rate: 1, Poll: 50 * time.Millisecond, Progress: func(p intakedlq.Progress) {
		if !deleted {
			deleted = true
			if _, err := c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(intakeURL)}); err != nil {
				t.Error(err)
			}
		}
	}})
	if err == nil || p.Status != "FAILED" || !strings.Contains(err.Error(), "failed (AWS.SimpleQueueService.NonExistentQueue)") ||
		!strings.Contains(err.Error(), "the rest stays in the DLQ") {
		t.Fatalf("Move with its destination deleted: %+v, %v", p, err)
	}
}

// InFlight counts the messages a reader holds: the move command refuses to start while any
// is in flight, since it cannot check them for refused records.
func TestInFlightCountsHeldMessages(t *testing.T) {
	c, dlqURL, _, _, _ := pipe(t, 2)
	ctx := context.Background()
	if n, err := intakedlq.InFlight(ctx, c, dlqURL); err != nil || n != 0 {
		t.Fatalf("InFlight = %d, %v before any receive, want 0", n, err)
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL), MaxNumberOfMessages: 1, VisibilityTimeout: 60})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive: %v, %d messages", err, len(out.Messages))
	}
	if n, err := intakedlq.InFlight(ctx, c, dlqURL); err != nil || n != 1 {
		t.Fatalf("InFlight = %d, %v while a reader holds one, want 1", n, err)
	}
	if _, err := intakedlq.InFlight(ctx, c, dlqURL+"-missing"); err == nil {
		t.Fatal("InFlight of a missing queue: no error")
	}
}
