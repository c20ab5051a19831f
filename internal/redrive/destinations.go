package redrive

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/backoff"
)

// MaxInvokePayload is Lambda's limit on a synchronous invocation's request payload (6 MB).
const MaxInvokePayload = 6 * 1024 * 1024

// DefaultBatchSize is the event source mapping's default batch size for Kinesis and DynamoDB
// Streams, used when the function's mapping for a stream cannot be read.
const DefaultBatchSize = 100

// FunctionAPI is the part of the Lambda client a function destination uses.
type FunctionAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
	ListEventSourceMappings(ctx context.Context, in *lambda.ListEventSourceMappingsInput, optFns ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error)
}

// Reasons a destination refuses a record (Report.Skipped): the record stays in its source.
const (
	// ReasonNoMapping: the function has no event source mapping for the record's stream, so it
	// is not that stream's consumer (a shared queue holds other teams' records too).
	ReasonNoMapping = "the function has no event source mapping for the record's stream (not its consumer)"
	// ReasonOtherStream: a record goes back onto its own stream only, never onto another one
	// whose consumers would read it.
	ReasonOtherStream = "a record of another stream cannot be put on the destination stream"
	// ReasonConflictingCopies: messages name one record (its eventId) with different content;
	// one of them is made up, so none is sent (Run, before any destination).
	ReasonConflictingCopies = "copies of one record with different content (one is made up): none sent"
)

// FunctionDestination invokes the consumer function with the event its event source mapping
// would have sent: {"Records": [...]} of one shard, in order. It takes only the records of
// the streams the function's mappings read.
type FunctionDestination struct {
	client FunctionAPI
	name   string
	// BatchSize, when set, overrides the batch size read from the function's mapping.
	BatchSize int
	mappings  map[string]mapping
}

// mapping is what the function's event source mappings say of one stream.
type mapping struct {
	batchSize int    // the mapping's batch size; 0 when it did not say
	refused   string // why the function does not take the stream's records; "" when it does
}

// NewFunctionDestination invokes the function name (a name or an ARN).
func NewFunctionDestination(client FunctionAPI, name string) *FunctionDestination {
	return &FunctionDestination{client: client, name: name, mappings: map[string]mapping{}}
}

func (f *FunctionDestination) String() string { return "function:" + f.name }

// mapping reads (once per stream) the function's event source mappings for the stream. A
// function that has none is not the stream's consumer; when they cannot be read, the records
// are not sent either (they stay in the source, the reason in the report).
func (f *FunctionDestination) mapping(ctx context.Context, streamARN string) mapping {
	if m, ok := f.mappings[streamARN]; ok {
		return m
	}
	var m mapping
	out, err := f.client.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(f.name), EventSourceArn: aws.String(streamARN)})
	switch {
	case err != nil:
		m.refused = fmt.Sprintf("the function's event source mappings could not be read (lambda:ListEventSourceMappings): %v", err)
	case len(out.EventSourceMappings) == 0:
		m.refused = ReasonNoMapping
	default:
		m.batchSize = int(aws.ToInt32(out.EventSourceMappings[0].BatchSize))
	}
	if err == nil || ctx.Err() == nil {
		f.mappings[streamARN] = m
	}
	return m
}

// Accepts takes the records of the streams the function has an event source mapping for.
func (f *FunctionDestination) Accepts(ctx context.Context, r *Record) (bool, string) {
	if m := f.mapping(ctx, r.Detail.StreamARN); m.refused != "" {
		return false, m.refused
	}
	return true, ""
}

// BatchLimit is the batch size of the function's mapping for the stream (or BatchSize, or
// the default), and Lambda's payload limit.
func (f *FunctionDestination) BatchLimit(ctx context.Context, streamARN string) (int, int) {
	if f.BatchSize > 0 {
		return f.BatchSize, MaxInvokePayload
	}
	if m := f.mapping(ctx, streamARN); m.batchSize > 0 {
		return m.batchSize, MaxInvokePayload
	}
	return DefaultBatchSize, MaxInvokePayload
}

// Deliver invokes the function synchronously. A function error fails the first record (the
// mapping would retry the whole batch); a partial batch response accepts the records before
// the first one it names, as the mapping checkpoints there.
func (f *FunctionDestination) Deliver(ctx context.Context, recs []*Record) ([]*Record, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	for i, rec := range recs {
		b, err := rec.LambdaRecord()
		if err != nil {
			return nil, &DeliveryError{EventID: rec.EventID(), Reason: err.Error()}
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(b)
	}
	buf.WriteString(`]}`)
	out, err := f.client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(f.name),
		InvocationType: ltypes.InvocationTypeRequestResponse,
		Payload:        buf.Bytes(),
	})
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.name, err)
	}
	if out.FunctionError != nil {
		return nil, &DeliveryError{EventID: recs[0].EventID(), Reason: fmt.Sprintf("function error (%s): %s", aws.ToString(out.FunctionError), truncate(out.Payload, 300))}
	}
	n, err := partialResponse(recs, out.Payload)
	return recs[:n], err
}

// partialResponse reads a batchItemFailures response as the event source mapping does: no
// failures (or no response) accepts the batch; an identifier that is not in the batch, or an
// empty one, fails the whole batch; otherwise the lowest failed record in batch order fails
// and those before it are accepted.
func partialResponse(recs []*Record, payload []byte) (int, error) {
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier *string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if len(bytes.TrimSpace(payload)) == 0 || json.Unmarshal(payload, &resp) != nil || len(resp.BatchItemFailures) == 0 {
		return len(recs), nil
	}
	index := make(map[string]int, len(recs))
	for i, rec := range recs {
		if _, dup := index[rec.itemIdentifier()]; !dup {
			index[rec.itemIdentifier()] = i
		}
	}
	first := len(recs)
	for _, f := range resp.BatchItemFailures {
		id := aws.ToString(f.ItemIdentifier)
		i, ok := index[id]
		if !ok || id == "" {
			return 0, &DeliveryError{EventID: recs[0].EventID(), Reason: fmt.Sprintf("the function reported item %q, which is not in the batch: the whole batch failed", id)}
		}
		first = min(first, i)
	}
	return first, &DeliveryError{EventID: recs[first].EventID(), Reason: "reported in batchItemFailures by the function"}
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// StreamAPI is the part of the Kinesis client a stream destination uses.
type StreamAPI interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

// StreamDestination puts Kinesis records back onto a stream with their original partition key
// (and explicit hash key) and data. Every consumer of the stream sees them again.
type StreamDestination struct {
	client    StreamAPI
	streamARN string
	// Attempts bounds how often an entry that Kinesis throttles is tried; default 8.
	Attempts int
	backoff  backoff.Exponential
}

// NewStreamDestination puts records onto the Kinesis stream streamARN.
func NewStreamDestination(client StreamAPI, streamARN string) *StreamDestination {
	return &StreamDestination{client: client, streamARN: streamARN, Attempts: 8, backoff: backoff.Exponential{Base: 100 * time.Millisecond, Max: 5 * time.Second}}
}

func (s *StreamDestination) String() string { return "stream:" + s.streamARN }

// Accepts takes the Kinesis records of its own stream only.
func (s *StreamDestination) Accepts(_ context.Context, r *Record) (bool, string) {
	if r.Detail.StreamType != hydrantevent.StreamTypeKinesis || r.Detail.Kinesis == nil {
		return false, "a " + r.Detail.StreamType + " record cannot be put on a Kinesis stream"
	}
	if r.Detail.StreamARN != s.streamARN {
		return false, ReasonOtherStream
	}
	return true, ""
}

// BatchLimit is PutRecords' limits: 500 records, 5 MiB.
func (s *StreamDestination) BatchLimit(context.Context, string) (int, int) { return 500, 5 << 20 }

// Deliver puts the records in order per partition key: a request holds at most one record of
// each partition key, so a throttled entry never lets a later record of its key overtake it.
func (s *StreamDestination) Deliver(ctx context.Context, recs []*Record) ([]*Record, error) {
	var accepted []*Record
	for done := 0; done < len(recs); {
		seen := map[string]bool{}
		n := 0
		for done+n < len(recs) && !seen[recs[done+n].Detail.Kinesis.PartitionKey] {
			seen[recs[done+n].Detail.Kinesis.PartitionKey] = true
			n++
		}
		ok, err := s.put(ctx, recs[done:done+n])
		accepted = append(accepted, ok...)
		if err != nil {
			return accepted, err
		}
		done += n
	}
	return accepted, nil
}

// put writes records of distinct partition keys, retrying throttled entries; it returns the
// records that were put.
func (s *StreamDestination) put(ctx context.Context, recs []*Record) ([]*Record, error) {
	var accepted []*Record
	pending := recs
	for attempt := 1; ; attempt++ {
		in := &kinesis.PutRecordsInput{StreamARN: aws.String(s.streamARN)}
		for _, rec := range pending {
			k := rec.Detail.Kinesis
			e := ktypes.PutRecordsRequestEntry{Data: k.Data, PartitionKey: aws.String(k.PartitionKey)}
			if k.ExplicitHashKey != "" {
				e.ExplicitHashKey = aws.String(k.ExplicitHashKey)
			}
			in.Records = append(in.Records, e)
		}
		out, err := s.client.PutRecords(ctx, in)
		if err != nil {
			return accepted, fmt.Errorf("put records on %s: %w", s.streamARN, err)
		}
		var retryable []*Record
		var lastCode, lastMsg string
		for i, r := range out.Records {
			if r.ErrorCode == nil {
				accepted = append(accepted, pending[i])
				continue
			}
			lastCode, lastMsg = aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage)
			retryable = append(retryable, pending[i])
		}
		if len(retryable) == 0 {
			return accepted, nil
		}
		if attempt >= s.Attempts {
			return accepted, &DeliveryError{EventID: retryable[0].EventID(), Reason: fmt.Sprintf("%s: %s (after %d attempts)", lastCode, lastMsg, attempt)}
		}
		t := time.NewTimer(s.backoff.Delay(attempt))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return accepted, ctx.Err()
		}
		pending = retryable
	}
}
