package hydrantinfra_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

func routerArgs() *hydrantinfra.RouterArgs {
	return &hydrantinfra.RouterArgs{
		HydrateCode:          pulumi.NewFileArchive("build/lambda/hydrate.zip"),
		ReservedConcurrency:  ptr(5),
		ArchiveRetentionDays: 7,
		AdmitAnyStream:       true, // as before; TestRouterWithoutAnAllowListIsRefused
		Schemas: []hydrantinfra.Schema{
			{Name: "hydrant@RecordHydrated", Description: "one", Content: `{"title":"RecordHydrated"}`},
			{Name: "hydrant@RecordHydrationFailed", Description: "two", Content: `{"title":"RecordHydrationFailed"}`},
		},
	}
}

func TestRouter(t *testing.T) {
	var router *hydrantinfra.Router
	p := run(t, func(ctx *pulumi.Context) error {
		var err error
		router, err = hydrantinfra.NewRouter(ctx, "hydrant", routerArgs())
		return err
	})
	if router == nil {
		t.Fatal("no router")
	}

	comp := find(t, p, hydrantinfra.RouterType, "hydrant")
	if comp.Custom {
		t.Error("router is registered as a custom resource, want a component")
	}
	for _, r := range p.Resources {
		if r.Name != "hydrant" && r.Parent != "hydrant" {
			t.Errorf("%s %s is not a child of the router", r.Type, r.Name)
		}
	}

	t.Run("hydrate function", func(t *testing.T) {
		fn := find(t, p, typeFunction, "hydrant-hydrate")
		for path, want := range map[string]any{
			"runtime": "provided.al2023", "handler": "bootstrap", "reservedConcurrentExecutions": 5.0,
			"loggingConfig.logFormat": "JSON", "role": "arn:aws:iam::123456789012:role/hydrant-hydrate-role",
		} {
			if got := get(fn.Inputs, path); got != want {
				t.Errorf("%s = %v, want %v", path, got, want)
			}
		}
		if got := fn.Inputs["architectures"]; !reflect.DeepEqual(got, []any{"arm64"}) {
			t.Errorf("architectures = %v, want [arm64]", got)
		}
		if got := get(fn.Inputs, "code.archive"); got != "build/lambda/hydrate.zip" {
			t.Errorf("code = %v, want the archive path", got)
		}
		wantEnv := map[string]any{
			hydrantinfra.EnvEventBus:           "hydrant-bus",
			hydrantinfra.EnvEventSource:        "hydrant",
			hydrantinfra.EnvClaimCheckBucket:   "hydrant-claim-checks",
			hydrantinfra.EnvMaxEntrySize:       "262144",
			hydrantinfra.EnvPublishConcurrency: "4",
			hydrantinfra.EnvLogLevel:           "info",
			hydrantinfra.EnvIntakeDLQURL:       "https://sqs.us-east-1.amazonaws.com/123456789012/hydrant-intake-dlq",
			hydrantinfra.EnvMessageConcurrency: "4",
			hydrantinfra.EnvDeadlineMargin:     "10s",
		}
		if got := get(fn.Inputs, "environment.variables"); !reflect.DeepEqual(got, wantEnv) {
			t.Errorf("environment = %v\nwant %v", got, wantEnv)
		}
	})

	t.Run("intake", func(t *testing.T) {
		q := find(t, p, typeQueue, "hydrant-intake")
		if got := q.Inputs["maxMessageSize"]; got != float64(1<<20) {
			t.Errorf("intake maxMessageSize = %v, want 1 MiB", got)
		}
		if got := q.Inputs["visibilityTimeoutSeconds"]; got != 720.0 {
			t.Errorf("intake visibility timeout = %v, want 6 × 120 s", got)
		}
		if got := q.Inputs["redrivePolicy"]; got != `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:hydrant-intake-dlq","maxReceiveCount":5}` {
			t.Errorf("intake redrive = %v", got)
		}
		esm := find(t, p, typeESM, "hydrant-intake-mapping")
		if got := esm.Inputs["eventSourceArn"]; got != "arn:aws:sqs:us-east-1:123456789012:hydrant-intake" {
			t.Errorf("mapping source = %v", got)
		}
		if got := get(esm.Inputs, "scalingConfig.maximumConcurrency"); got != 5.0 {
			t.Errorf("mapping maximum concurrency = %v, want the reserved 5", got)
		}
		sub := find(t, p, "aws:sns/topicSubscription:TopicSubscription", "hydrant-intake-subscription")
		if sub.Inputs["endpoint"] != "arn:aws:sqs:us-east-1:123456789012:hydrant-intake" || sub.Inputs["protocol"] != "sqs" {
			t.Errorf("topic subscription = %v", sub.Inputs)
		}
		if !strings.Contains(sub.Inputs["redrivePolicy"].(string), "hydrant-intake-dlq") {
			t.Errorf("topic subscription redrive = %v, want the intake DLQ", sub.Inputs["redrivePolicy"])
		}
		n := find(t, p, "aws:s3/bucketNotification:BucketNotification", "hydrant-failures-notification")
		if n.Inputs["bucket"] != "hydrant-failures" || get(n.Inputs["queues"].([]any)[0].(map[string]any), "queueArn") != "arn:aws:sqs:us-east-1:123456789012:hydrant-intake" {
			t.Errorf("bucket notification = %v", n.Inputs)
		}
		pol := statements(t, find(t, p, typeQueuePolicy, "hydrant-intake-policy").Inputs["policy"])
		if got := pol["AllowIntakeTopic"].Condition["ArnEquals"]["aws:SourceArn"]; !reflect.DeepEqual(got, []string{"arn:aws:sns:us-east-1:123456789012:hydrant-intake-topic"}) {
			t.Errorf("intake policy lets %v send, want the intake topic", got)
		}
		if got := pol["AllowFailureBucketNotifications"].Condition["ArnEquals"]["aws:SourceArn"]; !reflect.DeepEqual(got, []string{"arn:aws:s3:::hydrant-failures"}) {
			t.Errorf("intake policy lets %v notify, want the failure bucket", got)
		}
	})

	t.Run("hydrate role has only what it needs", func(t *testing.T) {
		pol := statements(t, find(t, p, typeRolePolicy, "hydrant-hydrate-policy").Inputs["policy"])
		want := map[string]stmt{
			"ReadIntake":         {Action: []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"}, Resource: []string{"arn:aws:sqs:us-east-1:123456789012:hydrant-intake"}},
			"ReadFailureObjects": {Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::hydrant-failures/*"}},
			// Refused failure records are moved to the intake DLQ with their reason (issue 9, item 6).
			"MoveRefusedToIntakeDLQ": {Action: []string{"sqs:SendMessage"}, Resource: []string{"arn:aws:sqs:us-east-1:123456789012:hydrant-intake-dlq"}},
			"PutClaimChecks":         {Action: []string{"s3:PutObject"}, Resource: []string{"arn:aws:s3:::hydrant-claim-checks/*"}},
			"PutHydrantEvents":       {Action: []string{"events:PutEvents"}, Resource: []string{"arn:aws:events:us-east-1:123456789012:event-bus/hydrant-bus"}},
			"WriteLogs":              {Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resource: []string{"arn:aws:logs:us-east-1:123456789012:log-group:hydrant-hydrate-logs:*"}},
		}
		if len(pol) != len(want) {
			t.Errorf("hydrate policy has %d statements, want %d: %v", len(pol), len(want), pol)
		}
		for sid, w := range want {
			got := pol[sid]
			if got.Effect != "Allow" || !reflect.DeepEqual(got.Action, w.Action) || !reflect.DeepEqual(got.Resource, w.Resource) {
				t.Errorf("%s = %+v, want actions %v on %v", sid, got, w.Action, w.Resource)
			}
		}
		put := pol["PutHydrantEvents"].Condition
		if !reflect.DeepEqual(put["ForAllValues:StringEquals"]["events:source"], []string{"hydrant"}) ||
			!reflect.DeepEqual(put["ForAllValues:StringEquals"]["events:detail-type"], []string{"RecordHydrated", "RecordHydrationFailed"}) {
			t.Errorf("PutEvents conditions = %v", put)
		}
	})

	t.Run("bus policy", func(t *testing.T) {
		bp := find(t, p, typeBusPolicy, "hydrant-bus-policy")
		pol := statements(t, bp.Inputs["policy"])
		deny := pol["OnlyHydratePutsEvents"]
		if deny.Effect != "Deny" || !reflect.DeepEqual(deny.Condition["ArnNotEquals"]["aws:PrincipalArn"], []string{"arn:aws:iam::123456789012:role/hydrant-hydrate-role"}) {
			t.Errorf("bus policy does not deny PutEvents to everyone but the hydrate role: %+v", deny)
		}
		// Without the opt-in, no statement lets another account create rules.
		for sid, st := range pol {
			if st.Effect == "Allow" && slices.ContainsFunc(st.Action, isRuleAction) {
				t.Errorf("statement %s allows %v without RuleCreatorAccounts", sid, st.Action)
			}
		}
	})

	t.Run("archive, catch-all and S3 archive", func(t *testing.T) {
		a := find(t, p, "aws:cloudwatch/eventArchive:EventArchive", "hydrant-archive")
		if a.Inputs["retentionDays"] != 7.0 || a.Inputs["eventSourceArn"] != "arn:aws:events:us-east-1:123456789012:event-bus/hydrant-bus" {
			t.Errorf("archive = %v", a.Inputs)
		}
		for _, rule := range []string{"hydrant-catch-all-rule", "hydrant-archive-rule"} {
			r := find(t, p, typeRule, rule)
			if r.Inputs["eventPattern"] != `{"source":["hydrant"]}` || r.Inputs["eventBusName"] != "hydrant-bus" {
				t.Errorf("%s = %v", rule, r.Inputs)
			}
		}
		ct := find(t, p, typeTarget, "hydrant-catch-all-target")
		if ct.Inputs["arn"] != "arn:aws:sqs:us-east-1:123456789012:hydrant-catch-all" {
			t.Errorf("catch-all target = %v", ct.Inputs["arn"])
		}
		fh := find(t, p, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "hydrant-archive-delivery")
		if got := get(fh.Inputs, "extendedS3Configuration.prefix"); got != "events/stream=!{partitionKeyFromQuery:stream}/date=!{partitionKeyFromQuery:date}/" {
			t.Errorf("archive prefix = %v", got)
		}
		if got := get(fh.Inputs, "extendedS3Configuration.dynamicPartitioningConfiguration.enabled"); got != true {
			t.Errorf("dynamic partitioning = %v", got)
		}
		at := find(t, p, typeTarget, "hydrant-archive-target")
		if at.Inputs["arn"] != "arn:aws:firehose:us-east-1:123456789012:deliverystream/hydrant-archive-delivery" || at.Inputs["roleArn"] == nil {
			t.Errorf("archive target = %v", at.Inputs)
		}
	})

	t.Run("schemas", func(t *testing.T) {
		for _, s := range routerArgs().Schemas {
			r := find(t, p, typeSchema, "hydrant-schema-"+s.Name)
			if r.Inputs["content"] != s.Content || r.Inputs["type"] != "JSONSchemaDraft4" || r.Inputs["name"] != s.Name || r.Inputs["registryName"] != "hydrant-schemas" {
				t.Errorf("schema %s = %v", s.Name, r.Inputs)
			}
		}
	})

	t.Run("watch", func(t *testing.T) {
		w := router.Watch()
		if len(w.Queues) != 4 || len(w.Functions) != 1 || len(w.Rules) != 2 {
			t.Errorf("watch = %d queues, %d functions, %d rules; want 4, 1, 2", len(w.Queues), len(w.Functions), len(w.Rules))
		}
	})
}

func TestRouterOutputs(t *testing.T) {
	got := map[string]string{}
	run(t, func(ctx *pulumi.Context) error {
		r, err := hydrantinfra.NewRouter(ctx, "hydrant", routerArgs())
		if err != nil {
			return err
		}
		for name, out := range map[string]pulumi.StringOutput{
			"busArn": r.BusArn, "intakeQueueUrl": r.IntakeQueueUrl, "intakeDlqUrl": r.IntakeDLQUrl, "intakeTopicArn": r.IntakeTopicArn,
			"failureBucketArn": r.FailureBucketArn, "hydrateRoleName": r.HydrateRoleName, "eventSource": r.EventSource,
		} {
			v, err := internals.UnsafeAwaitOutput(ctx.Context(), out)
			if err != nil {
				return err
			}
			got[name], _ = v.Value.(string)
		}
		return nil
	})
	want := map[string]string{
		"busArn":           "arn:aws:events:us-east-1:123456789012:event-bus/hydrant-bus",
		"intakeQueueUrl":   "https://sqs.us-east-1.amazonaws.com/123456789012/hydrant-intake",
		"intakeDlqUrl":     "https://sqs.us-east-1.amazonaws.com/123456789012/hydrant-intake-dlq",
		"intakeTopicArn":   "arn:aws:sns:us-east-1:123456789012:hydrant-intake-topic",
		"failureBucketArn": "arn:aws:s3:::hydrant-failures",
		"hydrateRoleName":  "hydrant-hydrate-role",
		"eventSource":      "hydrant",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outputs = %v\nwant %v", got, want)
	}
}

func TestRouterCountsEveryQueueAndBucket(t *testing.T) {
	p := run(t, func(ctx *pulumi.Context) error {
		_, err := hydrantinfra.NewRouter(ctx, "hydrant", routerArgs())
		return err
	})
	var queues, buckets []string
	for _, r := range p.OfType(typeQueue) {
		queues = append(queues, r.Name)
	}
	for _, r := range p.OfType(typeBucket) {
		buckets = append(buckets, r.Name)
	}
	wantQueues := []string{"hydrant-archive-target-dlq", "hydrant-catch-all", "hydrant-catch-all-target-dlq", "hydrant-intake", "hydrant-intake-dlq"}
	wantBuckets := []string{"hydrant-archive", "hydrant-claim-checks", "hydrant-failures"}
	if !reflect.DeepEqual(queues, wantQueues) || !reflect.DeepEqual(buckets, wantBuckets) {
		t.Errorf("queues %v buckets %v, want %v %v", queues, buckets, wantQueues, wantBuckets)
	}
}

func TestRouterRejectsBadArgs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*hydrantinfra.RouterArgs)
		want   string
	}{
		{"no code", func(a *hydrantinfra.RouterArgs) { a.HydrateCode = nil }, "HydrateCode is required"},
		{"zero concurrency", func(a *hydrantinfra.RouterArgs) { a.ReservedConcurrency = ptr(0) }, "ReservedConcurrency 0"},
		{"bad account", func(a *hydrantinfra.RouterArgs) { a.RuleCreatorAccounts = []string{"12345"} }, `"12345" is not a 12-digit account ID`},
		{"bad reader", func(a *hydrantinfra.RouterArgs) {
			a.ClaimCheckReaders = []hydrantinfra.ClaimCheckReader{{Account: "1", Streams: []hydrantinfra.StreamSelector{{ARN: pulumi.String("x")}}}}
		}, `ClaimCheckReaders[0]: "1" is not a 12-digit account ID`},
		{"reader without streams", func(a *hydrantinfra.RouterArgs) {
			a.ClaimCheckReaders = []hydrantinfra.ClaimCheckReader{{Account: "222233334444"}}
		}, "at least one stream"},
		{"reader prefix too wide", func(a *hydrantinfra.RouterArgs) {
			a.ClaimCheckReaders = []hydrantinfra.ClaimCheckReader{{Account: "222233334444", Streams: []hydrantinfra.StreamSelector{{ARN: pulumi.String("arn:aws:kinesis:"), Prefix: true}}}}
		}, "name the partition, region and account"},
		{"batch", func(a *hydrantinfra.RouterArgs) { a.IntakeBatchSize = 11 }, "IntakeBatchSize 11"},
		{"entry size", func(a *hydrantinfra.RouterArgs) { a.MaxEntrySize = 2 << 20 }, "MaxEntrySize 2097152"},
		{"tiny entry size", func(a *hydrantinfra.RouterArgs) { a.MaxEntrySize = 100 }, "MaxEntrySize 100"},
		{"concurrency", func(a *hydrantinfra.RouterArgs) { a.PublishConcurrency = 65 }, "PublishConcurrency 65"},
		{"empty schema", func(a *hydrantinfra.RouterArgs) { a.Schemas[0].Content = "" }, "Schemas[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := routerArgs()
			tc.change(args)
			err := runErr(func(ctx *pulumi.Context) error {
				_, err := hydrantinfra.NewRouter(ctx, "hydrant", args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestRouterOrdersGrantsBeforeUse: resources that AWS validates on creation wait for the
// grants they need.
func TestRouterOrdersGrantsBeforeUse(t *testing.T) {
	rec, err := plan.Run("hydrant", "test", nil, nil, func(ctx *pulumi.Context) error {
		_, err := hydrantinfra.NewRouter(ctx, "hydrant", routerArgs())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ typ, name, dependsOn string }{
		{"aws:s3/bucketNotification:BucketNotification", "hydrant-failures-notification", "hydrant-intake-policy"},
		{typeFunction, "hydrant-hydrate", "hydrant-hydrate-policy"},
		{"aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "hydrant-archive-delivery", "hydrant-firehose-policy"},
		{"aws:s3/bucketPolicy:BucketPolicy", "hydrant-failures-policy", "hydrant-failures-public-access"},
	} {
		typ := tc.typ
		raw, ok := rec.Raw(typ, tc.name)
		if !ok {
			t.Fatalf("no %s %s", typ, tc.name)
		}
		found := false
		for _, dep := range raw.RegisterRPC.GetDependencies() {
			found = found || strings.HasSuffix(dep, "::"+tc.dependsOn)
		}
		if !found {
			t.Errorf("%s does not depend on %s: %v", tc.name, tc.dependsOn, raw.RegisterRPC.GetDependencies())
		}
	}
}

// isRuleAction: the actions that create or change rules and targets on a bus.
func isRuleAction(a string) bool {
	switch a {
	case "events:PutRule", "events:PutTargets", "events:DeleteRule", "events:RemoveTargets", "events:EnableRule", "events:DisableRule", "events:*":
		return true
	}
	return false
}

func TestRuleCreatorAccountsAreAnOptIn(t *testing.T) {
	args := routerArgs()
	args.RuleCreatorAccounts = []string{"111122223333"}
	p := run(t, func(ctx *pulumi.Context) error {
		_, err := hydrantinfra.NewRouter(ctx, "hydrant", args)
		return err
	})
	pol := statements(t, find(t, p, typeBusPolicy, "hydrant-bus-policy").Inputs["policy"])
	sub := pol["RuleCreator111122223333"]
	if !reflect.DeepEqual(sub.Resource, []string{"arn:aws:events:us-east-1:123456789012:rule/hydrant-bus/*"}) ||
		!reflect.DeepEqual(sub.Principal, map[string]any{"AWS": "arn:aws:iam::111122223333:root"}) ||
		!slices.Contains(sub.Action, "events:PutRule") || slices.Contains(sub.Action, "events:PutEvents") {
		t.Errorf("rule creator statement = %+v", sub)
	}
	for sid, st := range pol {
		if sid != "RuleCreator111122223333" && st.Effect == "Allow" && slices.ContainsFunc(st.Action, isRuleAction) {
			t.Errorf("statement %s allows rule actions to %v", sid, st.Principal)
		}
	}
}

func TestClaimCheckBucketGrantsEachTeamAccountExactlyItsStreamsPrefixes(t *testing.T) {
	args := routerArgs()
	args.ClaimCheckReaders = []hydrantinfra.ClaimCheckReader{
		{Account: "222233334444", Streams: []hydrantinfra.StreamSelector{
			{ARN: pulumi.String("arn:aws:kinesis:us-east-1:123456789012:stream/orders")},
			{ARN: pulumi.String("arn:aws:dynamodb:us-east-1:123456789012:table/invoices/"), Prefix: true},
		}},
		{Account: "555566667777", Streams: []hydrantinfra.StreamSelector{
			{ARN: pulumi.String("arn:aws:dynamodb:us-east-1:123456789012:table/users/stream/2026-01-01T00:00:00.000")},
		}},
	}
	p := run(t, func(ctx *pulumi.Context) error {
		_, err := hydrantinfra.NewRouter(ctx, "hydrant", args)
		return err
	})
	pol := statements(t, find(t, p, "aws:s3/bucketPolicy:BucketPolicy", "hydrant-claim-checks-policy").Inputs["policy"])
	const bucket = "arn:aws:s3:::hydrant-claim-checks"
	want := map[string][]string{
		"222233334444": {bucket + "/records/us-east-1/123456789012/kinesis/orders/*", bucket + "/records/us-east-1/123456789012/dynamodb/invoices/*"},
		"555566667777": {bucket + "/records/us-east-1/123456789012/dynamodb/users/2026-01-01T00:00:00.000/*"},
	}
	granted := map[string]bool{}
	for sid, st := range pol {
		if st.Effect != "Allow" {
			continue
		}
		principal, _ := st.Principal.(map[string]any)
		acct := strings.TrimSuffix(strings.TrimPrefix(fmt.Sprint(principal["AWS"]), "arn:aws:iam::"), ":root")
		w, ok := want[acct]
		if !ok {
			t.Errorf("statement %s grants %v to %v, not a reader", sid, st.Action, st.Principal)
			continue
		}
		granted[acct] = true
		if !reflect.DeepEqual(st.Action, []string{"s3:GetObject"}) || !reflect.DeepEqual(st.Resource, w) || len(st.Condition) != 0 {
			t.Errorf("account %s: %+v, want s3:GetObject on exactly %v", acct, st, w)
		}
	}
	if len(granted) != len(want) {
		t.Errorf("granted %v, want %v", granted, want)
	}
	// The other buckets grant nobody outside the account.
	for _, b := range []string{"hydrant-failures-policy", "hydrant-archive-policy"} {
		for sid, st := range statements(t, find(t, p, "aws:s3/bucketPolicy:BucketPolicy", b).Inputs["policy"]) {
			if st.Effect == "Allow" {
				t.Errorf("%s: statement %s allows %v", b, sid, st.Action)
			}
		}
	}
}
