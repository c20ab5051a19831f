package failure

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Record is the on-failure invocation record of a Kinesis or DynamoDB
// Streams event source mapping. Exactly one of KinesisBatchInfo and
// DDBStreamBatchInfo is set.
type Record struct {
	Version   string    `json:"version,omitempty"`
	Timestamp time.Time `json:"timestamp,omitzero"`

	RequestContext RequestContext `json:"requestContext"`
	// ResponseContext is nil when the function never returned for this batch
	// (condition RecordAgeExceeded).
	ResponseContext *ResponseContext `json:"responseContext,omitempty"`

	KinesisBatchInfo   *BatchInfo `json:"KinesisBatchInfo,omitempty"`
	DDBStreamBatchInfo *BatchInfo `json:"DDBStreamBatchInfo,omitempty"`

	// Payload is set only for the S3 destination, whose object carries the
	// batch's Lambda event records.
	Payload *Payload `json:"payload,omitempty"`
}

// Batch returns the batch info, whichever stream type it is for.
func (r *Record) Batch() *BatchInfo {
	if r.KinesisBatchInfo != nil {
		return r.KinesisBatchInfo
	}
	return r.DDBStreamBatchInfo
}

// StreamType tells which kind of stream the failed batch came from.
func (r *Record) StreamType() StreamType {
	if r.KinesisBatchInfo != nil {
		return StreamTypeKinesis
	}
	return StreamTypeDynamoDB
}

// RequestContext says why and how often the ESM tried the batch.
type RequestContext struct {
	RequestID   string `json:"requestId"`
	FunctionARN string `json:"functionArn"`
	// Condition is RetryAttemptsExhausted or RecordAgeExceeded in what has
	// been observed; AWS publishes no complete list, so any string is kept.
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// ResponseContext is the function's last response to the batch.
type ResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	// FunctionError is "Unhandled" when the function failed, and empty (null
	// on the wire) when it reported failures through batchItemFailures.
	FunctionError string `json:"functionError,omitempty"`
}

// BatchInfo locates the failed batch: one shard, a sequence number range.
type BatchInfo struct {
	ShardID                         string    `json:"shardId"`
	StartSequenceNumber             string    `json:"startSequenceNumber"`
	EndSequenceNumber               string    `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord time.Time `json:"approximateArrivalOfFirstRecord,omitzero"`
	ApproximateArrivalOfLastRecord  time.Time `json:"approximateArrivalOfLastRecord,omitzero"`
	BatchSize                       int       `json:"batchSize"`
	// StreamARN is the ARN as the record gives it: a stream ARN, or for an
	// enhanced fan-out ESM possibly a consumer ARN.
	StreamARN string `json:"streamArn"`

	// Source is StreamARN parsed by Parse; Source.Stream() is the ARN of the
	// stream to read the records from.
	Source StreamARN `json:"-"`
}

// Payload is the batch as the function received it, in an S3 on-failure
// object: Kinesis or DynamoDB Lambda event records, kept as raw JSON.
type Payload struct {
	Records []json.RawMessage `json:"Records"`
}

// KinesisRecords decodes the payload as Kinesis Lambda event records.
func (p *Payload) KinesisRecords() ([]events.KinesisEventRecord, error) {
	out := make([]events.KinesisEventRecord, len(p.Records))
	for i, raw := range p.Records {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return nil, &FieldError{
				Path:   "payload.Records[" + strconv.Itoa(i) + "]",
				Reason: "not a Kinesis event record: " + err.Error(),
				Err:    err,
			}
		}
	}
	return out, nil
}

// parseRecord validates a decoded document whose batch info is present.
func parseRecord(d *document) (*Record, error) {
	var c check
	r := Record{Version: c.str(d.Version, "version"), Timestamp: c.time(d.Timestamp, "timestamp")}
	if d.RequestContext.given() {
		const p = "requestContext."
		if w := d.RequestContext.get(&c, "requestContext"); w != nil {
			r.RequestContext = RequestContext{
				RequestID:   c.str(w.RequestID, p+"requestId"),
				FunctionARN: c.str(w.FunctionARN, p+"functionArn"),
				Condition:   c.str(w.Condition, p+"condition"),
			}
			n := c.int(w.ApproximateInvokeCount, p+"approximateInvokeCount")
			if n < 0 || int64(int(n)) != n {
				c.failf(p+"approximateInvokeCount", "must not be negative, got "+describe(w.ApproximateInvokeCount))
			}
			r.RequestContext.ApproximateInvokeCount = int(n)
		}
	}
	if d.ResponseContext.given() {
		const p = "responseContext."
		if w := d.ResponseContext.get(&c, "responseContext"); w != nil {
			n := c.int(w.StatusCode, p+"statusCode")
			if n < 0 || n > 999 {
				c.failf(p+"statusCode", "must be an HTTP status code, got "+describe(w.StatusCode))
			}
			// functionError is null when the function reported a partial batch failure.
			r.ResponseContext = &ResponseContext{StatusCode: int(n),
				ExecutedVersion: c.str(w.ExecutedVersion, p+"executedVersion"),
				FunctionError:   c.str(w.FunctionError, p+"functionError")}
		}
	}
	kinesis, ddb := d.KinesisBatchInfo.given(), d.DDBStreamBatchInfo.given()
	switch {
	case kinesis && ddb:
		c.failf("DDBStreamBatchInfo", "a record holds either KinesisBatchInfo or DDBStreamBatchInfo, not both")
	case kinesis:
		r.KinesisBatchInfo = c.batchInfo(&d.KinesisBatchInfo, "KinesisBatchInfo", StreamTypeKinesis)
	case ddb:
		r.DDBStreamBatchInfo = c.batchInfo(&d.DDBStreamBatchInfo, "DDBStreamBatchInfo", StreamTypeDynamoDB)
	case d.DDBStreamBatchInfo.set:
		c.failf("DDBStreamBatchInfo", "must be an object, got null")
	default:
		c.failf("KinesisBatchInfo", "must be an object, got null")
	}
	if d.Payload != nil && c.err == nil {
		c.fail(checkPayload(d.Payload, r.StreamType()))
		r.Payload = d.Payload
	}
	if c.err != nil {
		return nil, c.err
	}
	return &r, nil
}

func (c *check) batchInfo(o *obj[wireBatchInfo], p string, want StreamType) *BatchInfo {
	w := o.get(c, p)
	if w == nil {
		return nil
	}
	b := BatchInfo{ShardID: c.reqStr(w.ShardID, p+".shardId")}
	if c.err == nil && !validName(b.ShardID, 1, 128) {
		c.failf(p+".shardId", "must be a shard ID (1 to 128 characters of a-z A-Z 0-9 _ . -), got "+quote(b.ShardID))
	}
	b.StartSequenceNumber = c.seq(w.StartSequenceNumber, p+".startSequenceNumber")
	b.EndSequenceNumber = c.seq(w.EndSequenceNumber, p+".endSequenceNumber")
	if c.err == nil && compareDecimal(b.EndSequenceNumber, b.StartSequenceNumber) < 0 {
		c.failf(p+".endSequenceNumber", "must not be below startSequenceNumber "+
			quote(b.StartSequenceNumber)+", got "+quote(b.EndSequenceNumber))
	}
	b.ApproximateArrivalOfFirstRecord = c.time(w.ApproximateArrivalOfFirstRecord, p+".approximateArrivalOfFirstRecord")
	b.ApproximateArrivalOfLastRecord = c.time(w.ApproximateArrivalOfLastRecord, p+".approximateArrivalOfLastRecord")
	n := c.reqInt(w.BatchSize, p+".batchSize")
	if c.err == nil && (n <= 0 || int64(int(n)) != n) {
		c.failf(p+".batchSize", "must be a positive integer, got "+describe(w.BatchSize))
	}
	b.BatchSize = int(n)
	b.StreamARN = c.reqStr(w.StreamARN, p+".streamArn")
	if c.err != nil {
		return nil
	}
	a, reason := parseStreamARN(b.StreamARN)
	if reason == "" && a.Type != want {
		reason = "must be " + arnKindFor(want)
	}
	if reason != "" {
		c.failf(p+".streamArn", reason+", got "+quote(b.StreamARN))
		return nil
	}
	b.Source = a
	return &b
}

func arnKindFor(t StreamType) string {
	if t == StreamTypeKinesis {
		return "a Kinesis stream or stream consumer ARN"
	}
	return "a DynamoDB stream ARN"
}

// checkPayload checks that each payload record is an event record of the
// batch's stream type with a decimal sequence number: the number is the
// record's identity in what gets published. Whether the records are the
// failed batch (within [start, end], of its shard and stream, each once) is
// checked by internal/hydrate, which refuses the object when they are not and
// reads back from the stream what the payload lacks.
func checkPayload(p *Payload, t StreamType) *FieldError {
	if p.Records == nil {
		return missing("payload.Records")
	}
	for i, raw := range p.Records {
		// Paths are built only on error: objects hold up to 10,000 records.
		path := func(s string) string { return "payload.Records[" + strconv.Itoa(i) + "]" + s }
		if kind(raw) != "object" {
			return fieldErr(path(""), "must be an object, got "+describe(raw))
		}
		var w wirePayloadRecord
		if err := json.Unmarshal(raw, &w); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return &FieldError{Path: path("." + te.Field), Reason: "must be an object, got " + te.Value, Err: err}
			}
			return &FieldError{Path: path(""), Reason: "invalid record: " + err.Error(), Err: err}
		}
		var seq json.RawMessage
		var field string
		switch {
		case t == StreamTypeKinesis && w.Kinesis == nil:
			return fieldErr(path(".kinesis"), "missing: a Kinesis batch holds Kinesis event records")
		case t == StreamTypeKinesis:
			seq, field = w.Kinesis.SequenceNumber, ".kinesis.sequenceNumber"
		case w.DynamoDB == nil:
			return fieldErr(path(".dynamodb"), "missing: a DynamoDB batch holds DynamoDB event records")
		default:
			seq, field = w.DynamoDB.SequenceNumber, ".dynamodb.SequenceNumber"
		}
		var c check
		if c.seq(seq, ""); c.err != nil {
			fe := c.err.(*FieldError)
			fe.Path = path(field)
			return fe
		}
	}
	return nil
}
