package hydrantinfra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Retry defaults for rule targets: EventBridge's own limits, written explicitly so every target
// states its policy.
const (
	DefaultTargetRetryAttempts      = 185
	DefaultTargetMaximumEventAgeSec = 86400
)

// InputTransformer reshapes the event before it reaches a target (EventBridge input
// transformer: JSON paths into variables, and a template using them).
type InputTransformer struct {
	InputPaths    map[string]string
	InputTemplate string
}

// targetSpec is one rule target; each gets its own dead-letter queue.
type targetSpec struct {
	arn              pulumi.StringInput
	roleArn          pulumi.StringInput // nil when the target needs no role
	retryAttempts    *int
	maxEventAge      *int
	inputTransformer *InputTransformer
	tags             pulumi.StringMap
}

// ruleTarget is a target with its dead-letter queue.
type ruleTarget struct {
	Target *cloudwatch.EventTarget
	DLQ    *sqs.Queue
}

func newRuleTarget(ctx *pulumi.Context, name string, rule *cloudwatch.EventRule, busName pulumi.StringInput, spec targetSpec, opts ...pulumi.ResourceOption) (*ruleTarget, error) {
	dlq, err := newQueue(ctx, name+"-dlq", queueSpec{tags: spec.tags}, opts...)
	if err != nil {
		return nil, err
	}
	if _, err := newQueuePolicy(ctx, name+"-dlq-policy", dlq, []statement{allowEventBridgeSend(dlq, rule.Arn)}, opts...); err != nil {
		return nil, err
	}
	attempts, age := DefaultTargetRetryAttempts, DefaultTargetMaximumEventAgeSec
	if spec.retryAttempts != nil {
		attempts = *spec.retryAttempts
	}
	if spec.maxEventAge != nil {
		age = *spec.maxEventAge
	}
	if attempts < 0 || attempts > 185 {
		return nil, fmt.Errorf("target %s: retry attempts %d outside 0..185", name, attempts)
	}
	if age < 60 || age > 86400 {
		return nil, fmt.Errorf("target %s: maximum event age %d s outside 60..86400", name, age)
	}
	args := &cloudwatch.EventTargetArgs{
		Rule:         rule.Name,
		EventBusName: busName,
		Arn:          spec.arn,
		RetryPolicy: &cloudwatch.EventTargetRetryPolicyArgs{
			MaximumRetryAttempts:     pulumi.Int(attempts),
			MaximumEventAgeInSeconds: pulumi.Int(age),
		},
		DeadLetterConfig: &cloudwatch.EventTargetDeadLetterConfigArgs{Arn: dlq.Arn},
	}
	if spec.roleArn != nil {
		args.RoleArn = spec.roleArn
	}
	if it := spec.inputTransformer; it != nil {
		args.InputTransformer = &cloudwatch.EventTargetInputTransformerArgs{
			InputPaths:    pulumi.ToStringMap(it.InputPaths),
			InputTemplate: pulumi.String(it.InputTemplate),
		}
	}
	t, err := cloudwatch.NewEventTarget(ctx, name, args, opts...)
	if err != nil {
		return nil, fmt.Errorf("rule target %s: %w", name, err)
	}
	return &ruleTarget{Target: t, DLQ: dlq}, nil
}
