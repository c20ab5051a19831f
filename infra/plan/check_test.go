package plan

import (
	"fmt"
	"strings"
	"testing"
)

// good is a plan that passes every check; each case breaks one thing.
func good() Plan {
	deny := `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":["s3:*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":["false"]}}}]}`
	return Plan{Resources: []Resource{
		{Type: typeQueue, Name: "q", ID: "https://q", Inputs: map[string]any{"sqsManagedSseEnabled": true}},
		{Type: typeQueuePolicy, Name: "q-policy", Inputs: map[string]any{"queueUrl": "https://q", "policy": deny}},
		{Type: typeBucket, Name: "b", ID: "b", Inputs: map[string]any{}},
		{Type: typeBucketSSE, Name: "b-sse", Inputs: map[string]any{"bucket": "b", "rules": []any{map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"}}}}},
		{Type: typeBucketPAB, Name: "b-pab", Inputs: map[string]any{"bucket": "b", "blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true}},
		{Type: typeBucketPolicy, Name: "b-policy", Inputs: map[string]any{"bucket": "b", "policy": deny}},
		{Type: typeESM, Name: "esm", Inputs: map[string]any{
			"eventSourceArn": "arn:aws:kinesis:us-east-1:1:stream/s", "functionResponseTypes": []any{"ReportBatchItemFailures"},
			"bisectBatchOnFunctionError": true, "maximumRetryAttempts": 3.0, "maximumRecordAgeInSeconds": 60.0,
			"destinationConfig": map[string]any{"onFailure": map[string]any{"destinationArn": "arn:aws:sqs:us-east-1:1:q"}},
		}},
		{Type: typeEventTarget, Name: "t", Inputs: map[string]any{
			"retryPolicy":      map[string]any{"maximumRetryAttempts": 1.0, "maximumEventAgeInSeconds": 60.0},
			"deadLetterConfig": map[string]any{"arn": "arn:aws:sqs:us-east-1:1:dlq"},
		}},
		{Type: typeFunction, Name: "f", Inputs: map[string]any{"runtime": "provided.al2023", "architectures": []any{"arm64"}, "handler": "bootstrap"}},
		{Type: typeRolePolicy, Name: "rp", Inputs: map[string]any{"policy": `{"Statement":[{"Effect":"Allow","Action":"dynamodb:ListStreams","Resource":"*"},{"Effect":"Allow","Action":["sqs:SendMessage"],"Resource":["arn:aws:sqs:us-east-1:1:q"]}]}`}},
		{Type: typeTopic, Name: "topic", Inputs: map[string]any{"kmsMasterKeyId": "arn:aws:kms:us-east-1:1:key/k"}},
		{Type: TypeRedriveOperator, Name: "redrive", Inputs: map[string]any{}},
		{Type: typeRolePolicy, Name: "redrive-policy", Parent: "redrive", Inputs: map[string]any{"policy": `{"Statement":[{"Sid":"InvokeConsumers","Effect":"Allow","Action":["lambda:InvokeFunction"],"Resource":["arn:aws:lambda:us-east-1:1:function:f"]}]}`}},
	}}
}

func TestCheckPassesAGoodPlan(t *testing.T) {
	if v := good().Check(); len(v) != 0 {
		t.Fatalf("violations in a good plan: %v", v)
	}
	// A mapping writing its failures to a bucket of the stack whose policy keeps the
	// mapping's prefix to its role.
	p := good()
	p.Resources[6].ID = "6b5b4a4e-0d3c-4c1a-9c55-1f2e3d4c5b6a"
	p.Resources[6].Inputs["destinationConfig"] = map[string]any{"onFailure": map[string]any{"destinationArn": "arn:aws:s3:::b"}}
	p.Resources[5].Inputs["policy"] = strings.TrimSuffix(p.Resources[5].Inputs["policy"].(string), `]}`) + `,` +
		`{"Sid":"OnlyItsRoleWritesMapping0","Effect":"Deny","Principal":"*","Action":["s3:PutObject"],"Resource":["arn:aws:s3:::b/aws/lambda/6b5b4a4e-0d3c-4c1a-9c55-1f2e3d4c5b6a/*"],` +
		`"Condition":{"ArnNotLike":{"aws:PrincipalArn":["arn:aws:iam::1:role/c","arn:aws:iam::1:role/*/c"]},"Null":{"aws:PrincipalArn":["false"]}}}]}`
	if v := p.Check(); len(v) != 0 {
		t.Fatalf("violations in a plan whose S3 mapping's prefix is kept: %v", v)
	}
}

func TestCheckFindsEachViolation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		breaks func(p Plan)
		want   string
	}{
		{"queue not encrypted", func(p Plan) { p.Resources[0].Inputs["sqsManagedSseEnabled"] = false }, "queue is not encrypted"},
		{"queue without policy", func(p Plan) { p.Resources[1].Inputs["queueUrl"] = "https://other" }, "0 queue policies"},
		{"queue policy allows plain HTTP", func(p Plan) { p.Resources[1].Inputs["policy"] = `{"Statement":[]}` }, "does not deny aws:SecureTransport false"},
		{"bucket not encrypted", func(p Plan) { p.Resources[3].Inputs["bucket"] = "other" }, "no default encryption"},
		{"bucket public", func(p Plan) { p.Resources[4].Inputs["restrictPublicBuckets"] = false }, "does not block all public access"},
		{"bucket allows plain HTTP", func(p Plan) {
			p.Resources[5].Inputs["policy"] = `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
		}, "no policy denying"},
		{"no on-failure destination", func(p Plan) { delete(p.Resources[6].Inputs, "destinationConfig") }, "no on-failure destination"},
		{"no bisect", func(p Plan) { p.Resources[6].Inputs["bisectBatchOnFunctionError"] = false }, "does not bisect"},
		{"infinite retries", func(p Plan) { p.Resources[6].Inputs["maximumRetryAttempts"] = -1.0 }, "retries are not finite"},
		{"record age unbounded", func(p Plan) { delete(p.Resources[6].Inputs, "maximumRecordAgeInSeconds") }, "record age is not bounded"},
		{"no partial batch responses", func(p Plan) { p.Resources[6].Inputs["functionResponseTypes"] = []any{} }, "does not report batch item failures"},
		{"target without retry policy", func(p Plan) { delete(p.Resources[7].Inputs, "retryPolicy") }, "no retry policy"},
		{"target without DLQ", func(p Plan) { delete(p.Resources[7].Inputs, "deadLetterConfig") }, "no dead-letter queue"},
		{"redrive operator may do more than redrive", func(p Plan) {
			p.Resources[12].Inputs["policy"] = `{"Statement":[{"Sid":"Extra","Effect":"Allow","Action":["lambda:InvokeFunction","sqs:SendMessage"],"Resource":["arn:aws:sqs:us-east-1:1:q"]}]}`
		}, "redrive operator policy statement Extra allows sqs:SendMessage, which a redrive does not need"},
		{"x86 function", func(p Plan) { p.Resources[8].Inputs["architectures"] = []any{"x86_64"} }, "want [arm64]"},
		{"old runtime", func(p Plan) { p.Resources[8].Inputs["runtime"] = "go1.x" }, `runtime "go1.x"`},
		{"topic not encrypted", func(p Plan) { delete(p.Resources[10].Inputs, "kmsMasterKeyId") }, "topic is not encrypted"},
		{"wildcard resource", func(p Plan) {
			p.Resources[9].Inputs["policy"] = `{"Statement":[{"Sid":"All","Effect":"Allow","Action":["sqs:SendMessage","dynamodb:ListStreams"],"Resource":["*"]}]}`
		}, `statement 0 (All) grants [sqs:SendMessage dynamodb:ListStreams] on Resource "*"`},
		{"single-statement wildcard", func(p Plan) {
			p.Resources[9].Inputs["policy"] = `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`
		}, `grants [s3:GetObject] on Resource "*"`},
		{"unparseable policy", func(p Plan) { p.Resources[9].Inputs["policy"] = `{` }, "not a policy document"},
		{"rule pattern on a path no event carries", func(p Plan) {
			p.Resources[9] = Resource{Type: typeEventRule, Name: "billing-orders-rule", Inputs: map[string]any{
				"eventPattern": `{"source":["hydrant"],"detail-type":["RecordHydrated"],"detail":{"record":{"kinesis":{"partitionKey":[{"prefix":"eu-"}]}}}}`}}
		}, "aws:cloudwatch/eventRule:EventRule billing-orders-rule: event pattern: path detail.record.kinesis.partitionKey is in no RecordHydrated event"},
		// PutRule would refuse it: AWS answers "Rule is too complex" (LocalStack
		// test_event_pattern[content_wildcard_complex_EXC], recorded 15-10-2025, same shape).
		{"rule pattern too complex", func(p Plan) {
			p.Resources[9] = Resource{Type: typeEventRule, Name: "wild-rule", Inputs: map[string]any{
				"eventPattern": `{"source":["hydrant"],"detail-type":["RecordHydrated"],"detail":{"streamArn":[{"wildcard":"*:*:*:*:*:stream/*"}]}}`}}
		}, "aws:cloudwatch/eventRule:EventRule wild-rule: event pattern: Event pattern is not valid. Reason: Rule is too complex"},
		{"rule pattern invalid", func(p Plan) {
			p.Resources[9] = Resource{Type: typeEventRule, Name: "bad-rule", Inputs: map[string]any{
				"eventPattern": `{"source":"hydrant"}`}}
		}, `bad-rule: event pattern: Event pattern is not valid. Reason: "source" must be an object or an array`},
		{"service admitted on SourceArn alone", func(p Plan) {
			p.Resources[1].Inputs["policy"] = `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"arn:aws:sqs:us-east-1:1:q","Condition":{"Bool":{"aws:SecureTransport":"false"}}},` +
				`{"Sid":"S3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:1:q","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::b"}}}]}`
		}, "statement 1 (S3) admits service [s3.amazonaws.com] without aws:SourceAccount"},
		{"trust policy without SourceAccount", func(p Plan) {
			p.Resources[9] = Resource{Type: typeRole, Name: "r", Inputs: map[string]any{
				"assumeRolePolicy": `{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}}
		}, "admits service [lambda.amazonaws.com] without aws:SourceAccount"},
		{"S3 failure prefix open to every writer", func(p Plan) {
			p.Resources[6].ID = "6b5b4a4e-0d3c-4c1a-9c55-1f2e3d4c5b6a"
			p.Resources[6].Inputs["destinationConfig"] = map[string]any{"onFailure": map[string]any{"destinationArn": "arn:aws:s3:::b"}}
		}, "its failure objects go to bucket b, whose policy does not keep the prefix aws/lambda/6b5b4a4e-0d3c-4c1a-9c55-1f2e3d4c5b6a/ to the mapping's role"},
		{"lambda permission without source account", func(p Plan) {
			p.Resources[9] = Resource{Type: typeLambdaPermission, Name: "perm", Inputs: map[string]any{
				"principal": "events.amazonaws.com", "sourceArn": "arn:aws:events:us-east-1:1:rule/b/r"}}
		}, "permission admits service events.amazonaws.com without sourceAccount"},
		{"multivalued key with a single-valued operator", func(p Plan) {
			p.Resources[9].Inputs["policy"] = `{"Statement":[{"Sid":"Put","Effect":"Allow","Action":"events:PutEvents","Resource":"arn:aws:events:us-east-1:1:event-bus/b","Condition":{"StringEquals":{"events:source":"hydrant"}}}]}`
		}, "statement 0 (Put) tests the multivalued key events:source with StringEquals; use ForAllValues:StringEquals"},
		{"auto-name too long", func(p Plan) {
			p.Resources[0].Name = strings.Repeat("q", 73)
			p.Resources[0].Custom = true
		}, "plus Pulumi's 8-character suffix exceeds 80"},
		{"explicit name too long", func(p Plan) {
			p.Resources[8].Inputs["name"] = strings.Repeat("f", 65)
			p.Resources[8].Custom = true
		}, "is longer than 64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := good()
			tc.breaks(p)
			v := p.Check()
			if len(v) != 1 || !strings.Contains(v[0].String(), tc.want) {
				t.Fatalf("violations %v, want exactly one mentioning %q", v, tc.want)
			}
		})
	}
}

// The redrive operator may send only where hydrant intake-dlq's move task sends as it: to a
// queue whose dead-letter queue the same policy may move back (sqs:StartMessageMoveTask).
func TestRedriveOperatorSendsOnlyToAMoveDestination(t *testing.T) {
	const intakeDLQ = "arn:aws:sqs:us-east-1:1:intake-dlq"
	move := `{"Sid":"IntakeDLQ","Effect":"Allow","Action":["sqs:StartMessageMoveTask","sqs:ReceiveMessage"],"Resource":["%s"]}`
	send := `{"Sid":"MoveBackToIntake","Effect":"Allow","Action":["sqs:SendMessage"],"Resource":["%s"]}`
	for _, tc := range []struct {
		name, policy string
		ok           bool
	}{
		{"to the queue whose DLQ it moves", fmt.Sprintf(`{"Statement":[`+move+`,`+send+`]}`, intakeDLQ, "arn:aws:sqs:us-east-1:1:intake"), true},
		{"without the move task", fmt.Sprintf(`{"Statement":[`+send+`]}`, "arn:aws:sqs:us-east-1:1:intake"), false},
		{"moving another DLQ", fmt.Sprintf(`{"Statement":[`+move+`,`+send+`]}`, "arn:aws:sqs:us-east-1:1:other-dlq", "arn:aws:sqs:us-east-1:1:intake"), false},
		{"to a queue that is no DLQ's source", fmt.Sprintf(`{"Statement":[`+move+`,`+send+`]}`, intakeDLQ, "arn:aws:sqs:us-east-1:1:q"), false},
		{"to every queue", fmt.Sprintf(`{"Statement":[`+move+`,`+send+`]}`, intakeDLQ, "*"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := good()
			p.Resources = append(p.Resources, Resource{Type: typeQueue, Name: "intake", ID: "https://sqs.us-east-1.amazonaws.com/1/intake",
				Inputs: map[string]any{"redrivePolicy": `{"deadLetterTargetArn":"` + intakeDLQ + `","maxReceiveCount":5}`}})
			for i := range p.Resources {
				if p.Resources[i].Name == "redrive-policy" {
					p.Resources[i].Inputs["policy"] = tc.policy
				}
			}
			var got []string
			for _, v := range p.Check() {
				if strings.Contains(v.Rule, "redrive operator") {
					got = append(got, v.String())
				}
			}
			if tc.ok && len(got) != 0 || !tc.ok && (len(got) != 1 || !strings.Contains(got[0], "statement MoveBackToIntake allows sqs:SendMessage")) {
				t.Errorf("violations %v; want none when the send is a move's destination, else one naming the statement (destination: %v)", got, tc.ok)
			}
		})
	}
}
