package hydrantinfra_test

import (
	"reflect"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// teamStack is docs/deployment.md's example of a team subscribing from its own stack: the body of
// the team's pulumi.Run. Keep the two identical.
func teamStack(ctx *pulumi.Context) error {
	// Hydrant's stack exports the bus (same account).
	hydrant, err := pulumi.NewStackReference(ctx, "acme/hydrant/prod", nil)
	if err != nil {
		return err
	}
	busArn := hydrant.GetStringOutput(pulumi.String("busArn"))

	// The team's own queue; the subscription writes its policy (TLS only, this rule only).
	inbox, err := sqs.NewQueue(ctx, "billing-failures", &sqs.QueueArgs{
		SqsManagedSseEnabled:    pulumi.Bool(true),
		MessageRetentionSeconds: pulumi.Int(14 * 24 * 3600),
	})
	if err != nil {
		return err
	}

	sub, err := hydrantinfra.NewSubscription(ctx, "billing", &hydrantinfra.SubscriptionArgs{
		EventBusName: busArn,
		Streams: []hydrantinfra.StreamSelector{
			{ARN: pulumi.String("arn:aws:kinesis:eu-west-1:111122223333:stream/orders")},
			{ARN: pulumi.String("arn:aws:dynamodb:eu-west-1:111122223333:table/invoices/"), Prefix: true},
		},
		Targets: []hydrantinfra.Target{{
			Name:          "inbox",
			Kind:          hydrantinfra.TargetSQS,
			Arn:           inbox.Arn,
			QueueURL:      inbox.Url,
			RetryAttempts: pulumi.IntRef(20),
		}},
	})
	if err != nil {
		return err
	}
	ctx.Export("ruleArn", sub.RuleArn)
	ctx.Export("inboxDlqArns", sub.TargetDLQArns)
	return nil
}

func TestTeamStackSnippet(t *testing.T) {
	rec := plan.NewRecorder()
	rec.Account = "111122223333"
	rec.StackReferences = map[string]map[string]any{
		"acme/hydrant/prod": {"busArn": "arn:aws:events:eu-west-1:111122223333:event-bus/hydrant"},
	}
	if err := rec.Run("billing", "prod", nil, nil, teamStack); err != nil {
		t.Fatal(err)
	}
	p := rec.Plan()
	for _, v := range p.Check() {
		t.Error(v)
	}
	rule := find(t, p, typeRule, "billing-rule")
	if rule.Inputs["eventBusName"] != "arn:aws:events:eu-west-1:111122223333:event-bus/hydrant" {
		t.Errorf("rule bus %v, want the referenced bus ARN", rule.Inputs["eventBusName"])
	}
	want := `{"detail":{"streamArn":["arn:aws:kinesis:eu-west-1:111122223333:stream/orders",{"prefix":"arn:aws:dynamodb:eu-west-1:111122223333:table/invoices/"}]},"detail-type":["RecordHydrated","RecordHydrationFailed"],"source":["hydrant"]}`
	if rule.Inputs["eventPattern"] != want {
		t.Errorf("pattern %v", rule.Inputs["eventPattern"])
	}
	target := find(t, p, typeTarget, "billing-inbox")
	if target.Inputs["arn"] != "arn:aws:sqs:us-east-1:111122223333:billing-failures" || get(target.Inputs, "retryPolicy.maximumRetryAttempts") != 20.0 {
		t.Errorf("target %v", target.Inputs)
	}
	pol := statements(t, find(t, p, typeQueuePolicy, "billing-inbox-queue-policy").Inputs["policy"])
	if !reflect.DeepEqual(pol["AllowHydrantRule"].Condition["ArnEquals"]["aws:SourceArn"], []string{"arn:aws:events:us-east-1:111122223333:rule/hydrant/billing-rule"}) {
		t.Errorf("queue policy %v", pol)
	}
}

func TestStackReferenceUnknownOffline(t *testing.T) {
	err := plan.NewRecorder().Run("billing", "prod", nil, nil, teamStack)
	if err == nil {
		t.Fatal("a stack reference with unknown outputs must fail the plan")
	}
}
