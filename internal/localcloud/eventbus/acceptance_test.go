//go:build integration

package eventbus_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// TestScriptedEndpoint is the acceptance run against the endpoint that
// `scripts/emulators up` starts (`hydrant local eventbridge`, AWS_ENDPOINT_URL_EVENTBRIDGE),
// not an in-process one: an event reaches an SQS queue, and an unreachable target ends in its
// DLQ after its retry policy.
func TestScriptedEndpoint(t *testing.T) {
	e := emulators.Get(t)
	if e.EventBridge == "" {
		t.Fatal("AWS_ENDPOINT_URL_EVENTBRIDGE is not set: scripts/emulators up starts the local EventBridge endpoint and exports it")
	}
	h := newHarness(t) // for its queue helpers and unique names
	eb := e.EventBridgeClient()
	h.eb = eb
	ctx := h.ctx()

	bus, _ := h.bus("accept")
	qurl, qarn := h.queue("accept", nil)
	dlqURL, dlqARN := h.queue("accept-dlq", nil)
	conn, err := eb.CreateConnection(ctx, &eventbridge.CreateConnectionInput{
		Name: aws.String(h.name("conn")), AuthorizationType: ebtypes.ConnectionAuthorizationTypeBasic,
		AuthParameters: &ebtypes.CreateConnectionAuthRequestParameters{BasicAuthParameters: &ebtypes.CreateConnectionBasicAuthRequestParameters{Username: aws.String("u"), Password: aws.String("p")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	dest, err := eb.CreateApiDestination(ctx, &eventbridge.CreateApiDestinationInput{
		Name: aws.String(h.name("down")), ConnectionArn: conn.ConnectionArn, HttpMethod: ebtypes.ApiDestinationHttpMethodPost,
		InvocationEndpoint: aws.String("http://" + closedPort(t) + "/"),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.rule(bus, "r", `{"source":["hydrant"],"detail-type":["RecordHydrated"]}`)
	h.targets(bus, "r",
		ebtypes.Target{Id: aws.String("queue"), Arn: aws.String(qarn)},
		ebtypes.Target{Id: aws.String("down"), Arn: dest.ApiDestinationArn,
			RetryPolicy:      &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(1), MaximumEventAgeInSeconds: aws.Int32(60)},
			DeadLetterConfig: &ebtypes.DeadLetterConfig{Arn: aws.String(dlqARN)}},
	)
	out := h.put(entry(bus, "hydrant", "RecordHydrated", `{"streamArn":"arn:aws:kinesis:us-east-1:000000000000:stream/s"}`))
	id := aws.ToString(out.Entries[0].EventId)

	if ev := decodeEvent(t, aws.ToString(h.receive(qurl, 1)[0].Body)); ev.ID != id {
		t.Errorf("queue got event %s, want %s", ev.ID, id)
	}
	dead := h.receive(dlqURL, 1)[0]
	if ev := decodeEvent(t, aws.ToString(dead.Body)); ev.ID != id {
		t.Errorf("DLQ got event %s, want %s", ev.ID, id)
	}
	if attr(dead, "ERROR_CODE") != "SDK_CLIENT_ERROR" || attr(dead, "RETRY_ATTEMPTS") != "1" || attr(dead, "EXHAUSTED_RETRY_CONDITION") != "MaximumRetryAttempts" ||
		attr(dead, "TARGET_ARN") != aws.ToString(dest.ApiDestinationArn) {
		t.Errorf("DLQ attributes %v", dead.MessageAttributes)
	}
	h.empty(qurl)
}
