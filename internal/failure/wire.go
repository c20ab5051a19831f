package failure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// The wire types mirror the JSON of every shape Parse accepts, with the wire
// names of aws-lambda-go's events types (SNSEntity, S3EventRecord,
// SQSMessage). A document decodes with one json.Unmarshal; leaves stay raw
// and nested objects are obj, so that a value of the wrong type does not stop
// the decoding: the validation step (check) reports it with its field path.

// obj is a JSON value that should be an object, decoded into v when it is one.
type obj[T any] struct {
	set  bool   // present, null included
	desc string // describe() of a value that is not an object ("null" for null)
	v    T
}

func (o *obj[T]) UnmarshalJSON(b []byte) error {
	*o = obj[T]{set: true}
	if kind(b) != "object" {
		o.desc = describe(b)
		return nil
	}
	return json.Unmarshal(b, &o.v)
}

// given reports whether the value is present and not null.
func (o *obj[T]) given() bool { return o.set && o.desc != "null" }

// get returns the object, or nil after failing c if the value is another type.
// The caller has checked that the value is given (or that null is wrong).
func (o *obj[T]) get(c *check, path string) *T {
	if c.err == nil && o.desc != "" {
		c.failf(path, "must be an object, got "+o.desc)
	}
	if c.err != nil {
		return nil
	}
	return &o.v
}

// need is get for a required object: absent is missing.
func (o *obj[T]) need(c *check, path string) *T {
	if c.err == nil && !o.set {
		c.fail(missing(path))
	}
	return o.get(c, path)
}

// document holds every top-level field Parse dispatches on, whatever the
// shape. encoding/json matches names case-insensitively, so one field
// covers spellings that differ only in case across shapes (the SQS
// message's "messageId" and the SNS "MessageId", the record's "timestamp"
// and the SNS "Timestamp"); each shape reads only its own.
type document struct {
	// Invocation record.
	Version            json.RawMessage          `json:"version"`
	Timestamp          json.RawMessage          `json:"timestamp"`
	RequestContext     obj[wireRequestContext]  `json:"requestContext"`
	ResponseContext    obj[wireResponseContext] `json:"responseContext"`
	KinesisBatchInfo   obj[wireBatchInfo]       `json:"KinesisBatchInfo"`
	DDBStreamBatchInfo obj[wireBatchInfo]       `json:"DDBStreamBatchInfo"`
	// Payload is decoded in place so that a large S3 object is copied once.
	Payload *Payload `json:"payload"`

	// SNS notification: the envelope an SQS subscription receives, or the
	// Sns entity of a Lambda SNS event record.
	Type      json.RawMessage `json:"Type"`
	MessageID json.RawMessage `json:"MessageId"`
	TopicArn  json.RawMessage `json:"TopicArn"`
	Message   json.RawMessage `json:"Message"`

	// Lambda events (SNS, SQS) and S3 event notifications.
	Records []obj[eventRecord] `json:"Records"`

	// s3:TestEvent.
	Service   json.RawMessage `json:"Service"`
	Event     json.RawMessage `json:"Event"`
	Bucket    json.RawMessage `json:"Bucket"`
	Time      json.RawMessage `json:"Time"`
	RequestID json.RawMessage `json:"RequestId"`
	HostID    json.RawMessage `json:"HostId"`

	// SQS message: events.SQSMessage ("body").
	Body json.RawMessage `json:"body"`

	// `aws sqs receive-message` output: the SQS API's Message.
	Messages []obj[struct {
		Body      json.RawMessage `json:"Body"`
		MessageID json.RawMessage `json:"MessageId"`
	}] `json:"Messages"`
}

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

// eventRecord is one element of a Lambda event's or an S3 notification's
// Records. Sns stays raw: it is a document of its own, decoded only for an
// aws:sns record.
type eventRecord struct {
	EventSource json.RawMessage `json:"eventSource"` // SNS spells it EventSource
	EventName   json.RawMessage `json:"eventName"`
	AWSRegion   json.RawMessage `json:"awsRegion"`
	SNS         json.RawMessage `json:"Sns"`
	S3          obj[struct {
		Bucket obj[struct {
			Name json.RawMessage `json:"name"`
		}] `json:"bucket"`
		Object obj[struct {
			Key       json.RawMessage `json:"key"`
			Size      json.RawMessage `json:"size"`
			VersionID json.RawMessage `json:"versionId"`
			ETag      json.RawMessage `json:"eTag"`
			Sequencer json.RawMessage `json:"sequencer"`
		}] `json:"object"`
	}] `json:"s3"`
	Body      json.RawMessage `json:"body"`
	MessageID json.RawMessage `json:"messageId"`
}

// wirePayloadRecord is the one field of a payload record Parse checks: its
// sequence number, the record's identity in what gets published.
type wirePayloadRecord struct {
	Kinesis *struct {
		SequenceNumber json.RawMessage `json:"sequenceNumber"`
	} `json:"kinesis"`
	DynamoDB *struct {
		SequenceNumber json.RawMessage `json:"SequenceNumber"`
	} `json:"dynamodb"`
}

// decodeDocument decodes one JSON object: the input, or the content of an
// envelope. Only payload, payload.Records, Records and Messages can fail to
// decode over a value's type; every other field is checked afterwards.
func decodeDocument(data []byte, path string) (*document, error) {
	var d document
	// A byte order mark is what an editor may leave at the start of a
	// hand-saved CLI file; it is not part of the JSON.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return nil, fieldErr(path, "empty input: expected a JSON object")
	case trimmed[0] != '{' && !json.Valid(trimmed):
		return nil, fieldErr(path, "invalid JSON: expected a JSON object")
	case trimmed[0] != '{':
		return nil, fieldErr(path, "must be a JSON object, got "+kind(trimmed))
	}
	err := json.Unmarshal(data, &d)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return &d, nil
	case errors.As(err, &se):
		return nil, &FieldError{Path: path, Reason: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err), Err: err}
	case errors.As(err, &te):
		want := "an array"
		if te.Field == "payload" {
			want = "an object"
		}
		if path != "" {
			return nil, &FieldError{Path: path, Reason: "invalid object: " + err.Error(), Err: err}
		}
		return nil, &FieldError{Path: te.Field, Reason: "must be " + want + ", got " + te.Value, Err: err}
	}
	return nil, &FieldError{Path: path, Reason: "invalid JSON: " + err.Error(), Err: err}
}
