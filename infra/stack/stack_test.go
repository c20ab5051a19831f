package stack_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/hydrant-dev/hydrant/infra/lambdabuild"
	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/hydrant-dev/hydrant/infra/stack"
	"github.com/hydrant-dev/hydrant/internal/eventpattern"
	"github.com/hydrant-dev/hydrant/internal/trust"
)

var code = stack.PlannedCode{Builder: lambdabuild.Builder{ModuleDir: "../..", OutDir: "/build/lambda"}}

// runStack runs the program with a stack file of the repository, as `hydrant plan` does.
func runStack(t *testing.T, name string) plan.Plan {
	t.Helper()
	cfg, err := plan.LoadStackConfig("../..", name)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := plan.Run(cfg.Project, cfg.Stack, cfg.Values, cfg.SecretKeys, stack.Program(code))
	if err != nil {
		t.Fatalf("stack %s: %v", name, err)
	}
	p := rec.Plan()
	for _, v := range p.Check() {
		t.Errorf("stack %s: %s", name, v)
	}
	return p
}

func find(t *testing.T, p plan.Plan, typ, name string) plan.Resource {
	t.Helper()
	r, ok := p.Find(typ, name)
	if !ok {
		t.Fatalf("no %s named %s", typ, name)
	}
	return r
}

func names(p plan.Plan, typ string) []string {
	var out []string
	for _, r := range p.OfType(typ) {
		out = append(out, r.Name)
	}
	return out
}

func TestRegistryContentIsTheSchemaFiles(t *testing.T) {
	p := runStack(t, "demo")
	files, err := filepath.Glob("../../schemas/*.schema.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("schema files: %v %v", files, err)
	}
	schemas := p.OfType("aws:schemas/schema:Schema")
	if len(schemas) != len(files) {
		t.Errorf("%d registry schemas, %d files in schemas/", len(schemas), len(files))
	}
	byContent := map[string]string{}
	for _, s := range schemas {
		if s.Inputs["type"] != "JSONSchemaDraft4" {
			t.Errorf("schema %s type %v", s.Name, s.Inputs["type"])
		}
		byContent[s.Inputs["content"].(string)] = s.Inputs["name"].(string)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := byContent[string(b)]; !ok {
			t.Errorf("no registry schema has the content of %s", f)
		}
	}
	got := []string{}
	for _, n := range byContent {
		got = append(got, n)
	}
	for _, want := range []string{"hydrant@RecordHydrated", "hydrant@RecordHydrationFailed"} {
		if !strings.Contains(strings.Join(got, " "), want) {
			t.Errorf("registry schemas %v lack %s", got, want)
		}
	}
}

func TestDemoStack(t *testing.T) {
	p := runStack(t, "demo")
	if got := names(p, "aws:lambda/function:Function"); !reflect.DeepEqual(got, []string{"demo-orders-consumer", "demo-users-consumer", "hydrant-hydrate"}) {
		t.Errorf("functions %v", got)
	}
	hydrate := find(t, p, "aws:lambda/function:Function", "hydrant-hydrate")
	if got := hydrate.Inputs["code"]; !reflect.DeepEqual(got, map[string]any{"archive": "/build/lambda/hydrate.zip"}) {
		t.Errorf("hydrate code %v", got)
	}
	consumer := find(t, p, "aws:lambda/function:Function", "demo-orders-consumer")
	if got := consumer.Inputs["code"]; !reflect.DeepEqual(got, map[string]any{"archive": "/build/lambda/democonsumer.zip"}) {
		t.Errorf("consumer code %v", got)
	}
	// Two stream mappings with the failure settings, and the intake mapping.
	esms := map[string]plan.Resource{}
	for _, r := range p.OfType("aws:lambda/eventSourceMapping:EventSourceMapping") {
		esms[r.Name] = r
	}
	if len(esms) != 3 {
		t.Fatalf("mappings %v", esms)
	}
	orders, users := esms["demo-orders-mapping"], esms["demo-users-mapping"]
	if orders.Inputs["eventSourceArn"] != "arn:aws:kinesis:us-east-1:123456789012:stream/demo-orders" ||
		orders.Inputs["destinationConfig"].(map[string]any)["onFailure"].(map[string]any)["destinationArn"] != "arn:aws:sqs:us-east-1:123456789012:hydrant-intake" {
		t.Errorf("orders mapping %v", orders.Inputs)
	}
	if users.Inputs["eventSourceArn"] != "arn:aws:dynamodb:us-east-1:123456789012:table/demo-users/stream/2026-01-01T00:00:00.000" ||
		users.Inputs["destinationConfig"].(map[string]any)["onFailure"].(map[string]any)["destinationArn"] != "arn:aws:s3:::hydrant-failures" {
		t.Errorf("users mapping %v", users.Inputs)
	}
	stream := find(t, p, "aws:kinesis/stream:Stream", "demo-orders")
	if stream.Inputs["encryptionType"] != "KMS" {
		t.Errorf("demo stream not encrypted: %v", stream.Inputs)
	}
	table := find(t, p, "aws:dynamodb/table:Table", "demo-users")
	if table.Inputs["streamEnabled"] != true || table.Inputs["streamViewType"] != "NEW_AND_OLD_IMAGES" {
		t.Errorf("demo table %v", table.Inputs)
	}
	// Each team's rule matches its stream's events and not the other team's.
	kinesisArn := "arn:aws:kinesis:us-east-1:123456789012:stream/demo-orders"
	ddbArn := "arn:aws:dynamodb:us-east-1:123456789012:table/demo-users/stream/2026-01-01T00:00:00.000"
	matches(t, p, map[string]map[string]bool{
		"orders-failures-rule": {
			ev("RecordHydrated", kinesisArn): true, ev("RecordHydrated", ddbArn): false,
			// Failures reach a team by default (issue 9, item 3).
			ev("RecordHydrationFailed", kinesisArn): true, ev("RecordHydrationFailed", ddbArn): false,
		},
		"users-failures-rule": {
			ev("RecordHydrated", ddbArn): true, ev("RecordHydrationFailed", ddbArn): true,
			ev("RecordHydrated", kinesisArn): false,
		},
		// The payments team, in another account, gets the orders stream on its inbox.
		"payments-orders-rule": {
			ev("RecordHydrated", kinesisArn): true, ev("RecordHydrationFailed", kinesisArn): true,
			ev("RecordHydrated", ddbArn): false, ev("RecordHydrationFailed", ddbArn): false,
		},
	})
	inbox := find(t, p, "aws:cloudwatch/eventTarget:EventTarget", "payments-orders-inbox")
	if inbox.Inputs["arn"] != "arn:aws:events:us-east-1:222233334444:event-bus/demo-payments-inbox" || inbox.Inputs["roleArn"] == nil {
		t.Errorf("payments inbox target %v: want the team's bus in account 222233334444, with a role", inbox.Inputs)
	}
	// The team's own stack, as the local cloud deploys it beside this one, builds that bus.
	cfg, err := plan.LoadStackConfig("../..", "demo")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := stack.LoadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var inboxTeams []string
	for _, team := range sc.Teams {
		if team.Inbox == "" {
			continue
		}
		inboxTeams = append(inboxTeams, team.Name+" "+team.InboxAccount())
		program, err := stack.TeamInboxProgram(team, "arn:aws:events:us-east-1:123456789012:event-bus/hydrant-bus", sc.Router.EventSource)
		if err != nil {
			t.Fatal(err)
		}
		rec := plan.NewRecorder()
		rec.Account = team.InboxAccount()
		if err := rec.Run("hydrant-team", team.Name, nil, nil, program); err != nil {
			t.Fatal(err)
		}
		tp := rec.Plan()
		for _, v := range tp.Check() {
			t.Errorf("team %s's stack: %s", team.Name, v)
		}
		if bus := find(t, tp, "aws:cloudwatch/eventBus:EventBus", team.Name+"-bus"); "arn:aws:events:us-east-1:"+team.InboxAccount()+":event-bus/"+bus.Inputs["name"].(string) != team.Inbox {
			t.Errorf("team %s's stack builds bus %v in account %s, not its configured inbox %s", team.Name, bus.Inputs["name"], team.InboxAccount(), team.Inbox)
		}
	}
	if !reflect.DeepEqual(inboxTeams, []string{"payments 222233334444"}) {
		t.Errorf("inbox teams %v, want payments in account 222233334444", inboxTeams)
	}
	// Hydrant created the teams' queues, with policies letting only their rules send.
	for _, q := range []string{"orders-failures-inbox-queue", "users-failures-inbox-queue"} {
		find(t, p, "aws:sqs/queue:Queue", q)
	}
}

func ev(detailType, streamArn string) string {
	return fmt.Sprintf(`{"version":"0","id":"e","detail-type":%q,"source":"hydrant","account":"123456789012","time":"2026-11-28T10:00:00Z","region":"us-east-1","resources":[%q],"detail":{"streamArn":%q,"kinesis":{"partitionKey":"eu-1"}}}`,
		detailType, streamArn, streamArn)
}

// matches checks each rule's pattern, compiled with the project's matcher, against events.
func matches(t *testing.T, p plan.Plan, want map[string]map[string]bool) {
	t.Helper()
	for rule, cases := range want {
		src := find(t, p, "aws:cloudwatch/eventRule:EventRule", rule).Inputs["eventPattern"].(string)
		pat, err := eventpattern.Compile([]byte(src))
		if err != nil {
			t.Fatalf("rule %s pattern %s: %v", rule, src, err)
		}
		for event, match := range cases {
			got, err := pat.MatchJSON([]byte(event))
			if err != nil {
				t.Fatal(err)
			}
			if got != match {
				t.Errorf("rule %s (%s) on %s: match %v, want %v", rule, src, event, got, match)
			}
		}
	}
}

func TestExampleStack(t *testing.T) {
	p := runStack(t, "example")
	if got := names(p, hydrantinfra.SubscriptionType); !reflect.DeepEqual(got, []string{"billing-orders", "crm-customers", "payments-orders"}) {
		t.Errorf("subscriptions %v", got)
	}
	if got := names(p, hydrantinfra.StreamSourceType); !reflect.DeepEqual(got, []string{"customers", "orders"}) {
		t.Errorf("stream sources %v", got)
	}
	if got := len(p.OfType("aws:cloudwatch/eventTarget:EventTarget")); got != 2+5+1+1 {
		t.Errorf("%d targets, want 9 (2 router, 5 billing, 1 crm, 1 payments inbox)", got)
	}
	orders := find(t, p, "aws:lambda/eventSourceMapping:EventSourceMapping", "orders-mapping")
	if orders.Inputs["destinationConfig"].(map[string]any)["onFailure"].(map[string]any)["destinationArn"] != "arn:aws:s3:::hydrant-failures" {
		t.Errorf("orders mapping destination %v", orders.Inputs["destinationConfig"])
	}
	conn := find(t, p, "aws:cloudwatch/eventConnection:EventConnection", "billing-orders-webhook-conn")
	if got := conn.Inputs["authParameters"].(map[string]any)["apiKey"].(map[string]any)["value"]; got != plan.Secret {
		t.Errorf("API key recorded as %v, want it secret", got)
	}
	bus := find(t, p, "aws:cloudwatch/eventBus:EventBus", "hydrant-bus")
	if bus.Inputs["name"] != "hydrant" {
		t.Errorf("bus name %v", bus.Inputs["name"])
	}
	orderArn := "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"
	custArn := "arn:aws:dynamodb:eu-west-1:123456789012:table/customers/stream/2026-01-01T00:00:00.000"
	matches(t, p, map[string]map[string]bool{
		"billing-orders-rule": {
			ev("RecordHydrated", orderArn): true,
			ev("RecordHydrated", "arn:aws:kinesis:eu-west-1:123456789012:stream/orders-eu"): true,
			ev("RecordHydrationFailed", orderArn):                                           true,
			ev("RecordHydrated", "arn:aws:kinesis:eu-west-1:123456789012:stream/ordersx"):   false,
			ev("RecordHydrated", custArn):                                                   false,
		},
		"crm-customers-rule": {
			ev("RecordHydrated", custArn):         true,
			ev("RecordHydrated", orderArn):        false,
			ev("RecordHydrationFailed", custArn):  true, // by default
			ev("RecordHydrationFailed", orderArn): false,
		},
	})
}

func TestEveryStackFilePlansCleanly(t *testing.T) {
	files, err := filepath.Glob("../../Pulumi.*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("stack files %v %v", files, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
		t.Run(name, func(t *testing.T) { runStack(t, name) })
	}
}

func TestEmptyConfigDeploysTheRouter(t *testing.T) {
	rec, err := plan.Run("hydrant", "bare", nil, nil, stack.Program(code))
	if err != nil {
		t.Fatal(err)
	}
	p := rec.Plan()
	for _, v := range p.Check() {
		t.Error(v)
	}
	if len(p.OfType(hydrantinfra.RouterType)) != 1 || len(p.OfType(hydrantinfra.OperationsType)) != 1 || len(p.OfType(hydrantinfra.SubscriptionType)) != 0 {
		t.Errorf("components: %v", p.Resources)
	}
	archive := find(t, p, "aws:cloudwatch/eventArchive:EventArchive", "hydrant-archive")
	if archive.Inputs["retentionDays"] != float64(hydrantinfra.DefaultArchiveRetentionDays) {
		t.Errorf("archive retention %v", archive.Inputs["retentionDays"])
	}
}

// A stream source whose failures go to the intake topic may encrypt with the topic's key.
func TestSNSDestinationGrantsTheTopicKey(t *testing.T) {
	rec, err := plan.Run("hydrant", "sns", map[string]string{"hydrant:streamSources": `[{"name":"orders","streamArn":"arn:aws:kinesis:us-east-1:123456789012:stream/orders","consumerFunctionName":"f","consumerRoleName":"r","destination":"sns"}]`}, nil, stack.Program(code))
	if err != nil {
		t.Fatal(err)
	}
	p := rec.Plan()
	for _, v := range p.Check() {
		t.Error(v)
	}
	key := find(t, p, "aws:kms/key:Key", "hydrant-intake-topic-key")
	policy := find(t, p, "aws:iam/rolePolicy:RolePolicy", "orders-consumer-policy").Inputs["policy"].(string)
	want := `"Sid":"EncryptFailures","Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":["arn:aws:kms:us-east-1:123456789012:key/` + key.ID + `"]`
	if !strings.Contains(policy, want) {
		t.Fatalf("consumer policy lacks %s:\n%s", want, policy)
	}
}

// hydrant:router.encryption reaches the router, and whoever writes failure objects or reads
// the buckets (the consumer, the redrive operator) may use the buckets' key.
func TestEncryptionConfigReachesTheStack(t *testing.T) {
	const brought = "arn:aws:kms:us-east-1:123456789012:key/0000aaaa-bbbb-cccc-dddd-eeeeffff0000"
	rec, err := plan.Run("hydrant", "cmk", map[string]string{
		"hydrant:router":        `{"encryption":{"bus":"create","archive":"create","firehose":"` + brought + `","buckets":"create"}}`,
		"hydrant:streamSources": `[{"name":"orders","streamArn":"arn:aws:kinesis:us-east-1:123456789012:stream/orders","consumerFunctionName":"f","consumerRoleName":"r"}]`,
	}, nil, stack.Program(code))
	if err != nil {
		t.Fatal(err)
	}
	p := rec.Plan()
	for _, v := range p.Check() {
		t.Error(v)
	}
	busKey := "arn:aws:kms:us-east-1:123456789012:key/" + find(t, p, "aws:kms/key:Key", "hydrant-bus-key").ID
	if got := find(t, p, "aws:cloudwatch/eventBus:EventBus", "hydrant-bus").Inputs["kmsKeyIdentifier"]; got != busKey {
		t.Errorf("bus kmsKeyIdentifier = %v, want %s", got, busKey)
	}
	find(t, p, "aws:kms/key:Key", "hydrant-archive-key")
	if _, ok := p.Find("aws:kms/key:Key", "hydrant-firehose-key"); ok {
		t.Error("a Firehose key was created although one was brought")
	}
	bucketKey := "arn:aws:kms:us-east-1:123456789012:key/" + find(t, p, "aws:kms/key:Key", "hydrant-bucket-key").ID
	consumer := find(t, p, "aws:iam/rolePolicy:RolePolicy", "orders-consumer-policy").Inputs["policy"].(string)
	if want := `"Sid":"EncryptFailures","Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":["` + bucketKey + `"]`; !strings.Contains(consumer, want) {
		t.Errorf("consumer policy lacks %s:\n%s", want, consumer)
	}
	redrive := find(t, p, "aws:iam/rolePolicy:RolePolicy", "hydrant-redrive-policy").Inputs["policy"].(string)
	if want := `"Sid":"DecryptObjects","Effect":"Allow","Action":["kms:Decrypt"],"Resource":["` + bucketKey + `"]`; !strings.Contains(redrive, want) {
		t.Errorf("redrive policy lacks %s:\n%s", want, redrive)
	}
}

// The redrive operator of the demo stack may read exactly the stack's queues (the catch-all
// queue, the teams' queues, every target's DLQ), the archive and the claim-check objects, and
// may invoke exactly the consumers and put on exactly the Kinesis stream; for hydrant
// intake-dlq it may read and move the intake DLQ and send only to the intake queue.
func TestDemoStackRedriveOperator(t *testing.T) {
	p := runStack(t, "demo")
	find(t, p, plan.TypeRedriveOperator, "hydrant-redrive")
	pol := find(t, p, "aws:iam/rolePolicy:RolePolicy", "hydrant-redrive-policy")
	var doc struct {
		Statement []struct {
			Sid       string
			Action    []string
			Resource  []string
			Condition map[string]map[string][]string
		}
	}
	if err := json.Unmarshal([]byte(pol.Inputs["policy"].(string)), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, s := range doc.Statement {
		got[s.Sid] = s.Resource
	}
	var queues []string
	for _, q := range p.OfType("aws:sqs/queue:Queue") {
		if !strings.HasPrefix(q.Name, "hydrant-intake") { // the intake queues are Hydrant's own, not a redrive's
			queues = append(queues, "arn:aws:sqs:us-east-1:123456789012:"+q.Name)
		}
	}
	gotQueues := append([]string(nil), got["ReadSourceQueues"]...)
	sort.Strings(queues)
	sort.Strings(gotQueues)
	if !reflect.DeepEqual(gotQueues, queues) {
		t.Errorf("queues\n%v\nwant every queue but the intake's\n%v", gotQueues, queues)
	}
	want := map[string][]string{
		"ListArchive":          {"arn:aws:s3:::hydrant-archive"},
		"ReadArchive":          {"arn:aws:s3:::hydrant-archive/events/*"},
		"ReadOffloadedRecords": {"arn:aws:s3:::hydrant-claim-checks/*"},
		"InvokeConsumers":      {"arn:aws:lambda:us-east-1:123456789012:function:demo-orders-consumer", "arn:aws:lambda:us-east-1:123456789012:function:demo-users-consumer"},
		"ReadBatchSizes":       {"*"},
		"PutBackOnStreams":     {"arn:aws:kinesis:us-east-1:123456789012:stream/demo-orders"},
		// hydrant intake-dlq: the intake DLQ, and sending back to the intake queue only
		"IntakeDLQ":        {"arn:aws:sqs:us-east-1:123456789012:hydrant-intake-dlq"},
		"MoveBackToIntake": {"arn:aws:sqs:us-east-1:123456789012:hydrant-intake"},
	}
	for sid, res := range want {
		if !reflect.DeepEqual(got[sid], res) {
			t.Errorf("%s resources %v, want %v", sid, got[sid], res)
		}
	}
	if v := p.Check(); len(v) != 0 {
		t.Errorf("violations: %v", v)
	}
}

// TestAttackAllowListIsTheConfiguredStreams (issue 9, item 6): the hydrate function of a
// deployed stack admits failure records only of its configured stream sources, each through
// its own destination and, for SQS, from its consumer role; refused records go to the intake
// DLQ, which the function may write.
func TestAttackAllowListIsTheConfiguredStreams(t *testing.T) {
	p := runStack(t, "example")
	fn := find(t, p, "aws:lambda/function:Function", "hydrant-hydrate")
	vars, _ := fn.Inputs["environment"].(map[string]any)["variables"].(map[string]any)
	doc, _ := vars[hydrantinfra.EnvTrustedStreams].(string)
	policy, err := trust.Parse(doc)
	if err != nil {
		t.Fatalf("%s = %q: %v", hydrantinfra.EnvTrustedStreams, doc, err)
	}
	want := []string{"arn:aws:dynamodb:eu-west-1:123456789012:table/customers/stream/2026-01-01T00:00:00.000", "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"}
	if got := policy.Streams(); !reflect.DeepEqual(got, want) {
		t.Errorf("allow-list %v, want the configured streams %v", got, want)
	}
	if !strings.Contains(doc, `"senderRoleIds":["AROAEXAMPLECUSTOMERS01"]`) {
		t.Errorf("the sqs stream's sender is not its consumer role: %s", doc)
	}
	if vars[hydrantinfra.EnvIntakeDLQURL] == nil || !strings.Contains(vars[hydrantinfra.EnvIntakeDLQURL].(string), "hydrant-intake-dlq") {
		t.Errorf("%s = %v, want the intake DLQ", hydrantinfra.EnvIntakeDLQURL, vars[hydrantinfra.EnvIntakeDLQURL])
	}
}

// TestAttackFailureBucketPrefixesAreTheMappings (issue 9, item 6, the S3 path): the deployed
// failure bucket's policy keeps each S3-destination mapping's prefix to its consumer role
// (the statements themselves are attacked in hydrantinfra's TestAttackFailureObjectUnderAnotherMapping),
// names no mapping whose failures go elsewhere, and the hydrate role may look up exactly the
// S3-destination mappings, to check the stream a failure object's key claims.
func TestAttackFailureBucketPrefixesAreTheMappings(t *testing.T) {
	p := runStack(t, "demo")
	users := find(t, p, "aws:lambda/eventSourceMapping:EventSourceMapping", stack.DemoUsersSource+"-mapping")
	orders := find(t, p, "aws:lambda/eventSourceMapping:EventSourceMapping", stack.DemoOrdersSource+"-mapping")
	usersUUID, ordersUUID := users.ID, orders.ID
	if usersUUID == "" || ordersUUID == "" {
		t.Fatalf("mappings without UUIDs: %q %q", usersUUID, ordersUUID)
	}
	doc := find(t, p, "aws:s3/bucketPolicy:BucketPolicy", "hydrant-failures-policy").Inputs["policy"].(string)
	var d struct {
		Statement []struct {
			Effect    string
			Resource  []string
			Condition map[string]map[string][]string
		}
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatal(err)
	}
	var prefixes []string
	for _, s := range d.Statement {
		if s.Effect != "Deny" || s.Condition["ArnNotLike"] == nil {
			continue
		}
		prefixes = append(prefixes, s.Resource...)
		if roles := s.Condition["ArnNotLike"]["aws:PrincipalArn"]; len(roles) != 2 || !strings.HasSuffix(roles[0], ":role/"+stack.DemoUsersSource+"-consumer-role") {
			t.Errorf("the prefix %v is kept to %v, want the users consumer's role", s.Resource, roles)
		}
	}
	if want := []string{"arn:aws:s3:::hydrant-failures/aws/lambda/" + usersUUID + "/*"}; !reflect.DeepEqual(prefixes, want) {
		t.Errorf("the failure bucket keeps prefixes %v, want the S3 mapping's only %v (not the SQS mapping %s)", prefixes, want, ordersUUID)
	}
	hydrate := find(t, p, "aws:iam/rolePolicy:RolePolicy", stack.DemoUsersSource+"-hydrate-policy").Inputs["policy"].(string)
	if !strings.Contains(hydrate, `"Action":["lambda:GetEventSourceMapping"],"Resource":["arn:aws:lambda:us-east-1:123456789012:event-source-mapping:`+usersUUID+`"]`) {
		t.Errorf("the hydrate role may not look up the users mapping (only it): %s", hydrate)
	}
	if other := find(t, p, "aws:iam/rolePolicy:RolePolicy", stack.DemoOrdersSource+"-hydrate-policy").Inputs["policy"].(string); strings.Contains(other, "lambda:") {
		t.Errorf("the SQS source's hydrate grant names Lambda: %s", other)
	}
}
