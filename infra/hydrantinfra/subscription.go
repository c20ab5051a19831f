package hydrantinfra

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/hydrant-dev/hydrant/internal/targetkind"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TargetKind is what a subscription delivers to: a kind of the one registry of target kinds
// (internal/targetkind), which the local EventBridge endpoint also serves.
type TargetKind = targetkind.Kind

// Target kinds.
const (
	TargetSQS            = targetkind.SQS
	TargetLambda         = targetkind.Lambda
	TargetSNS            = targetkind.SNS
	TargetEventBus       = targetkind.EventBus // another bus, in this or another account
	TargetAPIDestination = targetkind.APIDestination
)

// TargetKinds lists the kinds a subscription accepts. The router itself also targets an SQS
// queue (the catch-all) and a Firehose delivery stream (the archive).
var TargetKinds = []TargetKind{TargetSQS, TargetLambda, TargetSNS, TargetEventBus, TargetAPIDestination}

// StreamSelector selects the streams of a subscription: an exact ARN, or an ARN prefix.
type StreamSelector struct {
	ARN    pulumi.StringInput
	Prefix bool
}

// Target is one destination of a subscription.
type Target struct {
	// Name identifies the target within the subscription; it is part of resource names
	// ("<subscription>-<name>-role", which with Pulumi's suffix must fit IAM's 64 characters).
	Name string
	Kind TargetKind
	// Arn of the queue, function, topic or bus (not for API destinations).
	Arn pulumi.StringInput
	// QueueURL (SQS only): when set, the component writes the queue's policy, allowing this
	// rule to send. It replaces any policy the queue has; leave it empty to manage the policy
	// yourself.
	QueueURL pulumi.StringInput
	// ManageTopicPolicy (SNS only): write the topic's policy allowing this rule to publish. It
	// replaces any policy the topic has.
	ManageTopicPolicy bool
	// APIDestination describes an HTTPS endpoint (apidestination only).
	APIDestination *APIDestination
	// RetryAttempts (0..185) and MaximumEventAgeSeconds (60..86400); nil takes the defaults.
	RetryAttempts          *int
	MaximumEventAgeSeconds *int
	InputTransformer       *InputTransformer
}

// APIDestination is an HTTPS endpoint with its connection's authorization.
type APIDestination struct {
	Endpoint           string // https URL; may contain "*" path parameters
	HTTPMethod         string // POST, PUT, ...
	RateLimitPerSecond int    // 0 = EventBridge's default
	// Authorization is "API_KEY" (APIKeyName, APIKeyValue) or "BASIC" (Username, Password).
	Authorization string
	APIKeyName    string
	APIKeyValue   pulumi.StringInput
	Username      string
	Password      pulumi.StringInput
}

// SubscriptionArgs configures one team's subscription.
type SubscriptionArgs struct {
	// EventBusName is Hydrant's bus: its name, or its ARN when subscribing from another account.
	EventBusName pulumi.StringInput
	// EventSource is Hydrant's event source; empty means hydrantevent.DefaultSource.
	EventSource string
	Streams     []StreamSelector
	// DetailPattern is an optional JSON object of extra conditions on the event's detail, such
	// as {"dynamodb":{"eventName":["REMOVE"]}}; its paths must be ones the schemas in schemas/
	// give the detail (hydrant plan checks them).
	DetailPattern string
	// ExcludeHydrationFailures stops RecordHydrationFailed events for the streams, which the
	// targets otherwise receive (whatever the DetailPattern): a team learns by default that
	// records of its streams are gone. Opting out leaves the team to the operators' alarms.
	ExcludeHydrationFailures bool
	Targets                  []Target
	Tags                     map[string]string
}

// Subscription is one team's rule and its targets.
type Subscription struct {
	pulumi.ResourceState

	RuleName       pulumi.StringOutput      `pulumi:"ruleName"`
	RuleArn        pulumi.StringOutput      `pulumi:"ruleArn"`
	EventPattern   pulumi.StringOutput      `pulumi:"eventPattern"`
	TargetDLQNames pulumi.StringArrayOutput `pulumi:"targetDlqNames"`
	TargetDLQArns  pulumi.StringArrayOutput `pulumi:"targetDlqArns"`
	// TargetRoleArns are the roles EventBridge assumes for the targets that need one (event
	// buses, API destinations), by target name: a team inbox's policy may name its role.
	TargetRoleArns pulumi.StringMapOutput `pulumi:"targetRoleArns"`

	watch Watch
}

// Watch is what Operations should alarm on: the rule's failed invocations and each target's DLQ.
func (s *Subscription) Watch() Watch { return s.watch }

var targetName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,39}$`)

func (a *SubscriptionArgs) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	var errs []error
	if a.EventBusName == nil {
		errs = append(errs, errors.New("EventBusName is required"))
	}
	if len(a.Streams) == 0 {
		errs = append(errs, errors.New("at least one stream is required"))
	}
	for i, s := range a.Streams {
		if s.ARN == nil {
			//lint:ignore ST1005 the message starts with the configuration field it names, spelt as in the Go struct
			errs = append(errs, fmt.Errorf("Streams[%d]: ARN is required", i))
		}
	}
	if len(a.Targets) == 0 {
		errs = append(errs, errors.New("at least one target is required"))
	}
	if len(a.Targets) > 5 {
		errs = append(errs, fmt.Errorf("%d targets: EventBridge allows at most 5 per rule", len(a.Targets)))
	}
	seen := map[string]bool{}
	for i, t := range a.Targets {
		if err := t.validate(); err != nil {
			//lint:ignore ST1005 the message starts with the configuration field it names, spelt as in the Go struct
			errs = append(errs, fmt.Errorf("Targets[%d]: %w", i, err))
		}
		if seen[t.Name] {
			//lint:ignore ST1005 the message starts with the configuration field it names, spelt as in the Go struct
			errs = append(errs, fmt.Errorf("Targets[%d]: duplicate name %q", i, t.Name))
		}
		seen[t.Name] = true
	}
	return errors.Join(errs...)
}

func (t Target) validate() error {
	if !targetName.MatchString(t.Name) {
		return fmt.Errorf("name %q: want 1-40 letters, digits or '-'", t.Name)
	}
	switch t.Kind {
	case TargetSQS, TargetLambda, TargetSNS, TargetEventBus:
		if t.Arn == nil {
			return fmt.Errorf("target %q (%s): Arn is required", t.Name, t.Kind)
		}
	case TargetAPIDestination:
		d := t.APIDestination
		if d == nil {
			return fmt.Errorf("target %q: APIDestination is required for kind %s", t.Name, t.Kind)
		}
		u, err := url.Parse(d.Endpoint)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("target %q: endpoint %q is not an https URL", t.Name, d.Endpoint)
		}
		if d.HTTPMethod == "" {
			return fmt.Errorf("target %q: HTTPMethod is required", t.Name)
		}
		switch d.Authorization {
		case "API_KEY":
			if d.APIKeyName == "" || d.APIKeyValue == nil {
				return fmt.Errorf("target %q: API_KEY authorization needs APIKeyName and APIKeyValue", t.Name)
			}
		case "BASIC":
			if d.Username == "" || d.Password == nil {
				return fmt.Errorf("target %q: BASIC authorization needs Username and Password", t.Name)
			}
		default:
			return fmt.Errorf("target %q: authorization %q: want API_KEY or BASIC", t.Name, d.Authorization)
		}
	default:
		kinds := make([]string, len(TargetKinds))
		for i, k := range TargetKinds {
			kinds[i] = string(k)
		}
		return fmt.Errorf("target %q: unknown kind %q (want one of %s)", t.Name, t.Kind, strings.Join(kinds, ", "))
	}
	return nil
}

// NewSubscription creates a team's rule on Hydrant's bus and its targets, each with a retry
// policy and a dead-letter queue.
func NewSubscription(ctx *pulumi.Context, name string, args *SubscriptionArgs, opts ...pulumi.ResourceOption) (*Subscription, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("subscription %s: %w", name, err)
	}
	s := &Subscription{}
	if err := ctx.RegisterComponentResource(SubscriptionType, name, s, opts...); err != nil {
		return nil, err
	}
	p := pulumi.Parent(s)
	tags := pulumi.ToStringMap(args.Tags)

	arns := make([]any, len(args.Streams))
	for i, st := range args.Streams {
		arns[i] = st.ARN
	}
	pattern := pulumi.All(arns...).ApplyT(func(vals []any) (string, error) {
		matches := make([]StreamMatch, len(vals))
		for i, v := range vals {
			matches[i] = StreamMatch{ARN: v.(string), Prefix: args.Streams[i].Prefix}
		}
		p, err := RulePattern(args.EventSource, !args.ExcludeHydrationFailures, matches, args.DetailPattern)
		if err != nil {
			return "", fmt.Errorf("subscription %s: %w", name, err)
		}
		return p, nil
	}).(pulumi.StringOutput)

	rule, err := cloudwatch.NewEventRule(ctx, name+"-rule", &cloudwatch.EventRuleArgs{
		EventBusName: args.EventBusName,
		Description:  pulumi.String("Hydrant subscription " + name),
		EventPattern: pattern,
		Tags:         tags,
	}, p)
	if err != nil {
		return nil, fmt.Errorf("subscription %s: rule: %w", name, err)
	}

	delivered, err := newTargets(ctx, name, rule, args.EventBusName, args.Targets, tags, p)
	if err != nil {
		return nil, fmt.Errorf("subscription %s: %w", name, err)
	}
	s.watch.Queues = delivered.watch
	s.TargetRoleArns = delivered.roleArns.ToStringMapOutput()
	s.watch.Rules = []WatchedRule{{Label: name, BusName: args.EventBusName, RuleName: rule.Name}}
	s.RuleName, s.RuleArn, s.EventPattern = rule.Name, rule.Arn, pattern
	s.TargetDLQNames, s.TargetDLQArns = delivered.dlqNames.ToStringArrayOutput(), delivered.dlqArns.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{
		"ruleName": s.RuleName, "ruleArn": s.RuleArn, "eventPattern": s.EventPattern,
		"targetDlqNames": s.TargetDLQNames, "targetDlqArns": s.TargetDLQArns, "targetRoleArns": s.TargetRoleArns,
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// deliveredTargets are the targets newTargets added to a rule.
type deliveredTargets struct {
	dlqNames, dlqArns pulumi.StringArray
	roleArns          pulumi.StringMap
	watch             []WatchedQueue
}

// newTargets adds the targets to the rule, each with a retry policy, its own dead-letter queue
// and the grants it needs (queue or topic policy, Lambda permission, EventBridge role).
func newTargets(ctx *pulumi.Context, name string, rule *cloudwatch.EventRule, bus pulumi.StringInput, targets []Target, tags pulumi.StringMap, p pulumi.ResourceOption) (*deliveredTargets, error) {
	out := &deliveredTargets{roleArns: pulumi.StringMap{}}
	for _, t := range targets {
		tn := name + "-" + t.Name
		spec := targetSpec{
			retryAttempts:    t.RetryAttempts,
			maxEventAge:      t.MaximumEventAgeSeconds,
			inputTransformer: t.InputTransformer,
			tags:             tags,
		}
		var after []pulumi.Resource // grants that must exist before the target delivers
		switch t.Kind {
		case TargetSQS:
			spec.arn = t.Arn
			if t.QueueURL != nil {
				pol, err := sqs.NewQueuePolicy(ctx, tn+"-queue-policy", &sqs.QueuePolicyArgs{
					QueueUrl: t.QueueURL,
					Policy: policyJSON(
						denyInsecureTransport("sqs:*", t.Arn),
						statement{sid: "AllowHydrantRule", principal: service("events.amazonaws.com"), actions: []string{"sqs:SendMessage"},
							resources: inputs(t.Arn), conditions: fromSource(accountOf(rule.Arn), rule.Arn)},
					),
				}, p)
				if err != nil {
					return nil, fmt.Errorf("target %s queue policy: %w", t.Name, err)
				}
				after = append(after, pol)
			}
		case TargetLambda:
			spec.arn = t.Arn
			perm, err := lambda.NewPermission(ctx, tn+"-invoke", &lambda.PermissionArgs{
				Action:    pulumi.String("lambda:InvokeFunction"),
				Function:  t.Arn,
				Principal: pulumi.String("events.amazonaws.com"),
				SourceArn: rule.Arn,
				// The rule's account too: a confused deputy cannot invoke through a rule elsewhere.
				SourceAccount: accountOf(rule.Arn),
			}, p)
			if err != nil {
				return nil, fmt.Errorf("target %s permission: %w", t.Name, err)
			}
			after = append(after, perm)
		case TargetSNS:
			spec.arn = t.Arn
			if t.ManageTopicPolicy {
				pol, err := sns.NewTopicPolicy(ctx, tn+"-topic-policy", &sns.TopicPolicyArgs{
					Arn: t.Arn,
					Policy: policyJSON(
						denyInsecureTransport("sns:Publish", t.Arn),
						statement{sid: "AllowHydrantRule", principal: service("events.amazonaws.com"), actions: []string{"sns:Publish"},
							resources: inputs(t.Arn), conditions: fromSource(accountOf(rule.Arn), rule.Arn)},
					),
				}, p)
				if err != nil {
					return nil, fmt.Errorf("target %s topic policy: %w", t.Name, err)
				}
				after = append(after, pol)
			}
		case TargetEventBus:
			spec.arn = t.Arn
			role, err := eventsRole(ctx, tn, accountOf(rule.Arn), "events:PutEvents", t.Arn, tags, p)
			if err != nil {
				return nil, fmt.Errorf("target %s: %w", t.Name, err)
			}
			spec.roleArn = role.role.Arn
			out.roleArns[t.Name] = role.role.Arn
			after = append(after, role.policy)
		case TargetAPIDestination:
			dest, err := newAPIDestination(ctx, tn, t.APIDestination, p)
			if err != nil {
				return nil, fmt.Errorf("target %s: %w", t.Name, err)
			}
			spec.arn = dest.Arn
			role, err := eventsRole(ctx, tn, accountOf(rule.Arn), "events:InvokeApiDestination", dest.Arn, tags, p)
			if err != nil {
				return nil, fmt.Errorf("target %s: %w", t.Name, err)
			}
			spec.roleArn = role.role.Arn
			out.roleArns[t.Name] = role.role.Arn
			after = append(after, role.policy)
		}
		topts := []pulumi.ResourceOption{p}
		if len(after) > 0 {
			topts = append(topts, pulumi.DependsOn(after))
		}
		rt, err := newRuleTarget(ctx, tn, rule, bus, spec, topts...)
		if err != nil {
			return nil, err
		}
		out.dlqNames = append(out.dlqNames, rt.DLQ.Name)
		out.dlqArns = append(out.dlqArns, rt.DLQ.Arn)
		out.watch = append(out.watch, WatchedQueue{Label: tn + "-dlq", Name: rt.DLQ.Name})
	}

	return out, nil
}

type roleWithPolicy struct {
	role   *iam.Role
	policy *iam.RolePolicy
}

// eventsRole is a role EventBridge assumes to perform one action on one resource.
func eventsRole(ctx *pulumi.Context, name string, account pulumi.StringOutput, action string, resource pulumi.StringInput, tags pulumi.StringMap, p pulumi.ResourceOption) (*roleWithPolicy, error) {
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		AssumeRolePolicy: assumeRolePolicy("events.amazonaws.com", account),
		Tags:             tags,
	}, p)
	if err != nil {
		return nil, fmt.Errorf("role: %w", err)
	}
	pol, err := iam.NewRolePolicy(ctx, name+"-role-policy", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policyJSON(statement{sid: "Deliver", actions: []string{action}, resources: inputs(resource)}),
	}, p)
	if err != nil {
		return nil, fmt.Errorf("role policy: %w", err)
	}
	return &roleWithPolicy{role: role, policy: pol}, nil
}

func newAPIDestination(ctx *pulumi.Context, name string, d *APIDestination, p pulumi.ResourceOption) (*cloudwatch.EventApiDestination, error) {
	auth := &cloudwatch.EventConnectionAuthParametersArgs{}
	switch d.Authorization {
	case "API_KEY":
		auth.ApiKey = &cloudwatch.EventConnectionAuthParametersApiKeyArgs{Key: pulumi.String(d.APIKeyName), Value: pulumi.ToSecret(d.APIKeyValue).(pulumi.StringOutput)}
	case "BASIC":
		auth.Basic = &cloudwatch.EventConnectionAuthParametersBasicArgs{Username: pulumi.String(d.Username), Password: pulumi.ToSecret(d.Password).(pulumi.StringOutput)}
	}
	conn, err := cloudwatch.NewEventConnection(ctx, name+"-conn", &cloudwatch.EventConnectionArgs{
		AuthorizationType: pulumi.String(d.Authorization),
		AuthParameters:    auth,
	}, p)
	if err != nil {
		return nil, fmt.Errorf("connection: %w", err)
	}
	args := &cloudwatch.EventApiDestinationArgs{
		ConnectionArn:      conn.Arn,
		HttpMethod:         pulumi.String(d.HTTPMethod),
		InvocationEndpoint: pulumi.String(d.Endpoint),
	}
	if d.RateLimitPerSecond > 0 {
		args.InvocationRateLimitPerSecond = pulumi.Int(d.RateLimitPerSecond)
	}
	dest, err := cloudwatch.NewEventApiDestination(ctx, name+"-dest", args, p)
	if err != nil {
		return nil, fmt.Errorf("API destination: %w", err)
	}
	return dest, nil
}
