//go:build integration

package eventbus_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// The EC2 example event of the input transformation page.
const ec2Detail = `{"instance-id":"i-0123456789","state":"RUNNING"}`

var ec2Paths = map[string]string{"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state"}

// TestInputTransformerDocExamples runs the examples of the EventBridge user guide's "Amazon
// EventBridge input transformation" page, and cases AWS was recorded answering (LocalStack's
// snapshots validated against AWS), through a rule and an in-process function target.
func TestInputTransformerDocExamples(t *testing.T) {
	h := newHarness(t)
	bus, _ := h.bus("transform")
	when := time.Date(2015, 11, 11, 21, 29, 54, 0, time.UTC)

	cases := []struct {
		name     string
		paths    map[string]string
		template string
		want     string
		json     bool // compare as JSON
	}{
		{"simple string", ec2Paths, `"instance <instance> is in <state>"`, `"instance i-0123456789 is in RUNNING"`, false},
		{"string with escaped quotes", ec2Paths, `"instance \"<instance>\" is in <state>"`, `"instance \"i-0123456789\" is in RUNNING"`, false},
		{"simple JSON", ec2Paths, `{"instance" : <instance>, "state": <state>}`, `{"instance":"i-0123456789","state":"RUNNING"}`, true},
		{"JSON with strings and variables", ec2Paths,
			`{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \"<instance>\" is in <state>"}`,
			`{"instance":"i-0123456789","state":"RUNNING","instanceStatus":"instance \"i-0123456789\" is in RUNNING"}`, true},
		{"JSON with a mix of variables and static information", ec2Paths,
			`{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}`,
			`{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}`, true},
		{"reserved variables in a string", ec2Paths, `"<aws.events.rule-name> triggered"`, `"{RULE} triggered"`, false},
		{"plain text template", ec2Paths, `<instance> is in state <state>`, `i-0123456789 is in state RUNNING`, false},
		{"missing path in a string is empty", map[string]string{"x": "$.detail.nope"}, `"value: <x>"`, `"value: "`, false},
		{"missing path as a JSON value is an empty string", map[string]string{"x": "$.detail.nope", "s": "$.detail.state"}, `{"x": <x>, "s": <s>}`, `{"x":"","s":"RUNNING"}`, true},
		{"object and number values are JSON", map[string]string{"d": "$.detail", "v": "$.version"}, `{"d": <d>, "v": <v>}`, `{"d":{"instance-id":"i-0123456789","state":"RUNNING"},"v":"0"}`, true},
		{"array index and wildcard", map[string]string{"first": "$.resources[0]", "all": "$.resources[*]"}, `{"first": <first>, "all": <all>}`,
			`{"first":"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111","all":["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"]}`, true},
		{"timestamp variable", map[string]string{"timestamp": "$.time"}, `{"timestamp": <timestamp>}`, `{"timestamp":"2015-11-11T21:29:54Z"}`, true},
	}
	fns := make([]*capture, len(cases))
	for i, c := range cases {
		rule := h.name(fmt.Sprintf("r%02d", i))
		cases[i].want = strings.ReplaceAll(c.want, "{RULE}", rule)
		fns[i] = &capture{}
		arn := h.function(rule, fns[i])
		h.rule(bus, rule, `{"source":["aws.ec2"]}`)
		h.targets(bus, rule, ebtypes.Target{Id: aws.String("fn"), Arn: aws.String(arn),
			InputTransformer: &ebtypes.InputTransformer{InputPathsMap: c.paths, InputTemplate: aws.String(c.template)}})
	}
	e := entry(bus, "aws.ec2", "EC2 Instance State-change Notification", ec2Detail)
	e.Time = aws.Time(when)
	e.Resources = []string{"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"}
	h.put(e)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(fns[i].wait(t, 1)[0])
			if c.json {
				var a, b any
				if err := json.Unmarshal([]byte(got), &a); err != nil {
					t.Fatalf("output %s is not JSON: %v", got, err)
				}
				_ = json.Unmarshal([]byte(c.want), &b)
				ga, _ := json.Marshal(a)
				gb, _ := json.Marshal(b)
				if string(ga) != string(gb) {
					t.Fatalf("got  %s\nwant %s", got, c.want)
				}
				return
			}
			if got != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// TestInputVariants covers Input, InputPath and the reserved whole-event variables, delivered
// to SQS as AWS delivers them (an InputPath selecting a string is a JSON string).
func TestInputVariants(t *testing.T) {
	h := newHarness(t)
	bus, _ := h.bus("inputs")
	qurl, qarn := h.queue("inputs", nil)
	ruleArn := h.rule(bus, "r", `{"source":["app"]}`)
	h.targets(bus, "r",
		ebtypes.Target{Id: aws.String("constant"), Arn: aws.String(qarn), Input: aws.String(`{"fixed":true}`)},
		ebtypes.Target{Id: aws.String("path"), Arn: aws.String(qarn), InputPath: aws.String("$.detail.payload")},
		ebtypes.Target{Id: aws.String("string-path"), Arn: aws.String(qarn), InputPath: aws.String("$.detail.payload.message")},
		ebtypes.Target{Id: aws.String("reserved"), Arn: aws.String(qarn), InputTransformer: &ebtypes.InputTransformer{
			InputTemplate: aws.String(`{"ruleArn": <aws.events.rule-arn>, "original": <aws.events.event>, "full": <aws.events.event.json>, "at": <aws.events.event.ingestion-time>}`)}},
	)
	out := h.put(entry(bus, "app", "cmd", `{"command":"update","payload":{"message":"baz","id":"123"}}`))
	id := aws.ToString(out.Entries[0].EventId)
	bodies := map[string]bool{}
	var reserved map[string]json.RawMessage
	for _, m := range h.receive(qurl, 4) {
		b := aws.ToString(m.Body)
		bodies[b] = true
		var probe map[string]json.RawMessage
		if json.Unmarshal([]byte(b), &probe) == nil && probe["ruleArn"] != nil {
			reserved = probe
		}
	}
	for _, want := range []string{`{"fixed":true}`, `{"id":"123","message":"baz"}`, `"baz"`} {
		if !bodies[want] {
			t.Errorf("no message with body %s; got %v", want, bodies)
		}
	}
	if reserved == nil {
		t.Fatalf("no message from the reserved-variables target; got %v", bodies)
	}
	if string(reserved["ruleArn"]) != `"`+ruleArn+`"` {
		t.Errorf("ruleArn %s, want %s", reserved["ruleArn"], ruleArn)
	}
	var original map[string]any
	_ = json.Unmarshal(reserved["original"], &original)
	if original["detailType"] != "cmd" || original["detail"] != nil || original["id"] != id {
		t.Errorf("aws.events.event is the event without detail, detail-type as detailType: %s", reserved["original"])
	}
	full := decodeEvent(t, string(reserved["full"]))
	if full.ID != id || string(full.Detail) != `{"command":"update","payload":{"message":"baz","id":"123"}}` {
		t.Errorf("aws.events.event.json is the whole event: %s", reserved["full"])
	}
	var at string
	if err := json.Unmarshal(reserved["at"], &at); err != nil {
		t.Errorf("ingestion time %s is not a JSON string", reserved["at"])
	} else if _, err := time.Parse(time.RFC3339, at); err != nil {
		t.Errorf("ingestion time %q is not ISO 8601: %v", at, err)
	}
}
