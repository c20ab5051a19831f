// Package intakedlq is what an operator does with the intake DLQ: read its messages without
// consuming them (each one's refusal reason, if the hydrate function refused it) and move them
// back to the intake queue with SQS's own message move task, so that the hydrate function
// hydrates them again with all its checks.
package intakedlq

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/hydrant-dev/hydrant/internal/backoff"
	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/intake"
)

// API is the part of the SQS client this package uses.
type API interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	StartMessageMoveTask(ctx context.Context, in *sqs.StartMessageMoveTaskInput, optFns ...func(*sqs.Options)) (*sqs.StartMessageMoveTaskOutput, error)
	ListMessageMoveTasks(ctx context.Context, in *sqs.ListMessageMoveTasksInput, optFns ...func(*sqs.Options)) (*sqs.ListMessageMoveTasksOutput, error)
	CancelMessageMoveTask(ctx context.Context, in *sqs.CancelMessageMoveTaskInput, optFns ...func(*sqs.Options)) (*sqs.CancelMessageMoveTaskOutput, error)
	ListDeadLetterSourceQueues(ctx context.Context, in *sqs.ListDeadLetterSourceQueuesInput, optFns ...func(*sqs.Options)) (*sqs.ListDeadLetterSourceQueuesOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// InputError is a queue the operator named that is not what the command needs (missing, not
// a dead-letter queue, not the DLQ's source): the caller reports it as bad input.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// CheckDLQ checks, before anything is received from it, that dlqURL is a dead-letter queue
// (some queue's redrive policy names it) and, when toURL is given, that toURL is one of the
// queues whose DLQ it is: the intake DLQ's messages go back to the intake queue, nowhere else.
func CheckDLQ(ctx context.Context, c API, dlqURL, toURL string) error {
	var sources []string
	p := sqs.NewListDeadLetterSourceQueuesPaginator(c, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlqURL)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return queueError(dlqURL, "list the source queues of", err)
		}
		sources = append(sources, out.QueueUrls...)
	}
	if len(sources) == 0 {
		return &InputError{fmt.Errorf("%s is not a dead-letter queue: no queue's redrive policy names it (give the intake DLQ, hydrant-intake-dlq-…)", dlqURL)}
	}
	if toURL == "" || slices.ContainsFunc(sources, func(s string) bool { return sameQueue(s, toURL) }) {
		return nil
	}
	return &InputError{fmt.Errorf("%s is not a queue whose dead-letter queue is %s (its sources: %s): give the intake queue", toURL, dlqURL, strings.Join(sources, ", "))}
}

// sameQueue compares queue URLs by account and name: one queue has several URL forms
// (sqs.REGION.amazonaws.com, queue.amazonaws.com, a local endpoint).
func sameQueue(a, b string) bool {
	tail := func(u string) string {
		parts := strings.Split(strings.TrimSuffix(u, "/"), "/")
		if len(parts) < 2 {
			return u
		}
		return parts[len(parts)-2] + "/" + parts[len(parts)-1]
	}
	return tail(a) == tail(b)
}

// queueError wraps a failed call on a queue; a queue that does not exist is an InputError.
func queueError(url, what string, err error) error {
	var missing *sqstypes.QueueDoesNotExist
	if errors.As(err, &missing) {
		return &InputError{fmt.Errorf("queue %s does not exist: %w", url, err)}
	}
	return fmt.Errorf("%s queue %s: %w", what, url, err)
}

// Message is one intake DLQ message as an operator reads it.
type Message struct {
	MessageID    string    `json:"messageId"`
	SentAt       time.Time `json:"sentTimestamp"`
	ReceiveCount int       `json:"receiveCount"`
	// DeadLetterSource is the queue SQS moved it from (DeadLetterQueueSourceArn), when a
	// redrive policy did; a refused message was sent by the hydrate function instead.
	DeadLetterSource string `json:"deadLetterQueueSourceArn,omitempty"`
	// Refusal, RefusalDetail and RefusalSenderID are the HydrantRefusal,
	// HydrantRefusalDetail and HydrantSenderId message attributes of a refused failure record.
	Refusal         string `json:"refusal,omitempty"`
	RefusalDetail   string `json:"refusalDetail,omitempty"`
	RefusalSenderID string `json:"refusalSenderId,omitempty"`
	// Names is what the failure record names: its stream ARN, or the S3 objects an S3 event
	// notification points at; empty when the body does not parse (ParseError says why).
	Names      []string `json:"names,omitempty"`
	ParseError string   `json:"parseError,omitempty"`
	Body       string   `json:"body"`
}

// Refused reports whether the hydrate function refused the message as untrusted: evidence,
// not work to redo.
func (m Message) Refused() bool { return m.Refusal != "" }

// Describe reads one received message.
func Describe(m sqstypes.Message) Message {
	out := Message{MessageID: aws.ToString(m.MessageId), Body: aws.ToString(m.Body),
		DeadLetterSource: m.Attributes[string(sqstypes.MessageSystemAttributeNameDeadLetterQueueSourceArn)]}
	if ms, err := strconv.ParseInt(m.Attributes[string(sqstypes.MessageSystemAttributeNameSentTimestamp)], 10, 64); err == nil {
		out.SentAt = time.UnixMilli(ms).UTC()
	}
	out.ReceiveCount, _ = strconv.Atoi(m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
	attr := func(name string) string { return aws.ToString(m.MessageAttributes[name].StringValue) }
	out.Refusal, out.RefusalDetail, out.RefusalSenderID = attr(intake.AttrRefusal), attr(intake.AttrRefusalDetail), attr(intake.AttrSenderID)
	msg, err := failure.Parse([]byte(out.Body))
	switch {
	case err != nil:
		out.ParseError = err.Error()
	case msg.Record != nil && msg.Record.Batch() != nil:
		out.Names = []string{msg.Record.Batch().StreamARN}
	default:
		for _, o := range msg.Objects {
			out.Names = append(out.Names, "s3://"+o.Bucket+"/"+o.Key)
		}
	}
	return out
}

// Peek reads up to max messages of the queue without consuming them: each is received (and so
// hidden from other readers for the visibility timeout, at most the time Peek runs), then made
// visible again. What another reader holds at the time is not seen: the listing is as
// approximate as SQS's counts.
func Peek(ctx context.Context, c API, queueURL string, max int, visibility time.Duration) ([]Message, error) {
	var out []Message
	var held []sqstypes.Message
	defer func() { release(ctx, c, queueURL, held) }()
	// A long listing outlives the visibility of what it received first: a message seen again
	// is counted once, and a receive that brings only such messages ends the listing.
	seen := map[string]bool{}
	for len(out) < max {
		got, err := c.ReceiveMessage(ctx, receiveAll(queueURL, min(10, max-len(out)), visibility))
		if err != nil {
			return out, fmt.Errorf("receive from %s: %w", queueURL, err)
		}
		held = append(held, got.Messages...)
		fresh := 0
		for _, m := range got.Messages {
			if id := aws.ToString(m.MessageId); !seen[id] {
				seen[id] = true
				fresh++
				out = append(out, Describe(m))
			}
		}
		if fresh == 0 {
			break
		}
	}
	return out, nil
}

// receiveAll receives up to n messages with every attribute, held for visibility.
func receiveAll(queueURL string, n int, visibility time.Duration) *sqs.ReceiveMessageInput {
	return &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(queueURL), MaxNumberOfMessages: int32(n),
		VisibilityTimeout: int32(visibility / time.Second), WaitTimeSeconds: 1,
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	}
}

// release makes received messages visible again at once, even when ctx has ended: they must
// not stay hidden from their readers.
func release(ctx context.Context, c API, queueURL string, msgs []sqstypes.Message) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	wait := backoff.Exponential{Base: 100 * time.Millisecond, Max: time.Second}
	for _, m := range msgs {
		// Tried again on any error: a message not released stays hidden for the listing's
		// visibility timeout, and a move started meanwhile could not see it.
		for attempt := 1; attempt <= 4; attempt++ {
			_, err := c.ChangeMessageVisibility(rctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle})
			if err == nil || rctx.Err() != nil {
				break
			}
			time.Sleep(wait.Delay(attempt))
		}
	}
}

// Summary counts a listing.
type Summary struct {
	Total   int            `json:"total"`
	Refused int            `json:"refused"`
	Reasons map[string]int `json:"reasons,omitempty"` // refused, by HydrantRefusal
}

// Summarize counts the messages and the refused ones by reason.
func Summarize(msgs []Message) Summary {
	s := Summary{Total: len(msgs), Reasons: map[string]int{}}
	for _, m := range msgs {
		if m.Refused() {
			s.Refused++
			s.Reasons[m.Refusal]++
		}
	}
	return s
}

func (s Summary) String() string {
	text := fmt.Sprintf("%d messages: %d failed (move them back once the cause is fixed), %d refused", s.Total, s.Total-s.Refused, s.Refused)
	if s.Refused > 0 {
		var parts []string
		for _, r := range slices.Sorted(maps.Keys(s.Reasons)) {
			parts = append(parts, fmt.Sprintf("%s %d", r, s.Reasons[r]))
		}
		text += " (" + strings.Join(parts, ", ") + "; evidence, not work to redo)"
	}
	return text
}

// QueueARN returns the ARN of the queue at url, or an error that says the queue does not exist.
func QueueARN(ctx context.Context, c API, url string) (string, error) {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", queueError(url, "get the ARN of", err)
	}
	return out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

// InFlight returns how many of the queue's messages are received and not yet visible again
// (ApproximateNumberOfMessagesNotVisible): a move task moves them once they are visible, so a
// count of refused records that could not see them is not the whole count.
func InFlight(ctx context.Context, c API, url string) (int, error) {
	name := sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{name}})
	if err != nil {
		return 0, queueError(url, "count the messages in flight of", err)
	}
	n, err := strconv.Atoi(out.Attributes[string(name)])
	if err != nil {
		return 0, fmt.Errorf("%s of %s is %q, not a number", name, url, out.Attributes[string(name)])
	}
	return n, nil
}

// Progress is a move task as ListMessageMoveTasks reports it.
type Progress struct {
	Status        string `json:"status"` // RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED
	Moved         int64  `json:"moved"`
	ToMove        int64  `json:"toMove"`
	FailureReason string `json:"failureReason,omitempty"`
}

func (p Progress) String() string {
	s := fmt.Sprintf("%s: moved %d of %d", p.Status, p.Moved, p.ToMove)
	if p.FailureReason != "" {
		s += " (" + p.FailureReason + ")"
	}
	return s
}

// Done reports whether the task has ended.
func (p Progress) Done() bool {
	return p.Status == "COMPLETED" || p.Status == "CANCELLED" || p.Status == "FAILED"
}

// MoveOptions are the settings of Move.
type MoveOptions struct {
	// Rate is MaxNumberOfMessagesPerSecond (1 to 500); 0 lets SQS choose.
	Rate int32
	// Poll is how often the task is listed (default 1 s).
	Poll time.Duration
	// Progress is called with every change the task reports.
	Progress func(Progress)
}

// Move moves every message of the DLQ dlqARN to the queue destARN with a message move task
// and follows it until it ends. It returns the task's last state; an error when the task could
// not be started, when it FAILED or was CANCELLED by someone else, or when ctx ended, in which
// case the task is cancelled (what it had not moved stays in the DLQ).
func Move(ctx context.Context, c API, dlqARN, destARN string, o MoveOptions) (Progress, error) {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	in := &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN), DestinationArn: aws.String(destARN)}
	if o.Rate > 0 {
		in.MaxNumberOfMessagesPerSecond = aws.Int32(o.Rate)
	}
	started, err := c.StartMessageMoveTask(ctx, in)
	if err != nil {
		return Progress{}, explainStart(dlqARN, destARN, err)
	}
	handle := aws.ToString(started.TaskHandle)
	var last Progress
	var startedAt int64 // the task's StartedTimestamp, once it has been seen by its handle
	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	for {
		out, err := c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqARN), MaxResults: aws.Int32(10)})
		if err != nil && ctx.Err() == nil {
			return last, fmt.Errorf("list the move tasks of %s: %w", dlqARN, err)
		}
		if err == nil {
			if e, ok := ours(out.Results, handle, &startedAt); ok {
				p := Progress{Status: aws.ToString(e.Status), Moved: e.ApproximateNumberOfMessagesMoved,
					ToMove: aws.ToInt64(e.ApproximateNumberOfMessagesToMove), FailureReason: aws.ToString(e.FailureReason)}
				if p != last && o.Progress != nil {
					o.Progress(p)
				}
				last = p
				switch p.Status {
				case "COMPLETED":
					return p, nil
				case "FAILED":
					return p, fmt.Errorf("the move task from %s to %s failed (%s) after moving %d of %d messages; the rest stays in the DLQ", dlqARN, destARN, p.FailureReason, p.Moved, p.ToMove)
				case "CANCELLED":
					return p, fmt.Errorf("the move task from %s was cancelled after moving %d of %d messages; the rest stays in the DLQ", dlqARN, p.Moved, p.ToMove)
				}
			}
		}
		select {
		case <-ctx.Done():
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if out, err := c.CancelMessageMoveTask(cctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: aws.String(handle)}); err == nil {
				last.Moved, last.Status = out.ApproximateNumberOfMessagesMoved, "CANCELLING"
			} else {
				return last, fmt.Errorf("%w; cancelling the move task failed, it may still run: %v", ctx.Err(), err)
			}
			return last, ctx.Err()
		case <-tick.C:
		}
	}
}

// ours finds the task Move started among a source's tasks: by its handle while it runs (AWS
// lists the handle only then), afterwards by the start time seen with the handle.
func ours(results []sqstypes.ListMessageMoveTasksResultEntry, handle string, startedAt *int64) (sqstypes.ListMessageMoveTasksResultEntry, bool) {
	for _, e := range results {
		if aws.ToString(e.TaskHandle) == handle {
			*startedAt = e.StartedTimestamp
			return e, true
		}
	}
	if *startedAt != 0 {
		for _, e := range results {
			if e.StartedTimestamp == *startedAt {
				return e, true
			}
		}
	}
	// A task that ended before it was first listed: the most recent one (one task at a time
	// per source, so nobody else's started in between unless it ended too).
	if *startedAt == 0 && len(results) > 0 && aws.ToString(results[0].TaskHandle) == "" {
		return results[0], true
	}
	return sqstypes.ListMessageMoveTasksResultEntry{}, false
}

// explainStart says in an operator's words why a move task did not start.
func explainStart(dlqARN, destARN string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		msg := ae.ErrorMessage()
		switch {
		case strings.Contains(msg, "DestinationArn"):
			return fmt.Errorf("the destination queue %s does not exist: %w", destARN, err)
		case strings.Contains(msg, "SourceArn"):
			return fmt.Errorf("the DLQ %s does not exist: %w", dlqARN, err)
		case strings.Contains(msg, "Dead Letter Queue"):
			return fmt.Errorf("%s is not a dead-letter queue (no queue's redrive policy names it): give the intake DLQ: %w", dlqARN, err)
		case strings.Contains(msg, "already a task running"):
			return fmt.Errorf("a move task is already running on %s (see hydrant intake-dlq status): %w", dlqARN, err)
		}
	}
	return fmt.Errorf("start a move task from %s to %s: %w", dlqARN, destARN, err)
}

// Tasks lists the most recent move tasks of a DLQ (up to 10), the most recent first.
func Tasks(ctx context.Context, c API, dlqARN string) ([]sqstypes.ListMessageMoveTasksResultEntry, error) {
	out, err := c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqARN), MaxResults: aws.Int32(10)})
	if err != nil {
		return nil, fmt.Errorf("list the move tasks of %s: %w", dlqARN, err)
	}
	return out.Results, nil
}

// TakeRefused takes the refused records out of the queue: each is given to keep (which must
// have stored it durably when it returns nil) and only then deleted. The other messages are
// made visible again at the end. It returns how many were taken.
func TakeRefused(ctx context.Context, c API, queueURL string, visibility time.Duration, keep func(Message) error) (int, error) {
	var held []sqstypes.Message
	defer func() { release(ctx, c, queueURL, held) }()
	taken := 0
	seen := map[string]bool{}
	for {
		got, err := c.ReceiveMessage(ctx, receiveAll(queueURL, 10, visibility))
		if err != nil {
			return taken, fmt.Errorf("receive from %s: %w", queueURL, err)
		}
		fresh := 0
		for _, m := range got.Messages {
			id := aws.ToString(m.MessageId)
			if seen[id] {
				held = append(held, m) // seen again after its visibility ran out
				continue
			}
			seen[id] = true
			fresh++
			d := Describe(m)
			if !d.Refused() {
				held = append(held, m)
				continue
			}
			if err := keep(d); err != nil {
				held = append(held, m)
				return taken, fmt.Errorf("keep refused message %s: %w", id, err)
			}
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return taken, fmt.Errorf("delete refused message %s (kept): %w", id, err)
			}
			taken++
		}
		if fresh == 0 {
			return taken, nil
		}
	}
}
