//go:build integration

package localcloud_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/google/uuid"

	"github.com/hydrant-dev/hydrant/internal/localcloud"
)

// The recordings these tests follow: LocalStack's AWS-validated
// tests/aws/services/sqs/test_sqs_move_task.snapshot.json (github.com/localstack/localstack,
// recorded against AWS on 2024-04-30, test_sqs_move_task.validation.json). Each test names the
// recorded test it pins.
const moveSnapshot = "test_sqs_move_task.snapshot.json (2024-04-30)"

// moveQueues is a DLQ pipe on the local cloud's SQS endpoint, through the JSON protocol as
// the SDK and the AWS CLI send it: a source queue whose redrive policy names the DLQ, and a
// destination queue.
type moveQueues struct {
	c                       *sqs.Client
	srcURL, dlqURL, destURL string
	srcARN, dlqARN, destARN string
	plainURL, plainARN      string // a queue no redrive policy names
	sendToDLQ               func(t *testing.T, n int)
	queueARN                func(t *testing.T, url string) string
	depth                   func(t *testing.T, url string) int
	receiveAll              func(t *testing.T, url string, n int) []sqstypes.Message
}

func newMoveQueues(t *testing.T) *moveQueues {
	t.Helper()
	c := start(t, localcloud.Options{})
	e := c.Endpoints()
	ctx := context.Background()
	q := &moveQueues{c: sqs.NewFromConfig(e.Config(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(e.SQS) })}
	prefix := fmt.Sprintf("move-%x", time.Now().UnixNano())
	create := func(name string, attrs map[string]string) string {
		out, err := q.c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(prefix + "-" + name), Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl)
	}
	q.queueARN = func(t *testing.T, url string) string {
		out, err := q.c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes["QueueArn"]
	}
	q.depth = func(t *testing.T, url string) int {
		out, err := q.c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
		return n
	}
	q.dlqURL = create("dlq", nil)
	q.dlqARN = q.queueARN(t, q.dlqURL)
	q.srcURL = create("src", map[string]string{"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"1"}`, q.dlqARN)})
	q.srcARN = q.queueARN(t, q.srcURL)
	q.destURL = create("dest", nil)
	q.destARN = q.queueARN(t, q.destURL)
	q.plainURL = create("plain", nil)
	q.plainARN = q.queueARN(t, q.plainURL)
	q.sendToDLQ = func(t *testing.T, n int) {
		for i := range n {
			if _, err := q.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.dlqURL), MessageBody: aws.String(fmt.Sprintf("message-%d", i)),
				MessageAttributes: map[string]sqstypes.MessageAttributeValue{
					"HydrantRefusal": {DataType: aws.String("String"), StringValue: aws.String(fmt.Sprintf("reason-%d", i))},
					"blob":           {DataType: aws.String("Binary"), BinaryValue: []byte{0, byte(i), 255}},
				}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	q.receiveAll = func(t *testing.T, url string, n int) []sqstypes.Message {
		var got []sqstypes.Message
		deadline := time.Now().Add(30 * time.Second)
		for len(got) < n && time.Now().Before(deadline) {
			out, err := q.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
				VisibilityTimeout: 60, MessageAttributeNames: []string{"All"}})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, out.Messages...)
		}
		if len(got) != n {
			t.Fatalf("received %d messages from %s, want %d", len(got), url, n)
		}
		return got
	}
	return q
}

// waitTask polls ListMessageMoveTasks until the most recent task of src satisfies ok.
func waitTask(t *testing.T, c *sqs.Client, src string, ok func(sqstypes.ListMessageMoveTasksResultEntry) bool) sqstypes.ListMessageMoveTasksResultEntry {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := c.ListMessageMoveTasks(context.Background(), &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(src)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Results) == 1 && ok(out.Results[0]) {
			return out.Results[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("task of %s: %+v, not there within 60 s", src, out.Results)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wantAPIError checks an error's code (what SDKs report: the query error code) and message.
func wantAPIError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || ae.ErrorMessage() != msg {
		t.Errorf("%s: %v, want %s %q (%s)", what, err, code, msg, moveSnapshot)
	}
}

func TestMessageMoveTaskErrorsAsAWS(t *testing.T) {
	q := newMoveQueues(t)
	ctx := context.Background()

	// test_source_needs_redrive_policy: InvalidParameterValue, HTTP 400.
	_, err := q.c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(q.plainARN), DestinationArn: aws.String(q.destARN)})
	wantAPIError(t, "a source that is no queue's DLQ", err, "InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue.")

	// test_destination_needs_to_exist: ResourceNotFoundException, HTTP 404.
	_, err = q.c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(q.dlqARN), DestinationArn: aws.String(q.destARN + "doesntexist")})
	wantAPIError(t, "a missing destination", err, "ResourceNotFoundException", "The resource that you specified for the DestinationArn parameter doesn't exist.")
	var rnf *sqstypes.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("a missing destination: %T, want the SDK's typed ResourceNotFoundException", err)
	}

	// A missing source: the recorded message for the SourceArn (test_cancel_with_invalid_source_arn_in_task_handle).
	_, err = q.c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(q.dlqARN + "-missing"), DestinationArn: aws.String(q.destARN)})
	wantAPIError(t, "a missing source", err, "ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.")
	_, err = q.c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(q.dlqARN + "-missing")})
	wantAPIError(t, "listing a missing source", err, "ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.")

	// test_cancel_with_invalid_task_handle
	_, err = q.c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: aws.String("foobared")})
	wantAPIError(t, "a handle that is not one", err, "InvalidParameterValue", "Value for parameter TaskHandle is invalid.")
	handle := func(id, source string) *string {
		return aws.String(base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf(`{"taskId":%q,"sourceArn":%q}`, id, source))))
	}
	// test_cancel_with_invalid_source_arn_in_task_handle
	_, err = q.c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: handle(uuid.NewString(), "arn:aws:sqs:us-east-1:878966065785:test-queue-doesnt-exist-123456")})
	wantAPIError(t, "a handle naming a missing queue", err, "ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.")
	// test_cancel_with_invalid_task_id_in_task_handle
	_, err = q.c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: handle(uuid.NewString(), q.dlqARN)})
	wantAPIError(t, "a handle naming no task", err, "ResourceNotFoundException", "Task does not exist.")

	// test_start_multiple_move_tasks: a second task on a source while one runs.
	q.sendToDLQ(t, 10)
	first, err := q.c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(q.dlqARN), DestinationArn: aws.String(q.destARN), MaxNumberOfMessagesPerSecond: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = q.c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(q.dlqARN), DestinationArn: aws.String(q.destARN), MaxNumberOfMessagesPerSecond: aws.Int32(1)})
	wantAPIError(t, "a second task", err, "InvalidParameterValue", "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
	if _, err := q.c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: first.TaskHandle}); err != nil {
		t.Fatal(err)
	}
}

// test_basic_move_task_workflow and test_move_task_workflow_with_default_destination: the
// messages reach the destination (with their message attributes: a move keeps the message,
// and the message attributes are what Hydrant's refusal reasons are), leave the DLQ, and the
// task lists as COMPLETED with what it moved.
func TestMessageMoveTaskMovesMessagesWithTheirAttributes(t *testing.T) {
	q := newMoveQueues(t)
	ctx := context.Background()
	q.sendToDLQ(t, 2)
	out, err := q.c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(q.dlqARN), DestinationArn: aws.String(q.destARN)})
	if err != nil {
		t.Fatal(err)
	}
	// The handle is base64 of {"taskId": a UUID, "sourceArn"}, as the recorded test decodes AWS's.
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.TaskHandle))
	var h struct{ TaskID, SourceArn string }
	if err != nil || json.Unmarshal(raw, &h) != nil || uuid.Validate(h.TaskID) != nil || h.SourceArn != q.dlqARN {
		t.Errorf("task handle %q decodes to %+v (%v), want a task UUID and the source ARN", aws.ToString(out.TaskHandle), h, err)
	}
	task := waitTask(t, q.c, q.dlqARN, func(e sqstypes.ListMessageMoveTasksResultEntry) bool { return aws.ToString(e.Status) == "COMPLETED" })
	if task.ApproximateNumberOfMessagesMoved != 2 || aws.ToInt64(task.ApproximateNumberOfMessagesToMove) != 2 ||
		aws.ToString(task.SourceArn) != q.dlqARN || aws.ToString(task.DestinationArn) != q.destARN || task.StartedTimestamp == 0 ||
		task.TaskHandle != nil || task.MaxNumberOfMessagesPerSecond != nil || task.FailureReason != nil {
		t.Errorf("completed task %+v, want 2 of 2 moved from the DLQ to the destination, no handle, rate or failure (%s)", task, moveSnapshot)
	}
	got := map[string]sqstypes.Message{}
	for _, m := range q.receiveAll(t, q.destURL, 2) {
		got[aws.ToString(m.Body)] = m
	}
	for i := range 2 {
		m, ok := got[fmt.Sprintf("message-%d", i)]
		if !ok || aws.ToString(m.MessageAttributes["HydrantRefusal"].StringValue) != fmt.Sprintf("reason-%d", i) ||
			string(m.MessageAttributes["blob"].BinaryValue) != string([]byte{0, byte(i), 255}) {
			t.Errorf("message-%d in the destination: %+v, want its message attributes kept", i, m)
		}
	}
	if n := q.depth(t, q.dlqURL); n != 0 {
		t.Errorf("the DLQ holds %d messages after the move, want 0", n)
	}

	// Without a DestinationArn the messages go back to the queue whose DLQ it is, and the
	// task lists no DestinationArn.
	q.sendToDLQ(t, 2)
	if _, err := q.c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(q.dlqARN)}); err != nil {
		t.Fatal(err)
	}
	task = waitTask(t, q.c, q.dlqARN, func(e sqstypes.ListMessageMoveTasksResultEntry) bool { return aws.ToString(e.Status) == "COMPLETED" })
	if task.DestinationArn != nil || task.ApproximateNumberOfMessagesMoved != 2 {
		t.Errorf("completed task without destination %+v, want no DestinationArn and 2 moved (%s)", task, moveSnapshot)
	}
	q.receiveAll(t, q.srcURL, 2)
	// MaxResults: the most recent first; the default is 1.
	all, err := q.c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(q.dlqARN), MaxResults: aws.Int32(10)})
	if err != nil || len(all.Results) != 2 || all.Results[0].DestinationArn != nil || aws.ToString(all.Results[1].DestinationArn) != q.destARN {
		t.Errorf("ListMessageMoveTasks MaxResults 10: %+v, %v; want both tasks, the most recent first", all, err)
	}
}

// test_move_task_cancel: while RUNNING the task lists its handle and rate; cancelled, it stops
// and what it had not moved stays in the DLQ.
func TestMessageMoveTaskCancel(t *testing.T) {
	q := newMoveQueues(t)
	ctx := context.Background()
	q.sendToDLQ(t, 10)
	out, err := q.c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(q.dlqARN), DestinationArn: aws.String(q.destARN), MaxNumberOfMessagesPerSecond: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	running := waitTask(t, q.c, q.dlqARN, func(e sqstypes.ListMessageMoveTasksResultEntry) bool { return e.ApproximateNumberOfMessagesMoved >= 1 })
	if aws.ToString(running.Status) != "RUNNING" || aws.ToString(running.TaskHandle) != aws.ToString(out.TaskHandle) ||
		aws.ToInt32(running.MaxNumberOfMessagesPerSecond) != 1 || aws.ToInt64(running.ApproximateNumberOfMessagesToMove) != 10 {
		t.Errorf("running task %+v, want RUNNING with its handle, rate 1 and 10 to move (%s)", running, moveSnapshot)
	}
	if _, err := q.c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: out.TaskHandle}); err != nil {
		t.Fatal(err)
	}
	done := waitTask(t, q.c, q.dlqARN, func(e sqstypes.ListMessageMoveTasksResultEntry) bool { return aws.ToString(e.Status) == "CANCELLED" })
	if done.TaskHandle != nil || done.ApproximateNumberOfMessagesMoved >= 10 {
		t.Errorf("cancelled task %+v, want no handle and fewer than 10 moved", done)
	}
	if left := q.depth(t, q.dlqURL); int64(left)+done.ApproximateNumberOfMessagesMoved != 10 {
		t.Errorf("%d left in the DLQ and %d moved, want 10 in all: nothing lost", left, done.ApproximateNumberOfMessagesMoved)
	}
}

// test_move_task_delete_destination_queue_while_running: the task FAILS with the error code as
// its reason, and what it had not moved stays in the DLQ.
func TestMessageMoveTaskFailsWhenTheDestinationGoes(t *testing.T) {
	q := newMoveQueues(t)
	ctx := context.Background()
	q.sendToDLQ(t, 10)
	if _, err := q.c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(q.dlqARN), DestinationArn: aws.String(q.destARN), MaxNumberOfMessagesPerSecond: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(q.destURL)}); err != nil {
		t.Fatal(err)
	}
	task := waitTask(t, q.c, q.dlqARN, func(e sqstypes.ListMessageMoveTasksResultEntry) bool { return aws.ToString(e.Status) != "RUNNING" })
	if aws.ToString(task.Status) != "FAILED" || aws.ToString(task.FailureReason) != "AWS.SimpleQueueService.NonExistentQueue" || task.TaskHandle != nil {
		t.Errorf("task %+v, want FAILED with AWS.SimpleQueueService.NonExistentQueue (%s)", task, moveSnapshot)
	}
	if left := q.depth(t, q.dlqURL); int64(left)+task.ApproximateNumberOfMessagesMoved != 10 {
		t.Errorf("%d left in the DLQ and %d moved, want 10 in all", left, task.ApproximateNumberOfMessagesMoved)
	}
}

// ListDeadLetterSourceQueues (goaws lacks it too) names the queues whose redrive policy names
// the DLQ, as URLs of the local endpoint; a queue that no policy names has none.
func TestListDeadLetterSourceQueues(t *testing.T) {
	q := newMoveQueues(t)
	ctx := context.Background()
	out, err := q.c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(q.dlqURL)})
	if err != nil || len(out.QueueUrls) != 1 || out.QueueUrls[0] != q.srcURL {
		t.Errorf("sources of the DLQ: %+v, %v; want [%s]", out, err, q.srcURL)
	}
	out, err = q.c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(q.plainURL)})
	if err != nil || len(out.QueueUrls) != 0 {
		t.Errorf("sources of a queue that is no DLQ: %+v, %v; want none", out, err)
	}
	_, err = q.c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(q.plainURL + "-missing")})
	var missing *sqstypes.QueueDoesNotExist
	if !errors.As(err, &missing) {
		t.Errorf("a missing queue: %v, want QueueDoesNotExist", err)
	}
}
