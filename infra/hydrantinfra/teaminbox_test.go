package hydrantinfra_test

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// teamInboxStack is docs/teams.md's complete example of a team's own stack in its own account:
// the body of the team's pulumi.Run. Keep the two identical (TestDocsTeamInboxSnippet).
func teamInboxStack(ctx *pulumi.Context) error {
	// Hydrant's stack (in the central account) exports its bus ARN and, for each team with an
	// inbox, the role its rule uses to deliver to the inbox.
	hydrant, err := pulumi.NewStackReference(ctx, "acme/hydrant/prod", nil)
	if err != nil {
		return err
	}

	// The team's own queue, fed by a rule on the inbox.
	failures, err := sqs.NewQueue(ctx, "payments-failures", &sqs.QueueArgs{
		SqsManagedSseEnabled:    pulumi.Bool(true),
		MessageRetentionSeconds: pulumi.Int(14 * 24 * 3600),
	})
	if err != nil {
		return err
	}

	inbox, err := hydrantinfra.NewTeamInbox(ctx, "payments", &hydrantinfra.TeamInboxArgs{
		// The central stack's hydrant:teams entry names this bus:
		// inbox: arn:aws:events:eu-west-1:222233334444:event-bus/payments-hydrant
		BusName:       "payments-hydrant",
		CentralBusArn: hydrant.GetStringOutput(pulumi.String("busArn")),
		SenderRoleArn: hydrant.GetStringOutput(pulumi.String("teamInboxRoleArn-payments")),
		Rules: []hydrantinfra.InboxRule{{
			// No pattern: every event on the inbox, which only ever holds this team's streams.
			Name: "all",
			Targets: []hydrantinfra.Target{{
				Name:     "queue",
				Kind:     hydrantinfra.TargetSQS,
				Arn:      failures.Arn,
				QueueURL: failures.Url, // the component writes the queue policy: this rule only, TLS only
			}},
		}},
	})
	if err != nil {
		return err
	}
	ctx.Export("inboxBusArn", inbox.BusArn)
	ctx.Export("inboxDlqNames", inbox.TargetDLQNames)
	return nil
}

func TestTeamInboxStack(t *testing.T) {
	rec := plan.NewRecorder()
	rec.Account, rec.Region = "222233334444", "eu-west-1"
	rec.StackReferences = map[string]map[string]any{
		"acme/hydrant/prod": {
			"busArn":                    "arn:aws:events:eu-west-1:999988887777:event-bus/hydrant",
			"teamInboxRoleArn-payments": "arn:aws:iam::999988887777:role/payments-inbox-role",
		},
	}
	if err := rec.Run("payments", "prod", nil, nil, teamInboxStack); err != nil {
		t.Fatal(err)
	}
	p := rec.Plan()
	for _, v := range p.Check() {
		t.Error(v)
	}
	bus := find(t, p, "aws:cloudwatch/eventBus:EventBus", "payments-bus")
	if bus.Inputs["name"] != "payments-hydrant" {
		t.Errorf("bus name %v", bus.Inputs["name"])
	}
	pol := statements(t, find(t, p, typeBusPolicy, "payments-policy").Inputs["policy"])
	const inboxArn = "arn:aws:events:eu-west-1:222233334444:event-bus/payments-hydrant"
	const centralRules = "arn:aws:events:eu-west-1:999988887777:rule/hydrant/*"
	deny := pol["OnlyHydrantRulesPutEvents"]
	if deny.Effect != "Deny" || deny.Principal != "*" || !reflect.DeepEqual(deny.Action, []string{"events:PutEvents"}) ||
		!reflect.DeepEqual(deny.Resource, []string{inboxArn}) ||
		!reflect.DeepEqual(deny.Condition, map[string]map[string][]string{"ArnNotLike": {"aws:SourceArn": {centralRules}}}) {
		t.Errorf("deny statement = %+v", deny)
	}
	allow := pol["HydrantRulesPutHydrantEvents"]
	wantCond := map[string]map[string][]string{
		"ArnLike":                   {"aws:SourceArn": {centralRules}},
		"StringEquals":              {"aws:SourceAccount": {"999988887777"}},
		"ForAllValues:StringEquals": {"events:source": {"hydrant"}, "events:detail-type": {"RecordHydrated", "RecordHydrationFailed"}},
		"Null":                      {"events:source": {"false"}, "events:detail-type": {"false"}},
	}
	if allow.Effect != "Allow" || !reflect.DeepEqual(allow.Principal, map[string]any{"AWS": "arn:aws:iam::999988887777:role/payments-inbox-role"}) ||
		!reflect.DeepEqual(allow.Action, []string{"events:PutEvents"}) || !reflect.DeepEqual(allow.Condition, wantCond) {
		t.Errorf("allow statement = %+v", allow)
	}
	if len(pol) != 2 {
		t.Errorf("inbox policy has %d statements, want exactly the deny and the allow: %v", len(pol), pol)
	}
	for _, st := range pol {
		if st.Effect == "Allow" && strings.Contains(strings.Join(st.Action, ","), "Rule") {
			t.Errorf("inbox policy lets %v manage rules", st.Principal)
		}
	}
	rule := find(t, p, typeRule, "payments-all-rule")
	if rule.Inputs["eventPattern"] != `{"source":["hydrant"]}` || rule.Inputs["eventBusName"] != "payments-hydrant" {
		t.Errorf("rule = %v", rule.Inputs)
	}
	target := find(t, p, typeTarget, "payments-all-queue")
	if target.Inputs["arn"] != "arn:aws:sqs:eu-west-1:222233334444:payments-failures" || get(target.Inputs, "deadLetterConfig.arn") == nil {
		t.Errorf("target = %v", target.Inputs)
	}
	q := statements(t, find(t, p, typeQueuePolicy, "payments-all-queue-queue-policy").Inputs["policy"])
	if !reflect.DeepEqual(q["AllowHydrantRule"].Condition["ArnEquals"]["aws:SourceArn"], []string{"arn:aws:events:eu-west-1:222233334444:rule/payments-hydrant/payments-all-rule"}) {
		t.Errorf("queue policy = %v", q)
	}
}

func TestTeamInboxWithoutSenderRoleAdmitsTheCentralAccountsRulesOnly(t *testing.T) {
	p := run(t, func(ctx *pulumi.Context) error {
		_, err := hydrantinfra.NewTeamInbox(ctx, "team", &hydrantinfra.TeamInboxArgs{
			BusName:       "team-inbox",
			CentralBusArn: pulumi.String("arn:aws:events:us-east-1:999988887777:event-bus/hydrant"),
			EventSource:   "acme.hydrant",
		})
		return err
	})
	pol := statements(t, find(t, p, typeBusPolicy, "team-policy").Inputs["policy"])
	allow := pol["HydrantRulesPutHydrantEvents"]
	if !reflect.DeepEqual(allow.Principal, map[string]any{"AWS": "arn:aws:iam::999988887777:root"}) ||
		!reflect.DeepEqual(allow.Condition["ForAllValues:StringEquals"]["events:source"], []string{"acme.hydrant"}) {
		t.Errorf("allow = %+v", allow)
	}
}

func TestTeamInboxValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		args *hydrantinfra.TeamInboxArgs
		want string
	}{
		{"no bus name", &hydrantinfra.TeamInboxArgs{CentralBusArn: pulumi.String("arn:aws:events:us-east-1:999988887777:event-bus/h")}, `BusName ""`},
		{"default bus", &hydrantinfra.TeamInboxArgs{BusName: "default", CentralBusArn: pulumi.String("arn:aws:events:us-east-1:999988887777:event-bus/h")}, `BusName "default"`},
		{"no central bus", &hydrantinfra.TeamInboxArgs{BusName: "b"}, "CentralBusArn is required"},
		{"bad central bus", &hydrantinfra.TeamInboxArgs{BusName: "b", CentralBusArn: pulumi.String("hydrant")}, `central bus ARN "hydrant"`},
		{"rule without targets", &hydrantinfra.TeamInboxArgs{BusName: "b", CentralBusArn: pulumi.String("arn:aws:events:us-east-1:999988887777:event-bus/h"),
			Rules: []hydrantinfra.InboxRule{{Name: "all"}}}, "0 targets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runErr(func(ctx *pulumi.Context) error {
				_, err := hydrantinfra.NewTeamInbox(ctx, "team", tc.args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestDocsTeamInboxSnippet: the team stack docs/teams.md shows is teamInboxStack, line for
// line (the docs' copy sits inside pulumi.Run, one tab deeper).
func TestDocsTeamInboxSnippet(t *testing.T) {
	doc, err := os.ReadFile("../../docs/teams.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("teaminbox_test.go")
	if err != nil {
		t.Fatal(err)
	}
	body := func(text, start, end string) []string {
		i := strings.Index(text, start)
		if i < 0 {
			t.Fatalf("no %q", start)
		}
		rest := text[i+len(start):]
		j := strings.Index(rest, end)
		if j < 0 {
			t.Fatalf("no end %q after %q", end, start)
		}
		var lines []string
		for _, l := range strings.Split(rest[:j], "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		return lines
	}
	want := body(string(src), "func teamInboxStack(ctx *pulumi.Context) error {\n", "\n}\n")
	got := body(string(doc), "pulumi.Run(func(ctx *pulumi.Context) error {\n", "\n\t})\n}\n")
	if !slices.Equal(got, want) {
		t.Errorf("docs/teams.md's team stack differs from teamInboxStack:\n%s\n---\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
