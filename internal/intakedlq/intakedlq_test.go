package intakedlq

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/hydrant-dev/hydrant/internal/intake"
)

const kinesisFailure = `{"requestContext":{"requestId":"r","functionArn":"arn:aws:lambda:us-east-1:123456789012:function:consumer","condition":"RetryAttemptsExhausted","approximateInvokeCount":3},
"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},"version":"1.0","timestamp":"2026-11-28T10:00:00.021Z",
"KinesisBatchInfo":{"shardId":"shardId-000000000000","startSequenceNumber":"1","endSequenceNumber":"2","approximateArrivalOfFirstRecord":"2026-11-28T09:59:58.835Z","approximateArrivalOfLastRecord":"2026-11-28T09:59:59.580Z","batchSize":2,"streamArn":"arn:aws:kinesis:us-east-1:123456789012:stream/orders"}}`

func str(s string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
}

func TestDescribe(t *testing.T) {
	failed := Describe(sqstypes.Message{MessageId: aws.String("m1"), Body: aws.String(kinesisFailure), Attributes: map[string]string{
		"SentTimestamp": "1796032800000", "ApproximateReceiveCount": "6", "DeadLetterQueueSourceArn": "arn:aws:sqs:us-east-1:123456789012:hydrant-intake",
	}})
	if failed.Refused() || failed.ReceiveCount != 6 || !failed.SentAt.Equal(time.UnixMilli(1796032800000)) ||
		failed.DeadLetterSource != "arn:aws:sqs:us-east-1:123456789012:hydrant-intake" ||
		len(failed.Names) != 1 || failed.Names[0] != "arn:aws:kinesis:us-east-1:123456789012:stream/orders" || failed.ParseError != "" {
		t.Errorf("a failed message: %+v", failed)
	}
	refused := Describe(sqstypes.Message{MessageId: aws.String("m2"), Body: aws.String(kinesisFailure), MessageAttributes: map[string]sqstypes.MessageAttributeValue{
		intake.AttrRefusal: str("sender-not-allowed"), intake.AttrRefusalDetail: str("sender AROAEXAMPLE:s is not a role configured"), intake.AttrSenderID: str("AROAEXAMPLE:s"),
	}})
	if !refused.Refused() || refused.Refusal != "sender-not-allowed" || refused.RefusalSenderID != "AROAEXAMPLE:s" || !strings.Contains(refused.RefusalDetail, "not a role") {
		t.Errorf("a refused message: %+v", refused)
	}
	junk := Describe(sqstypes.Message{MessageId: aws.String("m3"), Body: aws.String("not json")})
	if junk.ParseError == "" || junk.Names != nil || junk.Body != "not json" {
		t.Errorf("a body that is no failure record: %+v", junk)
	}
}

func TestSummary(t *testing.T) {
	s := Summarize([]Message{{}, {Refusal: "unknown-stream"}, {Refusal: "sender-not-allowed"}, {Refusal: "unknown-stream"}})
	if s.Total != 4 || s.Refused != 3 || s.Reasons["unknown-stream"] != 2 {
		t.Fatalf("summary %+v", s)
	}
	want := "4 messages: 1 failed (move them back once the cause is fixed), 3 refused (sender-not-allowed 1, unknown-stream 2; evidence, not work to redo)"
	if s.String() != want {
		t.Errorf("summary text %q, want %q", s.String(), want)
	}
	if got := Summarize(nil).String(); got != "0 messages: 0 failed (move them back once the cause is fixed), 0 refused" {
		t.Errorf("empty summary %q", got)
	}
}

// ours follows the task Move started: by its handle while RUNNING, then by its start time
// (AWS lists the handle only while the task runs).
func TestOursFollowsTheTaskAfterItsHandleGoes(t *testing.T) {
	var at int64
	running := []sqstypes.ListMessageMoveTasksResultEntry{{TaskHandle: aws.String("h"), StartedTimestamp: 42, Status: aws.String("RUNNING")}}
	if e, ok := ours(running, "h", &at); !ok || at != 42 || aws.ToString(e.Status) != "RUNNING" {
		t.Fatalf("running: %+v %v, at %d", e, ok, at)
	}
	done := []sqstypes.ListMessageMoveTasksResultEntry{{StartedTimestamp: 50, Status: aws.String("COMPLETED")}, {StartedTimestamp: 42, Status: aws.String("COMPLETED")}}
	if e, ok := ours(done, "h", &at); !ok || e.StartedTimestamp != 42 {
		t.Errorf("after: %+v %v, want the task started at 42", e, ok)
	}
	// Ended before it was first listed: the most recent task, which has no handle.
	at = 0
	if e, ok := ours(done, "h", &at); !ok || e.StartedTimestamp != 50 {
		t.Errorf("never seen running: %+v %v", e, ok)
	}
	// Someone else's task running: not ours.
	at = 0
	if _, ok := ours([]sqstypes.ListMessageMoveTasksResultEntry{{TaskHandle: aws.String("other"), StartedTimestamp: 60}}, "h", &at); ok {
		t.Error("another task's entry was taken for ours")
	}
}

func TestExplainStart(t *testing.T) {
	for msg, want := range map[string]string{
		"Source queue must be configured as a Dead Letter Queue.":                                                  "is not a dead-letter queue",
		"The resource that you specified for the DestinationArn parameter doesn't exist.":                          "the destination queue arn:d does not exist",
		"The resource that you specified for the SourceArn parameter doesn't exist.":                               "the DLQ arn:s does not exist",
		"There is already a task running. Only one active task is allowed for a source queue arn at a given time.": "already running on arn:s",
		"something else": "start a move task from arn:s to arn:d",
	} {
		err := explainStart("arn:s", "arn:d", &smithy.GenericAPIError{Code: "X", Message: msg})
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want it to say %q and keep the cause", msg, err, want)
		}
	}
	if err := explainStart("arn:s", "arn:d", errors.New("dial tcp: refused")); !strings.Contains(err.Error(), "start a move task") {
		t.Errorf("a network error: %v", err)
	}
}

func TestSameQueue(t *testing.T) {
	if !sameQueue("https://sqs.us-east-1.amazonaws.com/123456789012/hydrant-intake", "https://queue.amazonaws.com/123456789012/hydrant-intake/") {
		t.Error("one queue in two URL forms")
	}
	if sameQueue("https://sqs.us-east-1.amazonaws.com/123456789012/hydrant-intake", "https://sqs.us-east-1.amazonaws.com/210987654321/hydrant-intake") {
		t.Error("the same name in another account")
	}
}

func TestProgress(t *testing.T) {
	p := Progress{Status: "FAILED", Moved: 3, ToMove: 10, FailureReason: "AWS.SimpleQueueService.NonExistentQueue"}
	if p.String() != "FAILED: moved 3 of 10 (AWS.SimpleQueueService.NonExistentQueue)" || !p.Done() {
		t.Errorf("%q done=%v", p, p.Done())
	}
	if (Progress{Status: "CANCELLING"}).Done() || (Progress{Status: "RUNNING"}).Done() {
		t.Error("a task still running is not done")
	}
}
