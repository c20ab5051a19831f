package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runPlanArgs(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), env{args: append([]string{"plan"}, args...), stdin: strings.NewReader(""), stdout: &out, stderr: &errOut})
	return code, out.String(), errOut.String()
}

func TestPlanJSON(t *testing.T) {
	code, out, stderr := runPlanArgs("--stack", "demo", "--json", "--dir", "../..")
	if code != planOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Resources []struct {
			Type   string         `json:"type"`
			Name   string         `json:"name"`
			Inputs map[string]any `json:"inputs"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	byName := map[string]map[string]any{}
	for i, r := range doc.Resources {
		if r.Type == "" || r.Name == "" || r.Inputs == nil {
			t.Errorf("resource %d lacks type, name or inputs: %+v", i, r)
		}
		if i > 0 {
			prev := doc.Resources[i-1]
			if prev.Type > r.Type || prev.Type == r.Type && prev.Name >= r.Name {
				t.Errorf("resources out of order at %d: %s %s after %s %s", i, r.Type, r.Name, prev.Type, prev.Name)
			}
		}
		byName[r.Type+" "+r.Name] = r.Inputs
	}
	fn := byName["aws:lambda/function:Function hydrant-hydrate"]
	if fn == nil || fn["runtime"] != "provided.al2023" || fn["code"].(map[string]any)["archive"] != ".cache/lambda/hydrate.zip" {
		t.Errorf("hydrate function inputs %v", fn)
	}
	for _, want := range []string{
		"hydrant:infra:Router hydrant", "hydrant:infra:Operations hydrant-ops",
		"hydrant:infra:StreamSource demo-orders", "hydrant:infra:Subscription users-failures",
		"aws:kinesis/stream:Stream demo-orders", "aws:dynamodb/table:Table demo-users",
	} {
		if byName[want] == nil {
			t.Errorf("plan lacks %s", want)
		}
	}
	// The same stack gives the same bytes.
	_, again, _ := runPlanArgs("--stack", "demo", "--json", "--dir", "../..")
	if again != out {
		t.Error("two plans of the same stack differ")
	}
}

func TestPlanText(t *testing.T) {
	code, out, stderr := runPlanArgs("--stack", "example", "--dir", "../..")
	if code != planOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"# stack example of project hydrant: ",
		"\naws:lambda/function:Function hydrant-hydrate (in hydrant)\n",
		`"runtime": "provided.al2023"`,
		`"value": "[secret]"`,
		"\nhydrant:infra:Subscription billing-orders\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text plan lacks %q", want)
		}
	}
}

func TestPlanBadInput(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Pulumi.yaml":     "name: hydrant\nruntime: go\nmain: infra/\n",
		"Pulumi.bad.yaml": "config:\n  hydrant:teams:\n    - name: billing\n      subscriptions:\n        - name: main\n          streams: [{arn: \"arn:aws:kinesis:us-east-1:123456789012:orders\"}]\n          targets: [{name: x, kind: kafka}]\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"no stack", []string{"--dir", dir}, []string{"--stack NAME is required"}},
		{"extra argument", []string{"--stack", "bad", "--dir", dir, "extra"}, []string{`unexpected argument "extra"`}},
		{"unknown stack", []string{"--stack", "prod", "--dir", dir}, []string{`stack "prod"`, "Pulumi.prod.yaml does not exist"}},
		{"invalid configuration", []string{"--stack", "bad", "--dir", dir}, []string{
			"invalid configuration",
			`hydrant:teams[0].subscriptions[0].streams[0].arn = "arn:aws:kinesis:us-east-1:123456789012:orders"`,
			`hydrant:teams[0].subscriptions[0].targets[0].kind = "kafka"`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runPlanArgs(tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
		})
	}
}

// TestPlanRefusesARuleThatCanNeverMatch (issue 9, item 10): the example stack's billing
// subscription once filtered on detail.record.kinesis.partitionKey, a path no RecordHydrated
// event has, so the rule matched nothing and `hydrant plan` exited 0. It now fails, naming the
// rule and the path.
func TestPlanRefusesARuleThatCanNeverMatch(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Pulumi.yaml": "name: hydrant\nruntime: go\nmain: infra/\n",
		"Pulumi.unmatched.yaml": "config:\n  hydrant:teams:\n    - name: billing\n      subscriptions:\n        - name: orders\n" +
			"          streams: [{arn: \"arn:aws:kinesis:us-east-1:123456789012:stream/orders\"}]\n" +
			"          detailPattern: {record: {kinesis: {partitionKey: [{prefix: \"eu-\"}]}}}\n" +
			"          targets: [{name: q, kind: sqs, arn: \"arn:aws:sqs:us-east-1:123456789012:billing\"}]\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, _, stderr := runPlanArgs("--stack", "unmatched", "--dir", dir)
	if code != planViolation {
		t.Errorf("exit %d, want %d (a check failed)", code, planViolation)
	}
	for _, w := range []string{"aws:cloudwatch/eventRule:EventRule billing-orders-rule", "path detail.record.kinesis.partitionKey is in no RecordHydrated event"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q lacks %q", stderr, w)
		}
	}
}

func TestPlanWarnsWhenAccountsMayCreateRules(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Pulumi.yaml":       "name: hydrant\nruntime: go\nmain: infra/\n",
		"Pulumi.optin.yaml": "config:\n  hydrant:router:\n    ruleCreatorAccounts: [\"111122223333\"]\n",
		"Pulumi.off.yaml":   "config:\n  hydrant:router:\n    archiveRetentionDays: 7\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, _, stderr := runPlanArgs("--stack", "optin", "--dir", dir)
	if code != planOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"hydrant plan: warning: ", "arn:aws:iam::111122223333:root", "can see EVERY stream"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	for _, stack := range []string{"off", "example", "demo"} {
		d := dir
		if stack != "off" {
			d = "../.."
		}
		if _, _, stderr := runPlanArgs("--stack", stack, "--dir", d); strings.Contains(stderr, "warning") {
			t.Errorf("stack %s: %s", stack, stderr)
		}
	}
}
