package hydrantinfra_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumix"
)

// request is what IAM evaluates a statement against: the caller (empty principalArn for an AWS
// service acting itself, as archive replay does), the service principal if any, and the
// request's condition keys, each a set of values.
type request struct {
	principalArn string
	service      string
	keys         map[string][]string
	resource     string // the resource acted on; "" matches every statement's Resource
}

// multivalued are the keys the request carries as sets (ArrayOfString in the service
// authorization reference, https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html#amazoneventbridge-policy-keys).
// A single-valued operator on such a key does not compare the set: this evaluator, like an
// engine that follows the reference, never matches it (issue 9, item 7).
var multivalued = []string{"events:source", "events:detail-type"}

// evalStatementConditions implements the IAM condition semantics Hydrant's policies use, as
// documented in https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
// and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html:
// every operator and key must hold (AND), any value of a key may match (OR); a missing key
// makes a single-valued operator false unless it ends in IfExists; ForAllValues is true for
// a missing key (the empty set), ForAnyValue false; Null tests the key's absence.
func evalConditions(t *testing.T, cond map[string]map[string][]string, r request) bool {
	t.Helper()
	for op, keys := range cond {
		for key, want := range keys {
			got, present := r.keys[key]
			set, base, _ := strings.Cut(op, ":")
			if base == "" {
				set, base = "", op
			}
			ifExists := strings.HasSuffix(base, "IfExists")
			base = strings.TrimSuffix(base, "IfExists")
			var match func(v, w string) bool
			negated := func(v, w string) bool { return v == w } // what a negated operator must not match
			switch base {
			case "StringEquals", "ArnEquals":
				match = func(v, w string) bool { return v == w }
			case "StringLike", "ArnLike":
				match = func(v, w string) bool { return wildcard(w, v) }
			case "ArnNotEquals", "StringNotEquals":
				match = nil
			case "ArnNotLike", "StringNotLike":
				match, negated = nil, func(v, w string) bool { return wildcard(w, v) }
			case "Null":
				if (want[0] == "true") != !present {
					return false
				}
				continue
			default:
				t.Fatalf("evaluator does not know operator %s", op)
			}
			anyMatch := func(v string) bool { return slices.ContainsFunc(want, func(w string) bool { return match(v, w) }) }
			switch set {
			case "ForAllValues":
				for _, v := range got {
					if !anyMatch(v) {
						return false
					}
				}
			case "ForAnyValue":
				if !slices.ContainsFunc(got, anyMatch) {
					return false
				}
			default:
				if !present {
					// "If the policy condition requires that the key is not matched, such as
					// StringNotLike or ArnNotLike, and the right key is not present, the
					// condition is true" (IAM User Guide, Condition element).
					if ifExists || match == nil {
						continue
					}
					return false
				}
				if slices.Contains(multivalued, key) {
					return false
				}
				if match == nil { // a negated operator: true when no value matches
					if slices.ContainsFunc(want, func(w string) bool { return negated(got[0], w) }) {
						return false
					}
					continue
				}
				if !anyMatch(got[0]) {
					return false
				}
			}
		}
	}
	return true
}

type evalStmt struct {
	Sid       string
	Effect    string
	Principal json.RawMessage
	Action    []string
	Resource  []string
	Condition map[string]map[string][]string
}

// wildcard is IAM's matching of ARNs and *Like values: * any run of characters, ? one.
func wildcard(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if wildcard(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && wildcard(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && wildcard(pattern[1:], s[1:])
}

func resourceMatches(patterns []string, r request) bool {
	return r.resource == "" || slices.ContainsFunc(patterns, func(p string) bool { return wildcard(p, r.resource) })
}

func principalMatches(raw json.RawMessage, r request) bool {
	if len(raw) == 0 { // an identity policy: the role's own
		return true
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return star == "*"
	}
	var p map[string]any
	_ = json.Unmarshal(raw, &p)
	if s, ok := p["Service"].(string); ok {
		return r.service != "" && s == r.service
	}
	if a, ok := p["AWS"].(string); ok {
		return r.principalArn != "" && a == r.principalArn
	}
	return false
}

// decide is IAM's evaluation of one policy for one action: an explicit deny wins, then an
// allow, else the request is not allowed ("implicit").
func decide(t *testing.T, doc string, action string, r request) string {
	t.Helper()
	var d struct{ Statement []evalStmt }
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatalf("policy %s: %v", doc, err)
	}
	allowed := false
	for _, s := range d.Statement {
		if !slices.Contains(s.Action, action) || !principalMatches(s.Principal, r) || !resourceMatches(s.Resource, r) || !evalConditions(t, s.Condition, r) {
			continue
		}
		if s.Effect == "Deny" {
			return "deny"
		}
		allowed = true
	}
	if allowed {
		return "allow"
	}
	return "implicit"
}

func routerPlan(t *testing.T) plan.Plan {
	t.Helper()
	return run(t, func(ctx *pulumi.Context) error {
		_, err := hydrantinfra.NewRouter(ctx, "hydrant", routerArgs())
		return err
	})
}

const hydrateRoleArn = "arn:aws:iam::123456789012:role/hydrant-hydrate-role"

func putEvents(principal string, sources, detailTypes []string) request {
	keys := map[string][]string{}
	if sources != nil {
		keys["events:source"] = sources
	}
	if detailTypes != nil {
		keys["events:detail-type"] = detailTypes
	}
	if principal != "" {
		keys["aws:PrincipalArn"] = []string{principal}
	}
	return request{principalArn: principal, keys: keys}
}

// TestAttackPutEventsConditions (issue 9, item 7): events:source and events:detail-type are
// sets, one value per entry of the PutEvents call. The hydrate role may put a batch of
// Hydrant's events, and nothing else: not another source, not an unknown detail-type, not a
// batch that slips one foreign entry among Hydrant's, not a request without the keys.
func TestAttackPutEventsConditions(t *testing.T) {
	p := routerPlan(t)
	rolePolicy := find(t, p, typeRolePolicy, "hydrant-hydrate-policy").Inputs["policy"].(string)
	busPolicy := find(t, p, typeBusPolicy, "hydrant-bus-policy").Inputs["policy"].(string)
	hyd, failed := "RecordHydrated", "RecordHydrationFailed"
	for _, tc := range []struct {
		name                 string
		sources, detailTypes []string
		want                 string
	}{
		{"one Hydrant event", []string{"hydrant"}, []string{hyd}, "allow"},
		{"a batch of both detail-types", []string{"hydrant", "hydrant"}, []string{hyd, failed}, "allow"},
		{"source=other", []string{"other"}, []string{hyd}, "implicit"},
		{"one foreign entry in a batch", []string{"hydrant", "other"}, []string{hyd}, "implicit"},
		{"an unknown detail-type", []string{"hydrant"}, []string{"SomethingElse"}, "implicit"},
		{"an unknown detail-type among known ones", []string{"hydrant"}, []string{hyd, "SomethingElse"}, "implicit"},
		{"no source key", nil, []string{hyd}, "implicit"},
		{"no detail-type key", []string{"hydrant"}, nil, "implicit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := putEvents(hydrateRoleArn, tc.sources, tc.detailTypes)
			if got := decide(t, rolePolicy, "events:PutEvents", r); got != tc.want {
				t.Errorf("hydrate role policy: %s, want %s\n%s", got, tc.want, rolePolicy)
			}
			if got := decide(t, busPolicy, "events:PutEvents", r); got != tc.want {
				t.Errorf("bus policy: %s, want %s\n%s", got, tc.want, busPolicy)
			}
		})
	}
}

// TestAttackBusPolicyPrincipals (issue 9, item 9): the bus refuses every IAM principal but
// the hydrate role, operators included (they move intake DLQ messages back to the intake
// queue instead), and does not catch requests that carry no aws:PrincipalArn (an AWS service
// acting itself, such as archive replay) in that deny.
func TestAttackBusPolicyPrincipals(t *testing.T) {
	p := routerPlan(t)
	busPolicy := find(t, p, typeBusPolicy, "hydrant-bus-policy").Inputs["policy"].(string)
	good := func(principal string) request {
		return putEvents(principal, []string{"hydrant"}, []string{"RecordHydrated"})
	}
	for _, tc := range []struct {
		name string
		r    request
		want string
	}{
		{"the hydrate role", good(hydrateRoleArn), "allow"},
		{"an operator's role (hydrant hydrate --publish)", good("arn:aws:iam::123456789012:role/admin"), "deny"},
		{"a consumer role", good("arn:aws:iam::123456789012:role/orders-consumer-role"), "deny"},
		{"a subscriber account", good("arn:aws:iam::111122223333:root"), "deny"},
		{"an AWS service without a principal ARN (archive replay)", putEvents("", []string{"hydrant"}, []string{"RecordHydrated"}), "implicit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(t, busPolicy, "events:PutEvents", tc.r); got != tc.want {
				t.Errorf("bus policy: %s, want %s\n%s", got, tc.want, busPolicy)
			}
		})
	}
}

// TestAttackConfusedDeputy (issue 9, item 8): a service principal admitted on aws:SourceArn is
// admitted only for the stack's account too. A bucket ARN holds no account, so a bucket of the
// same name in another account must not be able to notify the intake queue.
func TestAttackConfusedDeputy(t *testing.T) {
	p := routerPlan(t)
	intake := find(t, p, typeQueuePolicy, "hydrant-intake-policy").Inputs["policy"].(string)
	dlq := find(t, p, typeQueuePolicy, "hydrant-intake-dlq-policy").Inputs["policy"].(string)
	catchAll := find(t, p, typeQueuePolicy, "hydrant-catch-all-policy").Inputs["policy"].(string)
	const own, other = "123456789012", "999999999999"
	from := func(svc, source, account string) request {
		return request{service: svc, keys: map[string][]string{"aws:SourceArn": {source}, "aws:SourceAccount": {account}, "aws:SecureTransport": {"true"}}}
	}
	bucket := "arn:aws:s3:::hydrant-failures"
	topic := "arn:aws:sns:us-east-1:123456789012:hydrant-intake-topic"
	rule := "arn:aws:events:us-east-1:123456789012:rule/hydrant-bus/hydrant-catch-all-rule"
	for _, tc := range []struct {
		name, doc string
		r         request
		want      string
	}{
		{"the stack's failure bucket", intake, from("s3.amazonaws.com", bucket, own), "allow"},
		{"a same-named bucket in another account", intake, from("s3.amazonaws.com", bucket, other), "implicit"},
		{"the intake topic", intake, from("sns.amazonaws.com", topic, own), "allow"},
		{"the intake topic, another account claimed", intake, from("sns.amazonaws.com", topic, other), "implicit"},
		{"the intake topic's redrive", dlq, from("sns.amazonaws.com", topic, own), "allow"},
		{"the intake topic's redrive, another account", dlq, from("sns.amazonaws.com", topic, other), "implicit"},
		{"the catch-all rule", catchAll, from("events.amazonaws.com", rule, own), "allow"},
		{"the catch-all rule, another account", catchAll, from("events.amazonaws.com", rule, other), "implicit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(t, tc.doc, "sqs:SendMessage", tc.r); got != tc.want {
				t.Errorf("%s, want %s\n%s", got, tc.want, tc.doc)
			}
		})
	}
	// Every role a service assumes is assumable only for the stack's account.
	for _, role := range p.OfType(typeRole) {
		doc := role.Inputs["assumeRolePolicy"].(string)
		var d struct {
			Statement []struct {
				Condition map[string]map[string][]string
			}
		}
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			t.Fatal(err)
		}
		for _, s := range d.Statement {
			if got := s.Condition["StringEquals"]["aws:SourceAccount"]; !slices.Equal(got, []string{own}) {
				t.Errorf("role %s trust policy admits its service for %v, want aws:SourceAccount %s: %s", role.Name, got, own, doc)
			}
		}
	}
}

// TestAttackFailureObjectUnderAnotherMapping (issue 9, item 6, the S3 path): Lambda writes a
// mapping's failure objects under aws/lambda/<mapping UUID>/ as the consumer's role, and the
// hydrate function trusts that prefix to name the mapping (and so the stream). The failure
// bucket's policy keeps each prefix to its own role: team A's consumer role cannot write under
// team B's mapping, whatever its identity policy allows; its own prefix stays open to it (a
// role with a path included), and a request without aws:PrincipalArn (an AWS service acting
// as itself) is not denied, so the policy can never discard Lambda's own writes.
func TestAttackFailureObjectUnderAnotherMapping(t *testing.T) {
	const mappingA, mappingB = "6b5b4a4e-0d3c-4c1a-9c55-1f2e3d4c5b6a", "0f0f0f0f-1111-4222-8333-444455556666"
	p := run(t, func(ctx *pulumi.Context) error {
		args := routerArgs()
		args.FailureWriters = pulumix.Val([]hydrantinfra.FailureWriter{{MappingUUID: mappingA, RoleName: "team-a-consumer"}, {MappingUUID: mappingB, RoleName: "team-b-consumer"}})
		_, err := hydrantinfra.NewRouter(ctx, "hydrant", args)
		return err
	})
	doc := find(t, p, "aws:s3/bucketPolicy:BucketPolicy", "hydrant-failures-policy").Inputs["policy"].(string)
	const bucket = "arn:aws:s3:::hydrant-failures"
	put := func(principal, key string) request {
		keys := map[string][]string{"aws:SecureTransport": {"true"}}
		if principal != "" {
			keys["aws:PrincipalArn"] = []string{principal}
		}
		return request{principalArn: principal, keys: keys, resource: bucket + "/" + key}
	}
	roleA, roleB := "arn:aws:iam::123456789012:role/team-a-consumer", "arn:aws:iam::123456789012:role/team-b-consumer"
	objA := "aws/lambda/" + mappingA + "/shardId-000000000000/2026/12/07/2026-12-07T03.00.00-x"
	objB := "aws/lambda/" + mappingB + "/shardId-000000000000/2026/12/07/2026-12-07T03.00.00-x"
	for _, tc := range []struct {
		name string
		r    request
		want string // the bucket policy's say: "deny", or "implicit" (the role's own policy decides)
	}{
		{"A's role under A's mapping", put(roleA, objA), "implicit"},
		{"B's role under B's mapping", put(roleB, objB), "implicit"},
		{"A's role under B's mapping", put(roleA, objB), "deny"},
		{"B's role under A's mapping", put(roleB, objA), "deny"},
		{"A's role, with a path, under A's mapping", put("arn:aws:iam::123456789012:role/teams/team-a-consumer", objA), "implicit"},
		{"a role whose name extends A's", put("arn:aws:iam::123456789012:role/team-a-consumer-2", objA), "deny"},
		{"A's role name in another account", put("arn:aws:iam::999999999999:role/team-a-consumer", objA), "deny"},
		{"an IAM user under A's mapping", put("arn:aws:iam::123456789012:user/mallory", objA), "deny"},
		{"an AWS service acting as itself", put("", objA), "implicit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(t, doc, "s3:PutObject", tc.r); got != tc.want {
				t.Errorf("%s, want %s\n%s", got, tc.want, doc)
			}
		})
	}
	// Without failure writers the policy keeps only its TLS and bucket statements.
	plain := find(t, routerPlan(t), "aws:s3/bucketPolicy:BucketPolicy", "hydrant-failures-policy").Inputs["policy"].(string)
	if strings.Contains(plain, "aws/lambda/") {
		t.Errorf("a router without failure writers restricts prefixes: %s", plain)
	}
}
