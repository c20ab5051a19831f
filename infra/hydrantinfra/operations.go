package hydrantinfra

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// WatchedQueue alarms when the queue holds at least Threshold visible messages.
type WatchedQueue struct {
	Label     string // alarm and widget name, e.g. "intake-dlq"
	Name      pulumi.StringInput
	Threshold int // 0 means 1: any message
}

// WatchedFunction alarms on the function's errors and throttles.
type WatchedFunction struct {
	Label string
	Name  pulumi.StringInput
}

// WatchedRule alarms on the rule's failed invocations (targets EventBridge could not reach).
type WatchedRule struct {
	Label    string
	BusName  pulumi.StringInput
	RuleName pulumi.StringInput
}

// WatchedMetric alarms when a custom metric's Sum over a period reaches Threshold (0 means 1).
type WatchedMetric struct {
	Label       string // alarm name, e.g. "hydrate-records-failed"
	Namespace   string
	Metric      string
	Dimensions  pulumi.StringMap
	Threshold   int
	Description string
}

// WatchedMetricGroup is one dashboard widget of custom metrics.
type WatchedMetricGroup struct {
	Title      string
	Namespace  string
	Metrics    []string
	Dimensions pulumi.StringMap
}

// Watch lists what a component wants alarmed; Router and Subscription provide theirs.
type Watch struct {
	Queues       []WatchedQueue
	Functions    []WatchedFunction
	Rules        []WatchedRule
	Metrics      []WatchedMetric
	MetricGroups []WatchedMetricGroup
}

// OperationsArgs configures the alarms and the dashboard.
type OperationsArgs struct {
	Watches []Watch
	// AlarmEmails are subscribed to the alarm topic (each address confirms by mail).
	AlarmEmails []string
	// PeriodSeconds is the alarms' evaluation period; 0 = 300.
	PeriodSeconds int
	// DashboardName names the dashboard; empty = the component's name.
	DashboardName string
	Tags          map[string]string
}

// Operations is the alarm topic, the alarms and the dashboard.
type Operations struct {
	pulumi.ResourceState

	AlarmTopicArn pulumi.StringOutput      `pulumi:"alarmTopicArn"`
	DashboardName pulumi.StringOutput      `pulumi:"dashboardName"`
	AlarmNames    pulumi.StringArrayOutput `pulumi:"alarmNames"`
}

var (
	labelPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,62}$`)
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

func (a *OperationsArgs) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	var errs []error
	seen := map[string]bool{}
	label := func(kind, l string) {
		if !labelPattern.MatchString(l) {
			errs = append(errs, fmt.Errorf("%s label %q: want letters, digits and '-'", kind, l))
		}
		if seen[kind+"/"+l] {
			errs = append(errs, fmt.Errorf("%s label %q used twice", kind, l))
		}
		seen[kind+"/"+l] = true
	}
	for _, w := range a.Watches {
		for _, q := range w.Queues {
			label("queue", q.Label)
			if q.Threshold < 0 {
				errs = append(errs, fmt.Errorf("queue %q: threshold %d is negative", q.Label, q.Threshold))
			}
		}
		for _, f := range w.Functions {
			label("function", f.Label)
		}
		for _, r := range w.Rules {
			label("rule", r.Label)
		}
		for _, m := range w.Metrics {
			label("metric", m.Label)
			if m.Threshold < 0 {
				errs = append(errs, fmt.Errorf("metric %q: threshold %d is negative", m.Label, m.Threshold))
			}
		}
	}
	for _, e := range a.AlarmEmails {
		if !emailPattern.MatchString(e) {
			errs = append(errs, fmt.Errorf("alarm email %q is not an address", e))
		}
	}
	if a.PeriodSeconds != 0 && (a.PeriodSeconds < 60 || a.PeriodSeconds%60 != 0) {
		errs = append(errs, fmt.Errorf("period %d s: want a multiple of 60", a.PeriodSeconds))
	}
	return errors.Join(errs...)
}

// alarmSpec is one metric alarm: at least threshold over one period.
type alarmSpec struct {
	label, namespace, metric, statistic string
	dimensions                          pulumi.StringMap
	threshold                           float64
	description                         string
}

// NewOperations creates the alarm topic, one alarm per watched signal and a dashboard.
func NewOperations(ctx *pulumi.Context, name string, args *OperationsArgs, opts ...pulumi.ResourceOption) (*Operations, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("operations %s: %w", name, err)
	}
	o := &Operations{}
	if err := ctx.RegisterComponentResource(OperationsType, name, o, opts...); err != nil {
		return nil, err
	}
	p := pulumi.Parent(o)
	tags := pulumi.ToStringMap(args.Tags)
	period := orDefault(args.PeriodSeconds, 300)

	key, err := newAlarmTopicKey(ctx, name, tags, p)
	if err != nil {
		return nil, err
	}
	topic, err := sns.NewTopic(ctx, name+"-alarms", &sns.TopicArgs{Tags: tags, KmsMasterKeyId: key.Arn}, p)
	if err != nil {
		return nil, fmt.Errorf("operations %s: alarm topic: %w", name, err)
	}
	for i, e := range args.AlarmEmails {
		if _, err := sns.NewTopicSubscription(ctx, fmt.Sprintf("%s-alarms-email-%d", name, i), &sns.TopicSubscriptionArgs{
			Topic: topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(e),
		}, p); err != nil {
			return nil, fmt.Errorf("operations %s: email subscription: %w", name, err)
		}
	}

	var specs []alarmSpec
	var widgets []widgetSpec
	for _, w := range args.Watches {
		for _, q := range w.Queues {
			th := q.Threshold
			if th == 0 {
				th = 1
			}
			dims := pulumi.StringMap{"QueueName": q.Name}
			specs = append(specs, alarmSpec{
				label: "queue-" + q.Label, namespace: "AWS/SQS", metric: "ApproximateNumberOfMessagesVisible", statistic: "Maximum",
				dimensions: dims, threshold: float64(th),
				description: fmt.Sprintf("Hydrant: %s holds %d or more messages; each is a failure nobody has handled yet.", q.Label, th),
			})
			widgets = append(widgets, widgetSpec{title: "Queue " + q.Label, namespace: "AWS/SQS", metrics: []string{"ApproximateNumberOfMessagesVisible"}, stat: "Maximum", dims: dims})
		}
		for _, f := range w.Functions {
			dims := pulumi.StringMap{"FunctionName": f.Name}
			specs = append(specs,
				alarmSpec{label: "function-" + f.Label + "-errors", namespace: "AWS/Lambda", metric: "Errors", statistic: "Sum", dimensions: dims, threshold: 1,
					description: fmt.Sprintf("Hydrant: %s failed; its messages are retried, then go to the intake DLQ.", f.Label)},
				alarmSpec{label: "function-" + f.Label + "-throttles", namespace: "AWS/Lambda", metric: "Throttles", statistic: "Sum", dimensions: dims, threshold: 1,
					description: fmt.Sprintf("Hydrant: %s was throttled; raise its reserved concurrency or the mapping's.", f.Label)},
			)
			widgets = append(widgets, widgetSpec{title: "Function " + f.Label, namespace: "AWS/Lambda", metrics: []string{"Invocations", "Errors", "Throttles"}, stat: "Sum", dims: dims})
		}
		for _, r := range w.Rules {
			dims := pulumi.StringMap{"EventBusName": r.BusName, "RuleName": r.RuleName}
			specs = append(specs, alarmSpec{
				label: "rule-" + r.Label + "-failed", namespace: "AWS/Events", metric: "FailedInvocations", statistic: "Sum", dimensions: dims, threshold: 1,
				description: fmt.Sprintf("Hydrant: rule %s could not deliver events; they are in its targets' DLQs.", r.Label),
			})
			widgets = append(widgets, widgetSpec{title: "Rule " + r.Label, namespace: "AWS/Events", metrics: []string{"Invocations", "FailedInvocations", "InvocationsSentToDlq"}, stat: "Sum", dims: dims})
		}
		for _, m := range w.Metrics {
			th := m.Threshold
			if th == 0 {
				th = 1
			}
			specs = append(specs, alarmSpec{
				label: "metric-" + m.Label, namespace: m.Namespace, metric: m.Metric, statistic: "Sum",
				dimensions: m.Dimensions, threshold: float64(th), description: m.Description,
			})
		}
		for _, g := range w.MetricGroups {
			widgets = append(widgets, widgetSpec{title: g.Title, namespace: g.Namespace, metrics: g.Metrics, stat: "Sum", dims: g.Dimensions})
		}
	}

	var alarmNames pulumi.StringArray
	for _, a := range specs {
		alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+a.label, &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.String(a.description),
			Namespace:          pulumi.String(a.namespace),
			MetricName:         pulumi.String(a.metric),
			Statistic:          pulumi.String(a.statistic),
			Dimensions:         a.dimensions,
			Period:             pulumi.Int(period),
			EvaluationPeriods:  pulumi.Int(1),
			Threshold:          pulumi.Float64(a.threshold),
			ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
			TreatMissingData:   pulumi.String("notBreaching"),
			AlarmActions:       pulumi.Array{topic.Arn},
			OkActions:          pulumi.Array{topic.Arn},
			Tags:               tags,
		}, p)
		if err != nil {
			return nil, fmt.Errorf("operations %s: alarm %s: %w", name, a.label, err)
		}
		alarmNames = append(alarmNames, alarm.Name)
	}

	dashName := args.DashboardName
	if dashName == "" {
		dashName = name
	}
	dash, err := cloudwatch.NewDashboard(ctx, name+"-dashboard", &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(dashName),
		DashboardBody: dashboardBody(widgets, period, topic.Arn),
	}, p)
	if err != nil {
		return nil, fmt.Errorf("operations %s: dashboard: %w", name, err)
	}

	o.AlarmTopicArn, o.DashboardName, o.AlarmNames = topic.Arn, dash.DashboardName, alarmNames.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(o, pulumi.Map{
		"alarmTopicArn": o.AlarmTopicArn, "dashboardName": o.DashboardName, "alarmNames": o.AlarmNames,
	}); err != nil {
		return nil, err
	}
	return o, nil
}

type widgetSpec struct {
	title, namespace, stat string
	metrics                []string
	dims                   pulumi.StringMap
}

// dashboardBody lays the widgets out two per row, in the order given. Metric widgets need the
// region, which the alarm topic's ARN (arn:aws:sns:REGION:ACCOUNT:NAME) carries.
func dashboardBody(widgets []widgetSpec, period int, topicArn pulumi.StringInput) pulumi.StringOutput {
	values := []any{topicArn}
	for _, w := range widgets {
		for _, k := range sortedKeys(w.dims) {
			values = append(values, w.dims[k])
		}
	}
	return pulumi.All(values...).ApplyT(func(vals []any) (string, error) {
		region, err := arnRegion(vals[0].(string))
		if err != nil {
			return "", fmt.Errorf("dashboard: %w", err)
		}
		next := 1
		out := []map[string]any{}
		for i, w := range widgets {
			var dims []any
			for _, k := range sortedKeys(w.dims) {
				dims = append(dims, k, vals[next].(string))
				next++
			}
			var metrics [][]any
			for _, m := range w.metrics {
				metrics = append(metrics, append([]any{w.namespace, m}, dims...))
			}
			out = append(out, map[string]any{
				"type": "metric", "x": (i % 2) * 12, "y": (i / 2) * 6, "width": 12, "height": 6,
				"properties": map[string]any{"title": w.title, "metrics": metrics, "stat": w.stat, "period": period, "view": "timeSeries", "region": region},
			})
		}
		b, err := json.Marshal(map[string]any{"widgets": out})
		return string(b), err
	}).(pulumi.StringOutput)
}

func sortedKeys(m pulumi.StringMap) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// arnRegion is the region field of an ARN.
func arnRegion(s string) (string, error) {
	a, err := arn.Parse(s)
	if err != nil || a.Region == "" {
		return "", fmt.Errorf("ARN %q has no region", s)
	}
	return a.Region, nil
}

// newAlarmTopicKey creates the alarm topic's key. CloudWatch publishes alarms as a service, so
// (unlike an IAM role) it can only be allowed to encrypt by the key policy, and AWS's managed
// SNS key does not allow it; the policy also keeps the account in charge of the key. The
// account and partition come from the key's own ARN, so the program needs no lookup call.
func newAlarmTopicKey(ctx *pulumi.Context, name string, tags pulumi.StringMap, p pulumi.ResourceOption) (*kms.Key, error) {
	key, err := newKey(ctx, name+"-alarms-key", "Hydrant: encrypts the alarm topic", tags, p)
	if err != nil {
		return nil, fmt.Errorf("operations %s: alarm topic key: %w", name, err)
	}
	if _, err := setKeyPolicy(ctx, name+"-alarms-key-policy", key, func(_, account pulumi.StringOutput) []statement {
		return []statement{{sid: "CloudWatchAlarmsPublish", principal: service("cloudwatch.amazonaws.com"),
			actions: []string{"kms:Decrypt", "kms:GenerateDataKey*"}, resources: strs("*"),
			conditions: []condition{{op: "StringEquals", key: "aws:SourceAccount", values: []pulumi.StringInput{account}}}}}
	}, p); err != nil {
		return nil, fmt.Errorf("operations %s: alarm topic key policy: %w", name, err)
	}
	return key, nil
}
