package localcloud

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/hydrant-dev/hydrant/internal/localcloud/eventbus"
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

// createDeliveryStream makes a Firehose delivery stream with an S3 destination the local
// EventBridge endpoint's S3 writer. Records are written uncompressed, under the prefix up to
// its first dynamic-partitioning expression, with the cloud's (short) buffering interval.
func (c *Cloud) createDeliveryStream(ctx context.Context, a regArgs) (created, error) {
	name := physicalName(a, "name", 64, false)
	dest := a.In.str("destination")
	var s3cfg props
	switch dest {
	case "extended_s3":
		s3cfg = a.In.obj("extendedS3Configuration")
	case "s3":
		s3cfg = a.In.obj("s3Configuration")
	default:
		return created{}, fmt.Errorf("destination %q is not supported locally (extended_s3 and s3 are)", dest)
	}
	bucketArn := s3cfg.str("bucketArn")
	bucket, ok := strings.CutPrefix(bucketArn, "arn:aws:s3:::")
	if !ok || bucket == "" {
		return created{}, fmt.Errorf("bucketArn %q is not an S3 bucket ARN", bucketArn)
	}
	prefix := s3cfg.str("prefix")
	ds := eventbus.DeliveryStream{Bucket: bucket, Prefix: prefix, BufferInterval: c.opts.FirehoseBufferInterval}
	if mb, ok := s3cfg.num("bufferingSize"); ok {
		ds.BufferSize = mb << 20
	}
	var notes []string
	if strings.Contains(prefix, "!{") {
		query, err := metadataQuery(s3cfg)
		if err != nil {
			return created{}, err
		}
		fp, err := parsePrefix(prefix, query, false)
		if err != nil {
			return created{}, err
		}
		ep, err := parsePrefix(s3cfg.str("errorOutputPrefix"), "", true)
		if err != nil {
			return created{}, fmt.Errorf("errorOutputPrefix: %w", err)
		}
		if ds.ErrorPrefix, err = ep.eval(nil); err != nil {
			return created{}, fmt.Errorf("errorOutputPrefix: %w", err)
		}
		ds.Partition, ds.Prefix = fp.eval, fp.static()
		notes = append(notes, "prefix "+prefix+" evaluated per record")
	}
	if f := s3cfg.str("compressionFormat"); f != "" && f != "UNCOMPRESSED" {
		notes = append(notes, f+" compression not applied locally")
	}
	if err := c.bus.AddDeliveryStream(name, ds); err != nil {
		return created{}, err
	}
	prefix = ds.Prefix
	arn := c.arn("firehose", "deliverystream/"+name)
	c.mu.Lock()
	c.firehoses[arn] = DeliveryStream{Name: name, ARN: arn, Bucket: bucket, Prefix: prefix}
	c.mu.Unlock()
	notes = append([]string{fmt.Sprintf("to s3://%s/%s, flushed every %s", bucket, prefix, c.opts.FirehoseBufferInterval)}, notes...)
	return created{id: arn, outputs: map[string]any{"arn": arn, "name": name}, res: Resource{ARN: arn, Physical: name, Note: strings.Join(notes, "; ")}}, nil
}

// createRegistry keeps a schema registry in memory.
func (c *Cloud) createRegistry(ctx context.Context, a regArgs) (created, error) {
	name := physicalName(a, "name", 64, false)
	c.mu.Lock()
	if _, ok := c.schemas[name]; !ok {
		c.schemas[name] = map[string]Schema{}
	}
	c.mu.Unlock()
	arn := c.arn("schemas", "registry/"+name)
	return created{id: name, outputs: map[string]any{"arn": arn, "name": name}, res: Resource{ARN: arn, Physical: name, Mode: ModeKept}}, nil
}

// createSchema keeps a schema in its registry.
func (c *Cloud) createSchema(ctx context.Context, a regArgs) (created, error) {
	reg, name := a.In.str("registryName"), a.In.str("name")
	if reg == "" || name == "" || a.In.str("content") == "" {
		return created{}, fmt.Errorf("registryName, name and content are required")
	}
	s := Schema{Registry: reg, Name: name, Type: a.In.str("type"), Description: a.In.str("description"), Content: a.In.str("content"), Version: "1"}
	c.mu.Lock()
	r, ok := c.schemas[reg]
	if ok {
		r[name] = s
	}
	c.mu.Unlock()
	if !ok {
		return created{}, fmt.Errorf("registry %s does not exist", reg)
	}
	arn := c.arn("schemas", "schema/"+reg+"/"+name)
	return created{id: name + "/" + reg, outputs: map[string]any{"arn": arn, "version": "1", "versionCreatedDate": "", "lastModified": ""},
		res: Resource{ARN: arn, Physical: name, Mode: ModeKept, Note: "in registry " + reg}}, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// metadataQuery is the jq query of the delivery stream's MetadataExtraction processor, which
// dynamic partitioning's partitionKeyFromQuery expressions read; "" when there is none.
// Processors the local cloud cannot run are refused.
func metadataQuery(s3cfg props) (string, error) {
	pc := s3cfg.obj("processingConfiguration")
	if pc == nil || !pc.boolean("enabled") {
		return "", nil
	}
	query := ""
	for _, proc := range pc.objs("processors") {
		switch t := proc.str("type"); t {
		case "MetadataExtraction":
			for _, p := range proc.objs("parameters") {
				switch p.str("parameterName") {
				case "MetadataExtractionQuery":
					query = p.str("parameterValue")
				case "JsonParsingEngine":
					if v := p.str("parameterValue"); v != "JQ-1.6" {
						return "", fmt.Errorf("JsonParsingEngine %q is not supported locally (JQ-1.6 is)", v)
					}
				}
			}
		case "AppendDelimiterToRecord":
			// The local writer already ends every record with a newline.
		default:
			return "", fmt.Errorf("processor %s is not supported locally (MetadataExtraction and AppendDelimiterToRecord are)", t)
		}
	}
	return query, nil
}
