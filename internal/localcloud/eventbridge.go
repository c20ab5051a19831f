package localcloud

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// createEventBus creates a custom bus on the local EventBridge endpoint.
func (c *Cloud) createEventBus(ctx context.Context, a regArgs) (created, error) {
	name := physicalName(a, "name", 256, false)
	out, err := c.eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name), Description: optional(a.In.str("description"))})
	if err != nil {
		return created{}, fmt.Errorf("create event bus %s: %w", name, err)
	}
	arn := aws.ToString(out.EventBusArn)
	return created{id: name, outputs: map[string]any{"arn": arn, "name": name}, res: Resource{ARN: arn, Physical: name}}, nil
}

// busOf is a rule's bus name from its eventBusName input (a name or an ARN).
func busOf(p props) string {
	b := p.str("eventBusName")
	if i := strings.LastIndex(b, ":event-bus/"); i >= 0 {
		b = b[i+len(":event-bus/"):]
	}
	if b == "" {
		b = "default"
	}
	return b
}

// createEventRule puts a rule (event pattern or schedule) on its bus.
func (c *Cloud) createEventRule(ctx context.Context, a regArgs) (created, error) {
	name := physicalName(a, "name", 64, false)
	bus := busOf(a.In)
	in := &eventbridge.PutRuleInput{
		Name: aws.String(name), EventBusName: aws.String(bus),
		Description: optional(a.In.str("description")), EventPattern: optional(a.In.str("eventPattern")),
		ScheduleExpression: optional(a.In.str("scheduleExpression")), RoleArn: optional(a.In.str("roleArn")),
	}
	if s := a.In.str("state"); s != "" {
		in.State = ebtypes.RuleState(s)
	}
	out, err := c.eb.PutRule(ctx, in)
	if err != nil {
		return created{}, fmt.Errorf("put rule %s on %s: %w", name, bus, err)
	}
	arn := aws.ToString(out.RuleArn)
	id := name
	if bus != "default" {
		id = bus + "/" + name
	}
	return created{id: id, outputs: map[string]any{"arn": arn, "name": name}, res: Resource{ARN: arn, Physical: name, Note: "on bus " + bus}}, nil
}

// unsupportedTargetKeys are target parameters for services the local cloud does not run.
var unsupportedTargetKeys = []string{"ecsTarget", "batchTarget", "kinesisTarget", "runCommandTargets", "redshiftTarget", "sagemakerPipelineTarget", "appsyncTarget"}

// createEventTarget adds a target (retry policy, dead-letter queue, input shaping) to a rule.
func (c *Cloud) createEventTarget(ctx context.Context, a regArgs) (created, error) {
	for _, k := range unsupportedTargetKeys {
		if _, ok := a.In.get(k); ok {
			return created{}, fmt.Errorf("%s targets are not supported locally", k)
		}
	}
	rule, arn := a.In.str("rule"), a.In.str("arn")
	if rule == "" || arn == "" {
		return created{}, fmt.Errorf("rule and arn are required")
	}
	bus := busOf(a.In)
	id := a.In.str("targetId")
	if id == "" {
		id = physicalName(a, "targetId", 64, false)
	}
	t := ebtypes.Target{Id: aws.String(id), Arn: aws.String(arn), RoleArn: optional(a.In.str("roleArn")),
		Input: optional(a.In.str("input")), InputPath: optional(a.In.str("inputPath"))}
	if rp := a.In.obj("retryPolicy"); rp != nil {
		t.RetryPolicy = &ebtypes.RetryPolicy{}
		if n, ok := rp.num("maximumRetryAttempts"); ok {
			t.RetryPolicy.MaximumRetryAttempts = aws.Int32(int32(n))
		}
		if n, ok := rp.num("maximumEventAgeInSeconds"); ok {
			t.RetryPolicy.MaximumEventAgeInSeconds = aws.Int32(int32(n))
		}
	}
	if dl := a.In.obj("deadLetterConfig"); dl != nil && dl.str("arn") != "" {
		t.DeadLetterConfig = &ebtypes.DeadLetterConfig{Arn: aws.String(dl.str("arn"))}
	}
	if it := a.In.obj("inputTransformer"); it != nil {
		t.InputTransformer = &ebtypes.InputTransformer{InputTemplate: aws.String(it.str("inputTemplate")), InputPathsMap: it.strMap("inputPaths")}
	}
	if st := a.In.obj("sqsTarget"); st != nil {
		t.SqsParameters = &ebtypes.SqsParameters{MessageGroupId: optional(st.str("messageGroupId"))}
	}
	if ht := a.In.obj("httpTarget"); ht != nil {
		t.HttpParameters = &ebtypes.HttpParameters{HeaderParameters: ht.strMap("headerParameters"), QueryStringParameters: ht.strMap("queryStringParameters"), PathParameterValues: ht.strs("pathParameterValues")}
	}
	out, err := c.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule), EventBusName: aws.String(bus), Targets: []ebtypes.Target{t}})
	if err != nil {
		return created{}, fmt.Errorf("put target %s on rule %s: %w", id, rule, err)
	}
	if out.FailedEntryCount > 0 {
		e := out.FailedEntries[0]
		return created{}, fmt.Errorf("put target %s on rule %s: %s: %s", id, rule, aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
	}
	note := "rule " + rule + " → " + arn
	if t.DeadLetterConfig != nil {
		note += " (DLQ " + aws.ToString(t.DeadLetterConfig.Arn) + ")"
	}
	return created{id: bus + "/" + rule + "/" + id, outputs: map[string]any{"targetId": id}, res: Resource{Physical: id, Note: note}}, nil
}

// createEventArchive creates an archive of a bus's events.
func (c *Cloud) createEventArchive(ctx context.Context, a regArgs) (created, error) {
	name := physicalName(a, "name", 48, false)
	in := &eventbridge.CreateArchiveInput{ArchiveName: aws.String(name), EventSourceArn: aws.String(a.In.str("eventSourceArn")),
		Description: optional(a.In.str("description")), EventPattern: optional(a.In.str("eventPattern"))}
	if d, ok := a.In.num("retentionDays"); ok {
		in.RetentionDays = aws.Int32(int32(d))
	}
	out, err := c.eb.CreateArchive(ctx, in)
	if err != nil {
		return created{}, fmt.Errorf("create archive %s: %w", name, err)
	}
	arn := aws.ToString(out.ArchiveArn)
	return created{id: name, outputs: map[string]any{"arn": arn, "name": name}, res: Resource{ARN: arn, Physical: name}}, nil
}

// createEventConnection creates a connection for API destinations.
func (c *Cloud) createEventConnection(ctx context.Context, a regArgs) (created, error) {
	name := physicalName(a, "name", 64, false)
	auth := a.In.str("authorizationType")
	params := &ebtypes.CreateConnectionAuthRequestParameters{}
	ap := a.In.obj("authParameters")
	switch auth {
	case "API_KEY":
		k := ap.obj("apiKey")
		params.ApiKeyAuthParameters = &ebtypes.CreateConnectionApiKeyAuthRequestParameters{ApiKeyName: aws.String(k.str("key")), ApiKeyValue: aws.String(k.str("value"))}
	case "BASIC":
		b := ap.obj("basic")
		params.BasicAuthParameters = &ebtypes.CreateConnectionBasicAuthRequestParameters{Username: aws.String(b.str("username")), Password: aws.String(b.str("password"))}
	default:
		return created{}, fmt.Errorf("authorization type %q is not supported locally (API_KEY and BASIC are)", auth)
	}
	out, err := c.eb.CreateConnection(ctx, &eventbridge.CreateConnectionInput{Name: aws.String(name), AuthorizationType: ebtypes.ConnectionAuthorizationType(auth), AuthParameters: params})
	if err != nil {
		return created{}, fmt.Errorf("create connection %s: %w", name, err)
	}
	arn := aws.ToString(out.ConnectionArn)
	return created{id: name, outputs: map[string]any{"arn": arn, "name": name, "secretArn": c.arn("secretsmanager", "secret:events!connection/"+name)},
		res: Resource{ARN: arn, Physical: name}}, nil
}

// createAPIDestination creates an API destination on a connection.
func (c *Cloud) createAPIDestination(ctx context.Context, a regArgs) (created, error) {
	name := physicalName(a, "name", 64, false)
	in := &eventbridge.CreateApiDestinationInput{Name: aws.String(name), ConnectionArn: aws.String(a.In.str("connectionArn")),
		InvocationEndpoint: aws.String(a.In.str("invocationEndpoint")), HttpMethod: ebtypes.ApiDestinationHttpMethod(a.In.str("httpMethod"))}
	if r, ok := a.In.num("invocationRateLimitPerSecond"); ok {
		in.InvocationRateLimitPerSecond = aws.Int32(int32(r))
	}
	out, err := c.eb.CreateApiDestination(ctx, in)
	if err != nil {
		return created{}, fmt.Errorf("create API destination %s: %w", name, err)
	}
	arn := aws.ToString(out.ApiDestinationArn)
	return created{id: name, outputs: map[string]any{"arn": arn, "name": name}, res: Resource{ARN: arn, Physical: name}}, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
