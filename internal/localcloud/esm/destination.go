package esm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"
)

// InvocationRecord is the on-failure invocation record of a stream mapping,
// in AWS's format: the documented example in the Lambda developer guide
// (with-kinesis.md, "Configuring destinations for failed invocations") and
// the records AWS wrote in LocalStack's parity snapshots
// (test_lambda_integration_kinesis / _dynamodbstreams .snapshot.json).
// Timestamps are strings so that they keep AWS's exact formats.
type InvocationRecord struct {
	RequestContext RequestContext `json:"requestContext"`
	// ResponseContext is absent for RecordAgeExceeded.
	ResponseContext    *ResponseContext `json:"responseContext,omitempty"`
	Version            string           `json:"version"`
	Timestamp          string           `json:"timestamp"`
	KinesisBatchInfo   *BatchInfo       `json:"KinesisBatchInfo,omitempty"`
	DDBStreamBatchInfo *BatchInfo       `json:"DDBStreamBatchInfo,omitempty"`
	// Payload is written to S3 destinations only: the batch as the function
	// received it.
	Payload *Payload `json:"payload,omitempty"`
}

// RequestContext says why the batch was discarded.
type RequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionARN            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// ResponseContext is the function's last response. FunctionError is
// "Unhandled" after a function error and null after a partial batch response.
type ResponseContext struct {
	StatusCode      int     `json:"statusCode"`
	ExecutedVersion string  `json:"executedVersion"`
	FunctionError   *string `json:"functionError"`
}

// BatchInfo locates the discarded records in the stream.
type BatchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int    `json:"batchSize"`
	StreamARN                       string `json:"streamArn"`
}

// Payload is the discarded batch's Lambda event records.
type Payload struct {
	Records []json.RawMessage `json:"Records"`
}

// Time formats: the record's timestamp and Kinesis arrival times carry
// milliseconds ("2019-11-14T00:38:06.021Z"); DynamoDB's arrival times do not
// ("2023-12-10T22:58:57Z") in what AWS writes (aws-facts.md A2).
const (
	millisLayout  = "2006-01-02T15:04:05.000Z"
	secondsLayout = "2006-01-02T15:04:05Z"
	// s3KeyTime is the date part of AWS's object key layout
	// aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>
	// (Lambda developer guide, kinesis-on-failure-destination, as quoted in
	// LocalStack's stream_poller.get_failure_s3_object_key).
	s3KeyTime = "2006/01/02/2006-01-02T15.04.05"
)

// newInvocationRecord builds the record for a discarded (sub-)batch.
func newInvocationRecord(s *settings, shardID string, d discarded, at time.Time) InvocationRecord {
	first, last := d.records[0], d.records[len(d.records)-1]
	arrival := millisLayout
	if s.kind == SourceDynamoDB {
		arrival = secondsLayout
	}
	info := &BatchInfo{
		ShardID:                         shardID,
		StartSequenceNumber:             first.seq,
		EndSequenceNumber:               last.seq,
		ApproximateArrivalOfFirstRecord: first.arrival.UTC().Format(arrival),
		ApproximateArrivalOfLastRecord:  last.arrival.UTC().Format(arrival),
		BatchSize:                       len(d.records),
		StreamARN:                       s.EventSourceARN,
	}
	r := InvocationRecord{
		RequestContext: RequestContext{
			RequestID:              uuid.NewString(),
			FunctionARN:            s.FunctionARN,
			Condition:              d.condition,
			ApproximateInvokeCount: d.invokeCount,
		},
		Version:   "1.0",
		Timestamp: at.UTC().Format(millisLayout),
	}
	if d.responded {
		rc := &ResponseContext{StatusCode: 200, ExecutedVersion: "$LATEST"}
		if d.functionError != "" {
			rc.FunctionError = aws.String(d.functionError)
		}
		r.ResponseContext = rc
	}
	if s.kind == SourceDynamoDB {
		r.DDBStreamBatchInfo = info
	} else {
		r.KinesisBatchInfo = info
	}
	return r
}

// withPayload returns the record with the batch's event records attached.
func withPayload(r InvocationRecord, recs []record) InvocationRecord {
	p := &Payload{Records: make([]json.RawMessage, len(recs))}
	for i, rec := range recs {
		p.Records[i] = rec.event
	}
	r.Payload = p
	return r
}

// SQSAPI is what the ESM uses of SQS: sending on-failure records, and
// reading an SQS event source.
type SQSAPI interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// SNSAPI publishes on-failure records to a topic.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// S3API writes on-failure objects.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// destination delivers on-failure records.
type destination interface {
	send(ctx context.Context, shardID string, r InvocationRecord, recs []record, at time.Time) error
	String() string
}

func newDestination(ctx context.Context, c Clients, a parsedARN, esmUUID string) (destination, error) {
	switch a.Service {
	case "sqs":
		if c.SQS == nil {
			return nil, fmt.Errorf("on-failure destination %s: no SQS client", a.raw)
		}
		url, err := queueURL(ctx, c.SQS, a)
		if err != nil {
			return nil, fmt.Errorf("on-failure destination: %w", err)
		}
		return &sqsDestination{client: c.SQS, arn: a.raw, url: url}, nil
	case "sns":
		if c.SNS == nil {
			return nil, fmt.Errorf("on-failure destination %s: no SNS client", a.raw)
		}
		return &snsDestination{client: c.SNS, arn: a.raw}, nil
	case "s3":
		if c.S3 == nil {
			return nil, fmt.Errorf("on-failure destination %s: no S3 client", a.raw)
		}
		return &s3Destination{client: c.S3, arn: a.raw, bucket: a.Resource, esmUUID: esmUUID}, nil
	}
	return nil, fmt.Errorf("on-failure destination %s: unsupported service %q", a.raw, a.Service)
}

func queueURL(ctx context.Context, c SQSAPI, a parsedARN) (string, error) {
	out, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(a.Resource)})
	if err != nil {
		return "", fmt.Errorf("get queue url %s: %w", a.raw, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// sqsDestination sends the record as the message body.
type sqsDestination struct {
	client   SQSAPI
	arn, url string
}

func (d *sqsDestination) String() string { return d.arn }

func (d *sqsDestination) send(ctx context.Context, _ string, r InvocationRecord, _ []record, _ time.Time) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("marshal invocation record: %w", err)
	}
	if _, err := d.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.url), MessageBody: aws.String(string(body))}); err != nil {
		return fmt.Errorf("send message to %s: %w", d.arn, err)
	}
	return nil
}

// snsDestination publishes the record as the notification's Message.
type snsDestination struct {
	client SNSAPI
	arn    string
}

func (d *snsDestination) String() string { return d.arn }

func (d *snsDestination) send(ctx context.Context, _ string, r InvocationRecord, _ []record, _ time.Time) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("marshal invocation record: %w", err)
	}
	if _, err := d.client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(d.arn), Message: aws.String(string(body))}); err != nil {
		return fmt.Errorf("publish to %s: %w", d.arn, err)
	}
	return nil
}

// s3Destination writes the record with its payload as an object.
type s3Destination struct {
	client      S3API
	arn, bucket string
	esmUUID     string
}

func (d *s3Destination) String() string { return d.arn }

// ObjectKey is AWS's key for an on-failure object.
func ObjectKey(esmUUID, shardID string, at time.Time, random string) string {
	return "aws/lambda/" + esmUUID + "/" + shardID + "/" + at.UTC().Format(s3KeyTime) + "-" + random
}

func (d *s3Destination) send(ctx context.Context, shardID string, r InvocationRecord, recs []record, at time.Time) error {
	body, err := json.Marshal(withPayload(r, recs))
	if err != nil {
		return fmt.Errorf("marshal invocation record: %w", err)
	}
	key := ObjectKey(d.esmUUID, shardID, at, uuid.NewString())
	if _, err := d.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(d.bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentType: aws.String("application/json"),
	}); err != nil {
		return fmt.Errorf("put object s3://%s/%s: %w", d.bucket, key, err)
	}
	return nil
}
