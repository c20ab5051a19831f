package hydrantinfra

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// KeyCreate, as a key choice, has the stack create the customer-managed key (with a key
// policy admitting exactly the services and roles that use it).
const KeyCreate = "create"

// Encryption chooses the key of each encrypted part of the router. Each field is empty (the
// default: AWS-owned keys), KeyCreate, or the ARN of a customer-managed key the operator brings
// (its key policy is the operator's: docs/deployment.md says what it must admit).
type Encryption struct {
	Bus      string // the event bus's events, rule patterns and targets
	Archive  string // the bus's event archive
	Firehose string // the archive delivery stream's buffered records
	Buckets  string // the failure, claim-check and S3 archive buckets (SSE-KMS with S3 Bucket Keys)
}

// ValidateKeyChoice checks one key choice: empty, KeyCreate or a KMS key ARN
// (arn:PARTITION:kms:REGION:ACCOUNT:key/ID).
func ValidateKeyChoice(choice string) error {
	if choice == "" || choice == KeyCreate {
		return nil
	}
	a, err := arn.Parse(choice)
	if err != nil || a.Service != "kms" || a.Region == "" || !accountID.MatchString(a.AccountID) ||
		!strings.HasPrefix(a.Resource, "key/") || len(a.Resource) == len("key/") {
		return fmt.Errorf("%q is neither %q nor a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)", choice, KeyCreate)
	}
	return nil
}

func (e Encryption) validate() error {
	var errs []error
	for _, f := range []struct{ name, v string }{{"Bus", e.Bus}, {"Archive", e.Archive}, {"Firehose", e.Firehose}, {"Buckets", e.Buckets}} {
		if err := ValidateKeyChoice(f.v); err != nil {
			//lint:ignore ST1005 the message starts with the field it names, spelt as in the Go struct
			errs = append(errs, fmt.Errorf("Encryption.%s: %w", f.name, err))
		}
	}
	return errors.Join(errs...)
}

// cmk is the customer-managed key of one part: its ARN, and the key policy to wait for when
// the stack created the key (nil for a brought key).
type cmk struct {
	arn    pulumi.StringOutput
	key    *kms.Key
	policy *kms.KeyPolicy
}

// dependsOn orders a resource after the key policy, when the stack writes one.
func (k *cmk) dependsOn() []pulumi.Resource {
	if k == nil || k.policy == nil {
		return nil
	}
	return []pulumi.Resource{k.policy}
}

// keyParts are the partition and account of a key, read from its own ARN so the program needs
// no lookup call.
func keyParts(key *kms.Key) (partition, account pulumi.StringOutput) {
	part := func(field func(arn.ARN) string) pulumi.StringOutput {
		return key.Arn.ApplyT(func(s string) (string, error) {
			a, err := arn.Parse(s)
			if err != nil {
				return "", fmt.Errorf("key ARN %q is not an ARN", s)
			}
			return field(a), nil
		}).(pulumi.StringOutput)
	}
	return part(func(a arn.ARN) string { return a.Partition }), part(func(a arn.ARN) string { return a.AccountID })
}

// newKey creates a rotating key.
func newKey(ctx *pulumi.Context, name, description string, tags pulumi.StringMap, p pulumi.ResourceOption) (*kms.Key, error) {
	key, err := kms.NewKey(ctx, name, &kms.KeyArgs{
		Description:       pulumi.String(description),
		EnableKeyRotation: pulumi.Bool(true),
		Tags:              tags,
	}, p)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", name, err)
	}
	return key, nil
}

// setKeyPolicy writes the key's policy: the account administers the key (which also lets the
// account's IAM policies grant its use), plus the grants, given the key's partition and account.
// In a key policy, Resource "*" is the key itself.
func setKeyPolicy(ctx *pulumi.Context, name string, key *kms.Key, grants func(partition, account pulumi.StringOutput) []statement, opts ...pulumi.ResourceOption) (*kms.KeyPolicy, error) {
	partition, account := keyParts(key)
	stmts := []statement{{sid: "AccountAdministersTheKey", principal: awsPrincipal(pulumi.Sprintf("arn:%s:iam::%s:root", partition, account)),
		actions: []string{"kms:*"}, resources: strs("*")}}
	if grants != nil {
		stmts = append(stmts, grants(partition, account)...)
	}
	pol, err := kms.NewKeyPolicy(ctx, name, &kms.KeyPolicyArgs{KeyId: key.KeyId, Policy: policyJSON(stmts...)}, opts...)
	if err != nil {
		return nil, fmt.Errorf("key policy %s: %w", name, err)
	}
	return pol, nil
}

// eventBridgeUsesKey admits EventBridge to a bus or archive key, for the stack's account only.
// EventBridge needs kms:DescribeKey when the bus or archive is created, kms:GenerateDataKey and
// kms:Decrypt to store and match events
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html). The
// condition is aws:SourceAccount, not the bus's aws:SourceArn: the policy has to be in place
// before the bus it names exists.
func eventBridgeUsesKey(account pulumi.StringOutput) statement {
	return statement{
		sid: "EventBridgeUsesKey", principal: service("events.amazonaws.com"),
		actions: []string{"kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"}, resources: strs("*"),
		conditions: []condition{{op: "StringEquals", key: "aws:SourceAccount", values: inputs(account)}},
	}
}

// newEventBridgeKey resolves a bus or archive key choice: nil for AWS-owned, the brought ARN,
// or a created key whose policy admits EventBridge.
func newEventBridgeKey(ctx *pulumi.Context, name, choice, description string, tags pulumi.StringMap, p pulumi.ResourceOption) (*cmk, error) {
	switch choice {
	case "":
		return nil, nil
	case KeyCreate:
		key, err := newKey(ctx, name, description, tags, p)
		if err != nil {
			return nil, err
		}
		pol, err := setKeyPolicy(ctx, name+"-policy", key, func(_, account pulumi.StringOutput) []statement {
			return []statement{eventBridgeUsesKey(account)}
		}, p)
		if err != nil {
			return nil, err
		}
		return &cmk{arn: key.Arn, key: key, policy: pol}, nil
	}
	return &cmk{arn: pulumi.String(choice).ToStringOutput()}, nil
}

// keyArnInput is the key's ARN for a resource argument, nil for AWS-owned keys.
func (k *cmk) arnInput() pulumi.StringPtrInput {
	if k == nil {
		return nil
	}
	return k.arn
}

// bucketKeyUse is one role's or account's use of the buckets' key: with S3 Bucket Keys S3 asks
// KMS for the bucket's data key with the bucket ARN as encryption context
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html), so each grant names
// the bucket it is for.
type bucketKeyUse struct {
	sid       string
	principal *principal
	actions   []string
	bucketArn pulumi.StringInput
}

func (u bucketKeyUse) statement() statement {
	return statement{
		sid: u.sid, principal: u.principal, actions: u.actions, resources: strs("*"),
		conditions: []condition{{op: "StringEquals", key: "kms:EncryptionContext:aws:s3:arn", values: inputs(u.bucketArn)}},
	}
}
