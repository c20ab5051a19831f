package hydrantinfra_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/hydrant-dev/hydrant/internal/eventpattern"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	ordersStream   = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"
	paymentsStream = "arn:aws:kinesis:us-east-1:123456789012:stream/payments"
	usersStream    = "arn:aws:dynamodb:us-east-1:123456789012:table/users/stream/2026-01-01T00:00:00.000"
)

func allKindsArgs() *hydrantinfra.SubscriptionArgs {
	return &hydrantinfra.SubscriptionArgs{
		EventBusName: pulumi.String("hydrant-bus"),
		Streams:      []hydrantinfra.StreamSelector{{ARN: pulumi.String(ordersStream)}, {ARN: pulumi.String("arn:aws:dynamodb:us-east-1:123456789012:table/users/"), Prefix: true}},
		Targets: []hydrantinfra.Target{
			{Name: "queue", Kind: hydrantinfra.TargetSQS, Arn: pulumi.String("arn:aws:sqs:us-east-1:123456789012:billing"),
				QueueURL: pulumi.String("https://sqs.us-east-1.amazonaws.com/123456789012/billing"), RetryAttempts: ptr(10), MaximumEventAgeSeconds: ptr(3600)},
			{Name: "fn", Kind: hydrantinfra.TargetLambda, Arn: pulumi.String("arn:aws:lambda:us-east-1:123456789012:function:billing-replay"),
				InputTransformer: &hydrantinfra.InputTransformer{InputPaths: map[string]string{"data": "$.detail.kinesis"}, InputTemplate: `{"record": <data>}`}},
			{Name: "topic", Kind: hydrantinfra.TargetSNS, Arn: pulumi.String("arn:aws:sns:us-east-1:123456789012:billing-alerts"), ManageTopicPolicy: true},
			{Name: "central", Kind: hydrantinfra.TargetEventBus, Arn: pulumi.String("arn:aws:events:eu-west-1:444455556666:event-bus/central")},
			{Name: "webhook", Kind: hydrantinfra.TargetAPIDestination, APIDestination: &hydrantinfra.APIDestination{
				Endpoint: "https://hooks.example.com/hydrant", HTTPMethod: "POST", RateLimitPerSecond: 10,
				Authorization: "API_KEY", APIKeyName: "X-Api-Key", APIKeyValue: pulumi.String("s3cr3t"),
			}},
		},
	}
}

func TestSubscriptionAllTargetKinds(t *testing.T) {
	p := run(t, func(ctx *pulumi.Context) error {
		_, err := hydrantinfra.NewSubscription(ctx, "billing", allKindsArgs())
		return err
	})
	find(t, p, hydrantinfra.SubscriptionType, "billing")
	rule := find(t, p, typeRule, "billing-rule")
	if rule.Inputs["eventBusName"] != "hydrant-bus" {
		t.Errorf("rule bus = %v", rule.Inputs["eventBusName"])
	}
	wantPattern := `{"detail":{"streamArn":["` + ordersStream + `",{"prefix":"arn:aws:dynamodb:us-east-1:123456789012:table/users/"}]},"detail-type":["RecordHydrated","RecordHydrationFailed"],"source":["hydrant"]}`
	if rule.Inputs["eventPattern"] != wantPattern {
		t.Errorf("pattern = %v\nwant %s", rule.Inputs["eventPattern"], wantPattern)
	}
	ruleArn := "arn:aws:events:us-east-1:123456789012:rule/hydrant-bus/billing-rule"

	targets := p.OfType(typeTarget)
	if len(targets) != 5 {
		t.Fatalf("%d targets, want 5", len(targets))
	}
	for _, name := range []string{"queue", "fn", "topic", "central", "webhook"} {
		tg := find(t, p, typeTarget, "billing-"+name)
		dlq := "arn:aws:sqs:us-east-1:123456789012:billing-" + name + "-dlq"
		if got := get(tg.Inputs, "deadLetterConfig.arn"); got != dlq {
			t.Errorf("%s DLQ = %v, want its own %s", name, got, dlq)
		}
		pol := statements(t, find(t, p, typeQueuePolicy, "billing-"+name+"-dlq-policy").Inputs["policy"])
		if got := pol["AllowEventBridgeRules"].Condition["ArnEquals"]["aws:SourceArn"]; !reflect.DeepEqual(got, []string{ruleArn}) {
			t.Errorf("%s DLQ accepts messages from %v, want the rule", name, got)
		}
	}
	q := find(t, p, typeTarget, "billing-queue")
	if get(q.Inputs, "retryPolicy.maximumRetryAttempts") != 10.0 || get(q.Inputs, "retryPolicy.maximumEventAgeInSeconds") != 3600.0 {
		t.Errorf("queue retry policy = %v", q.Inputs["retryPolicy"])
	}
	fn := find(t, p, typeTarget, "billing-fn")
	if get(fn.Inputs, "retryPolicy.maximumRetryAttempts") != 185.0 || get(fn.Inputs, "inputTransformer.inputTemplate") != `{"record": <data>}` {
		t.Errorf("function target = %v", fn.Inputs)
	}
	perm := find(t, p, "aws:lambda/permission:Permission", "billing-fn-invoke")
	if perm.Inputs["sourceArn"] != ruleArn || perm.Inputs["principal"] != "events.amazonaws.com" {
		t.Errorf("lambda permission = %v", perm.Inputs)
	}
	qp := statements(t, find(t, p, typeQueuePolicy, "billing-queue-queue-policy").Inputs["policy"])
	if qp["DenyInsecureTransport"].Effect != "Deny" || !reflect.DeepEqual(qp["AllowHydrantRule"].Condition["ArnEquals"]["aws:SourceArn"], []string{ruleArn}) {
		t.Errorf("team queue policy = %v", qp)
	}
	tp := statements(t, find(t, p, "aws:sns/topicPolicy:TopicPolicy", "billing-topic-topic-policy").Inputs["policy"])
	if !reflect.DeepEqual(tp["AllowHydrantRule"].Resource, []string{"arn:aws:sns:us-east-1:123456789012:billing-alerts"}) {
		t.Errorf("topic policy = %v", tp)
	}
	central := find(t, p, typeTarget, "billing-central")
	if central.Inputs["roleArn"] != "arn:aws:iam::123456789012:role/billing-central-role" {
		t.Errorf("cross-account bus target role = %v", central.Inputs["roleArn"])
	}
	cp := statements(t, find(t, p, typeRolePolicy, "billing-central-role-policy").Inputs["policy"])
	if !reflect.DeepEqual(cp["Deliver"].Resource, []string{"arn:aws:events:eu-west-1:444455556666:event-bus/central"}) || !reflect.DeepEqual(cp["Deliver"].Action, []string{"events:PutEvents"}) {
		t.Errorf("bus target role policy = %v", cp)
	}
	hook := find(t, p, typeTarget, "billing-webhook")
	dest := "arn:aws:events:us-east-1:123456789012:api-destination/billing-webhook-dest/00000000-0000-4000-8000-000000000000"
	if hook.Inputs["arn"] != dest {
		t.Errorf("API destination target arn = %v", hook.Inputs["arn"])
	}
	conn := find(t, p, "aws:cloudwatch/eventConnection:EventConnection", "billing-webhook-conn")
	if got := get(conn.Inputs, "authParameters.apiKey.value"); got != "[secret]" {
		t.Errorf("API key value recorded as %v, want it kept secret", got)
	}
}

func TestSubscriptionRejectsBadArgs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*hydrantinfra.SubscriptionArgs)
		want   string
	}{
		{"no targets", func(a *hydrantinfra.SubscriptionArgs) { a.Targets = nil }, "at least one target is required"},
		{"no streams", func(a *hydrantinfra.SubscriptionArgs) { a.Streams = nil }, "at least one stream is required"},
		{"unknown kind", func(a *hydrantinfra.SubscriptionArgs) { a.Targets[0].Kind = "kafka" }, `unknown kind "kafka"`},
		{"six targets", func(a *hydrantinfra.SubscriptionArgs) {
			a.Targets = append(a.Targets, hydrantinfra.Target{Name: "six", Kind: hydrantinfra.TargetSQS, Arn: pulumi.String("arn:aws:sqs:us-east-1:1:q")})
		}, "at most 5"},
		{"duplicate name", func(a *hydrantinfra.SubscriptionArgs) { a.Targets[1].Name = "queue" }, `duplicate name "queue"`},
		{"http endpoint", func(a *hydrantinfra.SubscriptionArgs) { a.Targets[4].APIDestination.Endpoint = "http://x" }, `"http://x" is not an https URL`},
		{"missing arn", func(a *hydrantinfra.SubscriptionArgs) { a.Targets[2].Arn = nil }, `target "topic" (sns): Arn is required`},
		{"retry too high", func(a *hydrantinfra.SubscriptionArgs) { a.Targets[0].RetryAttempts = ptr(186) }, "retry attempts 186"},
		{"detail pattern on streamArn", func(a *hydrantinfra.SubscriptionArgs) { a.DetailPattern = `{"streamArn":["x"]}` }, "may not name streamArn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := allKindsArgs()
			tc.change(args)
			err := runErr(func(ctx *pulumi.Context) error {
				_, err := hydrantinfra.NewSubscription(ctx, "billing", args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// event is a RecordHydrated (or RecordHydrationFailed) event as the hydrate function puts it.
func event(detailType, streamArn, extra string) []byte {
	return []byte(fmt.Sprintf(`{"version":"0","id":"1","detail-type":%q,"source":"hydrant","account":"123456789012","time":"2026-11-28T10:00:00Z","region":"us-east-1","resources":[%q],"detail":{"streamArn":%q%s}}`,
		detailType, streamArn, streamArn, extra))
}

// TestTeamRulesMatchOnlyTheirStreams compiles the patterns the components send to the engine
// with the project's own matcher and checks each team sees its streams and no other team's.
func TestTeamRulesMatchOnlyTheirStreams(t *testing.T) {
	teams := map[string]*hydrantinfra.SubscriptionArgs{
		"orders": {Streams: []hydrantinfra.StreamSelector{{ARN: pulumi.String(ordersStream)}}},
		"users":  {Streams: []hydrantinfra.StreamSelector{{ARN: pulumi.String("arn:aws:dynamodb:us-east-1:123456789012:table/users/"), Prefix: true}}},
		// A team that opted out of failures (issue 9, item 3: delivery is the default).
		"quiet": {Streams: []hydrantinfra.StreamSelector{{ARN: pulumi.String(paymentsStream)}}, ExcludeHydrationFailures: true},
		"removals": {Streams: []hydrantinfra.StreamSelector{{ARN: pulumi.String(usersStream)}},
			DetailPattern: `{"dynamodb":{"eventName":["REMOVE"]}}`},
	}
	p := run(t, func(ctx *pulumi.Context) error {
		for name, args := range teams {
			args.EventBusName = pulumi.String("hydrant-bus")
			args.Targets = []hydrantinfra.Target{{Name: "q", Kind: hydrantinfra.TargetSQS, Arn: pulumi.String("arn:aws:sqs:us-east-1:123456789012:" + name)}}
			if _, err := hydrantinfra.NewSubscription(ctx, name, args); err != nil {
				return err
			}
		}
		return nil
	})
	patterns := map[string]*eventpattern.Pattern{}
	for name := range teams {
		src := find(t, p, typeRule, name+"-rule").Inputs["eventPattern"].(string)
		pat, err := eventpattern.Compile([]byte(src))
		if err != nil {
			t.Fatalf("%s pattern %s does not compile: %v", name, src, err)
		}
		patterns[name] = pat
	}
	remove := `,"dynamodb":{"eventName":"REMOVE"}`
	insert := `,"dynamodb":{"eventName":"INSERT"}`
	cases := []struct {
		name  string
		event []byte
		want  []string // teams whose rule matches
	}{
		{"orders record", event("RecordHydrated", ordersStream, ""), []string{"orders"}},
		{"payments record reaches its team", event("RecordHydrated", paymentsStream, ""), []string{"quiet"}},
		{"another stream's record reaches nobody", event("RecordHydrated", "arn:aws:kinesis:us-east-1:123456789012:stream/unrouted", ""), nil},
		// Failures reach a team by default, even one whose detail pattern filters record content.
		{"orders failure reaches its team by default", event("RecordHydrationFailed", ordersStream, ""), []string{"orders"}},
		{"payments failure does not reach the team that opted out", event("RecordHydrationFailed", paymentsStream, ""), nil},
		{"users insert", event("RecordHydrated", usersStream, insert), []string{"users"}},
		{"users remove", event("RecordHydrated", usersStream, remove), []string{"removals", "users"}},
		{"users failure reaches both teams of the stream", event("RecordHydrationFailed", usersStream, ""), []string{"removals", "users"}},
		{"another table with a longer name", event("RecordHydrated", "arn:aws:dynamodb:us-east-1:123456789012:table/users-archive/stream/2026-01-01T00:00:00.000", remove), nil},
		{"orders ARN in another account", event("RecordHydrated", "arn:aws:kinesis:us-east-1:999999999999:stream/orders", ""), nil},
		{"other source", []byte(strings.Replace(string(event("RecordHydrated", ordersStream, "")), `"source":"hydrant"`, `"source":"impostor"`, 1)), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := eventpattern.ParseEvent(tc.event)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, name := range []string{"orders", "quiet", "removals", "users"} {
				if patterns[name].Match(ev) {
					got = append(got, name)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("matched by %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRulePattern(t *testing.T) {
	for _, tc := range []struct {
		name    string
		streams []hydrantinfra.StreamMatch
		failed  bool
		detail  string
		want    string
		wantErr string
	}{
		{name: "exact", streams: []hydrantinfra.StreamMatch{{ARN: "a"}},
			want: `{"detail":{"streamArn":["a"]},"detail-type":["RecordHydrated"],"source":["hydrant"]}`},
		{name: "prefix and failures", streams: []hydrantinfra.StreamMatch{{ARN: "a/", Prefix: true}}, failed: true,
			want: `{"detail":{"streamArn":[{"prefix":"a/"}]},"detail-type":["RecordHydrated","RecordHydrationFailed"],"source":["hydrant"]}`},
		{name: "extra detail keeps numbers exact", streams: []hydrantinfra.StreamMatch{{ARN: "a"}}, detail: `{"record":{"size":[{"numeric":[">",1.50]}]}}`,
			want: `{"detail":{"record":{"size":[{"numeric":[">",1.50]}]},"streamArn":["a"]},"detail-type":["RecordHydrated"],"source":["hydrant"]}`},
		{name: "extra detail and failures: failures are not filtered on record content", streams: []hydrantinfra.StreamMatch{{ARN: "a"}}, failed: true, detail: `{"record":{"size":[1]}}`,
			want: `{"$or":[{"detail":{"record":{"size":[1]},"streamArn":["a"]},"detail-type":["RecordHydrated"]},{"detail":{"streamArn":["a"]},"detail-type":["RecordHydrationFailed"]}],"source":["hydrant"]}`},
		{name: "no streams", wantErr: "at least one stream"},
		{name: "empty arn", streams: []hydrantinfra.StreamMatch{{}}, wantErr: "empty stream ARN"},
		{name: "detail not an object", streams: []hydrantinfra.StreamMatch{{ARN: "a"}}, detail: `[1]`, wantErr: "not a JSON object"},
		{name: "detail trailing", streams: []hydrantinfra.StreamMatch{{ARN: "a"}}, detail: `{} {}`, wantErr: "trailing data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := hydrantinfra.RulePattern("", tc.failed, tc.streams, tc.detail)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %s, %v\nwant %s", got, err, tc.want)
			}
		})
	}
}
