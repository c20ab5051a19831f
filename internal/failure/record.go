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

// The wire types hold fields raw, so that each can be checked with its own
// path.
type wireRequestContext struct {
	RequestID              json.RawMessage `json:"requestId"`
	FunctionARN            json.RawMessage `json:"functionArn"`
	Condition              json.RawMessage `json:"condition"`
	ApproximateInvokeCount json.RawMessage `json:"approximateInvokeCount"`
}

type wireResponseContext struct {
	StatusCode      json.RawMessage `json:"statusCode"`
	ExecutedVersion json.RawMessage `json:"executedVersion"`
	FunctionError   json.RawMessage `json:"functionError"`
}

type wireBatchInfo struct {
	ShardID                         json.RawMessage `json:"shardId"`
	StartSequenceNumber             json.RawMessage `json:"startSequenceNumber"`
	EndSequenceNumber               json.RawMessage `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord json.RawMessage `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  json.RawMessage `json:"approximateArrivalOfLastRecord"`
	BatchSize                       json.RawMessage `json:"batchSize"`
	StreamARN                       json.RawMessage `json:"streamArn"`
}

// wirePayloadRecord is the one field of a payload record Parse checks: its
// sequence number, which must lie in the batch's range.
type wirePayloadRecord struct {
	Kinesis *struct {
		SequenceNumber json.RawMessage `json:"sequenceNumber"`
	} `json:"kinesis"`
	DynamoDB *struct {
		SequenceNumber json.RawMessage `json:"SequenceNumber"`
	} `json:"dynamodb"`
}

// parseRecord builds a Record from a decoded document whose batch info is present.
func parseRecord(d *document) (*Record, error) {
	var r Record
	var err error
	if r.Version, err = optionalString(d.Version, "version"); err != nil {
		return nil, err
	}
	if r.Timestamp, err = optionalTime(d.Timestamp, "timestamp"); err != nil {
		return nil, err
	}
	if given(d.RequestContext) {
		if err := parseRequestContext(d.RequestContext, &r.RequestContext); err != nil {
			return nil, err
		}
	}
	if given(d.ResponseContext) {
		r.ResponseContext = new(ResponseContext)
		if err := parseResponseContext(d.ResponseContext, r.ResponseContext); err != nil {
			return nil, err
		}
	}
	kinesis, ddb := given(d.KinesisBatchInfo), given(d.DDBStreamBatchInfo)
	switch {
	case kinesis && ddb:
		return nil, fieldErr("DDBStreamBatchInfo", "a record holds either KinesisBatchInfo or DDBStreamBatchInfo, not both")
	case kinesis:
		if r.KinesisBatchInfo, err = parseBatchInfo(d.KinesisBatchInfo, "KinesisBatchInfo", StreamTypeKinesis); err != nil {
			return nil, err
		}
	case ddb:
		if r.DDBStreamBatchInfo, err = parseBatchInfo(d.DDBStreamBatchInfo, "DDBStreamBatchInfo", StreamTypeDynamoDB); err != nil {
			return nil, err
		}
	default:
		name := "KinesisBatchInfo"
		if d.DDBStreamBatchInfo != nil {
			name = "DDBStreamBatchInfo"
		}
		return nil, fieldErr(name, "must be an object, got null")
	}
	if d.Payload != nil {
		if err := checkPayload(d.Payload, r.StreamType()); err != nil {
			return nil, err
		}
		r.Payload = d.Payload
	}
	return &r, nil
}

func parseRequestContext(raw json.RawMessage, rc *RequestContext) error {
	const p = "requestContext"
	var w wireRequestContext
	if err := decodeObject(raw, p, &w); err != nil {
		return err
	}
	var err error
	if rc.RequestID, err = optionalString(w.RequestID, p+".requestId"); err != nil {
		return err
	}
	if rc.FunctionARN, err = optionalString(w.FunctionARN, p+".functionArn"); err != nil {
		return err
	}
	if rc.Condition, err = optionalString(w.Condition, p+".condition"); err != nil {
		return err
	}
	n, err := optionalInt(w.ApproximateInvokeCount, p+".approximateInvokeCount")
	if err != nil {
		return err
	}
	if n < 0 || int64(int(n)) != n {
		return fieldErr(p+".approximateInvokeCount", "must not be negative, got "+describe(w.ApproximateInvokeCount))
	}
	rc.ApproximateInvokeCount = int(n)
	return nil
}

func parseResponseContext(raw json.RawMessage, rc *ResponseContext) error {
	const p = "responseContext"
	var w wireResponseContext
	if err := decodeObject(raw, p, &w); err != nil {
		return err
	}
	n, err := optionalInt(w.StatusCode, p+".statusCode")
	if err != nil {
		return err
	}
	if n < 0 || n > 999 {
		return fieldErr(p+".statusCode", "must be an HTTP status code, got "+describe(w.StatusCode))
	}
	rc.StatusCode = int(n)
	if rc.ExecutedVersion, err = optionalString(w.ExecutedVersion, p+".executedVersion"); err != nil {
		return err
	}
	// null when the function reported a partial batch failure.
	if rc.FunctionError, err = optionalString(w.FunctionError, p+".functionError"); err != nil {
		return err
	}
	return nil
}

func parseBatchInfo(raw json.RawMessage, p string, want StreamType) (*BatchInfo, error) {
	var w wireBatchInfo
	if err := decodeObject(raw, p, &w); err != nil {
		return nil, err
	}
	var b BatchInfo
	var err error
	if b.ShardID, err = requiredString(w.ShardID, p+".shardId"); err != nil {
		return nil, err
	}
	if !validName(b.ShardID, 1, 128) {
		return nil, fieldErr(p+".shardId", "must be a shard ID (1 to 128 characters of a-z A-Z 0-9 _ . -), got "+quote(b.ShardID))
	}
	if b.StartSequenceNumber, err = requiredSequence(w.StartSequenceNumber, p+".startSequenceNumber"); err != nil {
		return nil, err
	}
	if b.EndSequenceNumber, err = requiredSequence(w.EndSequenceNumber, p+".endSequenceNumber"); err != nil {
		return nil, err
	}
	if compareDecimal(b.EndSequenceNumber, b.StartSequenceNumber) < 0 {
		return nil, fieldErr(p+".endSequenceNumber", "must not be below startSequenceNumber "+
			quote(b.StartSequenceNumber)+", got "+quote(b.EndSequenceNumber))
	}
	if b.ApproximateArrivalOfFirstRecord, err = optionalTime(w.ApproximateArrivalOfFirstRecord, p+".approximateArrivalOfFirstRecord"); err != nil {
		return nil, err
	}
	if b.ApproximateArrivalOfLastRecord, err = optionalTime(w.ApproximateArrivalOfLastRecord, p+".approximateArrivalOfLastRecord"); err != nil {
		return nil, err
	}
	n, err := requiredInt(w.BatchSize, p+".batchSize")
	if err != nil {
		return nil, err
	}
	if n <= 0 || int64(int(n)) != n {
		return nil, fieldErr(p+".batchSize", "must be a positive integer, got "+describe(w.BatchSize))
	}
	b.BatchSize = int(n)
	if b.StreamARN, err = requiredString(w.StreamARN, p+".streamArn"); err != nil {
		return nil, err
	}
	a, reason := parseStreamARN(b.StreamARN)
	if reason != "" {
		return nil, fieldErr(p+".streamArn", reason+", got "+quote(b.StreamARN))
	}
	if a.Type != want {
		return nil, fieldErr(p+".streamArn", "must be "+arnKindFor(want)+", got "+quote(b.StreamARN))
	}
	b.Source = a
	return &b, nil
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
func checkPayload(p *Payload, t StreamType) error {
	if p.Records == nil {
		return missing("payload.Records")
	}
	for i, raw := range p.Records {
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
		switch t {
		case StreamTypeKinesis:
			if w.Kinesis == nil {
				return fieldErr(path(".kinesis"), "missing: a Kinesis batch holds Kinesis event records")
			}
			seq, field = w.Kinesis.SequenceNumber, ".kinesis.sequenceNumber"
		default:
			if w.DynamoDB == nil {
				return fieldErr(path(".dynamodb"), "missing: a DynamoDB batch holds DynamoDB event records")
			}
			seq, field = w.DynamoDB.SequenceNumber, ".dynamodb.SequenceNumber"
		}
		// The path is built only on error: objects hold up to 10,000 records.
		if _, err := requiredSequence(seq, ""); err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				fe.Path = path(field)
			}
			return err
		}
	}
	return nil
}
