package hydrantinfra_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestOperationsAlarmsOnEveryFailurePath(t *testing.T) {
	p := run(t, func(ctx *pulumi.Context) error {
		r, err := hydrantinfra.NewRouter(ctx, "hydrant", routerArgs())
		if err != nil {
			return err
		}
		s, err := hydrantinfra.NewSubscription(ctx, "billing", &hydrantinfra.SubscriptionArgs{
			EventBusName: r.BusName,
			Streams:      []hydrantinfra.StreamSelector{{ARN: pulumi.String(ordersStream)}},
			Targets:      []hydrantinfra.Target{{Name: "q", Kind: hydrantinfra.TargetSQS, Arn: pulumi.String("arn:aws:sqs:us-east-1:123456789012:billing")}},
		})
		if err != nil {
			return err
		}
		_, err = hydrantinfra.NewOperations(ctx, "ops", &hydrantinfra.OperationsArgs{
			Watches:     []hydrantinfra.Watch{r.Watch(), s.Watch()},
			AlarmEmails: []string{"oncall@example.com"},
		})
		return err
	})
	topic := "arn:aws:sns:us-east-1:123456789012:ops-alarms"
	want := map[string]struct {
		metric, dimension, value string
		threshold                float64
	}{
		"ops-queue-hydrant-intake-dlq":           {"ApproximateNumberOfMessagesVisible", "QueueName", "hydrant-intake-dlq", 1},
		"ops-queue-hydrant-catch-all":            {"ApproximateNumberOfMessagesVisible", "QueueName", "hydrant-catch-all", 1000},
		"ops-queue-hydrant-catch-all-target-dlq": {"ApproximateNumberOfMessagesVisible", "QueueName", "hydrant-catch-all-target-dlq", 1},
		"ops-queue-hydrant-archive-target-dlq":   {"ApproximateNumberOfMessagesVisible", "QueueName", "hydrant-archive-target-dlq", 1},
		"ops-queue-billing-q-dlq":                {"ApproximateNumberOfMessagesVisible", "QueueName", "billing-q-dlq", 1},
		"ops-function-hydrant-hydrate-errors":    {"Errors", "FunctionName", "hydrant-hydrate", 1},
		"ops-function-hydrant-hydrate-throttles": {"Throttles", "FunctionName", "hydrant-hydrate", 1},
		"ops-rule-hydrant-catch-all-failed":      {"FailedInvocations", "RuleName", "hydrant-catch-all-rule", 1},
		"ops-rule-hydrant-archive-failed":        {"FailedInvocations", "RuleName", "hydrant-archive-rule", 1},
		"ops-rule-billing-failed":                {"FailedInvocations", "RuleName", "billing-rule", 1},
		// The hydrate function's own metrics (issue 9, items 3 and 6).
		"ops-metric-hydrant-records-failed":   {"RecordsFailed", "FunctionName", "hydrant-hydrate", 1},
		"ops-metric-hydrant-messages-failed":  {"MessagesFailed", "FunctionName", "hydrant-hydrate", 1},
		"ops-metric-hydrant-messages-refused": {"MessagesRefused", "FunctionName", "hydrant-hydrate", 1},
	}
	alarms := p.OfType(typeAlarm)
	if len(alarms) != len(want) {
		var names []string
		for _, a := range alarms {
			names = append(names, a.Name)
		}
		t.Errorf("alarms %v, want %d", names, len(want))
	}
	for name, w := range want {
		a := find(t, p, typeAlarm, name)
		if a.Inputs["metricName"] != w.metric || get(a.Inputs, "dimensions."+w.dimension) != w.value || a.Inputs["threshold"] != w.threshold ||
			a.Inputs["comparisonOperator"] != "GreaterThanOrEqualToThreshold" {
			t.Errorf("%s = %v", name, a.Inputs)
		}
		if !reflect.DeepEqual(a.Inputs["alarmActions"], []any{topic}) {
			t.Errorf("%s actions = %v, want the alarm topic", name, a.Inputs["alarmActions"])
		}
	}
	sub := find(t, p, "aws:sns/topicSubscription:TopicSubscription", "ops-alarms-email-0")
	if sub.Inputs["protocol"] != "email" || sub.Inputs["endpoint"] != "oncall@example.com" {
		t.Errorf("email subscription = %v", sub.Inputs)
	}
	dash := find(t, p, "aws:cloudwatch/dashboard:Dashboard", "ops-dashboard")
	var body struct {
		Widgets []struct {
			Properties struct {
				Title   string  `json:"title"`
				Region  string  `json:"region"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(dash.Inputs["dashboardBody"].(string)), &body); err != nil {
		t.Fatalf("dashboard body: %v", err)
	}
	if len(body.Widgets) != 5+1+3+1 {
		t.Errorf("%d widgets, want one per queue, function and rule, and the hydrate metrics (10)", len(body.Widgets))
	}
	hydrate := false
	for _, w := range body.Widgets {
		if w.Properties.Title != "Hydrate hydrant" {
			continue
		}
		hydrate = true
		var got []string
		for _, m := range w.Properties.Metrics {
			if m[0] != "Hydrant" || m[2] != "FunctionName" || m[3] != "hydrant-hydrate" {
				t.Errorf("hydrate widget metric %v, want namespace Hydrant by FunctionName", m)
			}
			got = append(got, m[1].(string))
		}
		if want := []string{"RecordsHydrated", "RecordsFailed", "MessagesFailed", "MessagesRefused"}; !reflect.DeepEqual(got, want) {
			t.Errorf("hydrate widget metrics %v, want %v", got, want)
		}
	}
	if !hydrate {
		t.Error("the dashboard has no widget of the hydrate function's metrics")
	}
	for _, w := range body.Widgets {
		if w.Properties.Region != "us-east-1" || len(w.Properties.Metrics) == 0 {
			t.Errorf("widget %s: region %q, %d metrics", w.Properties.Title, w.Properties.Region, len(w.Properties.Metrics))
		}
	}
}

func TestOperationsRejectsBadArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		args *hydrantinfra.OperationsArgs
		want string
	}{
		{"email", &hydrantinfra.OperationsArgs{AlarmEmails: []string{"oncall"}}, `alarm email "oncall"`},
		{"period", &hydrantinfra.OperationsArgs{PeriodSeconds: 90}, "period 90"},
		{"duplicate label", &hydrantinfra.OperationsArgs{Watches: []hydrantinfra.Watch{
			{Queues: []hydrantinfra.WatchedQueue{{Label: "a", Name: pulumi.String("a")}}},
			{Queues: []hydrantinfra.WatchedQueue{{Label: "a", Name: pulumi.String("b")}}},
		}}, `queue label "a" used twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runErr(func(ctx *pulumi.Context) error {
				_, err := hydrantinfra.NewOperations(ctx, "ops", tc.args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
