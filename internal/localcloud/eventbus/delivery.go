package eventbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/hydrant-dev/hydrant/internal/backoff"
)

// job is one event on its way to one target of one rule.
type job struct {
	ev       *busEvent
	ruleName string
	ruleARN  string
	target   *target
	retries  int // attempts made after the first
}

// dispatcher delivers jobs with a fixed pool of workers, as EventBridge delivers
// asynchronously after PutEvents has answered. Its queue is unbounded so that a worker
// routing an event to another bus never blocks on its own pool; retries wait on timers, not
// on workers.
type dispatcher struct {
	s       *Server
	mu      sync.Mutex
	cond    *sync.Cond
	queue   []*job
	closed  bool
	pending counter // jobs not yet delivered, dead-lettered or dropped
	workers sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

func newDispatcher(s *Server, workers int) *dispatcher {
	d := &dispatcher{s: s}
	d.cond = sync.NewCond(&d.mu)
	d.ctx, d.cancel = context.WithCancel(context.Background())
	for range workers {
		d.workers.Add(1)
		go d.work()
	}
	return d
}

func (d *dispatcher) enqueue(j *job) {
	d.pending.add(1)
	d.push(j)
}

// push queues a job already counted as pending.
func (d *dispatcher) push(j *job) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		d.s.dropped(j, "the local EventBridge endpoint shut down before delivery", nil)
		d.pending.add(-1)
		return
	}
	d.queue = append(d.queue, j)
	d.mu.Unlock()
	d.cond.Signal()
}

func (d *dispatcher) work() {
	defer d.workers.Done()
	for {
		d.mu.Lock()
		for len(d.queue) == 0 && !d.closed {
			d.cond.Wait()
		}
		if len(d.queue) == 0 {
			d.mu.Unlock()
			return
		}
		j := d.queue[0]
		d.queue[0] = nil
		d.queue = d.queue[1:]
		d.mu.Unlock()
		d.attempt(j)
	}
}

// attempt delivers once and decides what happens next: done, a retry after a backoff with
// full jitter, or the dead-letter queue (with the condition that ended the retries).
func (d *dispatcher) attempt(j *job) {
	err := d.s.deliver(d.ctx, j)
	if err == nil {
		d.pending.add(-1)
		return
	}
	var de *deliveryError
	if !errors.As(err, &de) {
		de = &deliveryError{Code: "SDK_CLIENT_ERROR", Retryable: true, Err: err}
	}
	if d.ctx.Err() != nil {
		d.s.dropped(j, "the local EventBridge endpoint shut down during delivery", de)
		d.pending.add(-1)
		return
	}
	if !de.Retryable {
		d.s.deadLetter(d.ctx, j, de, "")
		d.pending.add(-1)
		return
	}
	if j.retries >= j.target.maxRetries {
		d.s.deadLetter(d.ctx, j, de, "MaximumRetryAttempts")
		d.pending.add(-1)
		return
	}
	delay := d.backoff(j.retries)
	if time.Since(j.ev.ingested)+delay > j.target.maxAge {
		d.s.deadLetter(d.ctx, j, de, "MaximumEventAgeInSeconds")
		d.pending.add(-1)
		return
	}
	j.retries++
	d.s.log.Debug("delivery failed; retrying", "event_id", j.ev.id, "rule_arn", j.ruleARN, "target_arn", j.target.spec.Arn,
		"retry", j.retries, "delay", delay, "error", de)
	time.AfterFunc(delay, func() { d.push(j) })
}

// backoff is the delay before the retry after retries earlier ones: "equal jitter", at least
// half the exponential delay, so retries never bunch up at zero.
func (d *dispatcher) backoff(retries int) time.Duration {
	return backoff.Exponential{Base: d.s.opts.RetryBaseDelay, Max: d.s.opts.RetryMaxDelay, Jitter: backoff.Equal}.Delay(retries + 1)
}

// close waits for the pending jobs until ctx ends, then stops the workers; the jobs still
// queued or waiting for a retry are logged as dropped.
func (d *dispatcher) close(ctx context.Context) {
	select {
	case <-d.pending.zero():
	case <-ctx.Done():
	}
	d.mu.Lock()
	d.closed = true
	left := d.queue
	d.queue = nil
	d.mu.Unlock()
	d.cancel()
	d.cond.Broadcast()
	for _, j := range left {
		d.s.dropped(j, "the local EventBridge endpoint shut down before delivery", nil)
		d.pending.add(-1)
	}
	d.workers.Wait()
}

// deliver sends the job's event to its target once.
func (s *Server) deliver(ctx context.Context, j *job) error {
	t := j.target
	body, err := t.input(j.ev, j.ruleName, j.ruleARN)
	if err != nil {
		return &deliveryError{Code: "SDK_CLIENT_ERROR", Err: fmt.Errorf("build input for target %s: %w", t.spec.ID, err)}
	}
	if send := deliverers[t.kind]; send != nil {
		return send(s, ctx, t, j.ev, body)
	}
	return noResource("target %s has an unknown kind", t.spec.Arn)
}

// deadLetter sends the original event to the target's dead-letter queue with the message
// attributes EventBridge adds; without a queue, or when the queue refuses it, the event is
// logged as dropped.
func (s *Server) deadLetter(ctx context.Context, j *job, de *deliveryError, exhausted string) {
	dlq := ""
	if j.target.spec.DeadLetterConfig != nil {
		dlq = j.target.spec.DeadLetterConfig.Arn
	}
	if dlq == "" {
		s.dropped(j, "delivery failed and the target has no dead-letter queue", de)
		return
	}
	attrs := map[string]sqstypes.MessageAttributeValue{
		"RULE_ARN":       stringAttr(j.ruleARN),
		"TARGET_ARN":     stringAttr(j.target.spec.Arn),
		"ERROR_CODE":     stringAttr(de.Code),
		"ERROR_MESSAGE":  stringAttr(truncate(de.Err.Error(), 1024)),
		"RETRY_ATTEMPTS": stringAttr(strconv.Itoa(j.retries)),
	}
	if exhausted != "" {
		attrs["EXHAUSTED_RETRY_CONDITION"] = stringAttr(exhausted)
	}
	url, derr := s.queueURL(ctx, dlq)
	if derr != nil {
		s.dropped(j, "the dead-letter queue "+dlq+" cannot be reached", fmt.Errorf("%w (delivery error: %v)", derr, de))
		return
	}
	_, err := s.opts.SQS.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(url), MessageBody: aws.String(string(j.ev.raw)), MessageAttributes: attrs,
	}, noSQSRetries)
	if err != nil {
		s.dropped(j, "the dead-letter queue "+dlq+" refused the event", fmt.Errorf("%w (delivery error: %v)", err, de))
		return
	}
	s.log.Info("event sent to dead-letter queue", "event_id", j.ev.id, "rule_arn", j.ruleARN, "target_arn", j.target.spec.Arn,
		"dead_letter_queue", dlq, "error_code", de.Code, "retry_attempts", j.retries, "exhausted_retry_condition", exhausted, "error", de.Err)
}

// dropped logs an event that will not reach its target: EventBridge's EventsDropped, made
// visible because nothing may be lost silently.
func (s *Server) dropped(j *job, reason string, err error) {
	attrs := []any{"event_id", j.ev.id, "rule_arn", j.ruleARN, "target_arn", j.target.spec.Arn, "retry_attempts", j.retries, "reason", reason, "event", string(j.ev.raw)}
	if err != nil {
		attrs = append(attrs, "error", err.Error())
	}
	s.log.Log(context.Background(), slog.LevelError, "event dropped", attrs...)
}

func stringAttr(v string) sqstypes.MessageAttributeValue {
	if v == "" {
		v = "-" // SQS refuses empty attribute values
	}
	return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// counter counts pending work; unlike sync.WaitGroup it may go from zero to one while
// someone waits, which happens when PutEvents races Close.
type counter struct {
	mu     sync.Mutex
	n      int
	zeroCh chan struct{}
}

func (c *counter) add(delta int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += delta
	if c.n == 0 && c.zeroCh != nil {
		close(c.zeroCh)
		c.zeroCh = nil
	}
}

// zero returns a channel closed when the count is (or next becomes) zero.
func (c *counter) zero() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == 0 {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	if c.zeroCh == nil {
		c.zeroCh = make(chan struct{})
	}
	return c.zeroCh
}
