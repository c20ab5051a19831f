//go:build integration

package eventbus_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
)

// wantCode asserts an SDK error carries the AWS error code (and so the SDK's typed error).
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
	if api.ErrorCode() != code {
		t.Fatalf("%s: got %s (%s), want %s", what, api.ErrorCode(), api.ErrorMessage(), code)
	}
	if api.ErrorMessage() == "" {
		t.Fatalf("%s: %s without a message", what, code)
	}
}

func TestEventBuses(t *testing.T) {
	h := newHarness(t)
	ctx := h.ctx()

	def, err := h.eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{})
	if err != nil || aws.ToString(def.Name) != "default" || aws.ToString(def.Arn) != "arn:aws:events:us-east-1:000000000000:event-bus/default" {
		t.Fatalf("default bus: %+v, %v", def, err)
	}
	name, arn := h.bus("team")
	if arn != "arn:aws:events:us-east-1:000000000000:event-bus/"+name {
		t.Fatalf("bus ARN %s", arn)
	}
	byARN, err := h.eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(arn)})
	if err != nil || aws.ToString(byARN.Name) != name || byARN.CreationTime == nil || byARN.CreationTime.IsZero() {
		t.Fatalf("describe by ARN: %+v, %v", byARN, err)
	}
	list, err := h.eb.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{NamePrefix: aws.String(h.prefix)})
	if err != nil || len(list.EventBuses) != 1 || aws.ToString(list.EventBuses[0].Name) != name {
		t.Fatalf("list: %+v, %v", list, err)
	}

	_, err = h.eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)})
	var exists *ebtypes.ResourceAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("second create: %v, want ResourceAlreadyExistsException", err)
	}
	_, err = h.eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(h.name("missing"))})
	var missing *ebtypes.ResourceNotFoundException
	if !errors.As(err, &missing) {
		t.Fatalf("describe missing: %v, want ResourceNotFoundException", err)
	}
	_, err = h.eb.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("default")})
	wantCode(t, "delete default", err, "ValidationException")
	_, err = h.eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("bad name!")})
	wantCode(t, "bad name", err, "ValidationException")

	h.rule(name, "r", `{"source":["x"]}`)
	_, err = h.eb.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String(name)})
	wantCode(t, "delete bus with rules", err, "ValidationException")
	if _, err := h.eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("r"), EventBusName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eb.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String(name)}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = h.eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(name)})
	if !errors.As(err, &missing) {
		t.Fatalf("describe deleted: %v", err)
	}
}

func TestRulesAndTargets(t *testing.T) {
	h := newHarness(t)
	ctx := h.ctx()
	bus, _ := h.bus("rules")
	_, qarn := h.queue("rules", nil)

	// The default bus's rule ARNs have no bus segment.
	defName := h.name("on-default")
	if arn := h.rule("default", defName, `{"source":["x"]}`); arn != "arn:aws:events:us-east-1:000000000000:rule/"+defName {
		t.Fatalf("default-bus rule ARN %s", arn)
	}
	t.Cleanup(func() { _, _ = h.eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(defName)}) })

	h.rule(bus, "a", `{"source":["a"]}`)
	desc, err := h.eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("a"), EventBusName: aws.String(bus)})
	if err != nil || desc.State != ebtypes.RuleStateEnabled || aws.ToString(desc.EventPattern) != `{"source":["a"]}` || aws.ToString(desc.EventBusName) != bus {
		t.Fatalf("describe: %+v, %v", desc, err)
	}
	if _, err := h.eb.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("a"), EventBusName: aws.String(bus)}); err != nil {
		t.Fatal(err)
	}
	desc, _ = h.eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("a"), EventBusName: aws.String(bus)})
	if desc.State != ebtypes.RuleStateDisabled {
		t.Fatalf("state after DisableRule: %s", desc.State)
	}
	if _, err := h.eb.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String("a"), EventBusName: aws.String(bus)}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		in   eventbridge.PutRuleInput
		code string
	}{
		{"schedule expression", eventbridge.PutRuleInput{Name: aws.String("s"), ScheduleExpression: aws.String("rate(5 minutes)")}, "ValidationException"},
		{"neither pattern nor schedule", eventbridge.PutRuleInput{Name: aws.String("n")}, "ValidationException"},
		{"invalid pattern", eventbridge.PutRuleInput{Name: aws.String("p"), EventPattern: aws.String(`{"source":"not-an-array"}`)}, "InvalidEventPatternException"},
		{"pattern not JSON", eventbridge.PutRuleInput{Name: aws.String("p"), EventPattern: aws.String(`{`)}, "InvalidEventPatternException"},
		{"bad rule name", eventbridge.PutRuleInput{Name: aws.String("a b"), EventPattern: aws.String(`{"source":["a"]}`)}, "ValidationException"},
		{"missing bus", eventbridge.PutRuleInput{Name: aws.String("m"), EventBusName: aws.String(h.name("nobus")), EventPattern: aws.String(`{"source":["a"]}`)}, "ResourceNotFoundException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			if in.EventBusName == nil {
				in.EventBusName = aws.String(bus)
			}
			_, err := h.eb.PutRule(ctx, &in)
			wantCode(t, c.name, err, c.code)
		})
	}
	_, err = h.eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("s"), EventBusName: aws.String(bus), ScheduleExpression: aws.String("rate(5 minutes)")})
	if err == nil || !strings.Contains(err.Error(), "ScheduleExpression") {
		t.Fatalf("schedule refusal should name ScheduleExpression: %v", err)
	}

	// Targets: at most five per rule; DeleteRule refuses while targets remain.
	var five []ebtypes.Target
	for i := range 5 {
		five = append(five, ebtypes.Target{Id: aws.String(fmt.Sprintf("t%d", i)), Arn: aws.String(qarn)})
	}
	h.targets(bus, "a", five...)
	_, err = h.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("a"), EventBusName: aws.String(bus), Targets: []ebtypes.Target{{Id: aws.String("t5"), Arn: aws.String(qarn)}}})
	wantCode(t, "sixth target", err, "LimitExceededException")
	list, err := h.eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("a"), EventBusName: aws.String(bus)})
	if err != nil || len(list.Targets) != 5 || aws.ToString(list.Targets[0].Arn) != qarn {
		t.Fatalf("list targets: %+v, %v", list, err)
	}
	_, err = h.eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("a"), EventBusName: aws.String(bus)})
	wantCode(t, "delete rule with targets", err, "ValidationException")
	rm, err := h.eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("a"), EventBusName: aws.String(bus), Ids: []string{"t0", "t1", "t2", "t3", "t4", "nope"}})
	if err != nil || rm.FailedEntryCount != 1 || aws.ToString(rm.FailedEntries[0].TargetId) != "nope" {
		t.Fatalf("remove targets: %+v, %v", rm, err)
	}
	if _, err := h.eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("a"), EventBusName: aws.String(bus)}); err != nil {
		t.Fatalf("delete rule without targets: %v", err)
	}
	_, err = h.eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("a"), EventBusName: aws.String(bus)})
	wantCode(t, "describe deleted rule", err, "ResourceNotFoundException")
	if _, err := h.eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("a"), EventBusName: aws.String(bus)}); err != nil {
		t.Fatalf("deleting a rule that does not exist succeeds, as in AWS: %v", err)
	}

	h.rule(bus, "t", `{"source":["t"]}`)
	targetCases := []struct {
		name string
		tgt  ebtypes.Target
	}{
		{"input and input path", ebtypes.Target{Id: aws.String("x"), Arn: aws.String(qarn), Input: aws.String(`{}`), InputPath: aws.String("$.detail")}},
		{"input not JSON", ebtypes.Target{Id: aws.String("x"), Arn: aws.String(qarn), Input: aws.String(`not json`)}},
		{"undefined placeholder", ebtypes.Target{Id: aws.String("x"), Arn: aws.String(qarn), InputTransformer: &ebtypes.InputTransformer{InputTemplate: aws.String(`"<nope>"`)}}},
		{"retry attempts over 185", ebtypes.Target{Id: aws.String("x"), Arn: aws.String(qarn), RetryPolicy: &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(186)}}},
		{"event age under 60", ebtypes.Target{Id: aws.String("x"), Arn: aws.String(qarn), RetryPolicy: &ebtypes.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(59)}}},
		{"FIFO queue without MessageGroupId", ebtypes.Target{Id: aws.String("x"), Arn: aws.String("arn:aws:sqs:us-east-1:000000000000:q.fifo")}},
		{"DLQ not SQS", ebtypes.Target{Id: aws.String("x"), Arn: aws.String(qarn), DeadLetterConfig: &ebtypes.DeadLetterConfig{Arn: aws.String("arn:aws:sns:us-east-1:000000000000:t")}}},
		{"unsupported target type", ebtypes.Target{Id: aws.String("x"), Arn: aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:m")}},
	}
	for _, c := range targetCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("t"), EventBusName: aws.String(bus), Targets: []ebtypes.Target{c.tgt}})
			wantCode(t, c.name, err, "ValidationException")
		})
	}
}

func TestRuleLimitPerBus(t *testing.T) {
	h := newHarness(t)
	bus, _ := h.bus("limit")
	for i := range 300 {
		h.rule(bus, fmt.Sprintf("r%03d", i), `{"source":["x"]}`)
	}
	_, err := h.eb.PutRule(h.ctx(), &eventbridge.PutRuleInput{Name: aws.String("r300"), EventBusName: aws.String(bus), EventPattern: aws.String(`{"source":["x"]}`)})
	wantCode(t, "301st rule", err, "LimitExceededException")
	// Updating an existing rule is not a new rule.
	h.rule(bus, "r000", `{"source":["y"]}`)

	var names []string
	var token *string
	for {
		page, err := h.eb.ListRules(h.ctx(), &eventbridge.ListRulesInput{EventBusName: aws.String(bus), Limit: aws.Int32(70), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Rules {
			names = append(names, aws.ToString(r.Name))
		}
		if token = page.NextToken; token == nil {
			break
		}
	}
	if len(names) != 300 || names[0] != "r000" || names[299] != "r299" {
		t.Fatalf("paged ListRules: %d rules, first %v", len(names), names[:min(3, len(names))])
	}
}

func TestTestEventPattern(t *testing.T) {
	h := newHarness(t)
	event := `{"id":"1","account":"000000000000","source":"hydrant","time":"2026-11-28T00:00:00Z","region":"us-east-1","detail-type":"RecordHydrated","resources":[],"detail":{"shardId":"shardId-000000000001","size":300}}`
	cases := []struct {
		name, pattern, event string
		want                 bool
		code                 string
	}{
		{"match", `{"detail":{"shardId":[{"suffix":"001"}],"size":[{"numeric":[">",100]}]}}`, event, true, ""},
		{"no match", `{"detail":{"size":[{"numeric":["<",100]}]}}`, event, false, ""},
		{"invalid pattern", `{"detail":{"size":[{"numerik":["<",100]}]}}`, event, false, "InvalidEventPatternException"},
		{"event missing envelope fields", `{"source":["hydrant"]}`, `{"source":"hydrant"}`, false, "ValidationException"},
		{"event not JSON", `{"source":["hydrant"]}`, `{`, false, "ValidationException"},
		// AWS answers events without resources (LocalStack test_event_pattern_source, recorded
		// 11-07-2024); see TestTestEventPatternEnvelope.
		{"event without resources", `{"source":["hydrant"]}`, strings.Replace(event, `"resources":[],`, "", 1), true, ""},
		// The API takes patterns up to 4,096 characters, beyond a rule's default 2,048 quota.
		{"3,000-character pattern", `{"source":["hydrant","` + strings.Repeat("x", 3000) + `"]}`, event, true, ""},
		{"4,097-character pattern", `{"source":["hydrant","` + strings.Repeat("x", 4097-len(`{"source":["hydrant",""]}`)) + `"]}`, event, false, "InvalidEventPatternException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := h.eb.TestEventPattern(h.ctx(), &eventbridge.TestEventPatternInput{EventPattern: aws.String(c.pattern), Event: aws.String(c.event)})
			if c.code != "" {
				wantCode(t, c.name, err, c.code)
				return
			}
			if err != nil || out.Result != c.want {
				t.Fatalf("got %+v, %v; want %v", out, err, c.want)
			}
		})
	}
}
