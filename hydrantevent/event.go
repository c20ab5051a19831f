// Package hydrantevent holds the events Hydrant puts on the EventBridge bus, as plain Go types
// for consumers: RecordHydrated (one failed stream record, with its data) and
// RecordHydrationFailed (records that could not be recovered, with the reason).
//
// The JSON Schema files in package schemas are the contract (schemas/README.md is the field
// reference, with the identity, offload and versioning rules); these types follow them field
// for field, and a test keeps the two in agreement. Parse validates an event against the
// schema before decoding it.
package hydrantevent

import (
	"encoding/json"
	"fmt"
	"time"
)

// Detail types and the default source of Hydrant's events.
const (
	DetailTypeRecordHydrated        = "RecordHydrated"
	DetailTypeRecordHydrationFailed = "RecordHydrationFailed"

	// DefaultSource is the event source unless the deployment configures another
	// (EventBridge refuses sources that start with "aws.").
	DefaultSource = "hydrant"

	// SchemaVersion is the detail.schemaVersion of the events these types describe:
	// "<major>.<minor>". A minor version only adds what older readers can ignore; a new major
	// version is published beside the old one (see schemas/README.md).
	SchemaVersion = "1.0"
)

// Stream types (detail.streamType).
const (
	StreamTypeKinesis  = "kinesis"
	StreamTypeDynamoDB = "dynamodb"
)

// On-failure destinations the failure record came through (detail.failure.destination).
const (
	DestinationSQS = "sqs"
	DestinationSNS = "sns"
	DestinationS3  = "s3"
)

// DynamoDB event names (detail.dynamodb.eventName).
const (
	EventNameInsert = "INSERT"
	EventNameModify = "MODIFY"
	EventNameRemove = "REMOVE"
)

// DynamoDB stream view types (detail.dynamodb.streamViewType).
const (
	StreamViewKeysOnly        = "KEYS_ONLY"
	StreamViewNewImage        = "NEW_IMAGE"
	StreamViewOldImage        = "OLD_IMAGE"
	StreamViewNewAndOldImages = "NEW_AND_OLD_IMAGES"
)

// Reasons a record could not be recovered (RecordHydrationFailed.Reason). The set is closed
// for schema major version 1: a cause without a value of its own is reported as ReasonOther,
// with the specifics in Message.
const (
	ReasonTrimmed        = "trimmed"          // past the stream's retention period
	ReasonStreamNotFound = "stream-not-found" // the stream, or the table with its stream, was deleted
	ReasonShardNotFound  = "shard-not-found"  // the shard is unknown to the stream
	// ReasonAccessDenied and ReasonKMSUnavailable are no longer emitted: a read refused by IAM
	// or KMS fails its intake message back to SQS (then the intake DLQ) while the records wait
	// in the stream. They stay in the closed set of major version 1.
	ReasonAccessDenied     = "access-denied"     // IAM or KMS refused the read
	ReasonKMSUnavailable   = "kms-unavailable"   // the stream's KMS key is disabled, missing or not usable
	ReasonNotFound         = "not-found"         // the stream is readable but the records are not in it
	ReasonCorruptAggregate = "corrupt-aggregate" // a KPL aggregate that does not decode; its raw bytes are carried
	ReasonOther            = "other"
)

// Event is an EventBridge event as delivered to targets: the envelope with a Hydrant detail.
// Detail is *RecordHydrated or *RecordHydrationFailed, chosen by DetailType.
//
// Event implements json.Unmarshaler (so it can be a Lambda handler's input type); that decodes
// without checking the schema. Parse checks it too.
type Event struct {
	Version    string    `json:"version"`
	ID         string    `json:"id"`
	DetailType string    `json:"detail-type"`
	Source     string    `json:"source"`
	Account    string    `json:"account"`
	Time       time.Time `json:"time"`
	Region     string    `json:"region"`
	Resources  []string  `json:"resources"`
	Detail     Detail    `json:"detail"`
}

// Detail is the detail of a Hydrant event: *RecordHydrated or *RecordHydrationFailed.
// Use a type switch to tell them apart.
type Detail interface {
	// DetailType is the event's detail-type for this detail.
	DetailType() string
	isDetail()
}

// RecordHydrated is the detail of a RecordHydrated event: one record of a batch that a Lambda
// event source mapping gave up on, read back from the stream (or from the S3 on-failure
// object), with the failure that sent it.
type RecordHydrated struct {
	SchemaVersion string `json:"schemaVersion"`
	// EventID is the record's deterministic identity (see EventID): the same record hydrated
	// twice, by a retry or a redelivered failure message, has the same EventID.
	EventID        string `json:"eventId"`
	StreamARN      string `json:"streamArn"`
	StreamType     string `json:"streamType"`
	ShardID        string `json:"shardId"`
	SequenceNumber string `json:"sequenceNumber"`
	// SubSequenceNumber is set for a user record of a KPL aggregate: its index in the
	// aggregate, which shares SequenceNumber with its siblings.
	SubSequenceNumber *int64         `json:"subSequenceNumber,omitempty"`
	Failure           FailureContext `json:"failure"`
	// Kinesis is set when StreamType is "kinesis", DynamoDB when it is "dynamodb".
	Kinesis  *KinesisRecord  `json:"kinesis,omitempty"`
	DynamoDB *DynamoDBRecord `json:"dynamodb,omitempty"`
	// Offload is set when the record was too large for an event: the data (Kinesis.Data and
	// DataJSON, or the DynamoDB images) is then left out and stored in S3 (see Offload).
	Offload *Offload `json:"offload,omitempty"`
}

// RecordHydrationFailed is the detail of a RecordHydrationFailed event: a run of records of
// a failed batch that could not be recovered, and why.
type RecordHydrationFailed struct {
	SchemaVersion string `json:"schemaVersion"`
	// EventID is the deterministic identity of this failure (see MissingEventID).
	EventID    string         `json:"eventId"`
	StreamARN  string         `json:"streamArn"`
	StreamType string         `json:"streamType"`
	ShardID    string         `json:"shardId"`
	Missing    MissingRange   `json:"missing"`
	Reason     string         `json:"reason"`
	Message    string         `json:"message"`
	Failure    FailureContext `json:"failure"`
	// Kinesis carries the record as read when it was read but could not be decoded (a corrupt
	// KPL aggregate): its raw bytes are kept, not dropped.
	Kinesis *KinesisRecord `json:"kinesis,omitempty"`
	// Offload is set when that raw record was too large for an event.
	Offload *Offload `json:"offload,omitempty"`
}

// FailureContext is what the event source mapping's on-failure record said about the batch.
type FailureContext struct {
	// Condition is AWS's reason for giving up, e.g. "RetryAttemptsExhausted" or
	// "RecordAgeExceeded"; AWS publishes no complete list, so it is an open string.
	Condition              string    `json:"condition"`
	FunctionARN            string    `json:"functionArn"`
	RequestID              string    `json:"requestId"`
	ApproximateInvokeCount int       `json:"approximateInvokeCount"`
	Timestamp              time.Time `json:"timestamp"`
	// Destination is the on-failure destination the record came through ("sqs", "sns",
	// "s3"); empty when the record was handed to Hydrant directly.
	Destination string `json:"destination,omitempty"`
	// Response is the function's response context; nil when the on-failure record has none
	// (the function was not invoked to completion, e.g. RecordAgeExceeded).
	Response                        *FunctionResponse `json:"response,omitempty"`
	StartSequenceNumber             string            `json:"startSequenceNumber"`
	EndSequenceNumber               string            `json:"endSequenceNumber"`
	BatchSize                       int               `json:"batchSize"`
	ApproximateArrivalOfFirstRecord time.Time         `json:"approximateArrivalOfFirstRecord,omitzero"`
	ApproximateArrivalOfLastRecord  time.Time         `json:"approximateArrivalOfLastRecord,omitzero"`
}

// FunctionResponse is the on-failure record's responseContext.
type FunctionResponse struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	// FunctionError is "Unhandled" (or another error type) when the function failed, and nil
	// (JSON null) when it reported batch item failures instead.
	FunctionError *string `json:"functionError"`
}

// KinesisRecord is a Kinesis data record (for a KPL aggregate, one of its user records).
type KinesisRecord struct {
	PartitionKey string `json:"partitionKey"`
	// ExplicitHashKey is set when the producer gave one (KPL user records may carry their own).
	ExplicitHashKey             string    `json:"explicitHashKey,omitempty"`
	ApproximateArrivalTimestamp time.Time `json:"approximateArrivalTimestamp"`
	// Data is the record's exact bytes (base64 in JSON). It is nil when the record is
	// offloaded; an empty record has a non-nil empty Data.
	Data []byte `json:"data,omitzero"`
	// DataJSON is Data itself when Data is a JSON object or array (see DataJSON), so rules can
	// match inside it; absent otherwise, and when offloaded.
	DataJSON json.RawMessage `json:"dataJson,omitempty"`
}

// DynamoDBRecord is a DynamoDB Streams record with its images as plain JSON: S as strings,
// N as JSON numbers with their exact digits, B as base64 strings, BOOL, NULL as null, SS/NS/BS
// and L as arrays, M as objects. They are kept raw so they decode into the consumer's own types.
type DynamoDBRecord struct {
	EventID   string          `json:"eventID"`
	EventName string          `json:"eventName"`
	Keys      json.RawMessage `json:"keys"`
	// NewImage and OldImage are present as the stream view type provides them, and left out
	// when the record is offloaded.
	NewImage                    json.RawMessage `json:"newImage,omitempty"`
	OldImage                    json.RawMessage `json:"oldImage,omitempty"`
	ApproximateCreationDateTime time.Time       `json:"approximateCreationDateTime"`
	StreamViewType              string          `json:"streamViewType"`
	SizeBytes                   int64           `json:"sizeBytes"`
}

// Offload locates a record stored in S3 because it was too large for an event (a claim
// check). For a Kinesis record the object holds the record's exact data bytes; for a
// DynamoDB record it holds the JSON of the detail's "dynamodb" object, images included.
// SHA256 is the lowercase hex digest of the object's bytes and Size their number.
type Offload struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// MissingRange is the run of records that could not be recovered, inclusive. A single record
// has StartSequenceNumber == EndSequenceNumber and Count 1.
type MissingRange struct {
	StartSequenceNumber string `json:"startSequenceNumber"`
	EndSequenceNumber   string `json:"endSequenceNumber"`
	// Count is the number of records missing (for a range, as far as it can be known: the
	// batch size less the records recovered from it).
	Count int `json:"count"`
}

// DetailType returns DetailTypeRecordHydrated.
func (*RecordHydrated) DetailType() string { return DetailTypeRecordHydrated }
func (*RecordHydrated) isDetail()          {}

// DetailType returns DetailTypeRecordHydrationFailed.
func (*RecordHydrationFailed) DetailType() string { return DetailTypeRecordHydrationFailed }
func (*RecordHydrationFailed) isDetail()          {}

// IsOffloaded reports whether the record's data is in S3 rather than in the event.
func (d *RecordHydrated) IsOffloaded() bool { return d.Offload != nil }

// UnmarshalJSON decodes the envelope and the detail type its detail-type names. It does not
// check the schema; Parse does.
func (e *Event) UnmarshalJSON(data []byte) error {
	type envelope Event // no methods: no recursion
	var raw struct {
		envelope
		Detail json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	var d Detail
	switch raw.DetailType {
	case DetailTypeRecordHydrated:
		d = new(RecordHydrated)
	case DetailTypeRecordHydrationFailed:
		d = new(RecordHydrationFailed)
	default:
		return fmt.Errorf("decode event %s: detail-type %q is not a Hydrant event", raw.ID, raw.DetailType)
	}
	if len(raw.Detail) == 0 {
		return fmt.Errorf("decode event %s: detail is missing", raw.ID)
	}
	if err := json.Unmarshal(raw.Detail, d); err != nil {
		return fmt.Errorf("decode event %s detail: %w", raw.ID, err)
	}
	*e = Event(raw.envelope)
	e.Detail = d
	return nil
}
