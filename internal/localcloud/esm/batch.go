package esm

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// record is one stream record of a batch, as the function receives it.
type record struct {
	seq string
	// arrival is Kinesis's ApproximateArrivalTimestamp or DynamoDB's
	// ApproximateCreationDateTime: the record's age is measured from it.
	arrival time.Time
	// event is the Lambda event record (events.KinesisEventRecord or
	// events.DynamoDBEventRecord) as JSON.
	event json.RawMessage
}

// Conditions of on-failure records, as observed in AWS's output
// (LocalStack parity snapshots recorded against AWS; see
// /work/shared/notes/aws-facts.md A3).
const (
	ConditionRetryAttemptsExhausted = "RetryAttemptsExhausted"
	ConditionRecordAgeExceeded      = "RecordAgeExceeded"
)

// discarded is a (sub-)batch the mapping gave up on.
type discarded struct {
	records     []record
	condition   string
	invokeCount int
	// responded is false for RecordAgeExceeded: the record then has no
	// responseContext.
	responded bool
	// functionError is "Unhandled" for a function error, "" (null) when the
	// function answered with batch item failures.
	functionError string
}

// verdict is what a stream invocation's outcome means for the batch.
type verdict int

const (
	succeeded     verdict = iota
	functionError         // the function returned an error
	batchFailed           // a partial batch response that fails the whole batch
	partial               // batch item failures: records from index at on failed
)

type outcome struct {
	verdict verdict
	at      int // first failed record, for partial
	detail  string
}

// batchRunner applies the stream failure semantics to one batch of one shard.
type batchRunner struct {
	s          *settings
	invoke     func(ctx context.Context, recs []record) outcome
	discard    func(ctx context.Context, d discarded) error
	now        func() time.Time
	retryDelay time.Duration
	log        *slog.Logger
}

// run processes a batch until every record succeeded or was discarded to the
// on-failure destination, which is when Lambda moves the shard's checkpoint
// past the batch. It returns an error only when ctx ends first; the batch
// then stays unprocessed.
//
// The rules, from the Lambda developer guide (services-kinesis-errors,
// services-dynamodb-errors, services-kinesis-batchfailurereporting; the
// DynamoDB pages say the same):
//   - "When a function returns an error, Lambda retries the whole batch until
//     processing succeeds or the data expires ... or exceeds the maximum
//     age ... or reaches the configured retry quota (MaximumRetryAttempts)":
//     a batch is invoked at most MaximumRetryAttempts+1 times.
//   - BisectBatchOnFunctionError "splits a failed batch into two smaller
//     batches ... Splitting batches doesn't consume the retry quota": a
//     failed batch of more than one record is split at once, each half is a
//     new batch with its own retry count, processed in order; a failing
//     single record is retried up to the quota.
//   - "If the batchItemFailures array contains multiple items, Lambda uses
//     the record with the lowest sequence number as the checkpoint. Lambda
//     then retries all records starting from that checkpoint." An empty or
//     null list (or response) is a complete success; an empty or null
//     itemIdentifier, or one that is no sequence number of the batch, is a
//     complete failure.
//   - "If the invocation fails and BisectBatchOnFunctionError is turned on,
//     the batch is bisected regardless of your ReportBatchItemFailures
//     setting. When a partial batch success response is received and both
//     ... are turned on, the batch is bisected at the returned sequence
//     number and Lambda retries only the remaining records." When the
//     returned number is the batch's first record, the split isolates that
//     record ([first], [rest]), as in the aws-samples
//     aws-serverless-failure-modes comparison (10 records, bad #8:
//     1-10, 8-10, 8, 9-10).
//   - Records older than MaximumRecordAgeInSeconds are discarded before an
//     invocation (condition RecordAgeExceeded, no responseContext), each in
//     a record of its own, as AWS was observed to write them (LocalStack
//     parity snapshot test_kinesis_maximum_record_age_exceeded: BatchSize 10,
//     one batchSize-1 record per expired record).
//   - On exhaustion the (sub-)batch is sent to the on-failure destination
//     and processing continues after it.
func (b *batchRunner) run(ctx context.Context, batch []record) error {
	pending := [][]record{batch}
	for len(pending) > 0 {
		cur := pending[0]
		pending = pending[1:]
		split, err := b.runOne(ctx, cur)
		if err != nil {
			return err
		}
		pending = append(split, pending...)
	}
	return nil
}

// runOne invokes one (sub-)batch until it succeeds, is discarded, or is split;
// it returns the parts of a split, to be processed next in order.
func (b *batchRunner) runOne(ctx context.Context, cur []record) ([][]record, error) {
	invocations := 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var err error
		if cur, err = b.dropExpired(ctx, cur, invocations); err != nil || len(cur) == 0 {
			return nil, err
		}
		out := b.invoke(ctx, cur)
		invocations++
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fnErr := ""
		switch out.verdict {
		case succeeded:
			return nil, nil
		case functionError:
			fnErr = "Unhandled"
			if b.s.BisectBatchOnFunctionError && len(cur) > 1 {
				return halves(cur), nil
			}
		case batchFailed:
			b.log.Warn("partial batch response fails the whole batch", "detail", out.detail, "batch_size", len(cur))
			if b.s.BisectBatchOnFunctionError && len(cur) > 1 {
				return halves(cur), nil
			}
		case partial:
			if b.s.BisectBatchOnFunctionError {
				if out.at > 0 {
					return [][]record{cur[out.at:]}, nil
				}
				if len(cur) > 1 {
					return [][]record{cur[:1], cur[1:]}, nil
				}
			}
			// Checkpoint at the lowest failed record and retry from there.
			cur = cur[out.at:]
		}
		if b.s.maxRetries >= 0 && invocations > b.s.maxRetries {
			return nil, b.discard(ctx, discarded{records: cur, condition: ConditionRetryAttemptsExhausted,
				invokeCount: invocations, responded: true, functionError: fnErr})
		}
		if err := sleep(ctx, b.retryDelay); err != nil {
			return nil, err
		}
	}
}

// halves splits a batch in two, the first half taking the odd record.
// Which half AWS gives it is not documented.
func halves(recs []record) [][]record {
	mid := (len(recs) + 1) / 2
	return [][]record{recs[:mid], recs[mid:]}
}

// dropExpired discards the records older than MaximumRecordAgeInSeconds from
// the head of the batch (records are in arrival order) and returns the rest.
func (b *batchRunner) dropExpired(ctx context.Context, recs []record, invocations int) ([]record, error) {
	if b.s.maxAge < 0 {
		return recs, nil
	}
	limit := time.Duration(b.s.maxAge) * time.Second
	now := b.now()
	n := 0
	for n < len(recs) && now.Sub(recs[n].arrival) > limit {
		n++
	}
	for i := range n {
		// AWS reported approximateInvokeCount 1 for a record that expired
		// before any invocation; count the attempt that found it expired.
		if err := b.discard(ctx, discarded{records: recs[i : i+1], condition: ConditionRecordAgeExceeded,
			invokeCount: max(invocations, 1)}); err != nil {
			return nil, err
		}
	}
	return recs[n:], nil
}

// classify turns a function's answer into a verdict for a stream batch.
func classify(resp []byte, fnErr error, recs []record, rbif bool) outcome {
	if fnErr != nil {
		return outcome{verdict: functionError, detail: fnErr.Error()}
	}
	if !rbif {
		// "Even when your function code returns partial batch failure
		// responses, these responses will not be processed by Lambda unless
		// the ReportBatchItemFailures feature is explicitly turned on."
		return outcome{verdict: succeeded}
	}
	failures, err := parseBatchItemFailures(resp)
	if err != nil {
		return outcome{verdict: batchFailed, detail: err.Error()}
	}
	if len(failures) == 0 {
		return outcome{verdict: succeeded}
	}
	index := make(map[string]int, len(recs))
	for i, r := range recs {
		index[r.seq] = i
	}
	lowest := len(recs)
	for _, id := range failures {
		if id == "" {
			return outcome{verdict: batchFailed, detail: "batchItemFailures holds an empty or null itemIdentifier"}
		}
		i, ok := index[id]
		if !ok {
			return outcome{verdict: batchFailed, detail: fmt.Sprintf("itemIdentifier %q is no sequence number of the batch", id)}
		}
		lowest = min(lowest, i)
	}
	return outcome{verdict: partial, at: lowest}
}

// parseBatchItemFailures reads a partial batch response. A response that is
// empty, null, or has a null or empty list means complete success. A
// response that is not such an object is taken as a complete failure (AWS
// documents no other case).
func parseBatchItemFailures(resp []byte) ([]string, error) {
	var body *struct {
		BatchItemFailures []struct {
			ItemIdentifier *json.RawMessage `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if len(resp) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(resp, &body); err != nil {
		return nil, fmt.Errorf("response is not a partial batch response: %w", err)
	}
	if body == nil {
		return nil, nil
	}
	ids := make([]string, 0, len(body.BatchItemFailures))
	for _, f := range body.BatchItemFailures {
		var id string
		if f.ItemIdentifier != nil && string(*f.ItemIdentifier) != "null" {
			if err := json.Unmarshal(*f.ItemIdentifier, &id); err != nil {
				return nil, fmt.Errorf("itemIdentifier %s is not a string", *f.ItemIdentifier)
			}
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// eventPayload is the Lambda event for a batch: {"Records":[...]}.
func eventPayload(recs []record) []byte {
	n := len(`{"Records":[]}`) + len(recs)
	for _, r := range recs {
		n += len(r.event)
	}
	b := make([]byte, 0, n)
	b = append(b, `{"Records":[`...)
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r.event...)
	}
	return append(b, "]}"...)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
