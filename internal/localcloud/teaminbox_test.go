//go:build integration

package localcloud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/hydrant-dev/hydrant/infra/stack"
	"github.com/hydrant-dev/hydrant/internal/localcloud"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// Two teams in "other accounts", each with an inbox whose only rule matches every Hydrant
// event: each inbox receives its own stream's events and none of the other team's, nor of a
// stream nobody subscribed.
func TestTeamInboxRuleMatchingEverythingGetsOnlyItsTeamsStreams(t *testing.T) {
	const (
		payStream = "arn:aws:kinesis:us-east-1:000000000000:stream/payments"
		crmStream = "arn:aws:dynamodb:us-east-1:000000000000:table/customers/stream/2026-01-01T00:00:00.000"
		other     = "arn:aws:kinesis:us-east-1:000000000000:stream/unsubscribed"
	)
	teams := fmt.Sprintf(`[
	 {"name":"payments","inbox":"arn:aws:events:us-east-1:222233334444:event-bus/payments-inbox","subscriptions":[{"name":"all","streams":[{"arn":%q}]}]},
	 {"name":"crm","inbox":"arn:aws:events:us-east-1:555566667777:event-bus/crm-inbox","subscriptions":[{"name":"all","streams":[{"arn":%q}]}]}]`, payStream, crmStream)
	cfg := &plan.StackConfig{Project: "hydrant", Stack: "teams", Values: map[string]string{"aws:region": "us-east-1", "hydrant:teams": teams}}
	ctx := context.Background()
	c, err := localcloud.Start(ctx, localcloud.Options{Endpoints: emulators.Get(t), TargetRetryBaseDelay: 10 * time.Millisecond})
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
	inboxes, err := c.DeployTeamInboxes(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(inboxes) != 2 || inboxes[0].Team != "payments" || inboxes[0].Account != "222233334444" || inboxes[0].Bus.Physical != "payments-inbox" ||
		!inboxes[0].Selects(payStream) || inboxes[0].Selects(crmStream) || inboxes[1].Team != "crm" || !inboxes[1].Selects(crmStream) || inboxes[1].Selects(other) {
		t.Fatalf("inboxes %+v", inboxes)
	}
	bus, ok := c.Find("aws:cloudwatch/eventBus:EventBus", "hydrant-bus")
	if !ok {
		t.Fatal("no central bus")
	}

	// Hydrant's events for the three streams, on the central bus.
	eb := c.Endpoints().EventBridgeClient()
	var entries []ebtypes.PutEventsRequestEntry
	for i, s := range []string{payStream, crmStream, other, payStream, crmStream} {
		detail, _ := json.Marshal(map[string]any{"streamArn": s, "n": i})
		entries = append(entries, ebtypes.PutEventsRequestEntry{EventBusName: aws.String(bus.Physical), Source: aws.String("hydrant"),
			DetailType: aws.String("RecordHydrated"), Resources: []string{s}, Detail: aws.String(string(detail))})
	}
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("put events: %v %+v", err, out)
	}

	sq := c.Endpoints().SQSClient()
	for team, want := range map[string]string{"payments": payStream, "crm": crmStream} {
		q, ok := c.Find("aws:sqs/queue:Queue", team+"-inbox-queue")
		if !ok {
			t.Fatalf("no inbox queue for %s", team)
		}
		u, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(q.Physical)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		deadline := time.Now().Add(30 * time.Second)
		for len(got) < 2 && time.Now().Before(deadline) {
			msgs, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: u.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs.Messages {
				var ev struct {
					Detail struct {
						StreamArn string `json:"streamArn"`
					} `json:"detail"`
				}
				if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
					t.Fatalf("%s inbox message %s: %v", team, aws.ToString(m.Body), err)
				}
				got = append(got, ev.Detail.StreamArn)
			}
		}
		// Look once more (a 1 s long poll): nothing else arrives.
		msgs, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: u.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs.Messages {
			got = append(got, aws.ToString(m.Body))
		}
		if len(got) != 2 || got[0] != want || got[1] != want {
			t.Errorf("team %s's inbox rule (matching every event) got %v, want its stream %s twice and nothing else", team, got, want)
		}
	}
}
