package stack_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/hydrant-dev/hydrant/infra/stack"
)

// The recorder's account: the central account of every test stack.
const centralAccount = "123456789012"

// twoInboxTeams: two teams in their own accounts, with an exact stream, a prefix and a
// stream source between them, and a same-account team.
var twoInboxTeams = map[string]string{
	"hydrant:streamSources": `[{"name":"orders","streamArn":"arn:aws:kinesis:us-east-1:123456789012:stream/orders","consumerFunctionName":"f","consumerRoleName":"r"}]`,
	"hydrant:teams": `[
	 {"name":"payments","inbox":"arn:aws:events:us-east-1:222233334444:event-bus/payments-hydrant",
	  "subscriptions":[{"name":"all","streams":[{"streamSource":"orders"},{"prefix":"arn:aws:dynamodb:us-east-1:123456789012:table/invoices/"}]}]},
	 {"name":"crm","inbox":"arn:aws:events:us-east-1:555566667777:event-bus/crm",
	  "subscriptions":[{"name":"all","streams":[{"arn":"arn:aws:dynamodb:us-east-1:123456789012:table/customers/stream/2026-01-01T00:00:00.000"}]}]},
	 {"name":"ops","subscriptions":[{"name":"all","streams":[{"streamSource":"orders"}],"targets":[{"name":"q","kind":"sqs","createQueue":true}]}]}
	]`,
}

func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return ""
	}
	return parts[4]
}

// ruleStreams are the streamArn values of a rule's pattern (exact ARNs, and "prefix:" ones),
// from the pattern itself or from each branch of its $or; a branch without detail.streamArn
// selects every stream and shows as "(every stream)".
func ruleStreams(t *testing.T, pattern string) []string {
	t.Helper()
	type branch struct {
		Detail struct {
			StreamArn []any `json:"streamArn"`
		} `json:"detail"`
		Or []branch `json:"$or"`
	}
	var p branch
	if err := json.Unmarshal([]byte(pattern), &p); err != nil {
		t.Fatalf("pattern %s: %v", pattern, err)
	}
	branches := []branch{p}
	if len(p.Or) > 0 {
		if len(p.Detail.StreamArn) > 0 {
			t.Fatalf("pattern %s: streamArn both outside and inside $or", pattern)
		}
		branches = p.Or
	}
	var out []string
	for _, br := range branches {
		if len(br.Detail.StreamArn) == 0 {
			out = append(out, "(every stream)")
		}
		for _, v := range br.Detail.StreamArn {
			switch v := v.(type) {
			case string:
				out = append(out, v)
			case map[string]any:
				out = append(out, fmt.Sprintf("prefix:%v", v["prefix"]))
			default:
				t.Fatalf("pattern %s: streamArn value %v", pattern, v)
			}
		}
	}
	sort.Strings(out)
	return out
}

// teamStreams resolves each team's configured streams as rule patterns name them.
func teamStreams(t *testing.T, cfg *stack.Config, p plan.Plan) map[string][]string {
	t.Helper()
	sources := map[string]string{}
	for _, s := range cfg.StreamSources {
		sources[s.Name] = s.StreamArn
	}
	if cfg.Demo.Enabled {
		for _, name := range []string{stack.DemoOrdersSource, stack.DemoUsersSource} {
			sources[name] = find(t, p, "aws:lambda/eventSourceMapping:EventSourceMapping", name+"-mapping").Inputs["eventSourceArn"].(string)
		}
	}
	out := map[string][]string{}
	for _, team := range cfg.Teams {
		for _, sc := range team.Subscriptions {
			for _, st := range sc.Streams {
				switch {
				case st.Arn != "":
					out[team.Name] = append(out[team.Name], st.Arn)
				case st.Prefix != "":
					out[team.Name] = append(out[team.Name], "prefix:"+st.Prefix)
				default:
					out[team.Name] = append(out[team.Name], sources[st.StreamSource])
				}
			}
		}
	}
	return out
}

func loadConfig(t *testing.T, values map[string]string) *stack.Config {
	t.Helper()
	cfg, err := stack.LoadConfig(mapConfig(values))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// checkIsolation is the acceptance: for every team, the rules whose targets are outside
// the central account select only that team's streams; no bus-policy statement lets another
// account create rules unless the opt-in is set; the claim-check bucket policy grants each
// team account exactly its streams' prefixes.
func checkIsolation(t *testing.T, cfg *stack.Config, p plan.Plan) {
	t.Helper()
	streams := teamStreams(t, cfg, p)
	rules := map[string]plan.Resource{}
	for _, r := range p.OfType("aws:cloudwatch/eventRule:EventRule") {
		rules[r.Name] = r // the recorder names a rule physically as it is named in the program
	}
	outside := 0
	for _, tg := range p.OfType("aws:cloudwatch/eventTarget:EventTarget") {
		arn, _ := tg.Inputs["arn"].(string)
		if acct := accountOf(arn); acct == centralAccount || acct == "" {
			continue
		}
		outside++
		rule, ok := rules[tg.Inputs["rule"].(string)]
		if !ok {
			t.Fatalf("target %s: no rule %v", tg.Name, tg.Inputs["rule"])
		}
		tags, _ := rule.Inputs["tags"].(map[string]any)
		team, _ := tags["hydrant:team"].(string)
		if team == "" {
			t.Errorf("rule %s targets %s outside the central account but belongs to no team", rule.Name, arn)
			continue
		}
		got, want := ruleStreams(t, rule.Inputs["eventPattern"].(string)), slices.Sorted(slices.Values(streams[team]))
		for _, s := range got {
			if !slices.Contains(want, s) {
				t.Errorf("rule %s of team %s, targeting %s, selects stream %s, not the team's (%v)", rule.Name, team, arn, s, want)
			}
		}
		if len(got) == 0 {
			t.Errorf("rule %s of team %s selects no stream", rule.Name, team)
		}
		if tg.Inputs["roleArn"] == nil && strings.Contains(arn, ":event-bus/") {
			t.Errorf("target %s: a bus in another account needs a role (RoleArn)", tg.Name)
		}
	}

	bus := statements(t, find(t, p, "aws:cloudwatch/eventBusPolicy:EventBusPolicy", "hydrant-bus-policy").Inputs["policy"])
	for sid, st := range bus {
		if st.Effect != "Allow" || !slices.ContainsFunc(st.Action, func(a string) bool { return strings.Contains(a, "Rule") || strings.Contains(a, "Targets") }) {
			continue
		}
		acct := accountOf(fmt.Sprint(st.Principal["AWS"]))
		if !slices.Contains(cfg.Router.RuleCreatorAccounts, acct) {
			t.Errorf("bus policy statement %s lets %v manage rules without the ruleCreatorAccounts opt-in", sid, st.Principal)
		}
	}

	claims := statements(t, find(t, p, "aws:s3/bucketPolicy:BucketPolicy", "hydrant-claim-checks-policy").Inputs["policy"])
	granted := map[string][]string{}
	for sid, st := range claims {
		if st.Effect != "Allow" {
			continue
		}
		if !reflect.DeepEqual(st.Action, []string{"s3:GetObject"}) {
			t.Errorf("claim-check statement %s allows %v", sid, st.Action)
		}
		granted[accountOf(fmt.Sprint(st.Principal["AWS"]))] = slices.Sorted(slices.Values(st.Resource))
	}
	want := map[string][]string{}
	for _, team := range cfg.Teams {
		acct := team.InboxAccount()
		if acct == "" {
			continue
		}
		for _, s := range streams[team.Name] {
			want[acct] = append(want[acct], "arn:aws:s3:::hydrant-claim-checks/"+keyPrefix(t, s)+"*")
		}
		slices.Sort(want[acct])
	}
	if len(want) == 0 {
		want = map[string][]string{}
	}
	if !reflect.DeepEqual(granted, want) {
		t.Errorf("claim-check grants %v\nwant %v", granted, want)
	}
	t.Logf("%d targets outside the central account checked", outside)
}

// keyPrefix writes down the claim-check key layout independently of the code under test:
// records/REGION/ACCOUNT/kinesis/STREAM/ or records/REGION/ACCOUNT/dynamodb/TABLE/LABEL/.
func keyPrefix(t *testing.T, stream string) string {
	t.Helper()
	prefix := strings.HasPrefix(stream, "prefix:")
	arn := strings.TrimPrefix(stream, "prefix:")
	parts := strings.SplitN(arn, ":", 6)
	base := "records/" + parts[3] + "/" + parts[4] + "/" + parts[2] + "/"
	res := parts[5]
	switch parts[2] {
	case "kinesis":
		res = strings.TrimPrefix(res, "stream/")
	case "dynamodb":
		res = strings.Replace(strings.TrimPrefix(res, "table/"), "/stream/", "/", 1)
	}
	if prefix {
		return base + res
	}
	return base + res + "/"
}

func TestInboxTeamsSeeOnlyTheirStreams(t *testing.T) {
	cfg := loadConfig(t, twoInboxTeams)
	rec, err := plan.Run("hydrant", "teams", twoInboxTeams, nil, stack.Program(code))
	if err != nil {
		t.Fatal(err)
	}
	p := rec.Plan()
	for _, v := range p.Check() {
		t.Error(v)
	}
	checkIsolation(t, cfg, p)
	// The inbox targets are the teams' buses, each with its own role allowed PutEvents on that bus only.
	for team, bus := range map[string]string{"payments": "arn:aws:events:us-east-1:222233334444:event-bus/payments-hydrant", "crm": "arn:aws:events:us-east-1:555566667777:event-bus/crm"} {
		tg := find(t, p, "aws:cloudwatch/eventTarget:EventTarget", team+"-all-inbox")
		if tg.Inputs["arn"] != bus {
			t.Errorf("%s inbox target %v", team, tg.Inputs["arn"])
		}
		pol := statements(t, find(t, p, "aws:iam/rolePolicy:RolePolicy", team+"-all-inbox-role-policy").Inputs["policy"])
		if d := pol["Deliver"]; !reflect.DeepEqual(d.Action, []string{"events:PutEvents"}) || !reflect.DeepEqual(d.Resource, []string{bus}) {
			t.Errorf("%s inbox role policy %+v", team, d)
		}
	}
}

func TestRuleCreatorOptInIsTheOnlyWayToCreateRules(t *testing.T) {
	values := map[string]string{"hydrant:router": `{"ruleCreatorAccounts":["999988887777"]}`}
	for k, v := range twoInboxTeams {
		values[k] = v
	}
	cfg := loadConfig(t, values)
	rec, err := plan.Run("hydrant", "optin", values, nil, stack.Program(code))
	if err != nil {
		t.Fatal(err)
	}
	p := rec.Plan()
	checkIsolation(t, cfg, p)
	bus := statements(t, find(t, p, "aws:cloudwatch/eventBusPolicy:EventBusPolicy", "hydrant-bus-policy").Inputs["policy"])
	if _, ok := bus["RuleCreator999988887777"]; !ok {
		t.Errorf("no rule creator statement: %v", bus)
	}
}

func TestStackFilesIsolateTeams(t *testing.T) {
	for _, name := range []string{"example", "demo"} {
		t.Run(name, func(t *testing.T) {
			sc, err := plan.LoadStackConfig("../..", name)
			if err != nil {
				t.Fatal(err)
			}
			cfg := loadConfig(t, sc.Values)
			if len(cfg.Router.RuleCreatorAccounts) > 0 {
				t.Errorf("stack %s turns the ruleCreatorAccounts opt-in on; every example keeps it off", name)
			}
			checkIsolation(t, cfg, runStack(t, name))
		})
	}
}

type stmt struct {
	Sid       string
	Effect    string
	Principal map[string]any
	Action    []string
	Resource  []string
	Condition map[string]map[string][]string
}

func statements(t *testing.T, doc any) map[string]stmt {
	t.Helper()
	var d struct {
		Statement []struct {
			stmt
			Principal any
		}
	}
	if err := json.Unmarshal([]byte(doc.(string)), &d); err != nil {
		t.Fatalf("policy %v: %v", doc, err)
	}
	out := map[string]stmt{}
	for _, st := range d.Statement {
		s := st.stmt
		s.Principal, _ = st.Principal.(map[string]any)
		out[st.Sid] = s
	}
	return out
}
