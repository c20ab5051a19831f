// Package stack is Hydrant's Pulumi program: it reads the stack's typed configuration and wires
// the components of package hydrantinfra from it (router, stream sources, team subscriptions,
// operations, and for the demo stack a stream, a table and consumers that fail on poison
// records). infra/main.go runs it for `pulumi up`; `hydrant plan` runs it offline.
package stack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/hydrant-dev/hydrant/infra/lambdabuild"
	"github.com/hydrant-dev/hydrant/schemas"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Handler packages, relative to the module root.
const (
	HydratePackage      = "./handlers/hydrate"
	DemoConsumerPackage = "./handlers/democonsumer"
)

// Code supplies the deployment archive of a handler package.
type Code interface {
	Archive(pkg string) (pulumi.Archive, error)
}

// BuildCode compiles each handler (reproducibly) when the program asks for it: the mode of
// `pulumi up` and `pulumi preview`.
type BuildCode struct {
	Context context.Context
	Builder lambdabuild.Builder
}

// Archive builds pkg and returns its zip.
func (b BuildCode) Archive(pkg string) (pulumi.Archive, error) {
	path, err := b.Builder.Build(b.Context, pkg)
	if err != nil {
		return nil, err
	}
	return pulumi.NewFileArchive(path), nil
}

// PlannedCode names where each archive would be without compiling anything: the mode of
// `hydrant plan` and of tests.
type PlannedCode struct {
	Builder lambdabuild.Builder
}

// Archive returns the archive path Build would write.
func (p PlannedCode) Archive(pkg string) (pulumi.Archive, error) {
	path, err := p.Builder.ArchivePath(pkg)
	if err != nil {
		return nil, err
	}
	return pulumi.NewFileArchive(path), nil
}

// Program is the Pulumi program: LoadConfig, then Deploy.
func Program(code Code) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		cfg, err := LoadConfig(ctx)
		if err != nil {
			return err
		}
		_, err = Deploy(ctx, cfg, code)
		return err
	}
}

// RegistrySchemas are the schema registry's content: the files of package schemas.
func RegistrySchemas() ([]hydrantinfra.Schema, error) {
	var out []hydrantinfra.Schema
	for _, s := range schemas.All() {
		content, err := s.Content()
		if err != nil {
			return nil, err
		}
		out = append(out, hydrantinfra.Schema{Name: s.Name, Description: s.Description, Content: string(content)})
	}
	return out, nil
}

// trustedStreams is the hydrate function's allow-list: the configured stream sources, each with
// its destination and (sqs) its consumer role. A demo stack runs on the local cloud, which has
// no IAM identities to check, and gets none: its function admits every stream.
func trustedStreams(cfg *Config) []hydrantinfra.TrustedStream {
	if cfg.Demo.Enabled {
		return nil
	}
	out := []hydrantinfra.TrustedStream{}
	for _, sc := range cfg.StreamSources {
		dest := hydrantinfra.DestinationS3
		switch sc.Destination {
		case "sqs":
			dest = hydrantinfra.DestinationSQS
		case "sns":
			dest = hydrantinfra.DestinationSNS
		}
		ts := hydrantinfra.TrustedStream{StreamArn: pulumi.String(sc.StreamArn), Destination: dest}
		if sc.ConsumerRoleID != "" {
			ts.SenderRoleIDs = []string{sc.ConsumerRoleID}
		}
		out = append(out, ts)
	}
	return out
}

// Deployment is what Deploy created.
type Deployment struct {
	Router        *hydrantinfra.Router
	StreamSources map[string]*hydrantinfra.StreamSource
	Subscriptions map[string]*hydrantinfra.Subscription // by "team-subscription"
	Operations    *hydrantinfra.Operations
	// RedriveOperator is the role hydrant redrive runs as (nil RoleArn's value "" when the
	// stack has no stream source to redrive to).
	RedriveOperator *hydrantinfra.RedriveOperator
}

// Deploy creates the components described by cfg.
func Deploy(ctx *pulumi.Context, cfg *Config, code Code) (*Deployment, error) {
	hydrateCode, err := code.Archive(HydratePackage)
	if err != nil {
		return nil, fmt.Errorf("hydrate function code: %w", err)
	}
	regSchemas, err := RegistrySchemas()
	if err != nil {
		return nil, err
	}
	rc := cfg.Router
	archiveDays := hydrantinfra.DefaultArchiveRetentionDays
	if rc.ArchiveRetentionDays != nil {
		archiveDays = *rc.ArchiveRetentionDays
	}
	tags := map[string]string{"hydrant:stack": ctx.Stack()}

	// The streams, by stream source name: the configured ones, then the demo's. They come
	// before the router, whose claim-check bucket policy names them for inbox teams.
	streamArns := map[string]pulumi.StringInput{}
	for _, sc := range cfg.StreamSources {
		streamArns[sc.Name] = pulumi.String(sc.StreamArn)
	}
	var demo *demoStreams
	if cfg.Demo.Enabled {
		if demo, err = newDemoStreams(ctx, cfg.Demo, tags); err != nil {
			return nil, err
		}
		for name, arn := range demo.arns {
			streamArns[name] = arn
		}
	}

	// The failure bucket's policy names the mappings that write to it, which exist only once
	// the router (whose bucket they name) does: the policy waits on this output, resolved
	// below when the stream sources are created, or failed if Deploy fails before.
	failureWriters, resolveWriters := pulumi.DeferredOutput[[]hydrantinfra.FailureWriter](ctx.Context())
	writersResolved := false
	defer func() {
		if !writersResolved {
			resolveWriters(pulumi.All().ApplyT(func([]any) ([]hydrantinfra.FailureWriter, error) {
				return nil, errors.New("the stream sources were not created")
			}))
		}
	}()

	router, err := hydrantinfra.NewRouter(ctx, "hydrant", &hydrantinfra.RouterArgs{
		HydrateCode:                hydrateCode,
		EventSource:                rc.EventSource,
		BusName:                    rc.BusName,
		ArchiveRetentionDays:       archiveDays,
		ReservedConcurrency:        rc.ReservedConcurrency,
		HydrateMemoryMB:            rc.HydrateMemoryMB,
		HydrateTimeoutSeconds:      rc.HydrateTimeoutSeconds,
		IntakeBatchSize:            rc.IntakeBatchSize,
		IntakeMaxReceiveCount:      rc.IntakeMaxReceiveCount,
		MaxEntrySize:               rc.MaxEntrySize,
		PublishConcurrency:         rc.PublishConcurrency,
		MessageConcurrency:         rc.MessageConcurrency,
		DeadlineMarginSeconds:      rc.DeadlineMarginSeconds,
		LogRetentionDays:           rc.LogRetentionDays,
		LogLevel:                   rc.LogLevel,
		FailureObjectRetentionDays: rc.FailureObjectRetentionDays,
		ClaimCheckRetentionDays:    rc.ClaimCheckRetentionDays,
		ArchiveObjectRetentionDays: rc.ArchiveObjectRetentionDays,
		CatchAllAlarmThreshold:     rc.CatchAllAlarmThreshold,
		RuleCreatorAccounts:        rc.RuleCreatorAccounts,
		Encryption: hydrantinfra.Encryption{
			Bus: rc.Encryption.Bus, Archive: rc.Encryption.Archive, Firehose: rc.Encryption.Firehose, Buckets: rc.Encryption.Buckets,
		},
		ClaimCheckReaders: claimCheckReaders(cfg, streamArns),
		TrustedStreams:    trustedStreams(cfg),
		AdmitAnyStream:    cfg.Demo.Enabled, // trustedStreams gives a demo stack none
		FailureWriters:    failureWriters,
		Schemas:           regSchemas,
		Tags:              tags,
	})
	if err != nil {
		return nil, err
	}
	d := &Deployment{Router: router, StreamSources: map[string]*hydrantinfra.StreamSource{}, Subscriptions: map[string]*hydrantinfra.Subscription{}}

	// Stream sources: the configured ones, then the demo's.
	destination := func(kind string) (hydrantinfra.DestinationKind, pulumi.StringInput, pulumi.StringInput) {
		switch kind {
		case "sqs":
			return hydrantinfra.DestinationSQS, router.IntakeQueueArn, nil
		case "sns":
			return hydrantinfra.DestinationSNS, router.IntakeTopicArn, router.IntakeTopicKeyArn
		}
		// S3 is the default: the failure record then carries the batch's payload.
		if cfg.Router.Encryption.Buckets != "" {
			return hydrantinfra.DestinationS3, router.FailureBucketArn, router.BucketKeyArn
		}
		return hydrantinfra.DestinationS3, router.FailureBucketArn, nil
	}
	for _, sc := range cfg.StreamSources {
		kind, _ := StreamKindOf(sc.StreamArn)
		destKind, destArn, destKey := destination(sc.Destination)
		args := &hydrantinfra.StreamSourceArgs{
			Kind:                      kind,
			StreamArn:                 pulumi.String(sc.StreamArn),
			ConsumerFunctionName:      pulumi.String(sc.ConsumerFunctionName),
			ConsumerRoleName:          pulumi.String(sc.ConsumerRoleName),
			DestinationKind:           destKind,
			DestinationArn:            destArn,
			DestinationKmsKeyArn:      destKey,
			HydrateRoleName:           router.HydrateRoleName,
			BatchSize:                 sc.BatchSize,
			MaximumRetryAttempts:      sc.MaximumRetryAttempts,
			MaximumRecordAgeInSeconds: sc.MaximumRecordAgeInSeconds,
			StartingPosition:          sc.StartingPosition,
			ParallelizationFactor:     sc.ParallelizationFactor,
			Tags:                      tags,
		}
		if sc.StreamKmsKeyArn != "" {
			args.StreamKmsKeyArn = pulumi.String(sc.StreamKmsKeyArn)
		}
		src, err := hydrantinfra.NewStreamSource(ctx, sc.Name, args)
		if err != nil {
			return nil, err
		}
		d.StreamSources[sc.Name] = src
	}
	if demo != nil {
		sources, err := deployDemo(ctx, demo, router, code, tags)
		if err != nil {
			return nil, err
		}
		for name, src := range sources {
			d.StreamSources[name] = src
		}
	}

	resolveWriters(s3Writers(d.StreamSources))
	writersResolved = true

	// Team subscriptions.
	watches := []hydrantinfra.Watch{router.Watch()}
	createdQueues := pulumi.StringMap{}
	// What a redrive may read: the catch-all queue, the teams' queues and every target's DLQ.
	redriveQueues := []pulumi.StringInput{router.CatchAllQueueArn}
	for _, dlq := range router.TargetDLQArns {
		redriveQueues = append(redriveQueues, dlq)
	}
	for _, team := range cfg.Teams {
		for _, sc := range team.Subscriptions {
			name := team.Name + "-" + sc.Name
			sub, err := deploySubscription(ctx, name, team, sc, cfg, router, streamArns, map[string]string{"hydrant:stack": ctx.Stack(), "hydrant:team": team.Name}, createdQueues, &redriveQueues)
			if err != nil {
				return nil, err
			}
			if team.Inbox != "" {
				// The team's inbox policy may name this role (TeamInboxArgs.SenderRoleArn).
				ctx.Export("teamInboxRoleArn-"+team.Name, sub.TargetRoleArns.MapIndex(pulumi.String(InboxTargetName)))
			}
			d.Subscriptions[name] = sub
			watches = append(watches, sub.Watch())
			targets := len(sc.Targets)
			if team.Inbox != "" {
				targets = 1 // the inbox
			}
			for i := range targets {
				redriveQueues = append(redriveQueues, sub.TargetDLQArns.Index(pulumi.Int(i)))
			}
		}
	}
	redrive, err := deployRedriveOperator(ctx, cfg, router, d.StreamSources, redriveQueues, tags)
	if err != nil {
		return nil, err
	}
	d.RedriveOperator = redrive

	ops, err := hydrantinfra.NewOperations(ctx, "hydrant-ops", &hydrantinfra.OperationsArgs{
		Watches:       watches,
		AlarmEmails:   cfg.Operations.AlarmEmails,
		PeriodSeconds: cfg.Operations.PeriodSeconds,
		DashboardName: cfg.Operations.DashboardName,
		Tags:          tags,
	})
	if err != nil {
		return nil, err
	}
	d.Operations = ops

	ctx.Export("busName", router.BusName)
	ctx.Export("busArn", router.BusArn)
	ctx.Export("eventSource", router.EventSource)
	ctx.Export("intakeQueueUrl", router.IntakeQueueUrl)
	ctx.Export("intakeQueueArn", router.IntakeQueueArn)
	ctx.Export("intakeDlqUrl", router.IntakeDLQUrl) // hydrant intake-dlq --dlq
	ctx.Export("intakeTopicArn", router.IntakeTopicArn)
	ctx.Export("failureBucketName", router.FailureBucketName)
	ctx.Export("failureBucketArn", router.FailureBucketArn)
	ctx.Export("hydrateRoleName", router.HydrateRoleName)
	ctx.Export("hydrateFunctionName", router.HydrateFunctionName)
	ctx.Export("schemaRegistryName", router.SchemaRegistryName)
	ctx.Export("alarmTopicArn", ops.AlarmTopicArn)
	ctx.Export("dashboardName", ops.DashboardName)
	ctx.Export("redriveRoleArn", redrive.RoleArn)
	if len(createdQueues) > 0 {
		// The queues Hydrant created for teams (createQueue), by "team-subscription-target".
		ctx.Export("teamQueueUrls", createdQueues)
	}
	return d, nil
}

// InboxTargetName is the name of the target an inbox team's subscription delivers to its inbox.
const InboxTargetName = "inbox"

// claimCheckReaders: each team with an inbox reads the offloaded records of its streams.
func claimCheckReaders(cfg *Config, streamArns map[string]pulumi.StringInput) []hydrantinfra.ClaimCheckReader {
	var out []hydrantinfra.ClaimCheckReader
	for _, team := range cfg.Teams {
		acct := team.InboxAccount()
		if acct == "" {
			continue
		}
		r := hydrantinfra.ClaimCheckReader{Account: acct}
		for _, sc := range team.Subscriptions {
			r.Streams = append(r.Streams, streamSelectors(sc, streamArns)...)
		}
		out = append(out, r)
	}
	return out
}

// streamSelectors are the subscription's streams: ARNs, prefixes and stream sources' streams.
func streamSelectors(sc SubscriptionConfig, streamArns map[string]pulumi.StringInput) []hydrantinfra.StreamSelector {
	var out []hydrantinfra.StreamSelector
	for _, st := range sc.Streams {
		switch {
		case st.Arn != "":
			out = append(out, hydrantinfra.StreamSelector{ARN: pulumi.String(st.Arn)})
		case st.Prefix != "":
			out = append(out, hydrantinfra.StreamSelector{ARN: pulumi.String(st.Prefix), Prefix: true})
		default:
			out = append(out, hydrantinfra.StreamSelector{ARN: streamArns[st.StreamSource]})
		}
	}
	return out
}

// deploySubscription creates a team subscription; the ARNs of its SQS targets (the queues a
// redrive reads) are appended to teamQueues.
func deploySubscription(ctx *pulumi.Context, name string, team TeamConfig, sc SubscriptionConfig, cfg *Config, router *hydrantinfra.Router, streamArns map[string]pulumi.StringInput, tags map[string]string, createdQueues pulumi.StringMap, teamQueues *[]pulumi.StringInput) (*hydrantinfra.Subscription, error) {
	args := &hydrantinfra.SubscriptionArgs{
		EventBusName:             router.BusName,
		EventSource:              cfg.Router.EventSource,
		ExcludeHydrationFailures: sc.IncludeHydrationFailures != nil && !*sc.IncludeHydrationFailures,
		Tags:                     tags,
	}
	if len(sc.DetailPattern) > 0 {
		args.DetailPattern = string(sc.DetailPattern)
	}
	args.Streams = streamSelectors(sc, streamArns)
	if team.Inbox != "" {
		// The team's bus in its own account; the target gets an EventBridge role, which AWS
		// requires for a bus target in another account (see hydrantinfra.TargetEventBus).
		args.Targets = []hydrantinfra.Target{{Name: InboxTargetName, Kind: hydrantinfra.TargetEventBus, Arn: pulumi.String(team.Inbox)}}
	}
	for _, tc := range sc.Targets {
		t := hydrantinfra.Target{
			Name:                   tc.Name,
			Kind:                   hydrantinfra.TargetKind(tc.Kind),
			ManageTopicPolicy:      tc.ManageTopicPolicy,
			RetryAttempts:          tc.RetryAttempts,
			MaximumEventAgeSeconds: tc.MaximumEventAgeSeconds,
		}
		if tc.Arn != "" {
			t.Arn = pulumi.String(tc.Arn)
		}
		if tc.QueueURL != "" {
			t.QueueURL = pulumi.String(tc.QueueURL)
		}
		if tc.CreateQueue {
			q, err := hydrantinfra.NewEncryptedQueue(ctx, name+"-"+tc.Name+"-queue", tags)
			if err != nil {
				return nil, err
			}
			t.Arn, t.QueueURL = q.Arn, q.Url
			createdQueues[name+"-"+tc.Name] = q.Url
		}
		if t.Kind == hydrantinfra.TargetSQS && t.Arn != nil {
			*teamQueues = append(*teamQueues, t.Arn)
		}
		if it := tc.InputTransformer; it != nil {
			t.InputTransformer = &hydrantinfra.InputTransformer{InputPaths: it.InputPaths, InputTemplate: it.InputTemplate}
		}
		if d := tc.APIDestination; d != nil {
			t.APIDestination = &hydrantinfra.APIDestination{
				Endpoint: d.Endpoint, HTTPMethod: d.HTTPMethod, RateLimitPerSecond: d.RateLimitPerSecond,
				Authorization: d.Authorization, APIKeyName: d.APIKeyName, Username: d.Username,
			}
			if d.APIKeySecret != "" {
				t.APIDestination.APIKeyValue = cfg.Secrets[d.APIKeySecret]
			}
			if d.PasswordSecret != "" {
				t.APIDestination.Password = cfg.Secrets[d.PasswordSecret]
			}
		}
		args.Targets = append(args.Targets, t)
	}
	return hydrantinfra.NewSubscription(ctx, name, args)
}

// deployRedriveOperator creates the role `hydrant redrive` runs as: receive and delete on the
// stack's queues, read on the archive and the claim-check bucket, invoke on the stream
// sources' consumers, put on their Kinesis streams.
func deployRedriveOperator(ctx *pulumi.Context, cfg *Config, router *hydrantinfra.Router, sources map[string]*hydrantinfra.StreamSource, queues []pulumi.StringInput, tags map[string]string) (*hydrantinfra.RedriveOperator, error) {
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	args := &hydrantinfra.RedriveOperatorArgs{
		Account:             accountOfArn(router.BusArn),
		TrustedPrincipals:   cfg.Redrive.TrustedPrincipals,
		Queues:              queues,
		ArchiveBucketArn:    pulumi.Sprintf("arn:aws:s3:::%s", router.ArchiveBucketName),
		ClaimCheckBucketArn: pulumi.Sprintf("arn:aws:s3:::%s", router.ClaimCheckBucketName),
		IntakeDLQArn:        router.IntakeDLQArn,
		IntakeQueueArn:      router.IntakeQueueArn,
		Tags:                tags,
	}
	if cfg.Router.Encryption.Buckets != "" {
		args.BucketKeyArn = router.BucketKeyArn
	}
	for _, n := range names {
		src := sources[n]
		args.Functions = append(args.Functions, src.ConsumerFunctionArn)
		if src.Kind == hydrantinfra.StreamKinesis {
			args.Streams = append(args.Streams, src.StreamArn)
		}
	}
	if len(args.Functions) == 0 {
		// No stream source: nothing to redrive to yet. Teams redrive from their own stacks.
		return &hydrantinfra.RedriveOperator{RoleArn: pulumi.String("").ToStringOutput()}, nil
	}
	return hydrantinfra.NewRedriveOperator(ctx, "hydrant-redrive", args)
}

// accountOfArn is the account ID an ARN holds.
func accountOfArn(a pulumi.StringOutput) pulumi.StringOutput {
	return a.ApplyT(func(s string) (string, error) {
		parsed, err := arn.Parse(s)
		if err != nil || parsed.AccountID == "" {
			return "", fmt.Errorf("account of %q: not an ARN with an account", s)
		}
		return parsed.AccountID, nil
	}).(pulumi.StringOutput)
}

// s3Writers are the stream sources whose failures go to the failure bucket, with their
// consumer roles, once their mappings exist.
func s3Writers(sources map[string]*hydrantinfra.StreamSource) pulumi.Output {
	names := slices.Sorted(maps.Keys(sources))
	var parts []any
	for _, name := range names {
		if src := sources[name]; src.DestinationKind == hydrantinfra.DestinationS3 {
			parts = append(parts, src.MappingUUID, src.ConsumerRoleName)
		}
	}
	return pulumi.All(parts...).ApplyT(func(vals []any) ([]hydrantinfra.FailureWriter, error) {
		out := []hydrantinfra.FailureWriter{}
		for i := 0; i+1 < len(vals); i += 2 {
			out = append(out, hydrantinfra.FailureWriter{MappingUUID: vals[i].(string), RoleName: vals[i+1].(string)})
		}
		return out, nil
	})
}
