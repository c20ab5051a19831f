package hydrantinfra

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Queue retention: the longest SQS allows, so a person has two weeks to look at a failure.
const maxRetentionSeconds = 14 * 24 * 3600

// maxMessageSize is SQS's largest message (1 MiB): an intake or DLQ message must never be
// refused for its size.
const maxMessageSize = 1 << 20

// queueSpec describes a queue; every queue is SSE-SQS encrypted and takes 1 MiB messages.
type queueSpec struct {
	visibilityTimeout int        // seconds; 0 = SQS default (30)
	retentionSeconds  int        // 0 = 14 days
	deadLetter        *sqs.Queue // redrive target, nil for none
	maxReceiveCount   int
	tags              pulumi.StringMap
}

func newQueue(ctx *pulumi.Context, name string, spec queueSpec, opts ...pulumi.ResourceOption) (*sqs.Queue, error) {
	retention := spec.retentionSeconds
	if retention == 0 {
		retention = maxRetentionSeconds
	}
	args := &sqs.QueueArgs{
		SqsManagedSseEnabled:    pulumi.Bool(true),
		MaxMessageSize:          pulumi.Int(maxMessageSize),
		MessageRetentionSeconds: pulumi.Int(retention),
		Tags:                    spec.tags,
	}
	if spec.visibilityTimeout > 0 {
		args.VisibilityTimeoutSeconds = pulumi.Int(spec.visibilityTimeout)
	}
	if spec.deadLetter != nil {
		n := spec.maxReceiveCount
		if n <= 0 {
			n = 5
		}
		args.RedrivePolicy = spec.deadLetter.Arn.ApplyT(func(arn string) (string, error) {
			b, err := json.Marshal(map[string]any{"deadLetterTargetArn": arn, "maxReceiveCount": n})
			return string(b), err
		}).(pulumi.StringOutput)
	}
	q, err := sqs.NewQueue(ctx, name, args, opts...)
	if err != nil {
		return nil, fmt.Errorf("queue %s: %w", name, err)
	}
	return q, nil
}

// newQueuePolicy sets the queue's only policy: the given grants plus a denial of requests made
// without TLS. Each queue gets exactly one policy (SQS keeps one document per queue).
func newQueuePolicy(ctx *pulumi.Context, name string, q *sqs.Queue, grants []statement, opts ...pulumi.ResourceOption) (*sqs.QueuePolicy, error) {
	stmts := append([]statement{denyInsecureTransport("sqs:*", q.Arn)}, grants...)
	p, err := sqs.NewQueuePolicy(ctx, name, &sqs.QueuePolicyArgs{
		QueueUrl: q.Url,
		Policy:   policyJSON(stmts...),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("queue policy %s: %w", name, err)
	}
	return p, nil
}

// allowEventBridgeSend lets the rule with the given ARN send messages to the queue, on behalf
// of the rule's own account only (aws:SourceAccount beside aws:SourceArn).
func allowEventBridgeSend(q *sqs.Queue, ruleArn pulumi.StringOutput) statement {
	return statement{
		sid:        "AllowEventBridgeRules",
		principal:  service("events.amazonaws.com"),
		actions:    []string{"sqs:SendMessage"},
		resources:  inputs(q.Arn),
		conditions: fromSource(accountOf(ruleArn), ruleArn),
	}
}

// bucketSpec describes a bucket: SSE-S3 (or SSE-KMS with kmsKey) encrypted, public access blocked, owner-enforced
// object ownership, a policy refusing non-TLS requests, objects expiring after expireDays
// (0 keeps them).
type bucketSpec struct {
	expireDays int
	tags       pulumi.StringMap
	// grants are statements added to the bucket policy, given the bucket's ARN.
	grants func(bucketArn pulumi.StringOutput) []statement
	// kmsKey is the customer-managed key of the bucket (SSE-KMS); nil keeps SSE-S3.
	kmsKey pulumi.StringPtrInput
	// amend, when set, rewrites the policy document (statements whose number is known only
	// once other resources exist).
	amend func(doc, bucketArn pulumi.StringOutput) pulumi.StringOutput
}

// secureBucket is a bucket with the resources that make it safe.
type secureBucket struct {
	Bucket *s3.Bucket
	Policy *s3.BucketPolicy
}

func newBucket(ctx *pulumi.Context, name string, spec bucketSpec, opts ...pulumi.ResourceOption) (*secureBucket, error) {
	b, err := s3.NewBucket(ctx, name, &s3.BucketArgs{Tags: spec.tags}, opts...)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", name, err)
	}
	child := withOptions(opts, pulumi.DependsOn([]pulumi.Resource{b}))
	sse := &s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs{SseAlgorithm: pulumi.String("AES256")}
	if spec.kmsKey != nil {
		sse = &s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs{
			SseAlgorithm: pulumi.String("aws:kms"), KmsMasterKeyId: spec.kmsKey,
		}
	}
	if _, err := s3.NewBucketServerSideEncryptionConfiguration(ctx, name+"-sse", &s3.BucketServerSideEncryptionConfigurationArgs{
		Bucket: b.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationRuleArray{&s3.BucketServerSideEncryptionConfigurationRuleArgs{
			ApplyServerSideEncryptionByDefault: sse,
			// Bucket Keys cut KMS calls (and make the bucket ARN the encryption context).
			BucketKeyEnabled: pulumi.Bool(true),
		}},
	}, child...); err != nil {
		return nil, fmt.Errorf("bucket %s encryption: %w", name, err)
	}
	pab, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                b.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, child...)
	if err != nil {
		return nil, fmt.Errorf("bucket %s public access block: %w", name, err)
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: b.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, child...); err != nil {
		return nil, fmt.Errorf("bucket %s ownership controls: %w", name, err)
	}
	if spec.expireDays > 0 {
		if _, err := s3.NewBucketLifecycleConfiguration(ctx, name+"-lifecycle", &s3.BucketLifecycleConfigurationArgs{
			Bucket: b.ID(),
			Rules: s3.BucketLifecycleConfigurationRuleArray{&s3.BucketLifecycleConfigurationRuleArgs{
				Id:                             pulumi.String("expire"),
				Status:                         pulumi.String("Enabled"),
				Filter:                         &s3.BucketLifecycleConfigurationRuleFilterArgs{Prefix: pulumi.String("")},
				Expiration:                     &s3.BucketLifecycleConfigurationRuleExpirationArgs{Days: pulumi.Int(spec.expireDays)},
				AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs{DaysAfterInitiation: pulumi.Int(1)},
			}},
		}, child...); err != nil {
			return nil, fmt.Errorf("bucket %s lifecycle: %w", name, err)
		}
	}
	// The policy waits for the public access block so the two never race on a new bucket.
	stmts := []statement{denyInsecureTransport("s3:*", b.Arn, pulumi.Sprintf("%s/*", b.Arn))}
	if spec.grants != nil {
		stmts = append(stmts, spec.grants(b.Arn)...)
	}
	doc := policyJSON(stmts...)
	if spec.amend != nil {
		doc = spec.amend(doc, b.Arn)
	}
	pol, err := s3.NewBucketPolicy(ctx, name+"-policy", &s3.BucketPolicyArgs{
		Bucket: b.ID(),
		Policy: doc,
	}, withOptions(opts, pulumi.DependsOn([]pulumi.Resource{b, pab}))...)
	if err != nil {
		return nil, fmt.Errorf("bucket %s policy: %w", name, err)
	}
	return &secureBucket{Bucket: b, Policy: pol}, nil
}

// withOptions returns a new slice: appending to a caller's slice could overwrite options another
// resource already holds.
func withOptions(opts []pulumi.ResourceOption, more ...pulumi.ResourceOption) []pulumi.ResourceOption {
	out := make([]pulumi.ResourceOption, 0, len(opts)+len(more))
	return append(append(out, opts...), more...)
}

// NewEncryptedQueue creates an SSE-SQS queue taking 1 MiB messages and keeping them 14 days,
// for a team that lets Hydrant create its subscription's queue. Its policy comes from the
// Subscription target (QueueURL), which allows the rule and denies requests without TLS.
func NewEncryptedQueue(ctx *pulumi.Context, name string, tags map[string]string, opts ...pulumi.ResourceOption) (*sqs.Queue, error) {
	return newQueue(ctx, name, queueSpec{tags: pulumi.ToStringMap(tags)}, opts...)
}
