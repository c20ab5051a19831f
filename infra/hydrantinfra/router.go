package hydrantinfra

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/hydrate"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/kinesis"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/schemas"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumix"
)

// Environment variables of the hydrate function: the interface between this package and the
// handler in handlers/hydrate (package internal/intake reads exactly these).
const (
	EnvEventBus           = "HYDRANT_EVENT_BUS"           // name of the bus the events are put on
	EnvEventSource        = "HYDRANT_EVENT_SOURCE"        // the events' source
	EnvClaimCheckBucket   = "HYDRANT_CLAIM_CHECK_BUCKET"  // bucket for records too large for an event
	EnvMaxEntrySize       = "HYDRANT_MAX_ENTRY_SIZE"      // largest PutEvents entry, in bytes
	EnvPublishConcurrency = "HYDRANT_PUBLISH_CONCURRENCY" // PutEvents calls in flight per invocation
	EnvLogLevel           = "HYDRANT_LOG_LEVEL"           // debug, info, warn or error
	EnvMessageConcurrency = "HYDRANT_MESSAGE_CONCURRENCY" // intake messages of a batch handled at once
	EnvDeadlineMargin     = "HYDRANT_DEADLINE_MARGIN"     // time left under which no message is started
	EnvTrustedStreams     = "HYDRANT_TRUSTED_STREAMS"     // the allow-list of failure records (package trust)
	EnvIntakeDLQURL       = "HYDRANT_INTAKE_DLQ_URL"      // where refused failure records are moved
)

// HydrateMetricsNamespace is the CloudWatch namespace of the hydrate function's EMF metrics
// (handlers/hydrate).
const HydrateMetricsNamespace = "Hydrant"

// Router defaults.
const (
	DefaultMaxEntrySize          = 256 * 1024 // EventBridge's documented PutEvents entry limit
	DefaultPublishConcurrency    = 4
	DefaultMessageConcurrency    = 4
	DefaultDeadlineMarginSeconds = 10
	DefaultHydrateMemoryMB       = 512
	DefaultHydrateTimeoutSeconds = 120
	DefaultIntakeBatchSize       = 10
	DefaultIntakeMaxReceiveCount = 5
	DefaultLogRetentionDays      = 30
	DefaultArchiveRetentionDays  = 30
	DefaultCatchAllRetentionSec  = 4 * 24 * 3600
	// DefaultCatchAllAlarmThreshold: the catch-all queue holds every event for four days, so a
	// few are normal; this many means a failure storm nobody is draining.
	DefaultCatchAllAlarmThreshold = 1000
)

// Schema is one schema of the bus's registry: a JSONSchemaDraft4 document.
type Schema struct {
	Name        string // e.g. "hydrant@RecordHydrated"
	Description string
	Content     string
}

// RouterArgs configures a Router. HydrateCode is required; zero values take the defaults.
type RouterArgs struct {
	// HydrateCode is the hydrate function's deployment archive (a zip holding "bootstrap").
	HydrateCode pulumi.ArchiveInput
	// EventSource is the source of every event Hydrant puts on the bus; empty means
	// hydrantevent.DefaultSource.
	EventSource string
	// BusName names the bus; empty lets Pulumi name it.
	BusName string
	// ArchiveRetentionDays keeps archived events for replay; 0 keeps them indefinitely.
	ArchiveRetentionDays int
	// ReservedConcurrency reserves (and caps) the hydrate function's concurrency; nil leaves it
	// unreserved. It also caps the intake mapping's concurrency when at least 2.
	ReservedConcurrency   *int
	HydrateMemoryMB       int // 0 = DefaultHydrateMemoryMB
	HydrateTimeoutSeconds int // 0 = DefaultHydrateTimeoutSeconds
	IntakeBatchSize       int // 0 = DefaultIntakeBatchSize
	IntakeMaxReceiveCount int // receives before a message goes to the intake DLQ; 0 = default
	MaxEntrySize          int // 0 = DefaultMaxEntrySize; 1024..1048576
	PublishConcurrency    int // 0 = DefaultPublishConcurrency; 1..64
	MessageConcurrency    int // 0 = DefaultMessageConcurrency; 1..10 (an SQS batch's size)
	// DeadlineMarginSeconds: no intake message is started with less time left before the
	// function's timeout; 0 = DefaultDeadlineMarginSeconds; under the timeout.
	DeadlineMarginSeconds int
	LogRetentionDays      int // 0 = DefaultLogRetentionDays
	LogLevel              string
	// FailureObjectRetentionDays expires objects in the failure bucket; 0 keeps them.
	FailureObjectRetentionDays int
	// ClaimCheckRetentionDays expires claim-check objects; 0 keeps them.
	ClaimCheckRetentionDays int
	// ArchiveObjectRetentionDays expires the S3 archive's objects; 0 keeps them.
	ArchiveObjectRetentionDays int
	// CatchAllAlarmThreshold is the catch-all queue depth that raises an alarm; 0 = default.
	CatchAllAlarmThreshold int
	// RuleCreatorAccounts may create rules on the central bus from their own accounts. It is
	// an opt-in, off by default, for an account trusted with every stream: no policy
	// condition can limit a rule to certain streams, so such an account can see the records
	// of EVERY stream. A team in another account gets a TeamInbox instead (a Subscription
	// targeting its bus, and ClaimCheckReaders). `hydrant plan` warns when this is set.
	RuleCreatorAccounts []string
	// ClaimCheckReaders are the team accounts allowed to read offloaded records: each reads
	// the claim-check keys of its own streams only (the keys derive from the stream ARN).
	ClaimCheckReaders []ClaimCheckReader
	// TrustedStreams is the hydrate function's allow-list: a failure record of any other stream,
	// or through another destination, or (SQS) from another sender, is refused and moved to the
	// intake DLQ. It is required (an empty list refuses every failure record) unless
	// AdmitAnyStream is set.
	TrustedStreams []TrustedStream
	// AdmitAnyStream leaves the function without an allow-list: every stream's failure records
	// are admitted, made-up ones included, from anyone who may send to the intake. Only for a
	// stack without IAM identities to check (the local cloud's demo); never a default, so a
	// program that forgets TrustedStreams fails instead of deploying an open function.
	AdmitAnyStream bool
	// FailureWriters are the mappings that write to the failure bucket (S3 destinations) and
	// their consumer roles: the bucket's policy then lets each role write under its own
	// mappings' prefixes only, so that a failure object's key says truly which mapping wrote
	// it. The mappings are created after the Router (they name its bucket): pass a deferred
	// output (pulumi.DeferredOutput) and resolve it once they exist, as infra/stack does. Nil
	// leaves every role the bucket admits free to write under any prefix, so it is required
	// when a trusted stream uses the S3 destination.
	FailureWriters pulumix.Input[[]FailureWriter]
	// Encryption chooses customer-managed keys for the bus, the archive, the Firehose stream
	// and the buckets; the zero value keeps AWS-owned keys.
	Encryption Encryption
	// Schemas are the registry's content; the program passes the files of schemas/.
	Schemas []Schema
	Tags    map[string]string
}

// ClaimCheckReader is a team account and the streams whose offloaded records it may read.
type ClaimCheckReader struct {
	Account string
	Streams []StreamSelector
}

// Router is Hydrant's central infrastructure.
type Router struct {
	pulumi.ResourceState

	BusName              pulumi.StringOutput      `pulumi:"busName"`
	BusArn               pulumi.StringOutput      `pulumi:"busArn"`
	EventSource          pulumi.StringOutput      `pulumi:"eventSource"`
	IntakeQueueArn       pulumi.StringOutput      `pulumi:"intakeQueueArn"`
	IntakeQueueUrl       pulumi.StringOutput      `pulumi:"intakeQueueUrl"`
	IntakeQueueName      pulumi.StringOutput      `pulumi:"intakeQueueName"`
	IntakeDLQArn         pulumi.StringOutput      `pulumi:"intakeDlqArn"`
	IntakeDLQUrl         pulumi.StringOutput      `pulumi:"intakeDlqUrl"` // what hydrant intake-dlq takes
	IntakeDLQName        pulumi.StringOutput      `pulumi:"intakeDlqName"`
	IntakeTopicArn       pulumi.StringOutput      `pulumi:"intakeTopicArn"`
	IntakeTopicKeyArn    pulumi.StringOutput      `pulumi:"intakeTopicKeyArn"`
	FailureBucketName    pulumi.StringOutput      `pulumi:"failureBucketName"`
	FailureBucketArn     pulumi.StringOutput      `pulumi:"failureBucketArn"`
	ClaimCheckBucketName pulumi.StringOutput      `pulumi:"claimCheckBucketName"`
	ArchiveBucketName    pulumi.StringOutput      `pulumi:"archiveBucketName"`
	HydrateFunctionName  pulumi.StringOutput      `pulumi:"hydrateFunctionName"`
	HydrateFunctionArn   pulumi.StringOutput      `pulumi:"hydrateFunctionArn"`
	HydrateRoleName      pulumi.StringOutput      `pulumi:"hydrateRoleName"`
	HydrateRoleArn       pulumi.StringOutput      `pulumi:"hydrateRoleArn"`
	CatchAllQueueName    pulumi.StringOutput      `pulumi:"catchAllQueueName"`
	CatchAllQueueArn     pulumi.StringOutput      `pulumi:"catchAllQueueArn"`
	CatchAllRuleName     pulumi.StringOutput      `pulumi:"catchAllRuleName"`
	ArchiveRuleName      pulumi.StringOutput      `pulumi:"archiveRuleName"`
	EventArchiveName     pulumi.StringOutput      `pulumi:"eventArchiveName"`
	SchemaRegistryName   pulumi.StringOutput      `pulumi:"schemaRegistryName"`
	TargetDLQNames       pulumi.StringArrayOutput `pulumi:"targetDlqNames"`
	// TargetDLQArns are the DLQs of the router's own rule targets (catch-all, archive).
	TargetDLQArns []pulumi.StringOutput
	// BucketKeyArn is the buckets' customer-managed key, "" when they use SSE-S3: whoever
	// writes failure objects or reads the buckets needs its use.
	BucketKeyArn pulumi.StringOutput `pulumi:"bucketKeyArn"`

	watch Watch
}

// Watch is what Operations should alarm on for this router: the intake DLQ, the catch-all queue
// and the DLQs of the router's own rule targets, the hydrate function, the router's rules.
func (r *Router) Watch() Watch { return r.watch }

var (
	accountID     = regexp.MustCompile(`^[0-9]{12}$`)
	busArnPattern = regexp.MustCompile(`^(arn:[^:]+:events:[^:]*:[0-9]*:)event-bus/(.+)$`)
)

func (a *RouterArgs) validate() error {
	if a == nil {
		return errors.New("router: args are required")
	}
	var errs []error
	if a.HydrateCode == nil {
		errs = append(errs, errors.New("HydrateCode is required"))
	}
	switch {
	case a.TrustedStreams == nil && !a.AdmitAnyStream:
		errs = append(errs, errors.New("TrustedStreams is required: without an allow-list the hydrate function publishes failure records of any stream, made up or not, from anyone who may send to the intake (set AdmitAnyStream only for a stack without IAM, such as the local cloud's demo)"))
	case a.TrustedStreams != nil && a.AdmitAnyStream:
		errs = append(errs, errors.New("TrustedStreams and AdmitAnyStream are both set: give one"))
	}
	if a.FailureWriters == nil && slices.ContainsFunc(a.TrustedStreams, func(s TrustedStream) bool { return s.Destination == DestinationS3 }) {
		errs = append(errs, errors.New("FailureWriters is required when a trusted stream uses the S3 destination: without them the failure bucket lets any consumer role write under another mapping's prefix, which the hydrate function trusts to name the writer"))
	}
	if a.ArchiveRetentionDays < 0 {
		errs = append(errs, fmt.Errorf("ArchiveRetentionDays %d is negative", a.ArchiveRetentionDays))
	}
	if rc := a.ReservedConcurrency; rc != nil && *rc < 1 {
		errs = append(errs, fmt.Errorf("ReservedConcurrency %d must be at least 1 (0 would stop the function)", *rc))
	}
	if a.IntakeBatchSize < 0 || a.IntakeBatchSize > 10 {
		errs = append(errs, fmt.Errorf("IntakeBatchSize %d outside 1..10", a.IntakeBatchSize))
	}
	if a.HydrateMemoryMB != 0 && (a.HydrateMemoryMB < 128 || a.HydrateMemoryMB > 10240) {
		errs = append(errs, fmt.Errorf("HydrateMemoryMB %d outside 128..10240", a.HydrateMemoryMB))
	}
	if a.HydrateTimeoutSeconds < 0 || a.HydrateTimeoutSeconds > 900 {
		errs = append(errs, fmt.Errorf("HydrateTimeoutSeconds %d outside 1..900", a.HydrateTimeoutSeconds))
	}
	if a.MaxEntrySize != 0 && (a.MaxEntrySize < 1024 || a.MaxEntrySize > 1<<20) {
		errs = append(errs, fmt.Errorf("MaxEntrySize %d outside 1024..1048576", a.MaxEntrySize))
	}
	if a.PublishConcurrency < 0 || a.PublishConcurrency > 64 {
		errs = append(errs, fmt.Errorf("PublishConcurrency %d outside 1..64", a.PublishConcurrency))
	}
	if a.MessageConcurrency < 0 || a.MessageConcurrency > 10 {
		errs = append(errs, fmt.Errorf("MessageConcurrency %d outside 1..10", a.MessageConcurrency))
	}
	if timeout := orDefault(a.HydrateTimeoutSeconds, DefaultHydrateTimeoutSeconds); a.DeadlineMarginSeconds < 0 || a.DeadlineMarginSeconds >= timeout {
		errs = append(errs, fmt.Errorf("DeadlineMarginSeconds %d outside 1..%d (under the hydrate timeout)", a.DeadlineMarginSeconds, timeout-1))
	}
	for _, acct := range a.RuleCreatorAccounts {
		if !accountID.MatchString(acct) {
			errs = append(errs, fmt.Errorf("RuleCreatorAccounts: %q is not a 12-digit account ID", acct))
		}
	}
	for i, r := range a.ClaimCheckReaders {
		if !accountID.MatchString(r.Account) {
			errs = append(errs, fmt.Errorf("ClaimCheckReaders[%d]: %q is not a 12-digit account ID", i, r.Account))
		}
		if len(r.Streams) == 0 {
			errs = append(errs, fmt.Errorf("ClaimCheckReaders[%d] (%s): at least one stream is required", i, r.Account))
		}
		for j, st := range r.Streams {
			if st.ARN == nil {
				errs = append(errs, fmt.Errorf("ClaimCheckReaders[%d] (%s): Streams[%d]: ARN is required", i, r.Account, j))
			}
		}
	}
	if err := a.Encryption.validate(); err != nil {
		errs = append(errs, err)
	}
	for i, s := range a.Schemas {
		if s.Name == "" || s.Content == "" {
			//lint:ignore ST1005 the message starts with the configuration field it names, spelt as in the Go struct
			errs = append(errs, fmt.Errorf("Schemas[%d]: name and content are required", i))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("router: %w", err)
	}
	return nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// NewRouter creates the router's resources as children of one component.
func NewRouter(ctx *pulumi.Context, name string, args *RouterArgs, opts ...pulumi.ResourceOption) (*Router, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	if args.EventSource == "" {
		withSource := *args
		withSource.EventSource = hydrantevent.DefaultSource
		args = &withSource
	}
	r := &Router{}
	if err := ctx.RegisterComponentResource(RouterType, name, r, opts...); err != nil {
		return nil, err
	}
	p := pulumi.Parent(r)
	tags := pulumi.ToStringMap(args.Tags)
	timeout := orDefault(args.HydrateTimeoutSeconds, DefaultHydrateTimeoutSeconds)

	// Customer-managed keys, where configured (AWS-owned keys otherwise).
	enc := args.Encryption
	busKey, err := newEventBridgeKey(ctx, name+"-bus-key", enc.Bus, "Hydrant: encrypts the bus's events", tags, p)
	if err != nil {
		return nil, fmt.Errorf("router %s: %w", name, err)
	}
	archiveKey, err := newEventBridgeKey(ctx, name+"-archive-key", enc.Archive, "Hydrant: encrypts the bus's event archive", tags, p)
	if err != nil {
		return nil, fmt.Errorf("router %s: %w", name, err)
	}
	// The buckets' key policy names the roles that use it, so it is written once they exist.
	var bucketKey *cmk
	switch enc.Buckets {
	case "":
	case KeyCreate:
		key, err := newKey(ctx, name+"-bucket-key", "Hydrant: encrypts the failure, claim-check and archive buckets", tags, p)
		if err != nil {
			return nil, fmt.Errorf("router %s: %w", name, err)
		}
		bucketKey = &cmk{arn: key.Arn, key: key}
	default:
		bucketKey = &cmk{arn: pulumi.String(enc.Buckets).ToStringOutput()}
	}

	// The bus.
	busArgs := &cloudwatch.EventBusArgs{Tags: tags, Description: pulumi.String("Hydrant: hydrated records of failed stream batches"),
		KmsKeyIdentifier: busKey.arnInput()}
	if args.BusName != "" {
		busArgs.Name = pulumi.String(args.BusName)
	}
	bus, err := cloudwatch.NewEventBus(ctx, name+"-bus", busArgs, p, pulumi.DependsOn(busKey.dependsOn()))
	if err != nil {
		return nil, fmt.Errorf("router %s: bus: %w", name, err)
	}
	// The stack's account, for aws:SourceAccount wherever a service principal is admitted.
	account := accountOf(bus.Arn)

	// Intake: queue + DLQ, the SNS topic feeding it, the failure bucket notifying it.
	intakeDLQ, err := newQueue(ctx, name+"-intake-dlq", queueSpec{tags: tags}, p)
	if err != nil {
		return nil, err
	}
	intake, err := newQueue(ctx, name+"-intake", queueSpec{
		// Six times the function timeout, as Lambda recommends for SQS sources, so a message is
		// not redelivered while a slow invocation still works on it.
		visibilityTimeout: 6 * timeout,
		deadLetter:        intakeDLQ,
		maxReceiveCount:   orDefault(args.IntakeMaxReceiveCount, DefaultIntakeMaxReceiveCount),
		tags:              tags,
	}, p)
	if err != nil {
		return nil, err
	}
	// The intake topic is encrypted with a key of its own: AWS's managed SNS key cannot be
	// granted to the consumers' roles, which publish failure records to it. The key keeps the
	// default key policy, so the StreamSource grants each consumer role its use by IAM.
	topicKey, err := kms.NewKey(ctx, name+"-intake-topic-key", &kms.KeyArgs{
		Description:       pulumi.String("Hydrant: encrypts the intake topic's failure records"),
		EnableKeyRotation: pulumi.Bool(true),
		Tags:              tags,
	}, p)
	if err != nil {
		return nil, fmt.Errorf("router %s: intake topic key: %w", name, err)
	}
	topic, err := sns.NewTopic(ctx, name+"-intake-topic", &sns.TopicArgs{Tags: tags, KmsMasterKeyId: topicKey.Arn}, p)
	if err != nil {
		return nil, fmt.Errorf("router %s: intake topic: %w", name, err)
	}
	failureSpec := bucketSpec{expireDays: args.FailureObjectRetentionDays, tags: tags, kmsKey: bucketKey.arnInput()}
	if args.FailureWriters != nil {
		failureSpec.amend = func(doc, bucketArn pulumi.StringOutput) pulumi.StringOutput {
			return withFailureWriters(doc, bucketArn, bus.Arn, args.FailureWriters)
		}
	}
	failures, err := newBucket(ctx, name+"-failures", failureSpec, p)
	if err != nil {
		return nil, err
	}
	intakePolicy, err := newQueuePolicy(ctx, name+"-intake-policy", intake, []statement{
		{
			sid: "AllowIntakeTopic", principal: service("sns.amazonaws.com"),
			actions: []string{"sqs:SendMessage"}, resources: inputs(intake.Arn),
			conditions: fromSource(account, topic.Arn),
		},
		{
			// A bucket ARN holds no account: without aws:SourceAccount a bucket of the same name
			// in another account could notify the intake.
			sid: "AllowFailureBucketNotifications", principal: service("s3.amazonaws.com"),
			actions: []string{"sqs:SendMessage"}, resources: inputs(intake.Arn),
			conditions: fromSource(account, failures.Bucket.Arn),
		},
	}, p)
	if err != nil {
		return nil, err
	}
	// SNS deliveries that fail end in the intake DLQ rather than vanishing.
	if _, err := newQueuePolicy(ctx, name+"-intake-dlq-policy", intakeDLQ, []statement{{
		sid: "AllowIntakeTopicRedrive", principal: service("sns.amazonaws.com"),
		actions: []string{"sqs:SendMessage"}, resources: inputs(intakeDLQ.Arn),
		conditions: fromSource(account, topic.Arn),
	}}, p); err != nil {
		return nil, err
	}
	snsRedrive := intakeDLQ.Arn.ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(map[string]string{"deadLetterTargetArn": arn})
		return string(b), err
	}).(pulumi.StringOutput)
	if _, err := sns.NewTopicSubscription(ctx, name+"-intake-subscription", &sns.TopicSubscriptionArgs{
		Topic:         topic.Arn,
		Protocol:      pulumi.String("sqs"),
		Endpoint:      intake.Arn,
		RedrivePolicy: snsRedrive,
	}, p); err != nil {
		return nil, fmt.Errorf("router %s: intake subscription: %w", name, err)
	}
	if _, err := s3.NewBucketNotification(ctx, name+"-failures-notification", &s3.BucketNotificationArgs{
		Bucket: failures.Bucket.ID(),
		Queues: s3.BucketNotificationQueueArray{&s3.BucketNotificationQueueArgs{
			QueueArn: intake.Arn,
			Events:   pulumi.ToStringArray([]string{"s3:ObjectCreated:*"}),
		}},
		// S3 checks it may send when the notification is created: the queue policy comes first.
		// Not on the bucket's policy, which waits for the mappings (FailureWriters): the
		// notification must be on before a mapping can write its first failure object.
	}, p, pulumi.DependsOn([]pulumi.Resource{intakePolicy})); err != nil {
		return nil, fmt.Errorf("router %s: failure bucket notification: %w", name, err)
	}

	claims, err := newBucket(ctx, name+"-claim-checks", bucketSpec{
		expireDays: args.ClaimCheckRetentionDays, tags: tags, kmsKey: bucketKey.arnInput(),
		grants: func(bucketArn pulumi.StringOutput) []statement {
			return claimCheckReads(bucketArn, args.ClaimCheckReaders)
		},
	}, p)
	if err != nil {
		return nil, err
	}

	// The hydrate function and its role.
	logs, err := cloudwatch.NewLogGroup(ctx, name+"-hydrate-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(orDefault(args.LogRetentionDays, DefaultLogRetentionDays)),
		Tags:            tags,
	}, p)
	if err != nil {
		return nil, fmt.Errorf("router %s: log group: %w", name, err)
	}
	role, err := iam.NewRole(ctx, name+"-hydrate-role", &iam.RoleArgs{
		AssumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com", account),
		Description:      pulumi.String("Hydrant hydrate function"),
		Tags:             tags,
	}, p)
	if err != nil {
		return nil, fmt.Errorf("router %s: hydrate role: %w", name, err)
	}
	src := pulumi.String(args.EventSource)
	var keyUse []statement
	if busKey != nil {
		// PutEvents on a bus with a customer-managed key encrypts with the caller's permission.
		keyUse = append(keyUse, statement{sid: "EncryptEvents", actions: []string{"kms:GenerateDataKey"}, resources: inputs(busKey.arn)})
	}
	if bucketKey != nil {
		keyUse = append(keyUse, statement{sid: "UseBucketKey", actions: []string{"kms:Decrypt", "kms:GenerateDataKey"}, resources: inputs(bucketKey.arn)})
	}
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-hydrate-policy", &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: policyJSON(append([]statement{
			statement{sid: "ReadIntake", actions: []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"}, resources: inputs(intake.Arn)},
			// A refused failure record is moved to the intake DLQ with its reason.
			statement{sid: "MoveRefusedToIntakeDLQ", actions: []string{"sqs:SendMessage"}, resources: inputs(intakeDLQ.Arn)},
			statement{sid: "ReadFailureObjects", actions: []string{"s3:GetObject"}, resources: inputs(pulumi.Sprintf("%s/*", failures.Bucket.Arn))},
			statement{sid: "PutClaimChecks", actions: []string{"s3:PutObject"}, resources: inputs(pulumi.Sprintf("%s/*", claims.Bucket.Arn))},
			statement{
				sid: "PutHydrantEvents", actions: []string{"events:PutEvents"}, resources: inputs(bus.Arn),
				conditions: hydrantEventsOnly(src),
			},
			statement{sid: "WriteLogs", actions: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, resources: inputs(pulumi.Sprintf("%s:*", logs.Arn))},
		}, keyUse...)...),
	}, p)
	if err != nil {
		return nil, fmt.Errorf("router %s: hydrate role policy: %w", name, err)
	}
	logLevel := args.LogLevel
	if logLevel == "" {
		logLevel = "info"
	}
	fnArgs := &lambda.FunctionArgs{
		Description:   pulumi.String("Hydrant: turns failed stream batches into RecordHydrated events"),
		Runtime:       pulumi.String("provided.al2023"),
		Architectures: pulumi.ToStringArray([]string{"arm64"}),
		Handler:       pulumi.String("bootstrap"),
		Code:          args.HydrateCode,
		Role:          role.Arn,
		MemorySize:    pulumi.Int(orDefault(args.HydrateMemoryMB, DefaultHydrateMemoryMB)),
		Timeout:       pulumi.Int(timeout),
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{LogFormat: pulumi.String("JSON"), LogGroup: logs.Name},
		Environment: &lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{
			EnvEventBus:           bus.Name,
			EnvEventSource:        src,
			EnvClaimCheckBucket:   claims.Bucket.Bucket,
			EnvMaxEntrySize:       pulumi.String(strconv.Itoa(orDefault(args.MaxEntrySize, DefaultMaxEntrySize))),
			EnvPublishConcurrency: pulumi.String(strconv.Itoa(orDefault(args.PublishConcurrency, DefaultPublishConcurrency))),
			EnvLogLevel:           pulumi.String(logLevel),
			EnvIntakeDLQURL:       intakeDLQ.Url,
			EnvMessageConcurrency: pulumi.String(strconv.Itoa(orDefault(args.MessageConcurrency, DefaultMessageConcurrency))),
			EnvDeadlineMargin:     pulumi.Sprintf("%ds", orDefault(args.DeadlineMarginSeconds, DefaultDeadlineMarginSeconds)),
		}},
		Tags: tags,
	}
	if rc := args.ReservedConcurrency; rc != nil {
		fnArgs.ReservedConcurrentExecutions = pulumi.Int(*rc)
	}
	if args.TrustedStreams != nil {
		fnArgs.Environment.(*lambda.FunctionEnvironmentArgs).Variables.(pulumi.StringMap)[EnvTrustedStreams] = trustedStreamsJSON(args.TrustedStreams)
	}
	fn, err := lambda.NewFunction(ctx, name+"-hydrate", fnArgs, p, pulumi.DependsOn([]pulumi.Resource{rolePolicy}))
	if err != nil {
		return nil, fmt.Errorf("router %s: hydrate function: %w", name, err)
	}
	esmArgs := &lambda.EventSourceMappingArgs{
		EventSourceArn:                 intake.Arn,
		FunctionName:                   fn.Arn,
		BatchSize:                      pulumi.Int(orDefault(args.IntakeBatchSize, DefaultIntakeBatchSize)),
		MaximumBatchingWindowInSeconds: pulumi.Int(1),
		FunctionResponseTypes:          pulumi.ToStringArray([]string{"ReportBatchItemFailures"}),
	}
	if rc := args.ReservedConcurrency; rc != nil && *rc >= 2 {
		// The mapping's own cap keeps it from being throttled by the reserved concurrency,
		// which would count receives towards the DLQ.
		esmArgs.ScalingConfig = &lambda.EventSourceMappingScalingConfigArgs{MaximumConcurrency: pulumi.Int(min(*rc, 1000))}
	}
	if _, err := lambda.NewEventSourceMapping(ctx, name+"-intake-mapping", esmArgs, p); err != nil {
		return nil, fmt.Errorf("router %s: intake mapping: %w", name, err)
	}

	// Bus policy: only the hydrate role puts events; rule creator accounts (an opt-in that shows
	// them every stream) manage their own rules.
	//
	// The deny names the IAM principals it refuses: every one but the hydrate role, operators
	// included (an operator re-runs a failure record by moving it from the intake DLQ back to the
	// intake queue, so it passes the function's trust checks; `hydrant hydrate --publish` is for
	// stacks without this policy, the local cloud's). A request that carries no aws:PrincipalArn
	// is made by an AWS service itself, not by a principal of any account (archive replay puts
	// archived events back on the bus); IAM evaluates a condition on a missing key as false,
	// so "Null": false keeps such requests out of the deny instead of refusing them by accident.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
	ruleArns := bus.Arn.ApplyT(busRuleArns).(pulumi.StringOutput)
	busStatements := []statement{{
		sid: "OnlyHydratePutsEvents", deny: true, principal: anyone(),
		actions: []string{"events:PutEvents"}, resources: inputs(bus.Arn),
		conditions: []condition{
			{op: "ArnNotEquals", key: "aws:PrincipalArn", values: inputs(role.Arn)},
			{op: "Null", key: "aws:PrincipalArn", values: strs("false")},
		},
	}, {
		sid: "HydratePutsHydrantEvents", principal: awsPrincipal(role.Arn),
		actions: []string{"events:PutEvents"}, resources: inputs(bus.Arn),
		conditions: hydrantEventsOnly(src),
	}}
	for _, acct := range args.RuleCreatorAccounts {
		busStatements = append(busStatements, statement{
			sid: "RuleCreator" + acct, principal: awsPrincipal(pulumi.String("arn:aws:iam::" + acct + ":root")),
			actions: []string{
				"events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:EnableRule", "events:DisableRule",
				"events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule",
			},
			resources: inputs(ruleArns),
			// A subscriber account manages only the rules it created.
			conditions: []condition{{op: "StringEqualsIfExists", key: "events:creatorAccount", values: strs(acct)}},
		})
	}
	if _, err := cloudwatch.NewEventBusPolicy(ctx, name+"-bus-policy", &cloudwatch.EventBusPolicyArgs{
		EventBusName: bus.Name,
		Policy:       policyJSON(busStatements...),
	}, p); err != nil {
		return nil, fmt.Errorf("router %s: bus policy: %w", name, err)
	}

	// Archive on the bus for replay.
	archiveArgs := &cloudwatch.EventArchiveArgs{
		EventSourceArn:   bus.Arn,
		Description:      pulumi.String("Hydrant events, for replay"),
		EventPattern:     pulumi.String(sourcePattern(args.EventSource)),
		KmsKeyIdentifier: archiveKey.arnInput(),
	}
	if args.ArchiveRetentionDays > 0 {
		archiveArgs.RetentionDays = pulumi.Int(args.ArchiveRetentionDays)
	}
	archive, err := cloudwatch.NewEventArchive(ctx, name+"-archive", archiveArgs, p, pulumi.DependsOn(archiveKey.dependsOn()))
	if err != nil {
		return nil, fmt.Errorf("router %s: archive: %w", name, err)
	}

	// Catch-all: every Hydrant event also lands in a queue, so an event is visible even when no
	// team routes its stream.
	catchAll, err := newQueue(ctx, name+"-catch-all", queueSpec{retentionSeconds: DefaultCatchAllRetentionSec, tags: tags}, p)
	if err != nil {
		return nil, err
	}
	catchAllRule, err := cloudwatch.NewEventRule(ctx, name+"-catch-all-rule", &cloudwatch.EventRuleArgs{
		EventBusName: bus.Name,
		Description:  pulumi.String("Hydrant: every event, to the catch-all queue"),
		EventPattern: pulumi.String(sourcePattern(args.EventSource)),
		Tags:         tags,
	}, p)
	if err != nil {
		return nil, fmt.Errorf("router %s: catch-all rule: %w", name, err)
	}
	if _, err := newQueuePolicy(ctx, name+"-catch-all-policy", catchAll, []statement{allowEventBridgeSend(catchAll, catchAllRule.Arn)}, p); err != nil {
		return nil, err
	}
	catchAllTarget, err := newRuleTarget(ctx, name+"-catch-all-target", catchAllRule, bus.Name, targetSpec{arn: catchAll.Arn, tags: tags}, p)
	if err != nil {
		return nil, err
	}

	// S3 archive through Firehose, partitioned by stream name and event date.
	s3Archive, err := newS3Archive(ctx, name, bus, account, args.EventSource, args.ArchiveObjectRetentionDays, enc.Firehose, bucketKey, tags, p)
	if err != nil {
		return nil, err
	}
	if bucketKey != nil && bucketKey.key != nil {
		// Each role uses the key for its own bucket only; the consumers' roles writing failure
		// objects and the redrive operator's role are the account's, admitted by their IAM
		// policies through the account statement. Team accounts read their claim-checks.
		uses := []bucketKeyUse{
			{sid: "HydrateReadsFailures", principal: awsPrincipal(role.Arn), actions: []string{"kms:Decrypt"}, bucketArn: failures.Bucket.Arn},
			{sid: "HydrateWritesClaimChecks", principal: awsPrincipal(role.Arn), actions: []string{"kms:Decrypt", "kms:GenerateDataKey"}, bucketArn: claims.Bucket.Arn},
			{sid: "FirehoseWritesArchive", principal: awsPrincipal(s3Archive.role.Arn), actions: []string{"kms:Decrypt", "kms:GenerateDataKey"}, bucketArn: s3Archive.bucket.Bucket.Arn},
		}
		for _, rd := range args.ClaimCheckReaders {
			uses = append(uses, bucketKeyUse{sid: "ReadClaimChecks" + rd.Account, principal: awsPrincipal(pulumi.String("arn:aws:iam::" + rd.Account + ":root")),
				actions: []string{"kms:Decrypt"}, bucketArn: claims.Bucket.Arn})
		}
		if _, err := setKeyPolicy(ctx, name+"-bucket-key-policy", bucketKey.key, func(_, _ pulumi.StringOutput) []statement {
			out := make([]statement, len(uses))
			for i, u := range uses {
				out[i] = u.statement()
			}
			return out
		}, p); err != nil {
			return nil, fmt.Errorf("router %s: %w", name, err)
		}
	}

	// Schema registry.
	registry, err := schemas.NewRegistry(ctx, name+"-schemas", &schemas.RegistryArgs{
		Description: pulumi.String("Hydrant event schemas"),
		Tags:        tags,
	}, p)
	if err != nil {
		return nil, fmt.Errorf("router %s: schema registry: %w", name, err)
	}
	for _, s := range args.Schemas {
		if _, err := schemas.NewSchema(ctx, name+"-schema-"+s.Name, &schemas.SchemaArgs{
			Name:         pulumi.String(s.Name),
			RegistryName: registry.Name,
			Type:         pulumi.String("JSONSchemaDraft4"),
			Content:      pulumi.String(s.Content),
			Description:  pulumi.String(s.Description),
			Tags:         tags,
		}, p); err != nil {
			return nil, fmt.Errorf("router %s: schema %s: %w", name, s.Name, err)
		}
	}

	r.BusName, r.BusArn = bus.Name, bus.Arn
	r.EventSource = pulumi.String(args.EventSource).ToStringOutput()
	r.IntakeQueueArn, r.IntakeQueueUrl, r.IntakeQueueName = intake.Arn, intake.Url, intake.Name
	r.IntakeDLQArn, r.IntakeDLQName, r.IntakeDLQUrl = intakeDLQ.Arn, intakeDLQ.Name, intakeDLQ.Url
	r.IntakeTopicArn = topic.Arn
	r.IntakeTopicKeyArn = topicKey.Arn
	r.FailureBucketName, r.FailureBucketArn = failures.Bucket.Bucket, failures.Bucket.Arn
	r.ClaimCheckBucketName = claims.Bucket.Bucket
	r.ArchiveBucketName = s3Archive.bucket.Bucket.Bucket
	r.HydrateFunctionName, r.HydrateFunctionArn = fn.Name, fn.Arn
	r.HydrateRoleName, r.HydrateRoleArn = role.Name, role.Arn
	r.CatchAllQueueName, r.CatchAllQueueArn, r.CatchAllRuleName = catchAll.Name, catchAll.Arn, catchAllRule.Name
	r.ArchiveRuleName = s3Archive.rule.Name
	r.EventArchiveName = archive.Name
	r.SchemaRegistryName = registry.Name
	r.TargetDLQNames = pulumi.StringArray{catchAllTarget.DLQ.Name, s3Archive.target.DLQ.Name}.ToStringArrayOutput()
	r.TargetDLQArns = []pulumi.StringOutput{catchAllTarget.DLQ.Arn, s3Archive.target.DLQ.Arn}
	r.BucketKeyArn = pulumi.String("").ToStringOutput()
	if bucketKey != nil {
		r.BucketKeyArn = bucketKey.arn
	}
	r.watch = Watch{
		Queues: []WatchedQueue{
			{Label: name + "-intake-dlq", Name: intakeDLQ.Name},
			{Label: name + "-catch-all", Name: catchAll.Name, Threshold: orDefault(args.CatchAllAlarmThreshold, DefaultCatchAllAlarmThreshold)},
			{Label: name + "-catch-all-target-dlq", Name: catchAllTarget.DLQ.Name},
			{Label: name + "-archive-target-dlq", Name: s3Archive.target.DLQ.Name},
		},
		Functions: []WatchedFunction{{Label: name + "-hydrate", Name: fn.Name}},
		// The hydrate function's own metrics (EMF, namespace Hydrant, by FunctionName).
		Metrics: []WatchedMetric{
			{Label: name + "-records-failed", Namespace: HydrateMetricsNamespace, Metric: "RecordsFailed", Dimensions: pulumi.StringMap{"FunctionName": fn.Name},
				Description: "Hydrant: records of a failed batch could not be read back (RecordHydrationFailed events were published): their data is gone. The teams of the streams received the events; see the catch-all queue."},
			{Label: name + "-messages-failed", Namespace: HydrateMetricsNamespace, Metric: "MessagesFailed", Dimensions: pulumi.StringMap{"FunctionName": fn.Name},
				Description: "Hydrant: intake messages could not be processed and will be retried, then moved to the intake DLQ; see the hydrate function's logs."},
			{Label: name + "-messages-refused", Namespace: HydrateMetricsNamespace, Metric: "MessagesRefused", Dimensions: pulumi.StringMap{"FunctionName": fn.Name},
				Description: "Hydrant: failure records were refused as untrusted (unknown stream, sender or key prefix, or records outside the failed range) and moved to the intake DLQ with the reason in their HydrantRefusal attribute; nothing was published for them."},
		},
		MetricGroups: []WatchedMetricGroup{{
			Title: "Hydrate " + name, Namespace: HydrateMetricsNamespace, Dimensions: pulumi.StringMap{"FunctionName": fn.Name},
			Metrics: []string{"RecordsHydrated", "RecordsFailed", "MessagesFailed", "MessagesRefused"},
		}},
		Rules: []WatchedRule{
			{Label: name + "-catch-all", BusName: bus.Name, RuleName: catchAllRule.Name},
			{Label: name + "-archive", BusName: bus.Name, RuleName: s3Archive.rule.Name},
		},
	}
	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{
		"busName": r.BusName, "busArn": r.BusArn, "eventSource": r.EventSource,
		"intakeQueueArn": r.IntakeQueueArn, "intakeQueueUrl": r.IntakeQueueUrl, "intakeQueueName": r.IntakeQueueName,
		"intakeDlqArn": r.IntakeDLQArn, "intakeDlqName": r.IntakeDLQName, "intakeDlqUrl": r.IntakeDLQUrl, "intakeTopicArn": r.IntakeTopicArn, "intakeTopicKeyArn": r.IntakeTopicKeyArn,
		"failureBucketName": r.FailureBucketName, "failureBucketArn": r.FailureBucketArn,
		"claimCheckBucketName": r.ClaimCheckBucketName, "archiveBucketName": r.ArchiveBucketName,
		"hydrateFunctionName": r.HydrateFunctionName, "hydrateFunctionArn": r.HydrateFunctionArn,
		"hydrateRoleName": r.HydrateRoleName, "hydrateRoleArn": r.HydrateRoleArn,
		"catchAllQueueName": r.CatchAllQueueName, "catchAllQueueArn": r.CatchAllQueueArn, "catchAllRuleName": r.CatchAllRuleName,
		"archiveRuleName": r.ArchiveRuleName, "eventArchiveName": r.EventArchiveName,
		"schemaRegistryName": r.SchemaRegistryName, "targetDlqNames": r.TargetDLQNames, "bucketKeyArn": r.BucketKeyArn,
	}); err != nil {
		return nil, err
	}
	return r, nil
}

// hydrantEventsOnly are the PutEvents conditions that admit Hydrant's events and nothing else.
// events:source and events:detail-type are multivalued (ArrayOfString in the service
// authorization reference, https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html#amazoneventbridge-policy-keys):
// one PutEvents call carries up to ten entries, so a set operator is what holds every entry
// to the list. ForAllValues is also true for a request without the key (an empty set), so
// "Null": false requires each key to be present
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
func hydrantEventsOnly(src pulumi.StringInput) []condition {
	return []condition{
		{op: "ForAllValues:StringEquals", key: "events:source", values: inputs(src)},
		{op: "ForAllValues:StringEquals", key: "events:detail-type", values: strs(hydrantevent.DetailTypeRecordHydrated, hydrantevent.DetailTypeRecordHydrationFailed)},
		{op: "Null", key: "events:source", values: strs("false")},
		{op: "Null", key: "events:detail-type", values: strs("false")},
	}
}

// claimCheckReads lets each reader account get the claim-check objects of its streams: the
// keys under hydrate.OffloadKeyPrefix of each exact stream, or under the prefix a stream ARN
// prefix maps to. Nothing else of the bucket, and no listing.
func claimCheckReads(bucketArn pulumi.StringOutput, readers []ClaimCheckReader) []statement {
	var out []statement
	for _, r := range readers {
		var resources []pulumi.StringInput
		for _, st := range r.Streams {
			prefix := st.Prefix
			resources = append(resources, pulumi.All(bucketArn, st.ARN).ApplyT(func(v []any) (string, error) {
				bucket, arn := v[0].(string), v[1].(string)
				if prefix {
					p, err := hydrate.OffloadKeyPrefixOfARNPrefix(arn)
					if err != nil {
						return "", fmt.Errorf("claim-check reads for %s: %w", r.Account, err)
					}
					return bucket + "/" + p + "*", nil
				}
				return bucket + "/" + hydrate.OffloadKeyPrefix(arn) + "*", nil
			}).(pulumi.StringOutput))
		}
		out = append(out, statement{
			sid: "ReadClaimChecks" + r.Account, principal: awsPrincipal(pulumi.String("arn:aws:iam::" + r.Account + ":root")),
			actions: []string{"s3:GetObject"}, resources: resources,
		})
	}
	return out
}

// sourcePattern matches every event of the source.
func sourcePattern(source string) string {
	b, _ := json.Marshal(map[string][]string{"source": {source}})
	return string(b)
}

// busRuleArns turns a bus ARN (arn:aws:events:R:A:event-bus/NAME) into the ARN pattern of the
// rules on it (arn:aws:events:R:A:rule/NAME/*), which is what rule permissions name.
func busRuleArns(busArn string) (string, error) {
	m := busArnPattern.FindStringSubmatch(busArn)
	if m == nil {
		return "", fmt.Errorf("bus ARN %q is not arn:PARTITION:events:REGION:ACCOUNT:event-bus/NAME", busArn)
	}
	return m[1] + "rule/" + m[2] + "/*", nil
}

// s3Archive is the Firehose delivery of every event to an S3 bucket.
type s3Archive struct {
	bucket *secureBucket
	role   *iam.Role // Firehose's
	rule   *cloudwatch.EventRule
	target *ruleTarget
}

// partitionQuery extracts the partition keys with Firehose's jq 1.6: the stream name is the
// ARN's second "/" field for both Kinesis (stream/NAME) and DynamoDB (table/NAME/stream/TS);
// the date is the event's time (YYYY-MM-DD).
const partitionQuery = `{stream: (.detail.streamArn | split("/") | .[1]), date: (.time | .[0:10])}`

func newS3Archive(ctx *pulumi.Context, name string, bus *cloudwatch.EventBus, account pulumi.StringOutput, source string, expireDays int, firehoseKeyChoice string, bucketKey *cmk, tags pulumi.StringMap, p pulumi.ResourceOption) (*s3Archive, error) {
	bucket, err := newBucket(ctx, name+"-archive", bucketSpec{expireDays: expireDays, tags: tags, kmsKey: bucketKey.arnInput()}, p)
	if err != nil {
		return nil, err
	}
	fhRole, err := iam.NewRole(ctx, name+"-firehose-role", &iam.RoleArgs{
		AssumeRolePolicy: assumeRolePolicy("firehose.amazonaws.com", account),
		Description:      pulumi.String("Hydrant archive delivery to S3"),
		Tags:             tags,
	}, p)
	if err != nil {
		return nil, fmt.Errorf("router %s: firehose role: %w", name, err)
	}
	fhStatements := []statement{{
		sid:       "WriteArchive",
		actions:   []string{"s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject"},
		resources: inputs(bucket.Bucket.Arn, pulumi.Sprintf("%s/*", bucket.Bucket.Arn)),
	}}
	if bucketKey != nil {
		fhStatements = append(fhStatements, statement{sid: "UseBucketKey", actions: []string{"kms:Decrypt", "kms:GenerateDataKey"}, resources: inputs(bucketKey.arn)})
	}
	fhPolicy, err := iam.NewRolePolicy(ctx, name+"-firehose-policy", &iam.RolePolicyArgs{
		Role:   fhRole.Name,
		Policy: policyJSON(fhStatements...),
	}, p)
	if err != nil {
		return nil, fmt.Errorf("router %s: firehose policy: %w", name, err)
	}
	sse := &kinesis.FirehoseDeliveryStreamServerSideEncryptionArgs{Enabled: pulumi.Bool(true), KeyType: pulumi.String("AWS_OWNED_CMK")}
	streamDeps := []pulumi.Resource{fhPolicy}
	switch firehoseKeyChoice {
	case "":
	case KeyCreate:
		// Firehose uses the key through grants it creates with the deployer's permission when
		// the stream is created (https://docs.aws.amazon.com/firehose/latest/APIReference/API_DeliveryStreamEncryptionConfigurationInput.html),
		// so the key policy needs no statement beyond the account's own.
		key, err := newKey(ctx, name+"-firehose-key", "Hydrant: encrypts the archive delivery stream", tags, p)
		if err != nil {
			return nil, fmt.Errorf("router %s: %w", name, err)
		}
		pol, err := setKeyPolicy(ctx, name+"-firehose-key-policy", key, nil, p)
		if err != nil {
			return nil, fmt.Errorf("router %s: %w", name, err)
		}
		sse = &kinesis.FirehoseDeliveryStreamServerSideEncryptionArgs{Enabled: pulumi.Bool(true), KeyType: pulumi.String("CUSTOMER_MANAGED_CMK"), KeyArn: key.Arn}
		streamDeps = append(streamDeps, pol)
	default:
		sse = &kinesis.FirehoseDeliveryStreamServerSideEncryptionArgs{Enabled: pulumi.Bool(true), KeyType: pulumi.String("CUSTOMER_MANAGED_CMK"), KeyArn: pulumi.String(firehoseKeyChoice)}
	}
	stream, err := kinesis.NewFirehoseDeliveryStream(ctx, name+"-archive-delivery", &kinesis.FirehoseDeliveryStreamArgs{
		Destination:          pulumi.String("extended_s3"),
		ServerSideEncryption: sse,
		ExtendedS3Configuration: &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs{
			RoleArn:   fhRole.Arn,
			BucketArn: bucket.Bucket.Arn,
			// Dynamic partitioning needs a buffer of at least 64 MiB.
			BufferingSize:     pulumi.Int(64),
			BufferingInterval: pulumi.Int(300),
			CompressionFormat: pulumi.String("GZIP"),
			Prefix:            pulumi.String("events/stream=!{partitionKeyFromQuery:stream}/date=!{partitionKeyFromQuery:date}/"),
			ErrorOutputPrefix: pulumi.String("errors/!{firehose:error-output-type}/date=!{timestamp:yyyy-MM-dd}/"),
			DynamicPartitioningConfiguration: &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDynamicPartitioningConfigurationArgs{
				Enabled: pulumi.Bool(true),
			},
			ProcessingConfiguration: &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationArgs{
				Enabled: pulumi.Bool(true),
				Processors: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorArray{
					&kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorArgs{
						Type: pulumi.String("MetadataExtraction"),
						Parameters: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorParameterArray{
							&kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorParameterArgs{
								ParameterName: pulumi.String("MetadataExtractionQuery"), ParameterValue: pulumi.String(partitionQuery),
							},
							&kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorParameterArgs{
								ParameterName: pulumi.String("JsonParsingEngine"), ParameterValue: pulumi.String("JQ-1.6"),
							},
						},
					},
					&kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorArgs{
						Type: pulumi.String("AppendDelimiterToRecord"),
					},
				},
			},
		},
		Tags: tags,
	}, p, pulumi.DependsOn(streamDeps))
	if err != nil {
		return nil, fmt.Errorf("router %s: archive delivery stream: %w", name, err)
	}
	evRole, err := iam.NewRole(ctx, name+"-archive-rule-role", &iam.RoleArgs{
		AssumeRolePolicy: assumeRolePolicy("events.amazonaws.com", account),
		Description:      pulumi.String("Hydrant archive rule delivering to Firehose"),
		Tags:             tags,
	}, p)
	if err != nil {
		return nil, fmt.Errorf("router %s: archive rule role: %w", name, err)
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-archive-rule-policy", &iam.RolePolicyArgs{
		Role: evRole.Name,
		Policy: policyJSON(statement{
			sid: "PutToArchiveStream", actions: []string{"firehose:PutRecord", "firehose:PutRecordBatch"}, resources: inputs(stream.Arn),
		}),
	}, p); err != nil {
		return nil, fmt.Errorf("router %s: archive rule policy: %w", name, err)
	}
	rule, err := cloudwatch.NewEventRule(ctx, name+"-archive-rule", &cloudwatch.EventRuleArgs{
		EventBusName: bus.Name,
		Description:  pulumi.String("Hydrant: every event, to the S3 archive"),
		EventPattern: pulumi.String(sourcePattern(source)),
		Tags:         tags,
	}, p)
	if err != nil {
		return nil, fmt.Errorf("router %s: archive rule: %w", name, err)
	}
	target, err := newRuleTarget(ctx, name+"-archive-target", rule, bus.Name, targetSpec{arn: stream.Arn, roleArn: evRole.Arn, tags: tags}, p)
	if err != nil {
		return nil, err
	}
	return &s3Archive{bucket: bucket, role: fhRole, rule: rule, target: target}, nil
}
