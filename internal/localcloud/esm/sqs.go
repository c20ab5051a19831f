package esm

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sqsMaxReceive is ReceiveMessage's largest MaxNumberOfMessages.
const sqsMaxReceive = 10

// prepareSQS resolves the queue URL.
func (mp *Mapping) prepareSQS(ctx context.Context, client SQSAPI) (func(run, hard context.Context), error) {
	url, err := queueURL(ctx, client, mp.s.source)
	if err != nil {
		return nil, err
	}
	return func(run, hard context.Context) { mp.pollQueue(run, hard, client, url) }, nil
}

// pollQueue is the SQS event source: it receives batches (BatchSize,
// batching window), invokes the function with an SQS event, and deletes the
// messages that succeeded. Failed messages are left alone: they become
// visible again after the queue's visibility timeout and, past the redrive
// policy's maxReceiveCount, SQS moves them to the queue's dead-letter queue
// ("If your function returns an error, Lambda leaves the messages in the
// queue" / "ReportBatchItemFailures ... Lambda deletes the other messages":
// services-sqs-errorhandling). With ReportBatchItemFailures, itemIdentifier
// is a messageId; an empty, null or unknown one fails the whole batch.
func (mp *Mapping) pollQueue(run, hard context.Context, client SQSAPI, url string) {
	window := time.Duration(mp.s.MaximumBatchingWindowInSeconds) * time.Second
	pauses := newPollBackoff(mp.opts.PollInterval)
	var batch []types.Message
	var since time.Time
	idle := mp.newIdleness()
	defer idle.set(false)
	for run.Err() == nil {
		out, err := client.ReceiveMessage(run, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(url),
			MaxNumberOfMessages:         int32(min(sqsMaxReceive, mp.s.batchSize-len(batch))),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			if run.Err() != nil {
				return
			}
			idle.set(true)
			mp.pollError(fmt.Errorf("receive messages from %s: %w", mp.s.EventSourceARN, err))
			_ = sleep(run, pauses.next())
			continue
		}
		pauses.reset()
		if len(batch) == 0 && len(out.Messages) > 0 {
			since = time.Now()
		}
		batch = append(batch, out.Messages...)
		if len(batch) > 0 && (len(batch) >= mp.s.batchSize || window == 0 || time.Since(since) >= window) {
			mp.runQueueBatch(run, hard, client, url, batch)
			batch = nil
			continue
		}
		if len(out.Messages) == 0 {
			if len(batch) == 0 {
				idle.caughtUp()
			} else {
				idle.set(true)
			}
			_ = sleep(run, mp.opts.PollInterval)
		} else {
			idle.set(true)
		}
	}
}

func (mp *Mapping) runQueueBatch(run, hard context.Context, client SQSAPI, url string, batch []types.Message) {
	payload, err := mp.sqsEvent(batch)
	if err != nil {
		mp.pollError(err)
		return
	}
	resp, err := mp.invoke(hard, payload)
	if err != nil {
		mp.log.Info("function error; messages left for redelivery", "batch_size", len(batch), "err", err)
		return
	}
	failed := map[string]bool{}
	if mp.s.rbif {
		ids, perr := parseBatchItemFailures(resp)
		known := make(map[string]bool, len(batch))
		for _, m := range batch {
			known[aws.ToString(m.MessageId)] = true
		}
		for _, id := range ids {
			if perr == nil && (id == "" || !known[id]) {
				perr = fmt.Errorf("itemIdentifier %q is no messageId of the batch", id)
			}
			failed[id] = true
		}
		if len(ids) > 0 || perr != nil {
			mp.partialResponses.Add(1)
		}
		if perr != nil {
			mp.log.Warn("partial batch response fails the whole batch; messages left for redelivery", "batch_size", len(batch), "detail", perr)
			return
		}
	}
	for _, m := range batch {
		if failed[aws.ToString(m.MessageId)] {
			continue
		}
		// Deleting uses the hard context: a message that succeeded is not
		// left for redelivery because the mapping is stopping.
		if _, err := client.DeleteMessage(hard, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
			mp.pollError(fmt.Errorf("delete message %s from %s: %w", aws.ToString(m.MessageId), mp.s.EventSourceARN, err))
			continue
		}
		mp.messagesDeleted.Add(1)
	}
}

// sqsEvent is the Lambda SQS event (with-sqs.md "Example standard queue
// message event").
func (mp *Mapping) sqsEvent(batch []types.Message) ([]byte, error) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(batch))}
	for i, m := range batch {
		attrs := make(map[string]events.SQSMessageAttribute, len(m.MessageAttributes))
		for k, v := range m.MessageAttributes {
			attrs[k] = events.SQSMessageAttribute{
				StringValue: v.StringValue, BinaryValue: v.BinaryValue,
				StringListValues: v.StringListValues, BinaryListValues: v.BinaryListValues,
				DataType: aws.ToString(v.DataType),
			}
		}
		ev.Records[i] = events.SQSMessage{
			MessageId:              aws.ToString(m.MessageId),
			ReceiptHandle:          aws.ToString(m.ReceiptHandle),
			Body:                   aws.ToString(m.Body),
			Md5OfBody:              aws.ToString(m.MD5OfBody),
			Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
			Attributes:             m.Attributes,
			MessageAttributes:      attrs,
			EventSourceARN:         mp.s.EventSourceARN,
			EventSource:            "aws:sqs",
			AWSRegion:              mp.s.source.Region,
		}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("marshal SQS event for %s: %w", mp.s.EventSourceARN, err)
	}
	return b, nil
}
