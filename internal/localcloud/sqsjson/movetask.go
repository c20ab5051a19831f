package sqsjson

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/google/uuid"
)

// Message move tasks (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask): SQS's
// dead-letter queue redrive, which goaws v0.4.5 does not implement. The endpoint runs them on
// top of goaws: a task receives from the source queue, sends each message with its body and
// message attributes to the destination and deletes it from the source only then, so a task
// that fails or is cancelled leaves what it did not move in the source.
//
// What AWS answers is pinned by the tests beside the recordings they follow (LocalStack's
// AWS-validated tests/aws/services/sqs/test_sqs_move_task.snapshot.json, recorded 2024-04-30);
// the choices where no recording exists are in DECISIONS.md.

// Task statuses (API_ListMessageMoveTasksResultEntry: RUNNING, COMPLETED, CANCELLING,
// CANCELLED, FAILED).
const (
	statusRunning    = "RUNNING"
	statusCompleted  = "COMPLETED"
	statusCancelling = "CANCELLING"
	statusCancelled  = "CANCELLED"
	statusFailed     = "FAILED"
)

// maxMoveRate is the highest MaxNumberOfMessagesPerSecond (API_StartMessageMoveTask: "The
// maximum value is 500").
const maxMoveRate = 500

// moveVisibility is how long a received message stays reserved while a task moves it.
const moveVisibility = 30

// apiError is an error with SQS's JSON error shape, its query-compatible code and HTTP status.
type apiError struct {
	shape  string // the __type's shape name
	code   string // the query error code (X-Amzn-Query-Error), what SDKs report as the code
	msg    string
	status int
}

func (e *apiError) Error() string                 { return e.code + ": " + e.msg }
func (e *apiError) ErrorCode() string             { return e.code }
func (e *apiError) ErrorMessage() string          { return e.msg }
func (e *apiError) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// invalidParameter is AWS's InvalidParameterValue: code InvalidParameterValue, shape
// InvalidParameterValueException, HTTP 400 (test_sqs_move_task.snapshot.json,
// test_source_needs_redrive_policy).
func invalidParameter(msg string) error {
	return &apiError{shape: "InvalidParameterValueException", code: "InvalidParameterValue", msg: msg, status: http.StatusBadRequest}
}

// notFound is AWS's ResourceNotFoundException, HTTP 404 (test_destination_needs_to_exist).
func notFound(msg string) error {
	return &apiError{shape: "ResourceNotFoundException", code: "ResourceNotFoundException", msg: msg, status: http.StatusNotFound}
}

func sourceNotFound() error {
	return notFound("The resource that you specified for the SourceArn parameter doesn't exist.")
}

// moveTask is one task. Its fields after start are guarded by moveTasks.mu.
type moveTask struct {
	id, sourceARN, destARN string // destARN "": back to the source queues
	sourceURL, destURL     string
	rate                   int32 // MaxNumberOfMessagesPerSecond, 0 when not given
	started                time.Time
	status                 string
	toMove, moved          int64
	failure                string
	cancel                 chan struct{}
}

// handle is the task handle: base64 of {"taskId","sourceArn"}, the form AWS hands out (the
// validated test_basic_move_task_workflow decodes AWS's handle into a UUID and the source ARN).
func (t *moveTask) handle() string {
	b, _ := json.Marshal(struct {
		TaskID    string `json:"taskId"`
		SourceARN string `json:"sourceArn"`
	}{t.id, t.sourceARN})
	return base64.StdEncoding.EncodeToString(b)
}

// moveTasks holds the tasks and runs them against goaws.
type moveTasks struct {
	c      *sqs.Client
	ctx    context.Context // ended by close: stops every running task
	stop   context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	tasks  []*moveTask
	closed bool
}

func newMoveTasks(c *sqs.Client) *moveTasks {
	ctx, stop := context.WithCancel(context.Background())
	return &moveTasks{c: c, ctx: ctx, stop: stop}
}

// close stops the running tasks (what they had not moved stays in the source) and waits.
func (m *moveTasks) close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.stop()
	m.wg.Wait()
}

// queue finds the goaws queue an ARN names: its URL, or notFound (made by the caller).
func (m *moveTasks) queue(ctx context.Context, queueARN string) (string, bool, error) {
	a, err := arn.Parse(queueARN)
	if err != nil || a.Service != "sqs" || a.Resource == "" {
		return "", false, nil
	}
	out, err := m.c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(a.Resource)})
	if err != nil {
		if isMissingQueue(err) {
			return "", false, nil
		}
		return "", false, err
	}
	attrs, err := m.c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		if isMissingQueue(err) {
			return "", false, nil
		}
		return "", false, err
	}
	// The same name in another account or Region is another queue.
	if attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)] != queueARN {
		return "", false, nil
	}
	return aws.ToString(out.QueueUrl), true, nil
}

func isMissingQueue(err error) bool {
	var missing *sqstypes.QueueDoesNotExist
	var ae smithy.APIError
	return errors.As(err, &missing) || (errors.As(err, &ae) && strings.Contains(ae.ErrorCode(), "NonExistentQueue"))
}

// deadLetterSources returns the URLs of the queues whose redrive policy names the queue
// queueARN as their dead-letter queue. goaws reports deadLetterTargetArn as the dead-letter
// queue's name (goaws v0.4.5 app/gosqs/gosqs.go, GetQueueAttributes), AWS as its ARN: both match.
func (m *moveTasks) deadLetterSources(ctx context.Context, queueARN string) ([]string, error) {
	name := queueARN
	if a, err := arn.Parse(queueARN); err == nil {
		name = a.Resource
	}
	list, err := m.c.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range list.QueueUrls {
		attrs, err := m.c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameRedrivePolicy}})
		if err != nil {
			if isMissingQueue(err) {
				continue // deleted meanwhile
			}
			return nil, err
		}
		var rp struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		}
		if json.Unmarshal([]byte(attrs.Attributes[string(sqstypes.QueueAttributeNameRedrivePolicy)]), &rp) != nil {
			continue
		}
		if rp.DeadLetterTargetArn != "" && (rp.DeadLetterTargetArn == queueARN || rp.DeadLetterTargetArn == name) {
			out = append(out, u)
		}
	}
	return out, nil
}

type startInput struct {
	SourceArn                    string
	DestinationArn               string
	MaxNumberOfMessagesPerSecond *int32
}

func (m *moveTasks) start(ctx context.Context, body []byte) (any, error) {
	var in startInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.MaxNumberOfMessagesPerSecond != nil && (*in.MaxNumberOfMessagesPerSecond < 1 || *in.MaxNumberOfMessagesPerSecond > maxMoveRate) {
		return nil, invalidParameter("Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: must be between 1 and 500.")
	}
	srcURL, ok, err := m.queue(ctx, in.SourceArn)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sourceNotFound()
	}
	sources, err := m.deadLetterSources(ctx, in.SourceArn)
	if err != nil {
		return nil, err
	}
	if len(sources) == 0 {
		// test_source_needs_redrive_policy
		return nil, invalidParameter("Source queue must be configured as a Dead Letter Queue.")
	}
	t := &moveTask{id: uuid.NewString(), sourceARN: in.SourceArn, destARN: in.DestinationArn, sourceURL: srcURL, cancel: make(chan struct{})}
	if in.MaxNumberOfMessagesPerSecond != nil {
		t.rate = *in.MaxNumberOfMessagesPerSecond
	}
	switch {
	case in.DestinationArn != "":
		url, ok, err := m.queue(ctx, in.DestinationArn)
		if err != nil {
			return nil, err
		}
		if !ok {
			// test_destination_needs_to_exist
			return nil, notFound("The resource that you specified for the DestinationArn parameter doesn't exist.")
		}
		t.destURL = url
	case len(sources) == 1:
		t.destURL = sources[0]
	default:
		// AWS sends each message back to the queue it came from (its DeadLetterQueueSourceArn),
		// which goaws does not record.
		return nil, &apiError{shape: "UnsupportedOperation", code: "AWS.SimpleQueueService.UnsupportedOperation", status: http.StatusBadRequest,
			msg: fmt.Sprintf("the local SQS endpoint cannot send messages back to their source queues when %d queues use this dead-letter queue: give a DestinationArn", len(sources))}
	}
	attrs, err := m.c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(srcURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		return nil, err
	}
	t.toMove, _ = strconv.ParseInt(attrs.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)], 10, 64)

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errors.New("the local SQS endpoint is closing")
	}
	for _, o := range m.tasks {
		if o.sourceARN == t.sourceARN && (o.status == statusRunning || o.status == statusCancelling) {
			// test_start_multiple_move_tasks
			return nil, invalidParameter("There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
		}
	}
	t.started, t.status = time.Now(), statusRunning
	m.tasks = append(m.tasks, t)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.run(t)
	}()
	return map[string]any{"TaskHandle": t.handle()}, nil
}

// run moves at most the messages counted at the start (a message that comes back to the
// source while the task runs, such as one refused again, is not moved twice by it).
func (m *moveTasks) run(t *moveTask) {
	ctx := m.ctx
	var tick *time.Ticker
	if t.rate > 0 {
		tick = time.NewTicker(time.Second / time.Duration(t.rate))
		defer tick.Stop()
	}
	finish := func(status, reason string) {
		m.mu.Lock()
		defer m.mu.Unlock()
		t.status, t.failure = status, reason
	}
	for {
		m.mu.Lock()
		left := t.toMove - t.moved
		m.mu.Unlock()
		if left <= 0 {
			finish(statusCompleted, "")
			return
		}
		select {
		case <-t.cancel:
			finish(statusCancelled, "")
			return
		case <-ctx.Done():
			finish(statusFailed, "ServiceShutdown")
			return
		default:
		}
		n := int32(min(left, 10))
		if t.rate > 0 {
			n = 1
		}
		out, err := m.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(t.sourceURL), MaxNumberOfMessages: n,
			VisibilityTimeout: moveVisibility, MessageAttributeNames: []string{"All"}})
		if err != nil {
			finish(statusFailed, failureReason(err))
			return
		}
		if len(out.Messages) == 0 {
			finish(statusCompleted, "") // the source is empty
			return
		}
		for i, msg := range out.Messages {
			if _, err := m.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(t.destURL), MessageBody: msg.Body,
				MessageAttributes: msg.MessageAttributes}); err != nil {
				m.release(t.sourceURL, out.Messages[i:])
				finish(statusFailed, failureReason(err))
				return
			}
			if _, err := m.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(t.sourceURL), ReceiptHandle: msg.ReceiptHandle}); err != nil {
				// Sent but still in the source: it will be moved twice rather than lost.
				m.release(t.sourceURL, out.Messages[i+1:])
				finish(statusFailed, failureReason(err))
				return
			}
			m.mu.Lock()
			t.moved++
			m.mu.Unlock()
			if tick != nil {
				select {
				case <-tick.C:
				case <-t.cancel:
				case <-ctx.Done():
				}
			}
		}
	}
}

// release makes messages a task received and did not move visible again at once.
func (m *moveTasks) release(queueURL string, msgs []sqstypes.Message) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, msg := range msgs {
		_, _ = m.c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(queueURL), ReceiptHandle: msg.ReceiptHandle})
	}
}

// failureReason is the FailureReason of a failed task: the error code, as AWS reports a deleted
// destination ("AWS.SimpleQueueService.NonExistentQueue",
// test_move_task_delete_destination_queue_while_running).
func failureReason(err error) string {
	if isMissingQueue(err) {
		return "AWS.SimpleQueueService.NonExistentQueue"
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if errors.Is(err, context.Canceled) {
		return "ServiceShutdown"
	}
	return "InternalError"
}

type listInput struct {
	SourceArn  string
	MaxResults *int32
}

func (m *moveTasks) list(ctx context.Context, body []byte) (any, error) {
	var in listInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	max := int32(1) // "The default is 1 … The upper limit is 10." (API_ListMessageMoveTasks)
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 10 {
			return nil, invalidParameter("Value for parameter MaxResults is invalid. Reason: must be between 1 and 10.")
		}
		max = *in.MaxResults
	}
	if _, ok, err := m.queue(ctx, in.SourceArn); err != nil {
		return nil, err
	} else if !ok {
		return nil, sourceNotFound()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var mine []*moveTask
	for _, t := range m.tasks {
		if t.sourceARN == in.SourceArn {
			mine = append(mine, t)
		}
	}
	slices.Reverse(mine) // most recent first
	results := []map[string]any{}
	for _, t := range mine[:min(len(mine), int(max))] {
		results = append(results, t.entry())
	}
	return map[string]any{"Results": results}, nil
}

// entry is a task as ListMessageMoveTasks shows it: TaskHandle only while RUNNING,
// DestinationArn and MaxNumberOfMessagesPerSecond only when the start gave them, FailureReason
// only when FAILED (test_move_task_cancel, test_move_task_workflow_with_default_destination,
// test_move_task_delete_destination_queue_while_running). Called with mu held.
func (t *moveTask) entry() map[string]any {
	e := map[string]any{
		"SourceArn":                         t.sourceARN,
		"Status":                            t.status,
		"StartedTimestamp":                  t.started.UnixMilli(),
		"ApproximateNumberOfMessagesToMove": t.toMove,
		"ApproximateNumberOfMessagesMoved":  t.moved,
	}
	if t.destARN != "" {
		e["DestinationArn"] = t.destARN
	}
	if t.rate > 0 {
		e["MaxNumberOfMessagesPerSecond"] = t.rate
	}
	if t.status == statusRunning {
		e["TaskHandle"] = t.handle()
	}
	if t.status == statusFailed {
		e["FailureReason"] = t.failure
	}
	return e
}

func (m *moveTasks) cancelTask(ctx context.Context, body []byte) (any, error) {
	var in struct{ TaskHandle string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var h struct {
		TaskID    string `json:"taskId"`
		SourceARN string `json:"sourceArn"`
	}
	raw, err := base64.StdEncoding.DecodeString(in.TaskHandle)
	if err != nil || json.Unmarshal(raw, &h) != nil || h.TaskID == "" || h.SourceARN == "" {
		// test_cancel_with_invalid_task_handle
		return nil, invalidParameter("Value for parameter TaskHandle is invalid.")
	}
	if _, ok, err := m.queue(ctx, h.SourceARN); err != nil {
		return nil, err
	} else if !ok {
		// test_cancel_with_invalid_source_arn_in_task_handle
		return nil, sourceNotFound()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range m.tasks {
		if t.id != h.TaskID || t.sourceARN != h.SourceARN {
			continue
		}
		if t.status != statusRunning {
			// "A message movement can only be cancelled when the current status is RUNNING"
			// (API_CancelMessageMoveTask); the error AWS gives is not recorded.
			return nil, invalidParameter("Only a task in status RUNNING can be cancelled; this task is " + t.status + ".")
		}
		t.status = statusCancelling
		close(t.cancel)
		return map[string]any{"ApproximateNumberOfMessagesMoved": t.moved}, nil
	}
	// test_cancel_with_invalid_task_id_in_task_handle
	return nil, notFound("Task does not exist.")
}

func decode(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "request body: " + err.Error(), Fault: smithy.FaultClient}
	}
	return nil
}

// listDeadLetterSources is ListDeadLetterSourceQueues (which goaws lacks too): the queues
// whose redrive policy names the queue as their dead-letter queue, as URLs of this endpoint
// (the form the caller gave). It answers every source at once, without a NextToken.
func (m *moveTasks) listDeadLetterSources(ctx context.Context, body []byte) (any, error) {
	var in struct{ QueueUrl string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	attrs, err := m.c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(in.QueueUrl),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return nil, err
	}
	sources, err := m.deadLetterSources(ctx, attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])
	if err != nil {
		return nil, err
	}
	base := in.QueueUrl[:strings.LastIndex(in.QueueUrl, "/")+1]
	urls := []string{}
	for _, u := range sources {
		urls = append(urls, base+u[strings.LastIndex(u, "/")+1:])
	}
	return map[string]any{"queueUrls": urls}, nil
}
