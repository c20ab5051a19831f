package stack_test

import (
	"testing"

	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/hydrant-dev/hydrant/infra/stack"
)

func TestTeamInboxProgramBuildsTheInboxTheCentralStackNames(t *testing.T) {
	team := stack.TeamConfig{Name: "payments", Inbox: "arn:aws:events:us-east-1:222233334444:event-bus/demo-payments-inbox"}
	program, err := stack.TeamInboxProgram(team, "arn:aws:events:us-east-1:123456789012:event-bus/hydrant-bus", "")
	if err != nil {
		t.Fatal(err)
	}
	rec := plan.NewRecorder()
	rec.Account = "222233334444"
	if err := rec.Run("hydrant-team", "payments", nil, nil, program); err != nil {
		t.Fatal(err)
	}
	p := rec.Plan()
	for _, v := range p.Check() {
		t.Error(v)
	}
	if bus := find(t, p, "aws:cloudwatch/eventBus:EventBus", "payments-bus"); bus.Inputs["name"] != "demo-payments-inbox" {
		t.Errorf("bus %v", bus.Inputs)
	}
	rule := find(t, p, "aws:cloudwatch/eventRule:EventRule", "payments-all-rule")
	if rule.Inputs["eventPattern"] != `{"source":["hydrant"]}` || rule.Inputs["eventBusName"] != "demo-payments-inbox" {
		t.Errorf("rule %v", rule.Inputs)
	}
	pol := statements(t, find(t, p, "aws:cloudwatch/eventBusPolicy:EventBusPolicy", "payments-policy").Inputs["policy"])
	if got := pol["HydrantRulesPutHydrantEvents"].Condition["ArnLike"]["aws:SourceArn"]; len(got) != 1 || got[0] != "arn:aws:events:us-east-1:123456789012:rule/hydrant-bus/*" {
		t.Errorf("inbox policy admits %v", got)
	}
	if _, err := stack.TeamInboxProgram(stack.TeamConfig{Name: "x"}, "arn:aws:events:us-east-1:123456789012:event-bus/h", ""); err == nil {
		t.Error("a team without an inbox has no inbox program")
	}
}
