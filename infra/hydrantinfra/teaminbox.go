package hydrantinfra

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TeamInboxArgs configures a team's inbox: an event bus in the team's own account that only
// Hydrant's central bus may put events on, and the team's own rules on it.
//
// The central stack owns the rule that selects the team's streams (by stream ARN) and targets
// this bus; whatever the team's rules here match, they only ever see the team's own streams.
type TeamInboxArgs struct {
	// BusName names the inbox bus. It is required because the central stack's configuration
	// names the inbox by ARN (arn:aws:events:REGION:TEAM_ACCOUNT:event-bus/BusName) before
	// the bus exists.
	BusName string
	// CentralBusArn is Hydrant's bus, arn:aws:events:REGION:ACCOUNT:event-bus/NAME. Only rules
	// on it, in its account (aws:SourceArn, aws:SourceAccount), may put events on the inbox.
	CentralBusArn pulumi.StringInput
	// SenderRoleArn, when set, is the only principal allowed: the role the central stack's
	// inbox target uses (its teamInboxRoleArns output). Unset, the central account is the
	// principal and the source conditions do the narrowing.
	SenderRoleArn pulumi.StringInput
	// EventSource is Hydrant's event source; empty means hydrantevent.DefaultSource.
	EventSource string
	// Rules are the team's own rules on the inbox.
	Rules []InboxRule
	Tags  map[string]string
}

// InboxRule is one of the team's rules on its inbox.
type InboxRule struct {
	// Name is part of resource names, like a subscription's.
	Name string
	// Pattern is the rule's event pattern; empty matches every Hydrant event on the inbox,
	// which holds only the team's own streams.
	Pattern string
	// Targets (1..5), each with a retry policy and its own dead-letter queue, as a
	// subscription's.
	Targets []Target
}

// TeamInbox is a team's bus and its rules.
type TeamInbox struct {
	pulumi.ResourceState

	BusName pulumi.StringOutput `pulumi:"busName"`
	BusArn  pulumi.StringOutput `pulumi:"busArn"`
	// RuleArns are the team's rules, by InboxRule name.
	RuleArns       pulumi.StringMapOutput   `pulumi:"ruleArns"`
	TargetDLQNames pulumi.StringArrayOutput `pulumi:"targetDlqNames"`

	watch Watch
}

// Watch is what Operations (in the team's stack) should alarm on: each rule's failed
// invocations and each target's DLQ.
func (t *TeamInbox) Watch() Watch { return t.watch }

// TeamInboxType is the component's type token.
const TeamInboxType = "hydrant:infra:TeamInbox"

// EventBridge's bus name rule (custom buses; "default" and "/" are not allowed here).
var inboxBusName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,256}$`)

func (a *TeamInboxArgs) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	var errs []error
	if !inboxBusName.MatchString(a.BusName) || a.BusName == "default" {
		errs = append(errs, fmt.Errorf("BusName %q: want 1-256 letters, digits, '.', '_' or '-', not \"default\"", a.BusName))
	}
	if a.CentralBusArn == nil {
		errs = append(errs, errors.New("CentralBusArn is required"))
	}
	seen := map[string]bool{}
	for i, r := range a.Rules {
		if !targetName.MatchString(r.Name) {
			errs = append(errs, fmt.Errorf("rule %d: name %q: want 1-40 letters, digits or '-'", i, r.Name))
		}
		if seen[r.Name] {
			errs = append(errs, fmt.Errorf("rule %d: duplicate name %q", i, r.Name))
		}
		seen[r.Name] = true
		if len(r.Targets) == 0 || len(r.Targets) > 5 {
			errs = append(errs, fmt.Errorf("rule %d %s: %d targets, want 1..5", i, r.Name, len(r.Targets)))
		}
		names := map[string]bool{}
		for j, t := range r.Targets {
			if err := t.validate(); err != nil {
				errs = append(errs, fmt.Errorf("rule %d %s: Targets[%d]: %w", i, r.Name, j, err))
			}
			if names[t.Name] {
				errs = append(errs, fmt.Errorf("rule %d %s: Targets[%d]: duplicate name %q", i, r.Name, j, t.Name))
			}
			names[t.Name] = true
		}
	}
	return errors.Join(errs...)
}

// centralBus is what the inbox policy needs of the central bus ARN.
type centralBus struct {
	account  string
	ruleArns string // arn:PARTITION:events:REGION:ACCOUNT:rule/NAME/*
}

func parseCentralBus(busArn string) (centralBus, error) {
	m := busArnPattern.FindStringSubmatch(busArn)
	if m == nil {
		return centralBus{}, fmt.Errorf("central bus ARN %q is not arn:PARTITION:events:REGION:ACCOUNT:event-bus/NAME", busArn)
	}
	// m[1] is "arn:PARTITION:events:REGION:ACCOUNT:".
	fields := strings.Split(m[1], ":")
	if len(fields) < 5 || !accountID.MatchString(fields[4]) {
		return centralBus{}, fmt.Errorf("central bus ARN %q has no 12-digit account", busArn)
	}
	return centralBus{account: fields[4], ruleArns: m[1] + "rule/" + m[2] + "/*"}, nil
}

// newInboxPolicy is the inbox bus's policy: everyone is denied PutEvents unless the request
// comes from a rule on the central bus, and the central account (or only SenderRoleArn) may put
// Hydrant's events, with aws:SourceArn and aws:SourceAccount naming the central bus's rules
// (AWS's example policy for events from specific rules of another account:
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-restrict-rule.html).
func newInboxPolicy(ctx *pulumi.Context, name string, bus *cloudwatch.EventBus, args *TeamInboxArgs, p pulumi.ResourceOption) (*cloudwatch.EventBusPolicy, error) {
	source := args.EventSource
	if source == "" {
		source = hydrantevent.DefaultSource
	}
	centralArn := args.CentralBusArn.ToStringOutput()
	account := centralArn.ApplyT(func(s string) (string, error) {
		c, err := parseCentralBus(s)
		return c.account, err
	}).(pulumi.StringOutput)
	rules := centralArn.ApplyT(func(s string) (string, error) {
		c, err := parseCentralBus(s)
		return c.ruleArns, err
	}).(pulumi.StringOutput)
	sender := awsPrincipal(pulumi.Sprintf("arn:aws:iam::%s:root", account))
	if args.SenderRoleArn != nil {
		sender = awsPrincipal(args.SenderRoleArn)
	}
	stmts := []statement{{
		// aws:SourceArn is the forwarding rule's ARN on events EventBridge puts from one bus on
		// another; a direct PutEvents call has none, so ArnNotLike denies it.
		sid: "OnlyHydrantRulesPutEvents", deny: true, principal: anyone(),
		actions: []string{"events:PutEvents"}, resources: inputs(bus.Arn),
		conditions: []condition{{op: "ArnNotLike", key: "aws:SourceArn", values: inputs(rules)}},
	}, {
		sid: "HydrantRulesPutHydrantEvents", principal: sender,
		actions: []string{"events:PutEvents"}, resources: inputs(bus.Arn),
		conditions: append([]condition{
			{op: "ArnLike", key: "aws:SourceArn", values: inputs(rules)},
			{op: "StringEquals", key: "aws:SourceAccount", values: inputs(account)},
		}, hydrantEventsOnly(pulumi.String(source))...),
	}}
	pol, err := cloudwatch.NewEventBusPolicy(ctx, name+"-policy", &cloudwatch.EventBusPolicyArgs{
		EventBusName: bus.Name,
		Policy:       policyJSON(stmts...),
	}, p)
	if err != nil {
		return nil, fmt.Errorf("team inbox %s: bus policy: %w", name, err)
	}
	return pol, nil
}

// NewTeamInbox creates a team's inbox bus, its policy and the team's rules with their targets.
// A team deploys it in its own account; see TeamInboxArgs.
func NewTeamInbox(ctx *pulumi.Context, name string, args *TeamInboxArgs, opts ...pulumi.ResourceOption) (*TeamInbox, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("team inbox %s: %w", name, err)
	}
	t := &TeamInbox{}
	if err := ctx.RegisterComponentResource(TeamInboxType, name, t, opts...); err != nil {
		return nil, err
	}
	p := pulumi.Parent(t)
	tags := pulumi.ToStringMap(args.Tags)
	bus, err := cloudwatch.NewEventBus(ctx, name+"-bus", &cloudwatch.EventBusArgs{
		Name:        pulumi.String(args.BusName),
		Description: pulumi.String("Hydrant team inbox: the team's own streams' events, from Hydrant's central bus"),
		Tags:        tags,
	}, p)
	if err != nil {
		return nil, fmt.Errorf("team inbox %s: bus: %w", name, err)
	}
	pol, err := newInboxPolicy(ctx, name, bus, args, p)
	if err != nil {
		return nil, err
	}
	source := args.EventSource
	if source == "" {
		source = hydrantevent.DefaultSource
	}
	ruleArns := pulumi.StringMap{}
	var dlqNames pulumi.StringArray
	for _, r := range args.Rules {
		rn := name + "-" + r.Name
		pattern := r.Pattern
		if pattern == "" {
			pattern = sourcePattern(source)
		}
		rule, err := cloudwatch.NewEventRule(ctx, rn+"-rule", &cloudwatch.EventRuleArgs{
			EventBusName: bus.Name,
			Description:  pulumi.String("Hydrant team inbox rule " + r.Name),
			EventPattern: pulumi.String(pattern),
			Tags:         tags,
		}, p, pulumi.DependsOn([]pulumi.Resource{pol}))
		if err != nil {
			return nil, fmt.Errorf("team inbox %s: rule %s: %w", name, r.Name, err)
		}
		delivered, err := newTargets(ctx, rn, rule, bus.Name, r.Targets, tags, p)
		if err != nil {
			return nil, fmt.Errorf("team inbox %s: rule %s: %w", name, r.Name, err)
		}
		ruleArns[r.Name] = rule.Arn
		dlqNames = append(dlqNames, delivered.dlqNames...)
		t.watch.Queues = append(t.watch.Queues, delivered.watch...)
		t.watch.Rules = append(t.watch.Rules, WatchedRule{Label: rn, BusName: bus.Name, RuleName: rule.Name})
	}
	t.BusName, t.BusArn = bus.Name, bus.Arn
	t.RuleArns = ruleArns.ToStringMapOutput()
	t.TargetDLQNames = dlqNames.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(t, pulumi.Map{
		"busName": t.BusName, "busArn": t.BusArn, "ruleArns": t.RuleArns, "targetDlqNames": t.TargetDLQNames,
	}); err != nil {
		return nil, err
	}
	return t, nil
}
