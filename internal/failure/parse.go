package failure

import (
	"encoding/json"
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
	d, err := decodeDocument(data, "")
	if err != nil {
		return nil, err
	}
	if !d.KinesisBatchInfo.set && !d.DDBStreamBatchInfo.set {
		return nil, fieldErr("", "not an on-failure invocation record: neither KinesisBatchInfo nor DDBStreamBatchInfo is present")
	}
	return parseRecord(d)
}

// parser unwraps envelopes one layer at a time. Each envelope kind may occur
// once, outermost first: SQS message, then SNS notification, then the
// content (a record, an S3 notification, an S3 test event).
type parser struct {
	msg          Message
	inSQS, inSNS bool
}

func (p *parser) parse(data []byte) error {
	d, err := decodeDocument(data, "")
	if err != nil {
		return err
	}
	switch {
	case d.KinesisBatchInfo.set || d.DDBStreamBatchInfo.set:
		r, err := parseRecord(d)
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
		return p.parseSNS(d, "")
	case d.Event != nil:
		return p.parseTestEvent(d)
	case d.Body != nil:
		return p.parseSQS(d.Body, d.MessageID, "body", "messageId")
	case d.Messages != nil:
		if len(d.Messages) != 1 {
			return fieldErr("Messages", "must hold exactly one SQS message, got "+strconv.Itoa(len(d.Messages)))
		}
		var c check
		m := d.Messages[0].get(&c, "Messages[0]")
		if c.err == nil && m.Body == nil {
			c.fail(missing("Messages[0].Body"))
		}
		if c.err != nil {
			return c.err
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
	var c check
	if p.msg.SQSMessageID = c.str(messageID, idPath); c.err != nil {
		return c.err
	}
	return p.parseContent(body, bodyPath, "SQS message", p.msg.SQSMessageID, "body")
}

func (p *parser) parseSNS(d *document, prefix string) error {
	if p.inSNS {
		return fieldErr(prefix+"Message", "an SNS notification cannot be nested in another")
	}
	p.inSNS = true
	var c check
	if typ := c.str(d.Type, prefix+"Type"); typ != "" && typ != "Notification" {
		c.failf(prefix+"Type", "must be \"Notification\", got "+quote(typ)+": only notifications carry failure records")
	}
	p.msg.SNSMessageID = c.str(d.MessageID, prefix+"MessageId")
	p.msg.SNSTopicARN = c.str(d.TopicArn, prefix+"TopicArn")
	if c.err == nil && d.Message == nil {
		c.fail(missing(prefix + "Message"))
	}
	if c.err != nil {
		return c.err
	}
	p.msg.Destination = DestinationSNS
	return p.parseContent(d.Message, prefix+"Message", "SNS notification", p.msg.SNSMessageID, "Message")
}

// parseContent parses what an envelope carries (at path, its field named field), naming the
// envelope and its id in the error.
func (p *parser) parseContent(raw json.RawMessage, path, envelope, id, field string) error {
	content, err := inner(raw, path)
	if err != nil {
		return err
	}
	if err := p.parse(content); err != nil {
		if id == "" {
			id = "(no id)"
		}
		return fmt.Errorf("%s %s %s: %w", envelope, id, field, err)
	}
	return nil
}

func (p *parser) parseTestEvent(d *document) error {
	var c check
	t := TestEvent{Event: c.reqStr(d.Event, "Event")}
	if c.err == nil && t.Event != "s3:TestEvent" {
		c.failf("Event", "must be \"s3:TestEvent\" in an S3 test event, got "+quote(t.Event))
	}
	t.Service, t.Bucket, t.Time = c.str(d.Service, "Service"), c.str(d.Bucket, "Bucket"), c.str(d.Time, "Time")
	t.RequestID, t.HostID = c.str(d.RequestID, "RequestId"), c.str(d.HostID, "HostId")
	if c.err != nil {
		return c.err
	}
	p.msg.TestEvent = &t
	p.msg.Destination = DestinationS3
	return nil
}

// parseEventRecords handles {"Records":[…]}: an S3 event notification, or a
// Lambda SNS or SQS event with one record.
func (p *parser) parseEventRecords(records []obj[eventRecord]) error {
	if len(records) == 0 {
		return fieldErr("Records", "must not be empty")
	}
	var c check
	recs := make([]*eventRecord, len(records))
	for i := range records {
		recs[i] = records[i].get(&c, recordPath(i, ""))
	}
	if c.err != nil {
		return c.err
	}
	source := c.eventSource(recs[0], 0)
	if c.err != nil {
		return c.err
	}
	switch source {
	case "aws:s3":
		return p.parseS3Notification(recs)
	case "aws:sns", "aws:sqs":
		if len(recs) != 1 {
			return fieldErr("Records", "a Lambda "+source+" event must hold exactly one record here, got "+strconv.Itoa(len(recs)))
		}
		r := recs[0]
		if source == "aws:sqs" {
			if r.Body == nil {
				return missing("Records[0].body")
			}
			return p.parseSQS(r.Body, r.MessageID, "Records[0].body", "Records[0].messageId")
		}
		if r.SNS == nil {
			return missing("Records[0].Sns")
		}
		if kind(r.SNS) != "object" {
			return fieldErr("Records[0].Sns", "must be an object, got "+describe(r.SNS))
		}
		d, err := decodeDocument(r.SNS, "Records[0].Sns")
		if err != nil {
			return err
		}
		return p.parseSNS(d, "Records[0].Sns.")
	case "aws:kinesis", "aws:dynamodb":
		return fieldErr("Records[0].eventSource", "a Lambda "+source+" event is a batch of stream records, not an on-failure record")
	}
	return fieldErr("Records[0].eventSource", "must be aws:s3, aws:sns or aws:sqs, got "+quote(source))
}

// eventSource reads a record's eventSource, or infers it from the record's
// fields when it is absent.
func (c *check) eventSource(r *eventRecord, i int) string {
	if s := c.str(r.EventSource, recordPath(i, ".eventSource")); s != "" || c.err != nil {
		return s
	}
	switch {
	case r.S3.set:
		return "aws:s3"
	case r.SNS != nil:
		return "aws:sns"
	case r.Body != nil:
		return "aws:sqs"
	}
	c.failf(recordPath(i, ".eventSource"), "missing, and the record has none of s3, Sns, body")
	return ""
}

func recordPath(i int, rest string) string { return "Records[" + strconv.Itoa(i) + "]" + rest }

func (p *parser) parseS3Notification(recs []*eventRecord) error {
	var c check
	objects := make([]ObjectRef, len(recs))
	for i, r := range recs {
		path := func(s string) string { return recordPath(i, s) }
		if source := c.eventSource(r, i); c.err == nil && source != "aws:s3" {
			c.failf(path(".eventSource"), "must be aws:s3 like Records[0], got "+quote(source))
		}
		o := &objects[i]
		// Lambda writes on-failure objects with PutObject; any creation event
		// (Put, Post, Copy, CompleteMultipartUpload) names an object to read.
		// Anything else means the notification is configured too broadly.
		if o.EventName = c.reqStr(r.EventName, path(".eventName")); c.err == nil && !strings.HasPrefix(o.EventName, "ObjectCreated:") {
			c.failf(path(".eventName"), "must be an ObjectCreated:* event, got "+quote(o.EventName))
		}
		o.Region = c.str(r.AWSRegion, path(".awsRegion"))
		e := r.S3.need(&c, path(".s3"))
		if c.err != nil {
			return c.err
		}
		if b := e.Bucket.need(&c, path(".s3.bucket")); b != nil {
			if o.Bucket = c.reqStr(b.Name, path(".s3.bucket.name")); c.err == nil && o.Bucket == "" {
				c.failf(path(".s3.bucket.name"), "must not be empty")
			}
		}
		ob := e.Object.need(&c, path(".s3.object"))
		if c.err != nil {
			return c.err
		}
		key := c.reqStr(ob.Key, path(".s3.object.key"))
		if c.err != nil {
			return c.err
		}
		var err error
		if o.Key, err = url.QueryUnescape(key); err != nil {
			return &FieldError{Path: path(".s3.object.key"), Reason: "must be URL-encoded, got " + quote(key), Err: err}
		}
		if o.Key == "" {
			c.failf(path(".s3.object.key"), "must not be empty")
		}
		if o.Size = c.int(ob.Size, path(".s3.object.size")); o.Size < 0 {
			c.failf(path(".s3.object.size"), "must not be negative, got "+describe(ob.Size))
		}
		o.VersionID = c.str(ob.VersionID, path(".s3.object.versionId"))
		o.ETag = c.str(ob.ETag, path(".s3.object.eTag"))
		o.Sequencer = c.str(ob.Sequencer, path(".s3.object.sequencer"))
		if c.err != nil {
			return c.err
		}
	}
	p.msg.Objects = objects
	p.msg.Destination = DestinationS3
	return nil
}
