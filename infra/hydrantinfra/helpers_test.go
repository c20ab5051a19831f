package hydrantinfra_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// run runs program under the recording mock monitor and returns what it registered; the
// program must succeed and the plan must pass every infrastructure check.
func run(t *testing.T, program pulumi.RunFunc) plan.Plan {
	t.Helper()
	rec, err := plan.Run("hydrant", "test", nil, nil, program)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	p := rec.Plan()
	for _, v := range p.Check() {
		t.Errorf("check: %s", v)
	}
	return p
}

// runErr runs program and returns its error.
func runErr(program pulumi.RunFunc) error {
	_, err := plan.Run("hydrant", "test", nil, nil, program)
	return err
}

func find(t *testing.T, p plan.Plan, typ, name string) plan.Resource {
	t.Helper()
	r, ok := p.Find(typ, name)
	if !ok {
		var names []string
		for _, res := range p.OfType(typ) {
			names = append(names, res.Name)
		}
		t.Fatalf("no %s named %s; have %v", typ, name, names)
	}
	return r
}

// get follows a dotted path through nested inputs.
func get(in map[string]any, path string) any {
	var cur any = in
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

type stmt struct {
	Sid       string                         `json:"Sid"`
	Effect    string                         `json:"Effect"`
	Principal any                            `json:"Principal"`
	Action    []string                       `json:"Action"`
	Resource  []string                       `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition"`
}

func statements(t *testing.T, doc any) map[string]stmt {
	t.Helper()
	s, ok := doc.(string)
	if !ok {
		t.Fatalf("policy %v is not a string", doc)
	}
	var d struct{ Statement []stmt }
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("policy %s: %v", s, err)
	}
	out := map[string]stmt{}
	for _, st := range d.Statement {
		out[st.Sid] = st
	}
	return out
}

func ptr[T any](v T) *T { return &v }

const (
	typeQueue       = "aws:sqs/queue:Queue"
	typeQueuePolicy = "aws:sqs/queuePolicy:QueuePolicy"
	typeBucket      = "aws:s3/bucket:Bucket"
	typeFunction    = "aws:lambda/function:Function"
	typeESM         = "aws:lambda/eventSourceMapping:EventSourceMapping"
	typeRole        = "aws:iam/role:Role"
	typeRolePolicy  = "aws:iam/rolePolicy:RolePolicy"
	typeRule        = "aws:cloudwatch/eventRule:EventRule"
	typeTarget      = "aws:cloudwatch/eventTarget:EventTarget"
	typeBusPolicy   = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
	typeSchema      = "aws:schemas/schema:Schema"
	typeAlarm       = "aws:cloudwatch/metricAlarm:MetricAlarm"
)
