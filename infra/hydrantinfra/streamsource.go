package hydrantinfra

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// StreamKind is the kind of stream a source reads.
type StreamKind string

// Stream kinds.
const (
	StreamKinesis  StreamKind = "kinesis"
	StreamDynamoDB StreamKind = "dynamodb"
)

// DestinationKind is where the event source mapping sends the record of a failed batch.
type DestinationKind string

// Failure destinations, all owned by the Router.
const (
	DestinationSQS DestinationKind = "sqs" // the intake queue: metadata only
	DestinationSNS DestinationKind = "sns" // the intake topic: metadata only
	DestinationS3  DestinationKind = "s3"  // the failure bucket: the whole batch, payload included
)

// StreamSource defaults: bounded retries and age, so one poison record cannot hold a shard for
// the stream's whole retention (the ESM defaults are infinite).
const (
	DefaultMaximumRetryAttempts      = 3
	DefaultMaximumRecordAgeInSeconds = 3600
	DefaultStreamBatchSize           = 100
)

// StreamSourceArgs wires an existing consumer function to a stream with the failure settings
// Hydrant relies on.
type StreamSourceArgs struct {
	Kind StreamKind
	// StreamArn is the Kinesis stream ARN or the DynamoDB stream ARN (…:table/T/stream/TS).
	StreamArn pulumi.StringInput
	// StreamKmsKeyArn is the customer-managed key of an encrypted Kinesis stream; nil when the
	// stream is unencrypted or uses the AWS-managed key.
	StreamKmsKeyArn pulumi.StringInput
	// ConsumerFunctionName is the function the mapping invokes; ConsumerRoleName its
	// execution role, which gets read access to the stream and write access to the destination.
	ConsumerFunctionName pulumi.StringInput
	ConsumerRoleName     pulumi.StringInput
	// Destination receives failure records: the router's intake queue, topic or bucket.
	DestinationKind DestinationKind
	DestinationArn  pulumi.StringInput
	// DestinationKmsKeyArn is the customer-managed key the destination is encrypted with
	// (the Router's intake topic key, for an SNS destination); the consumer role may then
	// encrypt with it. Nil when the destination uses an AWS-managed encryption.
	DestinationKmsKeyArn pulumi.StringInput
	// HydrateRoleName is the router's hydrate role, which gets read access to the stream.
	HydrateRoleName pulumi.StringInput

	BatchSize int // 0 = DefaultStreamBatchSize
	// MaximumRetryAttempts: nil = DefaultMaximumRetryAttempts; must be 0..10000 (never -1).
	MaximumRetryAttempts *int
	// MaximumRecordAgeInSeconds: 0 = DefaultMaximumRecordAgeInSeconds; 60..604800.
	MaximumRecordAgeInSeconds int
	StartingPosition          string // LATEST (default) or TRIM_HORIZON
	ParallelizationFactor     int    // 0 = 1
	MaximumBatchingWindow     int    // seconds
	Tags                      map[string]string
}

// StreamSource is an event source mapping and the permissions around it.
type StreamSource struct {
	pulumi.ResourceState

	MappingUUID pulumi.StringOutput `pulumi:"mappingUuid"`
	StreamArn   pulumi.StringOutput `pulumi:"streamArn"`
	// ConsumerFunctionArn is the consumer's ARN, as the mapping resolved it.
	ConsumerFunctionArn pulumi.StringOutput `pulumi:"consumerFunctionArn"`
	// Kind is the stream's kind.
	Kind StreamKind
	// ConsumerRoleName is the role the mapping's failure records are written as, and
	// DestinationKind where they go (FailureWriter, for an S3 destination).
	ConsumerRoleName pulumi.StringOutput
	DestinationKind  DestinationKind
}

func (a *StreamSourceArgs) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	var errs []error
	if a.Kind != StreamKinesis && a.Kind != StreamDynamoDB {
		errs = append(errs, fmt.Errorf("kind %q: want kinesis or dynamodb", a.Kind))
	}
	for _, f := range []struct {
		name  string
		value pulumi.StringInput
	}{
		{"StreamArn", a.StreamArn}, {"ConsumerFunctionName", a.ConsumerFunctionName}, {"ConsumerRoleName", a.ConsumerRoleName},
		{"DestinationArn", a.DestinationArn}, {"HydrateRoleName", a.HydrateRoleName},
	} {
		if f.value == nil {
			errs = append(errs, fmt.Errorf("%s is required", f.name))
		}
	}
	switch a.DestinationKind {
	case DestinationSQS, DestinationSNS, DestinationS3:
	default:
		errs = append(errs, fmt.Errorf("destination kind %q: want sqs, sns or s3", a.DestinationKind))
	}
	if r := a.MaximumRetryAttempts; r != nil && (*r < 0 || *r > 10000) {
		errs = append(errs, fmt.Errorf("MaximumRetryAttempts %d outside 0..10000 (infinite retries block the shard)", *r))
	}
	if age := a.MaximumRecordAgeInSeconds; age != 0 && (age < 60 || age > 604800) {
		errs = append(errs, fmt.Errorf("MaximumRecordAgeInSeconds %d outside 60..604800", age))
	}
	if a.BatchSize < 0 || a.BatchSize > 10000 {
		errs = append(errs, fmt.Errorf("BatchSize %d outside 1..10000", a.BatchSize))
	}
	if a.ParallelizationFactor < 0 || a.ParallelizationFactor > 10 {
		errs = append(errs, fmt.Errorf("ParallelizationFactor %d outside 1..10", a.ParallelizationFactor))
	}
	switch a.StartingPosition {
	case "", "LATEST", "TRIM_HORIZON":
	default:
		errs = append(errs, fmt.Errorf("StartingPosition %q: want LATEST or TRIM_HORIZON", a.StartingPosition))
	}
	return errors.Join(errs...)
}

// readActions are what reading a stream by shard and sequence number takes, for the consumer's
// mapping and for the hydrate function reading records back.
func readActions(kind StreamKind) []string {
	if kind == StreamKinesis {
		return []string{"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"}
	}
	return []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
}

// NewStreamSource creates the consumer's event source mapping (on-failure destination, bisect,
// finite retries, bounded record age, partial batch responses) and the IAM policies that let the
// consumer read the stream and write failures, and the hydrate role read the stream back.
func NewStreamSource(ctx *pulumi.Context, name string, args *StreamSourceArgs, opts ...pulumi.ResourceOption) (*StreamSource, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("stream source %s: %w", name, err)
	}
	s := &StreamSource{}
	if err := ctx.RegisterComponentResource(StreamSourceType, name, s, opts...); err != nil {
		return nil, err
	}
	p := pulumi.Parent(s)

	read := statement{sid: "ReadStream", actions: readActions(args.Kind), resources: inputs(args.StreamArn)}
	var decrypt []statement
	if args.StreamKmsKeyArn != nil {
		decrypt = append(decrypt, statement{sid: "DecryptStream", actions: []string{"kms:Decrypt"}, resources: inputs(args.StreamKmsKeyArn)})
	}
	consumer := []statement{read}
	if args.Kind == StreamDynamoDB {
		// Lambda lists a table's streams when it starts the mapping; ListStreams has no
		// resource-level permissions, so "*" is the only resource it accepts.
		consumer = append(consumer, statement{sid: "ListStreams", actions: []string{"dynamodb:ListStreams"}, resources: strs("*")})
	}
	consumer = append(consumer, decrypt...)
	switch args.DestinationKind {
	case DestinationSQS:
		consumer = append(consumer, statement{sid: "SendFailures", actions: []string{"sqs:SendMessage"}, resources: inputs(args.DestinationArn)})
	case DestinationSNS:
		consumer = append(consumer, statement{sid: "PublishFailures", actions: []string{"sns:Publish"}, resources: inputs(args.DestinationArn)})
	case DestinationS3:
		consumer = append(consumer,
			statement{sid: "WriteFailures", actions: []string{"s3:PutObject"}, resources: inputs(pulumi.Sprintf("%s/*", args.DestinationArn))},
			statement{sid: "ListFailureBucket", actions: []string{"s3:ListBucket"}, resources: inputs(args.DestinationArn)},
		)
	}
	if args.DestinationKmsKeyArn != nil {
		// Publishing to an encrypted topic (or writing to an encrypted queue) encrypts with the
		// destination's key under the publisher's own permissions.
		consumer = append(consumer, statement{sid: "EncryptFailures", actions: []string{"kms:GenerateDataKey", "kms:Decrypt"}, resources: inputs(args.DestinationKmsKeyArn)})
	}
	consumerPolicy, err := iam.NewRolePolicy(ctx, name+"-consumer-policy", &iam.RolePolicyArgs{
		Role:   args.ConsumerRoleName,
		Policy: policyJSON(consumer...),
	}, p)
	if err != nil {
		return nil, fmt.Errorf("stream source %s: consumer policy: %w", name, err)
	}

	retries := DefaultMaximumRetryAttempts
	if args.MaximumRetryAttempts != nil {
		retries = *args.MaximumRetryAttempts
	}
	start := args.StartingPosition
	if start == "" {
		start = "LATEST"
	}
	esmArgs := &lambda.EventSourceMappingArgs{
		EventSourceArn:             args.StreamArn,
		FunctionName:               args.ConsumerFunctionName,
		StartingPosition:           pulumi.String(start),
		BatchSize:                  pulumi.Int(orDefault(args.BatchSize, DefaultStreamBatchSize)),
		BisectBatchOnFunctionError: pulumi.Bool(true),
		MaximumRetryAttempts:       pulumi.Int(retries),
		MaximumRecordAgeInSeconds:  pulumi.Int(orDefault(args.MaximumRecordAgeInSeconds, DefaultMaximumRecordAgeInSeconds)),
		FunctionResponseTypes:      pulumi.ToStringArray([]string{"ReportBatchItemFailures"}),
		ParallelizationFactor:      pulumi.Int(orDefault(args.ParallelizationFactor, 1)),
		DestinationConfig: &lambda.EventSourceMappingDestinationConfigArgs{
			OnFailure: &lambda.EventSourceMappingDestinationConfigOnFailureArgs{DestinationArn: args.DestinationArn},
		},
		Tags: pulumi.ToStringMap(args.Tags),
	}
	if args.MaximumBatchingWindow > 0 {
		esmArgs.MaximumBatchingWindowInSeconds = pulumi.Int(args.MaximumBatchingWindow)
	}
	// The mapping validates its permissions when created: the consumer policy comes first.
	esm, err := lambda.NewEventSourceMapping(ctx, name+"-mapping", esmArgs, p, pulumi.DependsOn([]pulumi.Resource{consumerPolicy}))
	if err != nil {
		return nil, fmt.Errorf("stream source %s: mapping: %w", name, err)
	}
	// The hydrate role reads the stream back; for the S3 destination it also looks the mapping
	// up, to check that a failure object under aws/lambda/<UUID>/ claims the mapping's own
	// stream (package trust). GetEventSourceMapping takes the mapping's ARN as its resource
	// (AWS's own sample policy: https://docs.aws.amazon.com/r53recovery/latest/dg/security_iam_region_switch_lambda_esm.html).
	hydrate := append([]statement{read}, decrypt...)
	if args.DestinationKind == DestinationS3 {
		hydrate = append(hydrate, statement{sid: "CheckFailureObjectMapping", actions: []string{"lambda:GetEventSourceMapping"}, resources: inputs(esm.Arn)})
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-hydrate-policy", &iam.RolePolicyArgs{
		Role:   args.HydrateRoleName,
		Policy: policyJSON(hydrate...),
	}, p); err != nil {
		return nil, fmt.Errorf("stream source %s: hydrate policy: %w", name, err)
	}
	s.MappingUUID = esm.Uuid
	s.ConsumerRoleName = args.ConsumerRoleName.ToStringOutput()
	s.DestinationKind = args.DestinationKind
	s.StreamArn = args.StreamArn.ToStringOutput()
	s.ConsumerFunctionArn = esm.FunctionArn
	s.Kind = args.Kind
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"mappingUuid": s.MappingUUID, "streamArn": s.StreamArn, "consumerFunctionArn": s.ConsumerFunctionArn}); err != nil {
		return nil, err
	}
	return s, nil
}
