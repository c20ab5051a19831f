//go:build integration

package intake_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/intake"
	"github.com/hydrant-dev/hydrant/internal/localcloud/lambdaapi"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
	"github.com/hydrant-dev/hydrant/internal/trust"
)

// The role configured as the sender of stream A's failure records. SQS reports a role's
// messages with SenderId "<role unique ID>:<session>" (ReceiveMessage, AttributeNames:
// "For an IAM role, returns the IAM role ID, for example ABCDE1F2GH3I4JK5LMNOP:i-a123b456";
// recorded for a Lambda function's role as "AROAIL6GAI2XEC672SWG2:awslambda_39_20161007224708400",
// https://gist.github.com/bkruger99/4f9ab0f5a8e3aaf4aff0e506b8c3d81e).
const (
	roleA      = "AROAEXAMPLEROLEA0001"
	senderA    = roleA + ":awslambda_39_20261128100000000"
	mappingA   = "6b5b4a4e-0d3c-4c1a-9c55-1f2e3d4c5b6a" // failuretest.PutFailureObject's key prefix
	otherActor = "AROAEXAMPLEOTHER0002:i-0a1b2c3d4e5f67890"
)

// attackHarness is the hydrate function with an allow-list and a real intake DLQ on goaws.
type attackHarness struct {
	*harness
	dlqURL string
}

func newAttackHarness(t *testing.T, streams []trust.Stream) *attackHarness {
	t.Helper()
	q := emulatorsOf(t).SQSClient()
	out, err := q.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(failuretest.UniqueName("intake-dlq"))})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(streams)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{env: map[string]string{
		intake.EnvTrustedStreams: string(doc),
		intake.EnvIntakeDLQURL:   aws.ToString(out.QueueUrl),
	}})
	return &attackHarness{harness: h, dlqURL: aws.ToString(out.QueueUrl)}
}

// send hands one intake message to the handler as the intake queue's mapping does, with the
// SenderId SQS recorded for it.
func (h *attackHarness) send(body, senderID string) events.SQSEventResponse {
	h.t.Helper()
	m := events.SQSMessage{MessageId: "msg-0", Body: body, EventSource: "aws:sqs",
		Attributes: map[string]string{"ApproximateReceiveCount": "1", "SenderId": senderID}}
	resp, err := h.handler.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{m}})
	if err != nil {
		h.t.Fatalf("Handle: %v", err)
	}
	return resp
}

// refused checks that the message was not failed back (it is handled: moved), that the intake
// DLQ holds it, unchanged, with the reason, and that the refusal was counted.
func (h *attackHarness) refused(resp events.SQSEventResponse, body, reason string) sqstypes.Message {
	h.t.Helper()
	if len(resp.BatchItemFailures) != 0 {
		h.t.Errorf("a refused record was failed back to SQS (%v) instead of moved to the intake DLQ", resp.BatchItemFailures)
	}
	// A receive may come back empty although the message is there (SQS's receives sample its
	// servers; goaws under load too): receive with a wait, until one brings it or 10 s pass.
	var out *sqs.ReceiveMessageOutput
	for deadline := time.Now().Add(10 * time.Second); ; {
		var err error
		out, err = h.ep.SQSClient().ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(h.dlqURL), MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"}, WaitTimeSeconds: 1})
		if err != nil {
			h.t.Fatal(err)
		}
		if len(out.Messages) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(out.Messages) != 1 {
		h.t.Fatalf("intake DLQ holds %d messages, want the refused one", len(out.Messages))
	}
	m := out.Messages[0]
	if aws.ToString(m.Body) != body {
		h.t.Errorf("the DLQ message's body was changed:\n%s\nwant\n%s", aws.ToString(m.Body), body)
	}
	if got := attr(m, intake.AttrRefusal); got != reason {
		h.t.Errorf("refusal reason %q, want %q (detail %q)", got, reason, attr(m, intake.AttrRefusalDetail))
	}
	if attr(m, intake.AttrRefusalDetail) == "" {
		h.t.Error("the refusal carries no detail")
	}
	if !strings.Contains(h.metrics.String(), `"MessagesRefused":1`) {
		h.t.Errorf("MessagesRefused was not counted (the alarm watches it): %s", h.metrics.String())
	}
	return m
}

func attr(m sqstypes.Message, name string) string {
	return aws.ToString(m.MessageAttributes[name].StringValue)
}

// TestAttackForgedStreamIsRefused: the sender allowed for stream A makes up a failure record
// for stream B (a real stream with real records, another team's). Nothing of B is published;
// the record waits in the intake DLQ with its reason.
func TestAttackForgedStreamIsRefused(t *testing.T) {
	a := failuretest.PutKinesis(t, emulatorsOf(t), [][]byte{[]byte(`{"team":"a"}`)})
	b := failuretest.PutKinesis(t, emulatorsOf(t), [][]byte{[]byte(`{"team":"b","secret":true}`)})
	h := newAttackHarness(t, []trust.Stream{{StreamARN: a.StreamARN, Destinations: []failureDest{"sqs"}, SenderRoleIDs: []string{roleA}}})
	body := b.FailureJSON(0, 0)
	h.refused(h.send(body, senderA), body, trust.RefusedUnknownStream)
	if got := failuretest.ForStream(h.drain(), b.StreamARN); len(got) != 0 {
		t.Fatalf("%d events of stream B were published from a forged record", len(got))
	}
}

// TestAttackSQSSenderNotAllowed: a principal other than stream A's consumer role sends a
// well-formed failure record for A to the intake queue. SQS stamps its SenderId; the record is
// refused. The same record from A's role (positive control) is hydrated.
func TestAttackSQSSenderNotAllowed(t *testing.T) {
	a := failuretest.PutKinesis(t, emulatorsOf(t), [][]byte{[]byte(`{"n":1}`)})
	h := newAttackHarness(t, []trust.Stream{{StreamARN: a.StreamARN, Destinations: []failureDest{"sqs"}, SenderRoleIDs: []string{roleA}}})
	body := a.FailureJSON(0, 0)
	h.refused(h.send(body, otherActor), body, trust.RefusedSender)
	if resp := h.send(body, senderA); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the configured sender's record was not hydrated: %v", resp.BatchItemFailures)
	}
	if got := failuretest.ForStream(h.drain(), a.StreamARN); len(got) != 1 {
		t.Fatalf("%d events of stream A, want exactly the one of the configured sender's record", len(got))
	}
}

// TestAttackSQSSenderIdFromGoaws: the SenderId is SQS's, not the body's: a message received
// from goaws (which stamps every message with its account, 000000000000, having no IAM) is
// not from stream A's role and is refused.
func TestAttackSQSSenderIdFromGoaws(t *testing.T) {
	a := failuretest.PutKinesis(t, emulatorsOf(t), [][]byte{[]byte(`{"n":1}`)})
	h := newAttackHarness(t, []trust.Stream{{StreamARN: a.StreamARN, Destinations: []failureDest{"sqs"}, SenderRoleIDs: []string{roleA}}})
	ctx := context.Background()
	q := h.ep.SQSClient()
	in, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(failuretest.UniqueName("intake"))})
	if err != nil {
		t.Fatal(err)
	}
	body := a.FailureJSON(0, 0)
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: in.QueueUrl, MessageBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
	out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: in.QueueUrl, MaxNumberOfMessages: 1,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameSenderId}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive: %v, %d messages", err, len(out.Messages))
	}
	sender := out.Messages[0].Attributes["SenderId"]
	if sender == "" {
		t.Fatal("goaws returned no SenderId")
	}
	h.refused(h.send(aws.ToString(out.Messages[0].Body), sender), body, trust.RefusedSender)
	if got := failuretest.ForStream(h.drain(), a.StreamARN); len(got) != 0 {
		t.Fatalf("%d events published from a message its configured role did not send", len(got))
	}
}

// TestAttackWrongDestination: stream A's failures go to the failure bucket (payload included,
// key per mapping); a record for A sent to the intake queue instead comes through a path A
// does not use, and is refused.
func TestAttackWrongDestination(t *testing.T) {
	a := failuretest.PutKinesis(t, emulatorsOf(t), [][]byte{[]byte(`{"n":1}`)})
	h := newAttackHarness(t, []trust.Stream{{StreamARN: a.StreamARN, Destinations: []failureDest{"s3"}, MappingIDs: []string{mappingA}}})
	body := a.FailureJSON(0, 0)
	h.refused(h.send(body, senderA), body, trust.RefusedWrongPath)
	if got := failuretest.ForStream(h.drain(), a.StreamARN); len(got) != 0 {
		t.Fatalf("%d events published", len(got))
	}
}

// TestAttackS3KeyOfAnotherMapping: an object in the failure bucket for stream A, under a key
// that names another event source mapping than A's (a consumer role writing outside its own
// prefix, had the bucket policy let it), is refused; under A's mapping prefix it is hydrated.
func TestAttackS3KeyOfAnotherMapping(t *testing.T) {
	a := failuretest.PutKinesis(t, emulatorsOf(t), [][]byte{[]byte(`{"n":1}`)})
	object := a.S3ObjectJSON(t, 0, 0)
	notification := failuretest.PutFailureObject(t, emulatorsOf(t), a.ShardID, object) // under aws/lambda/<mappingA>/
	serveMappings(t, lambdaapi.Mapping{UUID: mappingA, EventSourceArn: a.StreamARN, DestinationConfig: onFailureTo(bucketOf(t, notification))})

	other := newAttackHarness(t, []trust.Stream{{StreamARN: a.StreamARN, Destinations: []failureDest{"s3"}, MappingIDs: []string{"0f0f0f0f-1111-4222-8333-444455556666"}}})
	other.refused(other.send(notification, "AIDAS3SERVICEEXAMPLE"), notification, trust.RefusedKeyPrefix)
	if got := failuretest.ForStream(other.drain(), a.StreamARN); len(got) != 0 {
		t.Fatalf("%d events published from an object outside the mapping's prefix", len(got))
	}

	own := newAttackHarness(t, []trust.Stream{{StreamARN: a.StreamARN, Destinations: []failureDest{"s3"}, MappingIDs: []string{mappingA}}})
	if resp := own.send(notification, "AIDAS3SERVICEEXAMPLE"); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the mapping's own object was not hydrated: %v", resp.BatchItemFailures)
	}
	if got := failuretest.ForStream(own.drain(), a.StreamARN); len(got) != 1 {
		t.Fatalf("%d events, want 1", len(got))
	}
}

// TestAttackS3ObjectClaimingAnotherStream (issue 9, item 6, the S3 path): stream A's consumer
// role may write under its own mapping's prefix only (the failure bucket's policy), so a
// forged object it writes there names mapping A in its key. Its record claiming stream B, a
// stream whose destination is also S3, is refused: mapping A reads A, not B. So is an
// object under a mapping that does not exist, and one whose mapping writes to another
// bucket. Nothing of B is published; each object waits in the intake DLQ with its reason.
func TestAttackS3ObjectClaimingAnotherStream(t *testing.T) {
	a := failuretest.PutKinesis(t, emulatorsOf(t), [][]byte{[]byte(`{"n":1}`)})
	b := failuretest.PutKinesis(t, emulatorsOf(t), [][]byte{[]byte(`{"team":"b","secret":true}`)})
	streams := []trust.Stream{
		{StreamARN: a.StreamARN, Destinations: []failureDest{"s3"}},
		{StreamARN: b.StreamARN, Destinations: []failureDest{"s3"}},
	}

	// A forged record for B, with B's real sequence numbers, under mapping A's prefix.
	forged := failuretest.PutFailureObject(t, emulatorsOf(t), b.ShardID, b.S3ObjectJSON(t, 0, 0))
	serveMappings(t, lambdaapi.Mapping{UUID: mappingA, EventSourceArn: a.StreamARN, DestinationConfig: onFailureTo(bucketOf(t, forged))})
	h := newAttackHarness(t, streams)
	h.refused(h.send(forged, "AIDAS3SERVICEEXAMPLE"), forged, trust.RefusedMapping)
	if got := failuretest.ForStream(h.drain(), b.StreamARN); len(got) != 0 {
		t.Fatalf("%d events of stream B published from an object mapping A wrote", len(got))
	}

	// Under a mapping that does not exist.
	serveMappings(t)
	h = newAttackHarness(t, streams)
	h.refused(h.send(forged, "AIDAS3SERVICEEXAMPLE"), forged, trust.RefusedMapping)

	// A's own record, but its mapping sends failures to another bucket.
	own := failuretest.PutFailureObject(t, emulatorsOf(t), a.ShardID, a.S3ObjectJSON(t, 0, 0))
	serveMappings(t, lambdaapi.Mapping{UUID: mappingA, EventSourceArn: a.StreamARN, DestinationConfig: onFailureTo("some-other-bucket")})
	h = newAttackHarness(t, streams)
	h.refused(h.send(own, "AIDAS3SERVICEEXAMPLE"), own, trust.RefusedMapping)

	// The genuine object: A's mapping, A's record, the bucket A's mapping writes to.
	serveMappings(t, lambdaapi.Mapping{UUID: mappingA, EventSourceArn: a.StreamARN, DestinationConfig: onFailureTo(bucketOf(t, own))})
	h = newAttackHarness(t, streams)
	if resp := h.send(own, "AIDAS3SERVICEEXAMPLE"); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("A's genuine object was not hydrated: %v", resp.BatchItemFailures)
	}
	if got := failuretest.ForStream(h.drain(), a.StreamARN); len(got) != 1 {
		t.Fatalf("%d events of A, want 1", len(got))
	}
}

// serveMappings points the function's Lambda client (AWS_ENDPOINT_URL_LAMBDA) at the local
// cloud's Lambda API serving these event source mappings.
func serveMappings(t *testing.T, ms ...lambdaapi.Mapping) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", failuretest.ServeMappings(t, ms...))
}

func onFailureTo(bucket string) *lambdaapi.DestinationConfig {
	return &lambdaapi.DestinationConfig{OnFailure: &lambdaapi.OnFailure{Destination: "arn:aws:s3:::" + bucket}}
}

// bucketOf is the bucket an S3 event notification names.
func bucketOf(t *testing.T, notification string) string {
	t.Helper()
	var n events.S3Event
	if err := json.Unmarshal([]byte(notification), &n); err != nil || len(n.Records) == 0 {
		t.Fatalf("not an S3 notification: %v", err)
	}
	return n.Records[0].S3.Bucket.Name
}

// A refused record moved back to the intake queue (hydrant intake-dlq move --include-refused)
// and refused again keeps the sender of its first refusal in HydrantSenderId: the evidence of
// who made it up is not replaced by whoever moved it.
func TestRefusedAgainKeepsTheFirstSender(t *testing.T) {
	a := failuretest.PutKinesis(t, emulatorsOf(t), [][]byte{[]byte(`{"n":1}`)})
	b := failuretest.PutKinesis(t, emulatorsOf(t), [][]byte{[]byte(`{"n":2}`)})
	h := newAttackHarness(t, []trust.Stream{{StreamARN: a.StreamARN, Destinations: []failureDest{"sqs"}, SenderRoleIDs: []string{roleA}}})
	body := b.FailureJSON(0, 0)
	m := events.SQSMessage{MessageId: "msg-0", Body: body, EventSource: "aws:sqs",
		Attributes: map[string]string{"ApproximateReceiveCount": "1", "SenderId": "AROAEXAMPLEMOVER0003:operator"},
		MessageAttributes: map[string]events.SQSMessageAttribute{
			intake.AttrRefusal:  {DataType: "String", StringValue: aws.String(trust.RefusedUnknownStream)},
			intake.AttrSenderID: {DataType: "String", StringValue: aws.String(otherActor)},
		}}
	resp, err := h.handler.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{m}})
	if err != nil {
		t.Fatal(err)
	}
	got := h.refused(resp, body, trust.RefusedUnknownStream)
	if sender := attr(got, intake.AttrSenderID); sender != otherActor {
		t.Errorf("%s = %q after a second refusal, want the first sender %q", intake.AttrSenderID, sender, otherActor)
	}
}

// TestAttackSNSAdmitsOnlyConfiguredStreams: SNS deliveries do not identify the publisher (the
// SQS sender is SNS; the envelope names only the topic), so on this path the allow-list is
// the check: a record for an unconfigured stream is refused. A record for a configured stream
// from any publisher the topic admits is the path's residual risk (docs/failure-handling.md).
func TestAttackSNSAdmitsOnlyConfiguredStreams(t *testing.T) {
	a := failuretest.PutKinesis(t, emulatorsOf(t), [][]byte{[]byte(`{"n":1}`)})
	b := failuretest.PutKinesis(t, emulatorsOf(t), [][]byte{[]byte(`{"n":2}`)})
	h := newAttackHarness(t, []trust.Stream{{StreamARN: a.StreamARN, Destinations: []failureDest{"sns"}}})
	body := failuretest.SNSEnvelope(b.FailureJSON(0, 0))
	h.refused(h.send(body, "AIDASNSSERVICEEXAMPLE"), body, trust.RefusedUnknownStream)
	if got := failuretest.ForStream(h.drain(), b.StreamARN); len(got) != 0 {
		t.Fatalf("%d events published", len(got))
	}
}

type failureDest = failure.Destination

func emulatorsOf(t *testing.T) emulators.Endpoints { return emulators.Get(t) }
