package failure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Destination is the kind of on-failure destination a failure came through.
type Destination string

const (
	DestinationSQS Destination = "sqs"
	DestinationSNS Destination = "sns"
	DestinationS3  Destination = "s3"
)

// Message is what one intake message holds. Exactly one of Record, Objects
// and TestEvent is set.
type Message struct {
	Destination Destination `json:"destination"`

	// Record is the invocation record, when the message carries it (SQS and
	// SNS destinations, or an S3 on-failure object given directly).
	Record *Record `json:"record,omitempty"`
	// Objects are the S3 on-failure objects an S3 event notification points
	// at; fetch each and parse it with ParseObject.
	Objects []ObjectRef `json:"objects,omitempty"`
	// TestEvent is set for the s3:TestEvent S3 sends when a bucket
	// notification is configured: acknowledge it, there is nothing to hydrate.
	TestEvent *TestEvent `json:"testEvent,omitempty"`

	// SNSMessageID and SNSTopicARN identify the SNS notification the message
	// came in, if any (for logs).
	SNSMessageID string `json:"snsMessageId,omitempty"`
	SNSTopicARN  string `json:"snsTopicArn,omitempty"`
	// SQSMessageID is set when the input was an SQS message wrapping the body.
	SQSMessageID string `json:"sqsMessageId,omitempty"`
	// SenderID is the intake message's SenderId system attribute, set by the caller that
	// received it (never parsed from the body, which the sender wrote): who sent it to SQS.
	SenderID string `json:"senderId,omitempty"`
}

// ObjectRef is an object named by an S3 event notification.
type ObjectRef struct {
	Bucket string `json:"bucket"`
	// Key is URL-decoded: notifications encode keys as HTML forms do, with
	// '+' for a space.
	Key       string `json:"key"`
	Size      int64  `json:"size"`
	VersionID string `json:"versionId,omitempty"`
	ETag      string `json:"eTag,omitempty"`
	Sequencer string `json:"sequencer,omitempty"`
	EventName string `json:"eventName"`
	Region    string `json:"awsRegion,omitempty"`
}

// TestEvent is S3's s3:TestEvent notification.
type TestEvent struct {
	Service   string `json:"Service"`
	Event     string `json:"Event"`
	Bucket    string `json:"Bucket"`
	Time      string `json:"Time,omitempty"`
	RequestID string `json:"RequestId,omitempty"`
	HostID    string `json:"HostId,omitempty"`
}

// document holds every top-level field Parse dispatches on, whatever the
// shape. encoding/json matches names case-insensitively, so one field
// covers spellings that differ only in case across shapes (the SQS
// message's "messageId" and the SNS "MessageId", the record's "timestamp"
// and the SNS "Timestamp"); each shape reads only its own.
type document struct {
	// Invocation record.
	Version            json.RawMessage `json:"version"`
	Timestamp          json.RawMessage `json:"timestamp"`
	RequestContext     json.RawMessage `json:"requestContext"`
	ResponseContext    json.RawMessage `json:"responseContext"`
	KinesisBatchInfo   json.RawMessage `json:"KinesisBatchInfo"`
	DDBStreamBatchInfo json.RawMessage `json:"DDBStreamBatchInfo"`
	// Payload is decoded in place so that a large S3 object is copied once.
	Payload *Payload `json:"payload"`

	// SNS notification: the envelope an SQS subscription receives, or the
	// Sns entity of a Lambda SNS event record.
	Type      json.RawMessage `json:"Type"`
	MessageID json.RawMessage `json:"MessageId"`
	TopicArn  json.RawMessage `json:"TopicArn"`
	Message   json.RawMessage `json:"Message"`

	// Lambda events (SNS, SQS) and S3 event notifications.
	Records []json.RawMessage `json:"Records"`

	// s3:TestEvent.
	Service   json.RawMessage `json:"Service"`
	Event     json.RawMessage `json:"Event"`
	Bucket    json.RawMessage `json:"Bucket"`
	Time      json.RawMessage `json:"Time"`
	RequestID json.RawMessage `json:"RequestId"`
	HostID    json.RawMessage `json:"HostId"`

	// SQS message: events.SQSMessage ("body") or the SQS API's Message ("Body").
	Body json.RawMessage `json:"body"`

	// `aws sqs receive-message` output.
	Messages []json.RawMessage `json:"Messages"`
}

// eventRecord is one element of a Lambda event's or an S3 notification's Records.
type eventRecord struct {
	EventSource json.RawMessage `json:"eventSource"` // SNS spells it EventSource
	EventName   json.RawMessage `json:"eventName"`
	AWSRegion   json.RawMessage `json:"awsRegion"`
	SNS         json.RawMessage `json:"Sns"`
	S3          json.RawMessage `json:"s3"`
	Body        json.RawMessage `json:"body"`
	MessageID   json.RawMessage `json:"messageId"`
}

type s3Entity struct {
	Bucket json.RawMessage `json:"bucket"`
	Object json.RawMessage `json:"object"`
}

type s3Bucket struct {
	Name json.RawMessage `json:"name"`
}

type s3Object struct {
	Key       json.RawMessage `json:"key"`
	Size      json.RawMessage `json:"size"`
	VersionID json.RawMessage `json:"versionId"`
	ETag      json.RawMessage `json:"eTag"`
	Sequencer json.RawMessage `json:"sequencer"`
}

// Parse parses one intake message in any of the shapes described in the
// package documentation. Every error wraps a *FieldError.
func Parse(data []byte) (Message, error) {
	var p parser
	if err := p.parse(data); err != nil {
		return Message{}, err
	}
	return p.msg, nil
}

// ParseObject parses an S3 on-failure object: the invocation record with its
// payload of Lambda event records. An object without a payload is accepted
// (its batch is then read back from the stream); envelopes are not.
func ParseObject(data []byte) (*Record, error) {
	d, err := decodeDocument(data)
	if err != nil {
		return nil, err
	}
	if d.KinesisBatchInfo == nil && d.DDBStreamBatchInfo == nil {
		return nil, fieldErr("", "not an on-failure invocation record: neither KinesisBatchInfo nor DDBStreamBatchInfo is present")
	}
	return parseRecord(&d)
}

// parser unwraps envelopes one layer at a time. Each envelope kind may occur
// once, outermost first: SQS message, then SNS notification, then the
// content (a record, an S3 notification, an S3 test event).
type parser struct {
	msg          Message
	inSQS, inSNS bool
}

func decodeDocument(data []byte) (document, error) {
	var d document
	// A byte order mark is what an editor may leave at the start of a
	// hand-saved CLI file; it is not part of the JSON.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return d, fieldErr("", "empty input: expected a JSON object")
	}
	if trimmed[0] != '{' {
		if !json.Valid(trimmed) {
			return d, fieldErr("", "invalid JSON: expected a JSON object")
		}
		return d, fieldErr("", "must be a JSON object, got "+kind(trimmed))
	}
	if err := json.Unmarshal(data, &d); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return d, &FieldError{Reason: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err), Err: err}
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			// Only payload, payload.Records, Records and Messages have
			// types other than json.RawMessage.
			want := "an array"
			if te.Field == "payload" {
				want = "an object"
			}
			return d, &FieldError{Path: te.Field, Reason: "must be " + want + ", got " + te.Value, Err: err}
		}
		return d, &FieldError{Reason: "invalid JSON: " + err.Error(), Err: err}
	}
	return d, nil
}

func (p *parser) parse(data []byte) error {
	d, err := decodeDocument(data)
	if err != nil {
		return err
	}
	switch {
	case d.KinesisBatchInfo != nil || d.DDBStreamBatchInfo != nil:
		r, err := parseRecord(&d)
		if err != nil {
			return err
		}
		p.msg.Record = r
		if p.msg.Destination == "" {
			p.msg.Destination = DestinationSQS
			if r.Payload != nil {
				p.msg.Destination = DestinationS3
			}
		}
		return nil
	case d.Records != nil:
		return p.parseEventRecords(d.Records)
	case d.Type != nil || (d.Message != nil && d.TopicArn != nil):
		return p.parseSNS(&d, "")
	case d.Event != nil:
		return p.parseTestEvent(&d)
	case d.Body != nil:
		return p.parseSQS(d.Body, d.MessageID, "body", "messageId")
	case d.Messages != nil:
		if len(d.Messages) != 1 {
			return fieldErr("Messages", "must hold exactly one SQS message, got "+strconv.Itoa(len(d.Messages)))
		}
		var m struct {
			Body      json.RawMessage `json:"Body"`
			MessageID json.RawMessage `json:"MessageId"`
		}
		if err := decodeObject(d.Messages[0], "Messages[0]", &m); err != nil {
			return err
		}
		if m.Body == nil {
			return missing("Messages[0].Body")
		}
		return p.parseSQS(m.Body, m.MessageID, "Messages[0].Body", "Messages[0].MessageId")
	}
	return fieldErr("", "not a failure record or a known envelope: found none of KinesisBatchInfo, "+
		"DDBStreamBatchInfo, an SNS notification (Type, Message), Records (S3 notification, Lambda SNS or SQS event), "+
		"an S3 test event (Event) or an SQS message (body)")
}

// inner returns the content of an envelope field that holds JSON: a string
// as AWS sends it, or, for hand-edited input, the JSON value itself.
func inner(raw json.RawMessage, path string) ([]byte, error) {
	switch kind(raw) {
	case "string":
		s, err := decodeString(raw, path)
		if err != nil {
			return nil, err
		}
		return []byte(s), nil
	case "object":
		return raw, nil
	}
	return nil, fieldErr(path, "must be a string holding JSON, got "+describe(raw))
}

func (p *parser) parseSQS(body, messageID json.RawMessage, bodyPath, idPath string) error {
	if p.inSQS || p.inSNS {
		return fieldErr(bodyPath, "an SQS message cannot be nested in another envelope")
	}
	p.inSQS = true
	id, err := optionalString(messageID, idPath)
	if err != nil {
		return err
	}
	p.msg.SQSMessageID = id
	content, err := inner(body, bodyPath)
	if err != nil {
		return err
	}
	if err := p.parse(content); err != nil {
		return fmt.Errorf("SQS message %s body: %w", orUnknown(id), err)
	}
	return nil
}

func (p *parser) parseSNS(d *document, prefix string) error {
	if p.inSNS {
		return fieldErr(prefix+"Message", "an SNS notification cannot be nested in another")
	}
	p.inSNS = true
	typ, err := optionalString(d.Type, prefix+"Type")
	if err != nil {
		return err
	}
	if typ != "" && typ != "Notification" {
		return fieldErr(prefix+"Type", "must be \"Notification\", got "+quote(typ)+": only notifications carry failure records")
	}
	if p.msg.SNSMessageID, err = optionalString(d.MessageID, prefix+"MessageId"); err != nil {
		return err
	}
	if p.msg.SNSTopicARN, err = optionalString(d.TopicArn, prefix+"TopicArn"); err != nil {
		return err
	}
	if d.Message == nil {
		return missing(prefix + "Message")
	}
	content, err := inner(d.Message, prefix+"Message")
	if err != nil {
		return err
	}
	p.msg.Destination = DestinationSNS
	if err := p.parse(content); err != nil {
		return fmt.Errorf("SNS notification %s Message: %w", orUnknown(p.msg.SNSMessageID), err)
	}
	return nil
}

func orUnknown(id string) string {
	if id == "" {
		return "(no id)"
	}
	return id
}

func (p *parser) parseTestEvent(d *document) error {
	ev, err := requiredString(d.Event, "Event")
	if err != nil {
		return err
	}
	if ev != "s3:TestEvent" {
		return fieldErr("Event", "must be \"s3:TestEvent\" in an S3 test event, got "+quote(ev))
	}
	t := TestEvent{Event: ev}
	for _, f := range []struct {
		raw  json.RawMessage
		name string
		dst  *string
	}{
		{d.Service, "Service", &t.Service},
		{d.Bucket, "Bucket", &t.Bucket},
		{d.Time, "Time", &t.Time},
		{d.RequestID, "RequestId", &t.RequestID},
		{d.HostID, "HostId", &t.HostID},
	} {
		if *f.dst, err = optionalString(f.raw, f.name); err != nil {
			return err
		}
	}
	p.msg.TestEvent = &t
	p.msg.Destination = DestinationS3
	return nil
}

// parseEventRecords handles {"Records":[…]}: an S3 event notification, or a
// Lambda SNS or SQS event with one record.
func (p *parser) parseEventRecords(records []json.RawMessage) error {
	if len(records) == 0 {
		return fieldErr("Records", "must not be empty")
	}
	recs := make([]eventRecord, len(records))
	for i, raw := range records {
		if err := decodeObject(raw, recordPath(i, ""), &recs[i]); err != nil {
			return err
		}
	}
	source, err := eventSource(&recs[0], 0)
	if err != nil {
		return err
	}
	switch source {
	case "aws:s3":
		return p.parseS3Notification(recs)
	case "aws:sns", "aws:sqs":
		if len(recs) != 1 {
			return fieldErr("Records", "a Lambda "+source+" event must hold exactly one record here, got "+strconv.Itoa(len(recs)))
		}
		if source == "aws:sqs" {
			if recs[0].Body == nil {
				return missing("Records[0].body")
			}
			return p.parseSQS(recs[0].Body, recs[0].MessageID, "Records[0].body", "Records[0].messageId")
		}
		if recs[0].SNS == nil {
			return missing("Records[0].Sns")
		}
		var d document
		if err := decodeObject(recs[0].SNS, "Records[0].Sns", &d); err != nil {
			return err
		}
		return p.parseSNS(&d, "Records[0].Sns.")
	case "aws:kinesis", "aws:dynamodb":
		return fieldErr("Records[0].eventSource", "a Lambda "+source+" event is a batch of stream records, not an on-failure record")
	}
	return fieldErr("Records[0].eventSource", "must be aws:s3, aws:sns or aws:sqs, got "+quote(source))
}

// eventSource reads a record's eventSource, or infers it from the record's
// fields when it is absent.
func eventSource(r *eventRecord, i int) (string, error) {
	s, err := optionalString(r.EventSource, recordPath(i, ".eventSource"))
	if err != nil || s != "" {
		return s, err
	}
	switch {
	case r.S3 != nil:
		return "aws:s3", nil
	case r.SNS != nil:
		return "aws:sns", nil
	case r.Body != nil:
		return "aws:sqs", nil
	}
	return "", fieldErr(recordPath(i, ".eventSource"), "missing, and the record has none of s3, Sns, body")
}

func recordPath(i int, rest string) string { return "Records[" + strconv.Itoa(i) + "]" + rest }

func (p *parser) parseS3Notification(recs []eventRecord) error {
	objects := make([]ObjectRef, 0, len(recs))
	for i := range recs {
		r := &recs[i]
		source, err := eventSource(r, i)
		if err != nil {
			return err
		}
		if source != "aws:s3" {
			return fieldErr(recordPath(i, ".eventSource"), "must be aws:s3 like Records[0], got "+quote(source))
		}
		o, err := parseS3Record(r, i)
		if err != nil {
			return err
		}
		objects = append(objects, o)
	}
	p.msg.Objects = objects
	p.msg.Destination = DestinationS3
	return nil
}

func parseS3Record(r *eventRecord, i int) (ObjectRef, error) {
	var o ObjectRef
	var err error
	if o.EventName, err = requiredString(r.EventName, recordPath(i, ".eventName")); err != nil {
		return o, err
	}
	// Lambda writes on-failure objects with PutObject; any creation event
	// (Put, Post, Copy, CompleteMultipartUpload) names an object to read.
	// Anything else means the notification is configured too broadly.
	if !strings.HasPrefix(o.EventName, "ObjectCreated:") {
		return o, fieldErr(recordPath(i, ".eventName"), "must be an ObjectCreated:* event, got "+quote(o.EventName))
	}
	if o.Region, err = optionalString(r.AWSRegion, recordPath(i, ".awsRegion")); err != nil {
		return o, err
	}
	if r.S3 == nil {
		return o, missing(recordPath(i, ".s3"))
	}
	var e s3Entity
	if err := decodeObject(r.S3, recordPath(i, ".s3"), &e); err != nil {
		return o, err
	}
	if e.Bucket == nil {
		return o, missing(recordPath(i, ".s3.bucket"))
	}
	var b s3Bucket
	if err := decodeObject(e.Bucket, recordPath(i, ".s3.bucket"), &b); err != nil {
		return o, err
	}
	if o.Bucket, err = requiredString(b.Name, recordPath(i, ".s3.bucket.name")); err != nil {
		return o, err
	}
	if o.Bucket == "" {
		return o, fieldErr(recordPath(i, ".s3.bucket.name"), "must not be empty")
	}
	if e.Object == nil {
		return o, missing(recordPath(i, ".s3.object"))
	}
	var obj s3Object
	if err := decodeObject(e.Object, recordPath(i, ".s3.object"), &obj); err != nil {
		return o, err
	}
	key, err := requiredString(obj.Key, recordPath(i, ".s3.object.key"))
	if err != nil {
		return o, err
	}
	if o.Key, err = url.QueryUnescape(key); err != nil {
		return o, &FieldError{Path: recordPath(i, ".s3.object.key"), Reason: "must be URL-encoded, got " + quote(key), Err: err}
	}
	if o.Key == "" {
		return o, fieldErr(recordPath(i, ".s3.object.key"), "must not be empty")
	}
	if o.Size, err = optionalInt(obj.Size, recordPath(i, ".s3.object.size")); err != nil {
		return o, err
	}
	if o.Size < 0 {
		return o, fieldErr(recordPath(i, ".s3.object.size"), "must not be negative, got "+describe(obj.Size))
	}
	if o.VersionID, err = optionalString(obj.VersionID, recordPath(i, ".s3.object.versionId")); err != nil {
		return o, err
	}
	if o.ETag, err = optionalString(obj.ETag, recordPath(i, ".s3.object.eTag")); err != nil {
		return o, err
	}
	if o.Sequencer, err = optionalString(obj.Sequencer, recordPath(i, ".s3.object.sequencer")); err != nil {
		return o, err
	}
	return o, nil
}
