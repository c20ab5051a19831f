//go:build integration

package localcloud_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/hydrant-dev/hydrant/handlers/democonsumer/poison"
	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/hydrant-dev/hydrant/infra/stack"
	"github.com/hydrant-dev/hydrant/internal/localcloud"
	"github.com/hydrant-dev/hydrant/internal/localcloud/demo"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

func TestMain(m *testing.M) { emulators.Main(m) }

// deploy starts a local cloud on the test emulators and deploys the stack.
func deploy(t *testing.T, cfg *plan.StackConfig, external map[string]localcloud.Function) *localcloud.Cloud {
	t.Helper()
	ctx := context.Background()
	c, err := localcloud.Start(ctx, localcloud.Options{Endpoints: emulators.Get(t), ExternalFunctions: external,
		TargetRetryBaseDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := c.Close(cctx); err != nil {
			t.Errorf("close local cloud: %v", err)
		}
	})
	if err := c.Deploy(ctx, cfg, stack.Program(localcloud.SourceCode{})); err != nil {
		t.Fatal(err)
	}
	return c
}

// repoRoot is where Pulumi.yaml and Pulumi.demo.yaml are.
func repoRoot(t *testing.T) string {
	root, err := emulators.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// teamOf names the team whose subscription rule this is ("orders-failures-rule-ab12cd3").
func teamOf(rule string) string {
	team, _, _ := strings.Cut(rule, "-")
	return team
}

// The demo stack: a Kinesis poison record and a DynamoDB poison record, each isolated by
// bisection, hydrated, and delivered to the catch-all queue, the S3 archive and its own team's
// queue only; each team's queue gets nothing from the other team's stream. The payments team,
// in "another account", gets the orders stream's record on its inbox (its own stack deployed
// as DeployTeamInboxes does for hydrant local up), whose rule matching every event delivers it
// to the team's queue, and nothing of the users stream.
func TestDemoStackRoutesEachPoisonRecordToItsTeamOnly(t *testing.T) {
	cfg, err := plan.LoadStackConfig(repoRoot(t), "demo")
	if err != nil {
		t.Fatal(err)
	}
	c := deploy(t, cfg, nil)
	var names []string
	for _, sc := range c.Schemas() {
		names = append(names, sc.Name)
		if sc.Type != "JSONSchemaDraft4" || !json.Valid([]byte(sc.Content)) {
			t.Errorf("schema %s: type %q, valid JSON %v", sc.Name, sc.Type, json.Valid([]byte(sc.Content)))
		}
	}
	if joined := strings.Join(names, ","); !strings.Contains(joined, "RecordHydrated") || !strings.Contains(joined, "RecordHydrationFailed") {
		t.Errorf("schema registry holds %v, want RecordHydrated and RecordHydrationFailed", names)
	}
	inboxes, err := c.DeployTeamInboxes(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(inboxes) != 1 || inboxes[0].Team != "payments" || inboxes[0].Account != "222233334444" || inboxes[0].Bus.Physical != "demo-payments-inbox" {
		t.Fatalf("team inboxes %+v, want payments' demo-payments-inbox in account 222233334444", inboxes)
	}
	rep, err := demo.Run(context.Background(), c, demo.Options{KinesisGood: 19, KinesisPoison: 1, DynamoDBGood: 9, DynamoDBPoison: 1, Timeout: 60 * time.Second, Inboxes: inboxes})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		var b strings.Builder
		_ = rep.WriteText(&b)
		t.Fatalf("demo verdict failed:\n%s", b.String())
	}
	wantTeam := map[string]string{"kinesis": "orders", "dynamodb": "users"}
	wantDest := map[string]string{"kinesis": "sqs", "dynamodb": "s3"}
	streamOf := map[string]string{}
	for _, o := range rep.Poison {
		streamOf[wantTeam[o.Source]] = o.StreamARN
		if o.FailureDestination != wantDest[o.Source] {
			t.Errorf("%s poison record: failure destination %q, want %q", o.Source, o.FailureDestination, wantDest[o.Source])
		}
		if o.FailureBatchSize != 1 {
			t.Errorf("%s poison record discarded in a batch of %d, want 1 (isolated by bisection)", o.Source, o.FailureBatchSize)
		}
		var payload map[string]any
		if err := json.Unmarshal(o.Payload, &payload); err != nil || payload["poison"] != true {
			t.Errorf("%s poison record: recovered payload %s (%v), want the record with poison true", o.Source, o.Payload, err)
		}
		kinds := map[string]int{}
		inbox := 0 // deliveries by the payments inbox's rule
		streamName := strings.Split(o.StreamARN[strings.Index(o.StreamARN, "/")+1:], "/")[0]
		for _, d := range o.Deliveries {
			kinds[d.Kind]++
			if d.Bus == "demo-payments-inbox" {
				inbox++
				if d.Kind != "sqs" || !d.Delivered || !strings.Contains(d.Where, "sqs://payments-inbox-queue-") {
					t.Errorf("%s poison record on the payments inbox: %+v, want delivered to payments-inbox-queue", o.Source, d)
				}
			}
			if d.Kind == "eventbus" && (d.Where != "arn:aws:events:us-east-1:222233334444:event-bus/demo-payments-inbox" || !d.Delivered || teamOf(d.Rule) != "payments") {
				t.Errorf("%s poison record forwarded to a bus: %+v, want payments' rule to its inbox, delivered", o.Source, d)
			}
			// The archive is partitioned by stream name and event date, as Firehose's dynamic
			// partitioning does with the program's query.
			if d.Kind == "firehose" && !strings.Contains(d.Where, "/events/stream="+streamName+"/date="+time.Now().UTC().Format("2006-01-02")+"/") {
				t.Errorf("%s poison record archived at %s, want under events/stream=%s/date=<today>/", o.Source, d.Where, streamName)
			}
			if strings.Contains(d.Rule, "-failures-rule") && teamOf(d.Rule) != wantTeam[o.Source] {
				t.Errorf("%s poison record promised to team rule %s", o.Source, d.Rule)
			}
		}
		wantSQS, wantBus := 2, 0
		if o.Source == "kinesis" {
			wantSQS, wantBus = 3, 1 // and the payments inbox, then its queue
		}
		if kinds["sqs"] != wantSQS || kinds["firehose"] != 1 || kinds["eventbus"] != wantBus || inbox != wantBus {
			t.Errorf("%s poison record deliveries %+v: want the catch-all queue, its team's queue and the archive (the orders stream's: and the payments inbox's queue through the inbox)", o.Source, o.Deliveries)
		}
	}
	if len(rep.Inboxes) != 1 || !rep.Inboxes[0].OK || rep.Inboxes[0].PoisonRecords != 1 || rep.Inboxes[0].Delivered != 1 ||
		rep.Inboxes[0].Events != 1 || len(rep.Inboxes[0].Foreign) != 0 || len(rep.Inboxes[0].Streams) != 1 || rep.Inboxes[0].Streams[0] != streamOf["orders"] {
		t.Errorf("inbox checks %+v: want payments' inbox to get the orders stream's one poison record and nothing else", rep.Inboxes)
	}
	streamOf["payments"] = streamOf["orders"]
	for _, ts := range rep.Targets {
		if ts.Kind == "eventbus" || !strings.Contains(ts.Rule, "-failures-rule") && !strings.HasPrefix(ts.Rule, "payments-") {
			continue // a bus target is seen through its bus's rules (payments-all-rule)
		}
		want := streamOf[teamOf(ts.Rule)]
		if len(ts.Streams) != 1 || ts.Streams[0] != want {
			t.Errorf("team rule %s got events of streams %v, want only %s", ts.Rule, ts.Streams, want)
		}
	}
}

// createStream makes a one-shard Kinesis stream and waits until it is active.
func createStream(t *testing.T, kin *kinesis.Client, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := kin.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	var nf *kintypes.ResourceNotFoundException
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out, err := kin.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err == nil && out.StreamDescriptionSummary.StreamStatus == kintypes.StreamStatusActive {
			return
		}
		if err != nil && !errors.As(err, &nf) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s not active after 30 s", name)
		}
	}
}

// destinationsStack creates the destinations stack's three streams under names of this run
// (the stack file's names with a unique suffix, so runs on shared emulators never meet) and
// returns the configuration pointing at them.
func destinationsStack(t *testing.T) *plan.StackConfig {
	t.Helper()
	cfg, err := plan.LoadStackConfig("testdata", "destinations")
	if err != nil {
		t.Fatal(err)
	}
	suffix := fmt.Sprintf("-%x", time.Now().UnixNano())
	kin := emulators.Get(t).KinesisClient()
	for _, kind := range []string{"sqs", "sns", "s3"} {
		name := "localcloud-test-via-" + kind
		if !strings.Contains(cfg.Values["hydrant:streamSources"], "stream/"+name+`"`) {
			t.Fatalf("testdata/Pulumi.destinations.yaml names no stream %s", name)
		}
		cfg.Values["hydrant:streamSources"] = strings.ReplaceAll(cfg.Values["hydrant:streamSources"], "stream/"+name+`"`, "stream/"+name+suffix+`"`)
		createStream(t, kin, name+suffix)
	}
	return cfg
}

// The destinations stack: three streams whose mappings send failures to the intake queue
// (SQS), the intake topic (SNS) and the failure bucket (S3). In a batch of 100 records on
// each, the one poison record is isolated by bisection, hydrated whatever the destination
// kind, and reaches its own team only; a team target that always fails ends in its DLQ.
func TestEachFailureDestinationKindInBatchesOf100(t *testing.T) {
	cfg := destinationsStack(t)
	consumer := localcloud.Handler(poison.Consumer{}.Handle)
	fails := func(ctx context.Context, payload []byte) ([]byte, error) {
		return nil, errors.New("this target always fails")
	}
	c := deploy(t, cfg, map[string]localcloud.Function{
		"localcloud-poison-consumer": consumer, "localcloud-always-fails": fails,
	})
	rep, err := demo.Run(context.Background(), c, demo.Options{KinesisGood: 99, KinesisPoison: 1, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	_ = rep.WriteText(&text)
	// The broken team's target dead-letters: the report marks that, and fails only on it.
	seenKinds := map[string]bool{}
	for _, o := range rep.Poison {
		kind := strings.Split(strings.TrimPrefix(o.StreamARN[strings.LastIndex(o.StreamARN, "/")+1:], "localcloud-test-via-"), "-")[0]
		seenKinds[o.FailureDestination] = true
		if o.FailureDestination != kind {
			t.Errorf("record of stream %s: failure destination %q, want %q", o.StreamARN, o.FailureDestination, kind)
		}
		if o.FailureBatchSize != 1 {
			t.Errorf("record of stream %s: discarded in a batch of %d, want 1", o.StreamARN, o.FailureBatchSize)
		}
		teams := map[string]Delivery{}
		for _, d := range o.Deliveries {
			if strings.Contains(d.Rule, "-failures-rule") {
				teams[teamOf(d.Rule)] = Delivery(d)
			}
		}
		wantTeams := []string{kind + "team"}
		if kind == "sqs" {
			wantTeams = append(wantTeams, "broken")
		}
		if len(teams) != len(wantTeams) {
			t.Errorf("record of stream %s promised to teams %v, want %v", o.StreamARN, teams, wantTeams)
		}
		if d := teams[kind+"team"]; !d.Delivered {
			t.Errorf("record of stream %s not delivered to team %steam: %+v", o.StreamARN, kind, d)
		}
		if kind == "sqs" {
			if d := teams["broken"]; !d.DeadLettered || !strings.Contains(d.Where, "broken-failures-handler") {
				t.Errorf("the broken team's failing target: %+v, want the event in its DLQ", d)
			}
		}
	}
	if len(seenKinds) != 3 {
		t.Errorf("failure destinations seen %v, want sqs, sns and s3\n%s", seenKinds, text.String())
	}
	if len(rep.GoodLeaked) != 0 || len(rep.Misrouted) != 0 {
		t.Errorf("good records hydrated %v, misrouted %v", rep.GoodLeaked, rep.Misrouted)
	}
	if rep.OK {
		t.Errorf("the verdict passed although the broken team's target dead-lettered:\n%s", text.String())
	}
	if t.Failed() {
		t.Logf("report:\n%s", text.String())
	}
}

// Delivery aliases demo.Delivery for the map above.
type Delivery demo.Delivery

// A malformed message on the intake queue fails the hydrate function at every receive and,
// after the queue's maxReceiveCount (1 in the test stack), lands in the intake DLQ.
func TestMalformedFailureMessageEndsInIntakeDLQ(t *testing.T) {
	cfg, err := plan.LoadStackConfig("testdata", "intakedlq")
	if err != nil {
		t.Fatal(err)
	}
	c := deploy(t, cfg, nil)
	intake, ok := c.Find("aws:sqs/queue:Queue", "hydrant-intake")
	if !ok {
		t.Fatal("no intake queue in the deployment")
	}
	dlq, ok := c.Find("aws:sqs/queue:Queue", "hydrant-intake-dlq")
	if !ok {
		t.Fatal("no intake DLQ in the deployment")
	}
	q := c.Endpoints().SQSClient()
	ctx := context.Background()
	body := fmt.Sprintf(`{"malformed": "not a failure record", "at": %d}`, time.Now().UnixNano())
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(intake.ID), MessageBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq.ID), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if aws.ToString(m.Body) == body {
				return
			}
			t.Errorf("unexpected message in the intake DLQ: %s", aws.ToString(m.Body))
		}
	}
	t.Fatalf("the malformed message did not reach the intake DLQ %s within 45 s", dlq.Physical)
}

// SNS and Lambda team targets: a poison record's event reaches a topic (and the queue
// subscribed to it) and an in-process function outside the stack.
func TestSNSAndLambdaTargets(t *testing.T) {
	ctx := context.Background()
	e := emulators.Get(t)
	cfg, err := plan.LoadStackConfig("testdata", "targets")
	if err != nil {
		t.Fatal(err)
	}
	topicName := fmt.Sprintf("localcloud-test-orders-topic-%x", time.Now().UnixNano())
	cfg.Values["hydrant:teams"] = strings.ReplaceAll(cfg.Values["hydrant:teams"], ":localcloud-test-orders-topic"+`"`, ":"+topicName+`"`)
	if !strings.Contains(cfg.Values["hydrant:teams"], topicName) {
		t.Fatalf("testdata/Pulumi.targets.yaml names no topic localcloud-test-orders-topic: %s", cfg.Values["hydrant:teams"])
	}
	sn, sq := e.SNSClient(), e.SQSClient()
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(topicName)})
	if err != nil {
		t.Fatal(err)
	}
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(topicName + "-sub")})
	if err != nil {
		t.Fatal(err)
	}
	qarn := "arn:aws:sqs:us-east-1:000000000000:" + topicName + "-sub"
	if _, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qarn)}); err != nil {
		t.Fatal(err)
	}
	invoked := make(chan []byte, 16)
	c := deploy(t, cfg, map[string]localcloud.Function{
		"localcloud-test-orders-handler": func(_ context.Context, event []byte) ([]byte, error) {
			invoked <- event
			return nil, nil
		},
	})
	rep, err := demo.Run(ctx, c, demo.Options{KinesisGood: 9, KinesisPoison: 1, DynamoDBGood: 4, DynamoDBPoison: 1, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var orders demo.Outcome
	for _, o := range rep.Poison {
		if o.Source == "kinesis" {
			orders = o
		}
	}
	if orders.EventID == "" {
		t.Fatalf("the Kinesis poison record was not hydrated: %+v", rep)
	}
	select {
	case ev := <-invoked:
		if !strings.Contains(string(ev), orders.EventID) {
			t.Errorf("the Lambda target got %s, want event %s", ev, orders.EventID)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the Lambda target was not invoked")
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range out.Messages {
			found = found || strings.Contains(aws.ToString(m.Body), orders.EventID)
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the event did not reach the queue subscribed to the SNS target")
		}
	}
	select {
	case ev := <-invoked:
		t.Errorf("the Lambda target got a second event (the DynamoDB stream's?): %s", ev)
	default:
	}
}
