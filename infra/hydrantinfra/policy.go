package hydrantinfra

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// principal is the Principal of a resource-policy statement; kind is "AWS", "Service" or "*".
type principal struct {
	kind  string
	value pulumi.StringInput
}

func anyone() *principal                             { return &principal{kind: "*"} }
func service(name string) *principal                 { return &principal{kind: "Service", value: pulumi.String(name)} }
func awsPrincipal(arn pulumi.StringInput) *principal { return &principal{kind: "AWS", value: arn} }

// condition is one condition operator and key with its values.
type condition struct {
	op, key string
	values  []pulumi.StringInput
}

// statement is an IAM policy statement whose resources and condition values may be outputs of
// other resources. Resources are always named: there is no way to write "*" except spelling it.
type statement struct {
	sid        string
	deny       bool
	principal  *principal
	actions    []string
	resources  []pulumi.StringInput
	conditions []condition
}

// policyJSON is the JSON document of the statements, resolved once every output is known.
// Keys are emitted in a fixed order so the same inputs give the same document.
func policyJSON(stmts ...statement) pulumi.StringOutput {
	var inputs []any
	for _, s := range stmts {
		if s.principal != nil && s.principal.value != nil {
			inputs = append(inputs, s.principal.value)
		}
		for _, r := range s.resources {
			inputs = append(inputs, r)
		}
		for _, c := range s.conditions {
			for _, v := range c.values {
				inputs = append(inputs, v)
			}
		}
	}
	return pulumi.All(inputs...).ApplyT(func(vals []any) (string, error) {
		next := 0
		take := func() string { v := vals[next].(string); next++; return v }
		doc := policyDocument{Version: "2012-10-17"}
		for i, s := range stmts {
			if len(s.actions) == 0 || len(s.resources) == 0 {
				return "", fmt.Errorf("policy statement %d (%s): actions and resources are required", i, s.sid)
			}
			out := policyStatement{Sid: s.sid, Effect: "Allow", Action: s.actions}
			if s.deny {
				out.Effect = "Deny"
			}
			if p := s.principal; p != nil {
				if p.kind == "*" {
					out.Principal = "*"
				} else {
					out.Principal = map[string]string{p.kind: take()}
				}
			}
			for range s.resources {
				out.Resource = append(out.Resource, take())
			}
			if len(s.conditions) > 0 {
				out.Condition = map[string]map[string][]string{}
				for _, c := range s.conditions {
					if out.Condition[c.op] == nil {
						out.Condition[c.op] = map[string][]string{}
					}
					for range c.values {
						out.Condition[c.op][c.key] = append(out.Condition[c.op][c.key], take())
					}
				}
			}
			doc.Statement = append(doc.Statement, out)
		}
		b, err := json.Marshal(doc)
		return string(b), err
	}).(pulumi.StringOutput)
}

// policyDocument and policyStatement fix the JSON key order; encoding/json sorts map keys.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string                         `json:"Sid,omitempty"`
	Effect    string                         `json:"Effect"`
	Principal any                            `json:"Principal,omitempty"`
	Action    []string                       `json:"Action"`
	Resource  []string                       `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// denyInsecureTransport refuses every request made without TLS (aws:SecureTransport false).
func denyInsecureTransport(actions string, resources ...pulumi.StringInput) statement {
	return statement{
		sid:        "DenyInsecureTransport",
		deny:       true,
		principal:  anyone(),
		actions:    []string{actions},
		resources:  resources,
		conditions: []condition{{op: "Bool", key: "aws:SecureTransport", values: []pulumi.StringInput{pulumi.String("false")}}},
	}
}

// assumeRolePolicy lets the named AWS service assume a role, only on behalf of a resource of
// account (aws:SourceAccount): a service principal acting for another account's resource is
// the cross-service confused deputy AWS's guidance tells to exclude
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html#cross-service-confused-deputy-prevention;
// AWS's own Lambda trust policy example carries the same condition:
// https://raw.githubusercontent.com/aws/agent-toolkit-for-aws/main/skills/specialized-skills/serverless-skills/deploying-custom-domain-rest-api/scripts/lambda-trust-policy.json).
func assumeRolePolicy(svc string, account pulumi.StringInput) pulumi.StringOutput {
	return account.ToStringOutput().ApplyT(func(acct string) (string, error) {
		b, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []map[string]any{{
				"Effect":    "Allow",
				"Principal": map[string]string{"Service": svc},
				"Action":    "sts:AssumeRole",
				"Condition": map[string]map[string][]string{"StringEquals": {"aws:SourceAccount": {acct}}},
			}},
		})
		return string(b), err
	}).(pulumi.StringOutput)
}

// fromSource are the conditions that admit a service principal only for the named source
// resources of one account. aws:SourceArn alone is not enough where the ARN holds no account
// (an S3 bucket's), so aws:SourceAccount always stands beside it.
func fromSource(account pulumi.StringInput, sourceArns ...pulumi.StringInput) []condition {
	return []condition{
		{op: "ArnEquals", key: "aws:SourceArn", values: sourceArns},
		{op: "StringEquals", key: "aws:SourceAccount", values: inputs(account)},
	}
}

// accountOf is the account ID in an ARN (every ARN but an S3 bucket's holds one).
func accountOf(a pulumi.StringOutput) pulumi.StringOutput {
	return a.ApplyT(func(s string) (string, error) {
		parsed, err := arn.Parse(s)
		if err != nil {
			return "", fmt.Errorf("account of %q: %w", s, err)
		}
		if parsed.AccountID == "" {
			return "", fmt.Errorf("ARN %q holds no account ID", s)
		}
		return parsed.AccountID, nil
	}).(pulumi.StringOutput)
}

func strs(values ...string) []pulumi.StringInput {
	out := make([]pulumi.StringInput, len(values))
	for i, v := range values {
		out[i] = pulumi.String(v)
	}
	return out
}

func inputs(values ...pulumi.StringInput) []pulumi.StringInput { return values }
