package streams

import (
	"errors"
	"strings"

	"github.com/aws/smithy-go"
)

// Handling is what a read does about an AWS error.
type Handling int

const (
	// FailMessage: the read stops and returns the error. The hydrate function reports the
	// intake message as a batch item failure: SQS redelivers it and, after the queue's
	// maxReceiveCount, moves it to the intake DLQ, whose alarm fires. The records are still in
	// the stream; once the cause is fixed (a policy, a key) an operator redrives the message.
	// Every error the table does not name is handled so.
	FailMessage Handling = iota
	// RetryThrottled: the stream throttled the read; NewRetryer retries it with backoff (and
	// CountThrottles counts it), then FailMessage.
	RetryThrottled
	// Retry: a server-side failure; the SDK retryer retries it (HTTP 5xx), then FailMessage.
	Retry
	// Reacquire: the shard iterator expired; a new one is taken just after the last record read.
	Reacquire
	// FromTrimHorizon: the position is older than the shard's retention. Reading goes on from
	// TRIM_HORIZON, and the part of the range passed over is reported gone (ReasonTrimmed).
	FromTrimHorizon
	// Gone: the rest of the range can never be read; it is reported as RecordHydrationFailed
	// with the rule's Reason.
	Gone
)

func (h Handling) String() string {
	switch h {
	case RetryThrottled:
		return "retried (throttled), then failed back to SQS"
	case Retry:
		return "retried, then failed back to SQS"
	case Reacquire:
		return "new iterator after the last record read"
	case FromTrimHorizon:
		return "read on from TRIM_HORIZON; the part passed over is reported gone (trimmed)"
	case Gone:
		return "reported gone (RecordHydrationFailed)"
	default:
		return "failed back to SQS (batch item failure, then the intake DLQ)"
	}
}

// Services an ErrorRule applies to.
const (
	ServiceKinesis         = "kinesis"
	ServiceDynamoDBStreams = "dynamodbstreams"
)

// ErrorRule is one row of the error classification: an AWS error code of a stream read
// (GetShardIterator or GetRecords), optionally narrowed by words of its message, and its
// handling.
type ErrorRule struct {
	Service string
	Code    string
	// MessageHas narrows the rule to errors whose message contains one of these words
	// (case-insensitive); empty matches any message.
	MessageHas []string
	Handling   Handling
	Reason     string // the RecordHydrationFailed reason, for Gone
	Why        string
}

// errorRules is the one classification of read errors; the first matching row wins, and an
// error no row matches is FailMessage. Only what really is gone (trimmed data, a deleted
// stream, table or shard, an expired iterator whose position has aged past retention: Reacquire
// then FromTrimHorizon) becomes a RecordHydrationFailed: access refused by IAM or KMS, and a
// KMS key that is disabled, deleted or pending, are configuration to fix while the data waits
// in the stream, so they fail the message back to SQS.
//
// The codes are those the operations declare in the AWS API references and in the models of
// aws-sdk-go-v2 (service/kinesis v1.56.13 and service/dynamodbstreams v1.47.0,
// types/errors.go):
//   - Kinesis GetRecords: ExpiredIteratorException, InvalidArgumentException,
//     KMSAccessDeniedException, KMSDisabledException, KMSInvalidStateException,
//     KMSNotFoundException, KMSOptInRequired, KMSThrottlingException,
//     ProvisionedThroughputExceededException, ResourceNotFoundException, AccessDeniedException,
//     InternalFailureException (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html).
//   - Kinesis GetShardIterator: AccessDeniedException, InternalFailureException,
//     InvalidArgumentException, ProvisionedThroughputExceededException, ResourceNotFoundException
//     (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html).
//   - DynamoDB Streams GetRecords and GetShardIterator: ExpiredIteratorException (GetRecords),
//     InternalServerError, LimitExceededException (GetRecords), ResourceNotFoundException,
//     TrimmedDataAccessException, plus the common AccessDeniedException and ThrottlingException
//     (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html,
//     .../API_streams_GetShardIterator.html, .../CommonErrors.html).
//
// Recorded behaviour: a consumer without kms:Decrypt gets HTTP 400 KMSAccessDeniedException
// "User … is not authorized to decrypt records in stream …" from GetRecords (AWS SDK for Java
// trace, https://pastebin.com/rjGHwaw8); a trimmed StartingSequenceNumber is refused with
// InvalidArgumentException naming it (harlow/kinesis-consumer PR #175, issue #98).
var errorRules = []ErrorRule{
	{Service: ServiceKinesis, Code: "ProvisionedThroughputExceededException", Handling: RetryThrottled, Why: "the shard's 5 reads/s or 2 MB/s, shared with the consumer's ESM"},
	{Service: ServiceKinesis, Code: "KMSThrottlingException", Handling: RetryThrottled, Why: "KMS decrypt rate of an SSE-KMS stream"},
	{Service: ServiceKinesis, Code: "InternalFailureException", Handling: Retry, Why: "server-side failure (HTTP 500)"},
	{Service: ServiceKinesis, Code: "ExpiredIteratorException", Handling: Reacquire, Why: "an iterator lives 5 minutes"},
	{Service: ServiceKinesis, Code: "InvalidArgumentException", MessageHas: []string{"sequencenumber", "sequence number"}, Handling: FromTrimHorizon, Why: "AWS refuses a trimmed StartingSequenceNumber so"},
	{Service: ServiceKinesis, Code: "InvalidArgumentException", Handling: FailMessage, Why: "a request Hydrant should not have made: a bug or a forged record, kept for an operator"},
	{Service: ServiceKinesis, Code: "ResourceNotFoundException", MessageHas: []string{"sequencenumber", "sequence number"}, Handling: FromTrimHorizon, Why: "kinesis-local's answer for an unknown sequence number; TRIM_HORIZON tells trimmed from unknown"},
	{Service: ServiceKinesis, Code: "ResourceNotFoundException", MessageHas: []string{"shard"}, Handling: Gone, Reason: ReasonShardNotFound, Why: "the shard expired after resharding"},
	{Service: ServiceKinesis, Code: "ResourceNotFoundException", Handling: Gone, Reason: ReasonStreamNotFound, Why: "the stream was deleted"},
	{Service: ServiceKinesis, Code: "AccessDeniedException", Handling: FailMessage, Why: "IAM refused the read: fix the policy, then redrive"},
	{Service: ServiceKinesis, Code: "KMSAccessDeniedException", Handling: FailMessage, Why: "no kms:Decrypt on the stream's key: fix the key policy, then redrive"},
	{Service: ServiceKinesis, Code: "KMSDisabledException", Handling: FailMessage, Why: "the stream's key is disabled: enable it, then redrive"},
	{Service: ServiceKinesis, Code: "KMSInvalidStateException", Handling: FailMessage, Why: "the key is pending import or deletion (deletion can be cancelled)"},
	{Service: ServiceKinesis, Code: "KMSNotFoundException", Handling: FailMessage, Why: "the key is not found: a wrong key ARN or Region, to fix"},
	{Service: ServiceKinesis, Code: "KMSOptInRequired", Handling: FailMessage, Why: "the account needs a KMS subscription"},

	{Service: ServiceDynamoDBStreams, Code: "LimitExceededException", Handling: RetryThrottled, Why: "more than 2 readers on the shard, the ESM being one"},
	{Service: ServiceDynamoDBStreams, Code: "ThrottlingException", Handling: RetryThrottled, Why: "request rate"},
	{Service: ServiceDynamoDBStreams, Code: "InternalServerError", Handling: Retry, Why: "server-side failure (HTTP 500)"},
	{Service: ServiceDynamoDBStreams, Code: "ExpiredIteratorException", Handling: Reacquire, Why: "an iterator lives 15 minutes"},
	{Service: ServiceDynamoDBStreams, Code: "TrimmedDataAccessException", Handling: FromTrimHorizon, Why: "older than the stream's 24 hours"},
	{Service: ServiceDynamoDBStreams, Code: "ResourceNotFoundException", MessageHas: []string{"shard"}, Handling: Gone, Reason: ReasonShardNotFound, Why: "the shard expired"},
	{Service: ServiceDynamoDBStreams, Code: "ResourceNotFoundException", Handling: Gone, Reason: ReasonStreamNotFound, Why: "the table or its stream was deleted"},
	{Service: ServiceDynamoDBStreams, Code: "AccessDeniedException", Handling: FailMessage, Why: "IAM (or the table's KMS key) refused the read: fix the policy, then redrive"},
}

// ErrorRules returns the classification of read errors, in the order it is applied.
func ErrorRules() []ErrorRule {
	out := make([]ErrorRule, len(errorRules))
	copy(out, errorRules)
	return out
}

// Classify returns the rule for an error of a read from service, and false when no rule
// names it (it is then handled as FailMessage).
func Classify(service string, err error) (ErrorRule, bool) {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return ErrorRule{Service: service, Handling: FailMessage}, false
	}
	msg := strings.ToLower(ae.ErrorMessage())
	for _, r := range errorRules {
		if r.Service != service || r.Code != ae.ErrorCode() {
			continue
		}
		if len(r.MessageHas) > 0 && !containsAny(msg, r.MessageHas) {
			continue
		}
		return r, true
	}
	return ErrorRule{Service: service, Code: ae.ErrorCode(), Handling: FailMessage}, false
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// codesHandled returns the codes, over both services, whose rules have handling h.
func codesHandled(h Handling) map[string]struct{} {
	out := map[string]struct{}{}
	for _, r := range errorRules {
		if r.Handling == h {
			out[r.Code] = struct{}{}
		}
	}
	return out
}

// readKind maps a rule onto what the read loop does.
func readKind(service string, err error) (errKind, string) {
	r, _ := Classify(service, err)
	switch r.Handling {
	case Reacquire:
		return errExpired, ""
	case FromTrimHorizon:
		return errPositionGone, ""
	case Gone:
		return errUnreadable, r.Reason
	default:
		// Retried ones have been retried by the time the loop sees them.
		return errOther, ""
	}
}
