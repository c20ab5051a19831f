// Package esm runs Lambda event source mappings locally: in-process pollers
// that read Kinesis Data Streams and DynamoDB Streams shards (kinesis-local,
// DynamoDB Local) and SQS queues (goaws), invoke in-process functions with the
// event payloads Lambda sends, and apply the mapping's documented failure
// semantics: retries up to MaximumRetryAttempts, MaximumRecordAgeInSeconds,
// bisection on function error, partial batch responses, and the on-failure
// invocation record sent to an SQS queue, SNS topic or S3 bucket in AWS's
// format. Each rule is documented where it is implemented, with its source.
package esm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Function is an in-process Lambda function. payload is the event JSON as
// Lambda sends it (events.KinesisEvent, events.DynamoDBEvent, events.SQSEvent);
// the returned bytes are the function's response (such as a partial batch
// response); an error is a function error (functionError "Unhandled").
type Function func(ctx context.Context, payload []byte) ([]byte, error)

// Starting positions of stream mappings.
const (
	StartingPositionTrimHorizon = "TRIM_HORIZON"
	StartingPositionLatest      = "LATEST"
)

// ReportBatchItemFailures is the one FunctionResponseTypes value.
const ReportBatchItemFailures = "ReportBatchItemFailures"

// Config is an event source mapping's configuration. Field names follow the
// Lambda API (CreateEventSourceMapping) and so the Pulumi
// aws.lambda.EventSourceMapping inputs (batchSize → BatchSize,
// destinationConfig.onFailure.destinationArn → DestinationConfig.OnFailure.DestinationARN, ...).
// Zero values mean the AWS default, except where a pointer is needed to tell
// 0 from unset.
type Config struct {
	// UUID identifies the mapping (it appears in S3 on-failure object keys);
	// a random one is generated when empty.
	UUID string
	// EventSourceARN is a Kinesis stream, DynamoDB stream or SQS queue ARN.
	EventSourceARN string
	// FunctionARN is written in on-failure records (requestContext.functionArn).
	FunctionARN string
	// ExecutionRoleARN is the function's role, the Kinesis records'
	// invokeIdentityArn. Not an ESM input: the local cloud takes it from the
	// function resource.
	ExecutionRoleARN string

	// Enabled defaults to true.
	Enabled *bool
	// BatchSize defaults to 100 for streams and 10 for SQS.
	BatchSize                      int
	MaximumBatchingWindowInSeconds int
	// StartingPosition is required for streams (TRIM_HORIZON or LATEST) and
	// must be empty for SQS.
	StartingPosition string

	// MaximumRetryAttempts: nil or -1 is infinite (the AWS default), 0..10000.
	MaximumRetryAttempts *int
	// MaximumRecordAgeInSeconds: nil or -1 is infinite (the AWS default), 60..604800.
	MaximumRecordAgeInSeconds  *int
	BisectBatchOnFunctionError bool
	FunctionResponseTypes      []string
	// ParallelizationFactor: 0 (unset) or 1; AWS allows up to 10, the local
	// ESM runs one batch per shard at a time and refuses more.
	ParallelizationFactor int
	// TumblingWindowInSeconds is not emulated: any value but 0 is refused.
	TumblingWindowInSeconds int

	DestinationConfig *DestinationConfig
}

// DestinationConfig holds the on-failure destination (streams only).
type DestinationConfig struct {
	OnFailure *OnFailure
}

// OnFailure names the destination of discarded batches: an SQS queue, SNS
// topic or S3 bucket ARN.
type OnFailure struct {
	DestinationARN string
}

// SourceKind is the kind of event source.
type SourceKind string

const (
	SourceKinesis  SourceKind = "kinesis"
	SourceDynamoDB SourceKind = "dynamodb"
	SourceSQS      SourceKind = "sqs"
)

// ConfigError is returned for a configuration the local ESM refuses; Field
// is the Lambda API parameter at fault.
type ConfigError struct {
	Field  string
	Reason string
	// Err is ErrUnsupported for settings AWS accepts but the local ESM does
	// not emulate, nil otherwise.
	Err error
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("event source mapping: %s: %s", e.Field, e.Reason)
}

// ErrUnsupported is wrapped by ConfigErrors for settings AWS accepts but the
// local ESM does not emulate.
var ErrUnsupported = errors.New("not supported by the local event source mapping")

func (e *ConfigError) Unwrap() error { return e.Err }

// unsupported reports a setting AWS accepts that the local ESM refuses.
func unsupported(field, format string, args ...any) *ConfigError {
	return &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...) + ": " + ErrUnsupported.Error(), Err: ErrUnsupported}
}

func cfgErr(field, format string, args ...any) *ConfigError {
	return &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// settings is a validated Config with defaults applied.
type settings struct {
	Config
	source      parsedARN
	kind        SourceKind
	batchSize   int
	maxRetries  int // -1 infinite
	maxAge      int // seconds, -1 infinite
	rbif        bool
	enabled     bool
	destination *parsedARN
}

// Limits from the CreateEventSourceMapping API reference
// (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html)
// and https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html.
const (
	maxStreamBatchSize  = 10000
	maxSQSBatchSize     = 10000
	maxSQSUnwindowed    = 10 // SQS batches above 10 need a batching window of at least 1 s
	maxBatchingWindow   = 300
	maxRetryAttempts    = 10000
	minRecordAge        = 60
	maxRecordAge        = 604800
	defaultStreamBatch  = 100
	defaultSQSBatchSize = 10
)

func (c Config) validate() (settings, error) {
	s := settings{Config: c, maxRetries: -1, maxAge: -1, enabled: true}
	if c.Enabled != nil {
		s.enabled = *c.Enabled
	}
	if c.EventSourceARN == "" {
		return s, cfgErr("EventSourceArn", "missing")
	}
	a, err := parseARN(c.EventSourceARN)
	if err != nil {
		return s, cfgErr("EventSourceArn", "%v", err)
	}
	switch {
	case a.Service == "kinesis" && strings.HasPrefix(a.Resource, "stream/") && strings.Contains(a.Resource, "/consumer/"):
		return s, unsupported("EventSourceArn", "%q is an enhanced fan-out consumer (use the stream ARN)", c.EventSourceARN)
	case a.Service == "kinesis" && strings.HasPrefix(a.Resource, "stream/"):
		s.kind = SourceKinesis
	case a.Service == "dynamodb" && strings.Contains(a.Resource, "/stream/"):
		s.kind = SourceDynamoDB
	case a.Service == "sqs" && a.Resource != "":
		s.kind = SourceSQS
	default:
		return s, cfgErr("EventSourceArn", "%q is not a Kinesis stream, DynamoDB stream or SQS queue ARN", c.EventSourceARN)
	}
	s.source = a
	if c.FunctionARN == "" {
		return s, cfgErr("FunctionArn", "missing")
	}
	if !strings.HasPrefix(c.FunctionARN, "arn:") {
		return s, cfgErr("FunctionArn", "%q is not an ARN", c.FunctionARN)
	}
	if c.MaximumBatchingWindowInSeconds < 0 || c.MaximumBatchingWindowInSeconds > maxBatchingWindow {
		return s, cfgErr("MaximumBatchingWindowInSeconds", "must be 0 to %d, got %d", maxBatchingWindow, c.MaximumBatchingWindowInSeconds)
	}
	for _, t := range c.FunctionResponseTypes {
		if t != ReportBatchItemFailures {
			return s, cfgErr("FunctionResponseTypes", "unknown value %q (only %q exists)", t, ReportBatchItemFailures)
		}
	}
	s.rbif = slices.Contains(c.FunctionResponseTypes, ReportBatchItemFailures)
	if c.TumblingWindowInSeconds != 0 {
		return s, unsupported("TumblingWindowInSeconds", "tumbling windows")
	}
	if s.kind == SourceSQS {
		return s, c.validateSQS(&s)
	}
	return s, c.validateStream(&s)
}

func (c Config) validateStream(s *settings) error {
	s.batchSize = c.BatchSize
	if s.batchSize == 0 {
		s.batchSize = defaultStreamBatch
	}
	if s.batchSize < 1 || s.batchSize > maxStreamBatchSize {
		return cfgErr("BatchSize", "must be 1 to %d for a stream, got %d", maxStreamBatchSize, c.BatchSize)
	}
	switch c.StartingPosition {
	case StartingPositionTrimHorizon, StartingPositionLatest:
	case "":
		return cfgErr("StartingPosition", "missing: a stream mapping needs TRIM_HORIZON or LATEST")
	case "AT_TIMESTAMP":
		return unsupported("StartingPosition", "AT_TIMESTAMP")
	default:
		return cfgErr("StartingPosition", "must be TRIM_HORIZON or LATEST, got %q", c.StartingPosition)
	}
	if r := c.MaximumRetryAttempts; r != nil {
		if *r < -1 || *r > maxRetryAttempts {
			return cfgErr("MaximumRetryAttempts", "must be -1 (infinite) or 0 to %d, got %d", maxRetryAttempts, *r)
		}
		s.maxRetries = *r
	}
	if a := c.MaximumRecordAgeInSeconds; a != nil {
		if *a != -1 && (*a < minRecordAge || *a > maxRecordAge) {
			return cfgErr("MaximumRecordAgeInSeconds", "must be -1 (infinite) or %d to %d, got %d", minRecordAge, maxRecordAge, *a)
		}
		s.maxAge = *a
	}
	switch c.ParallelizationFactor {
	case 0, 1:
	default:
		if c.ParallelizationFactor >= 2 && c.ParallelizationFactor <= 10 {
			return unsupported("ParallelizationFactor", "%d (one batch per shard at a time; use 1)", c.ParallelizationFactor)
		}
		return cfgErr("ParallelizationFactor", "must be 1 to 10, got %d", c.ParallelizationFactor)
	}
	if d := c.DestinationConfig; d != nil && d.OnFailure != nil && d.OnFailure.DestinationARN != "" {
		a, err := parseARN(d.OnFailure.DestinationARN)
		if err != nil {
			return cfgErr("DestinationConfig.OnFailure.Destination", "%v", err)
		}
		switch a.Service {
		case "sqs", "sns", "s3":
		case "kafka":
			return cfgErr("DestinationConfig.OnFailure.Destination", "a Kafka topic is only a destination for Kafka sources")
		default:
			return cfgErr("DestinationConfig.OnFailure.Destination", "%q is not an SQS queue, SNS topic or S3 bucket ARN", d.OnFailure.DestinationARN)
		}
		if a.Resource == "" {
			return cfgErr("DestinationConfig.OnFailure.Destination", "%q names no queue, topic or bucket", d.OnFailure.DestinationARN)
		}
		s.destination = &a
	}
	return nil
}

// validateSQS applies the SQS rules: the stream-only parameters are refused,
// as the Lambda API refuses them (InvalidParameterValueException); failed
// messages are handled by the queue's own redrive policy.
func (c Config) validateSQS(s *settings) error {
	s.batchSize = c.BatchSize
	if s.batchSize == 0 {
		s.batchSize = defaultSQSBatchSize
	}
	if s.batchSize < 1 || s.batchSize > maxSQSBatchSize {
		return cfgErr("BatchSize", "must be 1 to %d for SQS, got %d", maxSQSBatchSize, c.BatchSize)
	}
	if s.batchSize > maxSQSUnwindowed && c.MaximumBatchingWindowInSeconds < 1 {
		return cfgErr("MaximumBatchingWindowInSeconds", "must be at least 1 when BatchSize (%d) is above %d for SQS", s.batchSize, maxSQSUnwindowed)
	}
	stream := []struct {
		field string
		set   bool
	}{
		{"StartingPosition", c.StartingPosition != ""},
		{"MaximumRetryAttempts", c.MaximumRetryAttempts != nil},
		{"MaximumRecordAgeInSeconds", c.MaximumRecordAgeInSeconds != nil},
		{"BisectBatchOnFunctionError", c.BisectBatchOnFunctionError},
		{"ParallelizationFactor", c.ParallelizationFactor != 0},
		{"DestinationConfig", c.DestinationConfig != nil && c.DestinationConfig.OnFailure != nil && c.DestinationConfig.OnFailure.DestinationARN != ""},
	}
	for _, p := range stream {
		if p.set {
			return cfgErr(p.field, "only for stream sources; an SQS queue retries through its visibility timeout and redrive policy")
		}
	}
	return nil
}

// parsedARN is an ARN as the SDK's aws/arn parses it, with the text it came from.
type parsedARN struct {
	arn.ARN
	raw string
}

func parseARN(s string) (parsedARN, error) {
	a, err := arn.Parse(s)
	if err != nil || a.Partition == "" || a.Service == "" {
		return parsedARN{}, fmt.Errorf("%q is not an ARN (arn:partition:service:region:account:resource)", s)
	}
	return parsedARN{ARN: a, raw: s}, nil
}
