package plan

import (
	"encoding/json"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"slices"
	"sort"
	"strings"

	"github.com/hydrant-dev/hydrant/internal/eventpattern"
	"github.com/hydrant-dev/hydrant/schemas"
)

// Violation is a plan resource breaking one of Hydrant's infrastructure rules.
type Violation struct {
	Type, Name string
	Rule       string
}

func (v Violation) String() string { return fmt.Sprintf("%s %s: %s", v.Type, v.Name, v.Rule) }

// Type tokens the checks look at.
const (
	typeQueue            = "aws:sqs/queue:Queue"
	typeQueuePolicy      = "aws:sqs/queuePolicy:QueuePolicy"
	typeBucket           = "aws:s3/bucket:Bucket"
	typeBucketSSE        = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
	typeBucketPAB        = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	typeBucketPolicy     = "aws:s3/bucketPolicy:BucketPolicy"
	typeESM              = "aws:lambda/eventSourceMapping:EventSourceMapping"
	typeFunction         = "aws:lambda/function:Function"
	typeEventTarget      = "aws:cloudwatch/eventTarget:EventTarget"
	typeRole             = "aws:iam/role:Role"
	typeRolePolicy       = "aws:iam/rolePolicy:RolePolicy"
	typeEventBusPolicy   = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
	typeTopicPolicy      = "aws:sns/topicPolicy:TopicPolicy"
	typeTopic            = "aws:sns/topic:Topic"
	typeLambdaPermission = "aws:lambda/permission:Permission"
	typeEventRule        = "aws:cloudwatch/eventRule:EventRule"
)

// autoNameSuffix is what Pulumi appends to a logical name: "-" and 7 random characters.
const autoNameSuffix = 8

// nameLimits are AWS's maximum name lengths of the types Pulumi auto-names.
var nameLimits = map[string]int{
	typeQueue:                            80,
	typeBucket:                           63,
	typeFunction:                         64,
	typeRole:                             64,
	"aws:sns/topic:Topic":                256,
	"aws:cloudwatch/eventRule:EventRule": 64,
	"aws:cloudwatch/eventBus:EventBus":   256,
	"aws:cloudwatch/eventArchive:EventArchive":                  48,
	"aws:cloudwatch/eventConnection:EventConnection":            64,
	"aws:cloudwatch/eventApiDestination:EventApiDestination":    64,
	"aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": 64,
	"aws:schemas/registry:Registry":                             64,
}

// WildcardActions may name Resource "*": they have no resource-level permissions, so AWS
// accepts no other resource for them.
// lambda:ListEventSourceMappings is listed with Resource "*" in Lambda's permissions reference
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html): the redrive
// operator reads the consumers' batch sizes with it.
var WildcardActions = []string{"dynamodb:ListStreams", "lambda:ListEventSourceMappings"}

// TypeRedriveOperator is the component of the role `hydrant redrive` runs as.
const TypeRedriveOperator = "hydrant:index:RedriveOperator"

// RedriveActions are every action `hydrant redrive` and `hydrant intake-dlq` call: the redrive
// operator's policy allows these and nothing else.
var RedriveActions = []string{
	// read the source queues, delete what was redriven, release what was not
	"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
	// read the archive and the claim-check objects
	"s3:ListBucket", "s3:GetObject",
	// decrypt them, when the buckets use a customer-managed key (hydrant:router.encryption.buckets)
	"kms:Decrypt",
	// invoke the consumers, with the batch size of their mappings
	"lambda:InvokeFunction", "lambda:ListEventSourceMappings",
	// put records back on a Kinesis stream
	"kinesis:PutRecords",
	// hydrant intake-dlq: check the intake DLQ and its source, move its messages back to the
	// intake queue with a message move task (which needs send on the destination)
	"sqs:GetQueueAttributes", "sqs:ListDeadLetterSourceQueues",
	"sqs:StartMessageMoveTask", "sqs:ListMessageMoveTasks", "sqs:CancelMessageMoveTask",
	// a move task sends to its destination as the operator: sqs:SendMessage is allowed only on
	// a queue whose dead-letter queue the same policy may move back (checkRedrivePolicy)
}

// checkRedrivePolicy: the redrive operator may do what a redrive does, and no more.
func checkRedrivePolicy(p Plan, r Resource, add func(Resource, string, ...any)) {
	stmts, err := parseStatements(str(r.Inputs, "policy"))
	if err != nil {
		add(r, "redrive operator policy does not parse: %v", err)
		return
	}
	movable := map[string]bool{} // the DLQs the policy may move back
	for _, st := range stmts {
		if st.Effect == "Allow" && slices.Contains(oneOrMany(st.Action), "sqs:StartMessageMoveTask") {
			for _, res := range oneOrMany(st.Resource) {
				movable[res] = true
			}
		}
	}
	for _, st := range stmts {
		for _, a := range oneOrMany(st.Action) {
			if st.Effect != "Allow" || slices.Contains(RedriveActions, a) {
				continue
			}
			if a == "sqs:SendMessage" && sendsOnlyToMoveDestinations(p, oneOrMany(st.Resource), movable) {
				continue
			}
			add(r, "redrive operator policy statement %s allows %s, which a redrive does not need", st.Sid, a)
		}
	}
}

// sendsOnlyToMoveDestinations reports whether every resource is a queue of the plan whose
// redrive policy names a DLQ the operator may move back: the destination of hydrant
// intake-dlq's move task, to which the task sends as the operator.
func sendsOnlyToMoveDestinations(p Plan, resources []string, movable map[string]bool) bool {
	if len(resources) == 0 {
		return false
	}
	for _, res := range resources {
		a, err := arn.Parse(res)
		if err != nil || a.Service != "sqs" {
			return false
		}
		ok := false
		for _, q := range p.Resources {
			// A queue's plan ID is its URL, which ends in account/name.
			if q.Type != typeQueue || !strings.HasSuffix(q.ID, "/"+a.AccountID+"/"+a.Resource) {
				continue
			}
			var rp struct {
				DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			}
			ok = json.Unmarshal([]byte(str(q.Inputs, "redrivePolicy")), &rp) == nil && movable[rp.DeadLetterTargetArn]
		}
		if !ok {
			return false
		}
	}
	return true
}

// Check returns every violation of the rules the plan must follow, in plan order:
//   - queues are encrypted and have a policy denying requests without TLS;
//   - topics are encrypted with a KMS key;
//   - buckets have default encryption, block all public access, and a policy denying requests
//     without TLS on the bucket and its objects;
//   - stream event source mappings send failed batches to an on-failure destination, bisect,
//     retry a finite number of times, bound the record age and accept partial batch responses;
//     queue mappings accept partial batch responses;
//   - rule targets have a retry policy and a dead-letter queue;
//   - IAM statements in every policy document name their resources ("*" only for
//     WildcardActions); a statement that allows a service principal (and a Lambda permission
//     for one) carries aws:SourceAccount; multivalued condition keys are only tested with a
//     set operator (ForAllValues:/ForAnyValue:) or Null;
//   - the redrive operator's policy allows only RedriveActions;
//   - every field path of every rule's event pattern is one a Hydrant event can carry
//     (schemas.CheckPattern);
//   - functions run on provided.al2023, arm64, handler bootstrap;
//   - auto-named resources fit AWS's name limits once Pulumi appends its 8-character suffix.
func (p Plan) Check() []Violation {
	var out []Violation
	add := func(r Resource, format string, args ...any) {
		out = append(out, Violation{Type: r.Type, Name: r.Name, Rule: fmt.Sprintf(format, args...)})
	}
	byInput := func(typ, key, value string) []Resource {
		var rs []Resource
		for _, r := range p.OfType(typ) {
			if s, _ := r.Inputs[key].(string); s == value && value != "" {
				rs = append(rs, r)
			}
		}
		return rs
	}
	for _, r := range p.Resources {
		switch r.Type {
		case typeQueue:
			if sse, _ := r.Inputs["sqsManagedSseEnabled"].(bool); !sse && str(r.Inputs, "kmsMasterKeyId") == "" {
				add(r, "queue is not encrypted (sqsManagedSseEnabled or kmsMasterKeyId)")
			}
			pols := byInput(typeQueuePolicy, "queueUrl", r.ID)
			if len(pols) != 1 {
				add(r, "queue has %d queue policies, want 1", len(pols))
			}
			for _, pol := range pols {
				if !deniesInsecureTransport(str(pol.Inputs, "policy")) {
					add(r, "queue policy %s does not deny aws:SecureTransport false", pol.Name)
				}
			}
		case typeTopic:
			if str(r.Inputs, "kmsMasterKeyId") == "" {
				add(r, "topic is not encrypted (kmsMasterKeyId)")
			}
		case typeBucket:
			sse := byInput(typeBucketSSE, "bucket", r.ID)
			if len(sse) != 1 || !encryptsByDefault(sse[0].Inputs) {
				add(r, "bucket has no default encryption (SSE-S3 or KMS)")
			}
			pab := byInput(typeBucketPAB, "bucket", r.ID)
			if len(pab) != 1 || !blocksAllPublicAccess(pab[0].Inputs) {
				add(r, "bucket does not block all public access")
			}
			pols := byInput(typeBucketPolicy, "bucket", r.ID)
			if len(pols) != 1 || !deniesInsecureTransport(str(pols[0].Inputs, "policy")) {
				add(r, "bucket has no policy denying aws:SecureTransport false")
			}
		case typeRolePolicy:
			if _, ok := p.Find(TypeRedriveOperator, r.Parent); ok {
				checkRedrivePolicy(p, r, add)
			}
		case typeESM:
			src := str(r.Inputs, "eventSourceArn")
			if !slices.Contains(stringList(r.Inputs["functionResponseTypes"]), "ReportBatchItemFailures") {
				add(r, "mapping does not report batch item failures")
			}
			if strings.Contains(src, ":kinesis:") || strings.Contains(src, ":dynamodb:") {
				checkStreamMapping(r, add)
				checkFailurePrefix(p, r, add)
			}
		case typeEventTarget:
			rp, _ := r.Inputs["retryPolicy"].(map[string]any)
			_, attempts := rp["maximumRetryAttempts"]
			_, age := rp["maximumEventAgeInSeconds"]
			if !attempts || !age {
				add(r, "target has no retry policy (maximumRetryAttempts and maximumEventAgeInSeconds)")
			}
			if dlq, _ := r.Inputs["deadLetterConfig"].(map[string]any); str(dlq, "arn") == "" {
				add(r, "target has no dead-letter queue")
			}
		case typeEventRule:
			// A path no Hydrant event carries makes the rule match nothing, silently.
			if pattern := str(r.Inputs, "eventPattern"); pattern != "" {
				// What PutRule would refuse fails the deployment: an invalid pattern, or one
				// EventBridge finds too complex. The size is held to the quota's upper limit,
				// which the account may have raised to.
				_, err := eventpattern.CompileOptions([]byte(pattern), eventpattern.Options{MaxSize: eventpattern.HardMaxSize})
				if err == nil {
					err = eventpattern.CheckComplexity([]byte(pattern))
				}
				if err != nil {
					add(r, "event pattern: %v", err)
					break
				}
				problems, err := schemas.CheckPattern([]byte(pattern))
				if err != nil {
					add(r, "event pattern: %v", err)
				}
				for _, pr := range problems {
					add(r, "event pattern: %s, so the rule can never match on it", pr)
				}
			}
		case typeLambdaPermission:
			if strings.HasSuffix(str(r.Inputs, "principal"), ".amazonaws.com") && str(r.Inputs, "sourceAccount") == "" {
				add(r, "permission admits service %s without sourceAccount (cross-service confused deputy)", str(r.Inputs, "principal"))
			}
		case typeFunction:
			if str(r.Inputs, "runtime") != "provided.al2023" {
				add(r, "runtime %q, want provided.al2023", str(r.Inputs, "runtime"))
			}
			if a := stringList(r.Inputs["architectures"]); len(a) != 1 || a[0] != "arm64" {
				add(r, "architectures %v, want [arm64]", a)
			}
			if str(r.Inputs, "handler") != "bootstrap" {
				add(r, "handler %q, want bootstrap", str(r.Inputs, "handler"))
			}
		}
		if max, ok := nameLimits[r.Type]; ok && r.Custom {
			explicit := str(r.Inputs, "name")
			if r.Type == typeBucket {
				explicit = str(r.Inputs, "bucket")
			}
			switch {
			case explicit != "" && len(explicit) > max:
				add(r, "name %q is longer than %d characters", explicit, max)
			case explicit == "" && len(r.Name)+autoNameSuffix > max:
				add(r, "auto-name %q plus Pulumi's %d-character suffix exceeds %d characters", r.Name, autoNameSuffix, max)
			}
		}
		for _, key := range policyKeys(r.Type) {
			doc, ok := r.Inputs[key].(string)
			if !ok {
				add(r, "%s is not a known JSON document", key)
				continue
			}
			for _, problem := range wildcardResources(doc) {
				add(r, "%s: %s", key, problem)
			}
			for _, problem := range policyConditionProblems(doc) {
				add(r, "%s: %s", key, problem)
			}
		}
	}
	return out
}

func checkStreamMapping(r Resource, add func(Resource, string, ...any)) {
	dc, _ := r.Inputs["destinationConfig"].(map[string]any)
	of, _ := dc["onFailure"].(map[string]any)
	if str(of, "destinationArn") == "" {
		add(r, "stream mapping has no on-failure destination")
	}
	if b, _ := r.Inputs["bisectBatchOnFunctionError"].(bool); !b {
		add(r, "stream mapping does not bisect failed batches")
	}
	if n, ok := r.Inputs["maximumRetryAttempts"].(float64); !ok || n < 0 {
		add(r, "stream mapping retries are not finite (maximumRetryAttempts %v)", r.Inputs["maximumRetryAttempts"])
	}
	if n, ok := r.Inputs["maximumRecordAgeInSeconds"].(float64); !ok || n < 0 {
		add(r, "stream mapping record age is not bounded (maximumRecordAgeInSeconds %v)", r.Inputs["maximumRecordAgeInSeconds"])
	}
}

// checkFailurePrefix: a stream mapping whose failures go to a bucket of the stack must have
// its prefix aws/lambda/<UUID>/ kept to its role by the bucket's policy (a Deny of
// s3:PutObject on that prefix), or another consumer role could write failure objects that
// claim to be this mapping's (hydrantinfra.RouterArgs.FailureWriters).
func checkFailurePrefix(p Plan, r Resource, add func(Resource, string, ...any)) {
	dc, _ := r.Inputs["destinationConfig"].(map[string]any)
	of, _ := dc["onFailure"].(map[string]any)
	dest, err := arn.Parse(str(of, "destinationArn"))
	if err != nil || dest.Service != "s3" {
		return
	}
	var pols []Resource
	for _, b := range p.OfType(typeBucket) {
		if b.ID != dest.Resource {
			continue
		}
		for _, pol := range p.OfType(typeBucketPolicy) {
			if str(pol.Inputs, "bucket") == b.ID {
				pols = append(pols, pol)
			}
		}
	}
	if len(pols) == 0 {
		return // a bucket outside the stack: its policy is not ours to check
	}
	prefix := dest.String() + "/aws/lambda/" + r.ID + "/*"
	for _, pol := range pols {
		stmts, _ := parseStatements(str(pol.Inputs, "policy"))
		for _, st := range stmts {
			if st.Effect == "Deny" && slices.Contains(oneOrMany(st.Action), "s3:PutObject") && slices.Contains(oneOrMany(st.Resource), prefix) {
				return
			}
		}
	}
	add(r, "its failure objects go to bucket %s, whose policy does not keep the prefix aws/lambda/%s/ to the mapping's role: any role that may write to the bucket could forge them (RouterArgs.FailureWriters)", dest.Resource, r.ID)
}

// policyKeys are the inputs of a type that hold IAM policy documents.
func policyKeys(typ string) []string {
	switch typ {
	case typeRolePolicy, typeQueuePolicy, typeBucketPolicy, typeEventBusPolicy, typeTopicPolicy:
		return []string{"policy"}
	case typeRole:
		return []string{"assumeRolePolicy"}
	}
	return nil
}

type iamStatement struct {
	Sid       string          `json:"Sid"`
	Effect    string          `json:"Effect"`
	Principal json.RawMessage `json:"Principal"`
	Action    json.RawMessage `json:"Action"`
	Resource  json.RawMessage `json:"Resource"`
	Condition map[string]map[string]json.RawMessage
}

func parseStatements(doc string) ([]iamStatement, error) {
	var d struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, err
	}
	var list []iamStatement
	if err := json.Unmarshal(d.Statement, &list); err != nil {
		var one iamStatement
		if err := json.Unmarshal(d.Statement, &one); err != nil {
			return nil, err
		}
		list = []iamStatement{one}
	}
	return list, nil
}

// oneOrMany decodes an IAM field that is a string or a list of strings.
func oneOrMany(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

func wildcardResources(doc string) []string {
	stmts, err := parseStatements(doc)
	if err != nil {
		return []string{fmt.Sprintf("not a policy document: %v", err)}
	}
	var problems []string
	for i, s := range stmts {
		resources := oneOrMany(s.Resource)
		if !slices.Contains(resources, "*") {
			continue
		}
		actions := oneOrMany(s.Action)
		allowed := len(actions) > 0
		for _, a := range actions {
			allowed = allowed && slices.Contains(WildcardActions, a)
		}
		if !allowed {
			problems = append(problems, fmt.Sprintf("statement %d (%s) grants %v on Resource \"*\"", i, s.Sid, actions))
		}
	}
	return problems
}

// MultivaluedKeys are condition keys whose request value is a set (ArrayOfString in the service
// authorization reference): a single-valued operator on them compares against a list and is
// either always false or ambiguous, so they take ForAllValues:/ForAnyValue: (or Null).
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html#amazoneventbridge-policy-keys
var MultivaluedKeys = []string{"events:source", "events:detail-type", "aws:TagKeys"}

// policyConditionProblems finds service principals admitted without aws:SourceAccount and
// multivalued keys under a single-valued operator.
func policyConditionProblems(doc string) []string {
	stmts, err := parseStatements(doc)
	if err != nil {
		return nil // wildcardResources already reports it
	}
	var problems []string
	for i, s := range stmts {
		for op, keys := range s.Condition {
			for key := range keys {
				if !slices.ContainsFunc(MultivaluedKeys, func(k string) bool { return strings.EqualFold(k, key) }) {
					continue
				}
				if op != "Null" && !strings.HasPrefix(op, "ForAllValues:") && !strings.HasPrefix(op, "ForAnyValue:") {
					problems = append(problems, fmt.Sprintf("statement %d (%s) tests the multivalued key %s with %s; use ForAllValues:%s", i, s.Sid, key, op, op))
				}
			}
		}
		if s.Effect != "Allow" || len(s.Principal) == 0 {
			continue
		}
		var p struct {
			Service json.RawMessage `json:"Service"`
		}
		if json.Unmarshal(s.Principal, &p) != nil || len(oneOrMany(p.Service)) == 0 {
			continue
		}
		hasAccount := false
		for _, keys := range s.Condition {
			for key := range keys {
				hasAccount = hasAccount || strings.EqualFold(key, "aws:SourceAccount")
			}
		}
		if !hasAccount {
			problems = append(problems, fmt.Sprintf("statement %d (%s) admits service %v without aws:SourceAccount (cross-service confused deputy)", i, s.Sid, oneOrMany(p.Service)))
		}
	}
	sort.Strings(problems)
	return problems
}

func deniesInsecureTransport(doc string) bool {
	stmts, err := parseStatements(doc)
	if err != nil {
		return false
	}
	for _, s := range stmts {
		if s.Effect != "Deny" {
			continue
		}
		v := oneOrMany(s.Condition["Bool"]["aws:SecureTransport"])
		if len(v) == 1 && v[0] == "false" {
			return true
		}
	}
	return false
}

func encryptsByDefault(in map[string]any) bool {
	rules, _ := in["rules"].([]any)
	for _, r := range rules {
		rm, _ := r.(map[string]any)
		def, _ := rm["applyServerSideEncryptionByDefault"].(map[string]any)
		switch str(def, "sseAlgorithm") {
		case "AES256", "aws:kms", "aws:kms:dsse":
			return true
		}
	}
	return false
}

func blocksAllPublicAccess(in map[string]any) bool {
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		if b, _ := in[k].(bool); !b {
			return false
		}
	}
	return true
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
