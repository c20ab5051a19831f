package hydrantinfra

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hydrant-dev/hydrant/infra/plan"
)

// ArchivePrefix is where the archive's Firehose stream writes events (see newS3Archive).
const ArchivePrefix = "events/"

// RedriveOperatorArgs name what a redrive may touch: nothing else is granted.
type RedriveOperatorArgs struct {
	// Account is the stack's account: its principals (with sts:AssumeRole allowed to them)
	// may assume the role, unless TrustedPrincipals names the ones that may.
	Account pulumi.StringInput
	// TrustedPrincipals are IAM role or user ARNs that may assume the role.
	TrustedPrincipals []string
	// Queues are the ARNs of the queues a redrive reads: the teams' queues, the catch-all
	// queue and the targets' DLQs.
	Queues []pulumi.StringInput
	// ArchiveBucketArn is the archive bucket (read under ArchivePrefix only).
	ArchiveBucketArn pulumi.StringInput
	// ClaimCheckBucketArn is the bucket of offloaded records.
	ClaimCheckBucketArn pulumi.StringInput
	// BucketKeyArn is the buckets' customer-managed key (Router.BucketKeyArn); nil when the
	// buckets use SSE-S3.
	BucketKeyArn pulumi.StringInput
	// IntakeDLQArn and IntakeQueueArn, when given, let the role run `hydrant intake-dlq`: read
	// the intake DLQ, take refused records out of it, and move its messages back to the intake
	// queue with a message move task (SQS's redrive permissions: the task's actions, receive and
	// delete on the DLQ, send on the destination).
	IntakeDLQArn   pulumi.StringInput
	IntakeQueueArn pulumi.StringInput
	// Functions are the consumer functions' ARNs, Streams the Kinesis streams' ARNs.
	Functions []pulumi.StringInput
	Streams   []pulumi.StringInput
	Tags      map[string]string
}

// RedriveOperator is the role an operator assumes to run `hydrant redrive` and `hydrant
// intake-dlq` on a deployed stack, with exactly the permissions they need.
type RedriveOperator struct {
	pulumi.ResourceState

	RoleArn  pulumi.StringOutput `pulumi:"roleArn"`
	RoleName pulumi.StringOutput `pulumi:"roleName"`
}

// NewRedriveOperator creates the role and its policy.
func NewRedriveOperator(ctx *pulumi.Context, name string, args *RedriveOperatorArgs, opts ...pulumi.ResourceOption) (*RedriveOperator, error) {
	if args == nil || args.Account == nil {
		return nil, fmt.Errorf("redrive operator %s: Account is required", name)
	}
	if len(args.Queues) == 0 && args.ArchiveBucketArn == nil {
		return nil, fmt.Errorf("redrive operator %s: no queue and no archive to redrive from", name)
	}
	if len(args.Functions) == 0 && len(args.Streams) == 0 {
		return nil, fmt.Errorf("redrive operator %s: no function and no stream to redrive to", name)
	}
	c := &RedriveOperator{}
	if err := ctx.RegisterComponentResource(plan.TypeRedriveOperator, name, c, opts...); err != nil {
		return nil, err
	}
	p := pulumi.Parent(c)
	principals := strs(args.TrustedPrincipals...)
	if len(principals) == 0 {
		principals = inputs(pulumi.Sprintf("arn:aws:iam::%s:root", args.Account))
	}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		AssumeRolePolicy: operatorTrustPolicy(principals),
		Description:      pulumi.String("Hydrant redrive: read hydrated records from queues and the archive, send them to the consumers; move the intake DLQ back"),
		Tags:             pulumi.ToStringMap(args.Tags),
	}, p)
	if err != nil {
		return nil, fmt.Errorf("redrive operator %s: role: %w", name, err)
	}
	var stmts []statement
	if len(args.Queues) > 0 {
		stmts = append(stmts, statement{sid: "ReadSourceQueues", actions: []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"}, resources: args.Queues})
	}
	if args.ArchiveBucketArn != nil {
		stmts = append(stmts,
			statement{sid: "ListArchive", actions: []string{"s3:ListBucket"}, resources: inputs(args.ArchiveBucketArn),
				conditions: []condition{{op: "StringLike", key: "s3:prefix", values: strs(ArchivePrefix + "*")}}},
			statement{sid: "ReadArchive", actions: []string{"s3:GetObject"}, resources: inputs(pulumi.Sprintf("%s/%s*", args.ArchiveBucketArn, ArchivePrefix))})
	}
	if args.ClaimCheckBucketArn != nil {
		stmts = append(stmts, statement{sid: "ReadOffloadedRecords", actions: []string{"s3:GetObject"}, resources: inputs(pulumi.Sprintf("%s/*", args.ClaimCheckBucketArn))})
	}
	if args.BucketKeyArn != nil {
		stmts = append(stmts, statement{sid: "DecryptObjects", actions: []string{"kms:Decrypt"}, resources: inputs(args.BucketKeyArn)})
	}
	if len(args.Functions) > 0 {
		stmts = append(stmts,
			statement{sid: "InvokeConsumers", actions: []string{"lambda:InvokeFunction"}, resources: args.Functions},
			// ListEventSourceMappings has no resource-level permission (IAM's service
			// authorization reference lists no resource type for it): "*" is the only resource.
			statement{sid: "ReadBatchSizes", actions: []string{"lambda:ListEventSourceMappings"}, resources: strs("*")})
	}
	if len(args.Streams) > 0 {
		stmts = append(stmts, statement{sid: "PutBackOnStreams", actions: []string{"kinesis:PutRecords"}, resources: args.Streams})
	}
	if args.IntakeDLQArn != nil && args.IntakeQueueArn != nil {
		stmts = append(stmts,
			statement{sid: "IntakeDLQ", actions: []string{
				"sqs:GetQueueAttributes", "sqs:ListDeadLetterSourceQueues", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage",
				"sqs:StartMessageMoveTask", "sqs:ListMessageMoveTasks", "sqs:CancelMessageMoveTask",
			}, resources: inputs(args.IntakeDLQArn)},
			statement{sid: "MoveBackToIntake", actions: []string{"sqs:GetQueueAttributes", "sqs:SendMessage"}, resources: inputs(args.IntakeQueueArn)})
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-policy", &iam.RolePolicyArgs{Role: role.Name, Policy: policyJSON(stmts...)}, p); err != nil {
		return nil, fmt.Errorf("redrive operator %s: policy: %w", name, err)
	}
	c.RoleArn, c.RoleName = role.Arn, role.Name
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"roleArn": role.Arn, "roleName": role.Name}); err != nil {
		return nil, err
	}
	return c, nil
}

// operatorTrustPolicy lets the principals assume the role.
func operatorTrustPolicy(principals []pulumi.StringInput) pulumi.StringOutput {
	vals := make([]any, len(principals))
	for i, p := range principals {
		vals[i] = p
	}
	return pulumi.All(vals...).ApplyT(func(vs []any) (string, error) {
		arns := make([]string, len(vs))
		for i, v := range vs {
			arns[i] = v.(string)
		}
		b, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []map[string]any{{
				"Sid": "Operators", "Effect": "Allow", "Principal": map[string][]string{"AWS": arns}, "Action": "sts:AssumeRole",
			}},
		})
		return string(b), err
	}).(pulumi.StringOutput)
}
