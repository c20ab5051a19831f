package streams_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"

	"github.com/hydrant-dev/hydrant/internal/backoff"
	"github.com/hydrant-dev/hydrant/internal/streams"
)

// scriptedKinesis serves the shortSeqShard records but answers
// GetShardIterator with iterErr, and GetRecords calls after the first
// recordsOK ones with recordsErr.
type scriptedKinesis struct {
	shortSeqShard
	iterErr    error
	recordsErr error
	recordsOK  int
	calls      *int
}

func (s scriptedKinesis) GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, o ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	if s.iterErr != nil {
		return nil, s.iterErr
	}
	return s.shortSeqShard.GetShardIterator(ctx, in, o...)
}

func (s scriptedKinesis) GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, o ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	*s.calls++
	if s.recordsErr != nil && *s.calls > s.recordsOK {
		return nil, s.recordsErr
	}
	return s.shortSeqShard.GetRecords(ctx, in, o...)
}

// scriptedDynamoDB answers GetShardIterator with err.
type scriptedDynamoDB struct{ err error }

func (s scriptedDynamoDB) GetShardIterator(context.Context, *dynamodbstreams.GetShardIteratorInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	return nil, s.err
}

func (s scriptedDynamoDB) GetRecords(context.Context, *dynamodbstreams.GetRecordsInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	return nil, errors.New("not called")
}

func apiErr(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

func TestUnreadableReasons(t *testing.T) {
	seqs := []string{"100", "101", "102", "103", "104", "105", "106", "107"}
	rng := streams.Range{StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/s", ShardID: "shardId-000000000001", StartSequenceNumber: "101", EndSequenceNumber: "106", BatchSize: 6}
	for _, tc := range []struct {
		name       string
		iterErr    error
		recordsErr error
		recordsOK  int
		wantReason string
		wantFrom   string
		wantCount  int
		wantRead   int
	}{
		{name: "stream deleted", iterErr: apiErr("ResourceNotFoundException", "Stream s under account 123456789012 not found."), wantReason: streams.ReasonStreamNotFound, wantFrom: "101", wantCount: 6},
		{name: "shard unknown", iterErr: apiErr("ResourceNotFoundException", "Shard shardId-000000000001 in stream s under account 123456789012 does not exist"), wantReason: streams.ReasonShardNotFound, wantFrom: "101", wantCount: 6},
		{name: "stream deleted mid-read", recordsErr: apiErr("ResourceNotFoundException", "Stream s under account 123456789012 not found."), recordsOK: 2, wantReason: streams.ReasonStreamNotFound, wantFrom: "105", wantCount: 2, wantRead: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			api := scriptedKinesis{shortSeqShard: shortSeqShard{seqs: seqs}, iterErr: tc.iterErr, recordsErr: tc.recordsErr, recordsOK: tc.recordsOK, calls: &calls}
			got, rep := collect(t, streams.NewKinesisReader(api, streams.Options{PageLimit: 2, Logger: testLogger(t)}), rng)
			if len(got) != tc.wantRead {
				t.Fatalf("read %d records, want %d", len(got), tc.wantRead)
			}
			assertMissing(t, rep, streams.Missing{ShardID: rng.ShardID, StartSequenceNumber: tc.wantFrom, EndSequenceNumber: "106", Count: tc.wantCount, Reason: tc.wantReason, Detail: errorCode(tc.iterErr, tc.recordsErr)})
		})
	}

	t.Run("other errors are returned", func(t *testing.T) {
		calls := 0
		api := scriptedKinesis{shortSeqShard: shortSeqShard{seqs: seqs}, iterErr: apiErr("InvalidArgumentException", "Invalid ShardId"), calls: &calls}
		_, err := streams.NewKinesisReader(api, streams.Options{Logger: testLogger(t)}).Read(context.Background(), rng, func(streams.Record) error { return nil })
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidArgumentException" {
			t.Fatalf("err = %v, want the InvalidArgumentException", err)
		}
	})

	t.Run("dynamodb", func(t *testing.T) {
		r := streams.Range{StreamARN: "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2026-11-28T19:10:56.474", ShardID: "shardId-00000001795893056493-973c0bbd", StartSequenceNumber: "000000000000000000007", EndSequenceNumber: "000000000000000000009", BatchSize: 3}
		_, rep := collect(t, streams.NewDynamoDBReader(scriptedDynamoDB{apiErr("ResourceNotFoundException", "Requested resource not found: Stream: "+r.StreamARN+" not found")}, streams.Options{Logger: testLogger(t)}), r)
		assertMissing(t, rep, streams.Missing{ShardID: r.ShardID, StartSequenceNumber: r.StartSequenceNumber, EndSequenceNumber: r.EndSequenceNumber, Count: 3, Reason: streams.ReasonStreamNotFound, Detail: "ResourceNotFoundException"})
	})
}

// TestAccessRefusedIsNotGone: IAM and KMS refusals are configuration to fix while the records
// wait in the stream. The read returns the error (the message fails back to SQS) instead of
// reporting the range Missing, which would delete the message and publish RecordHydrationFailed.
func TestAccessRefusedIsNotGone(t *testing.T) {
	seqs := []string{"100", "101", "102", "103", "104", "105", "106", "107"}
	rng := streams.Range{StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/s", ShardID: "shardId-000000000001", StartSequenceNumber: "101", EndSequenceNumber: "106", BatchSize: 6}
	for _, code := range []string{"AccessDeniedException", "KMSAccessDeniedException", "KMSDisabledException", "KMSInvalidStateException", "KMSNotFoundException", "KMSOptInRequired"} {
		for _, tc := range []struct {
			name      string
			iter      bool
			recordsOK int
		}{{"at GetShardIterator", true, 0}, {"mid-read", false, 1}} {
			t.Run(code+" "+tc.name, func(t *testing.T) {
				calls := 0
				api := scriptedKinesis{shortSeqShard: shortSeqShard{seqs: seqs}, calls: &calls, recordsOK: tc.recordsOK}
				if tc.iter {
					api.iterErr = apiErr(code, "refused")
				} else {
					api.recordsErr = apiErr(code, "refused")
				}
				rep, err := streams.NewKinesisReader(api, streams.Options{PageLimit: 2, Retryer: streams.NewRetryer(backoff.Exponential{Base: time.Millisecond, Max: 10 * time.Millisecond}, 2), Logger: testLogger(t)}).Read(context.Background(), rng, func(streams.Record) error { return nil })
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != code {
					t.Fatalf("err = %v, want the %s returned", err, code)
				}
				if len(rep.Missing) != 0 {
					t.Fatalf("refused read reported as missing: %+v", rep.Missing)
				}
			})
		}
	}
	t.Run("dynamodb AccessDeniedException", func(t *testing.T) {
		r := streams.Range{StreamARN: "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2026-11-28T19:10:56.474", ShardID: "shardId-00000001795893056493-973c0bbd", StartSequenceNumber: "000000000000000000007", EndSequenceNumber: "000000000000000000009", BatchSize: 3}
		rep, err := streams.NewDynamoDBReader(scriptedDynamoDB{apiErr("AccessDeniedException", "User is not authorized to perform: dynamodb:GetShardIterator")}, streams.Options{Logger: testLogger(t)}).Read(context.Background(), r, func(streams.Record) error { return nil })
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || len(rep.Missing) != 0 {
			t.Fatalf("err = %v, missing %+v; want the AccessDeniedException and nothing missing", err, rep.Missing)
		}
	})
}

// TestErrorRules checks the classification table itself: the refusals the issue names fail
// the message, only gone data is reported gone, and each row is reachable (no earlier row of
// the same code without a message condition shadows it).
func TestErrorRules(t *testing.T) {
	rules := streams.ErrorRules()
	for _, tc := range []struct {
		service, code, msg string
		want               streams.Handling
		reason             string
	}{
		{streams.ServiceKinesis, "AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/hydrate/fn is not authorized to perform: kinesis:GetRecords", streams.FailMessage, ""},
		{streams.ServiceKinesis, "KMSAccessDeniedException", "User X is not authorized to decrypt records in stream 123456789012:s:1", streams.FailMessage, ""},
		{streams.ServiceKinesis, "KMSDisabledException", "", streams.FailMessage, ""},
		{streams.ServiceKinesis, "KMSNotFoundException", "", streams.FailMessage, ""},
		{streams.ServiceKinesis, "KMSInvalidStateException", "", streams.FailMessage, ""},
		{streams.ServiceKinesis, "KMSOptInRequired", "", streams.FailMessage, ""},
		{streams.ServiceKinesis, "KMSThrottlingException", "", streams.RetryThrottled, ""},
		{streams.ServiceKinesis, "ProvisionedThroughputExceededException", "", streams.RetryThrottled, ""},
		{streams.ServiceKinesis, "ExpiredIteratorException", "Iterator expired.", streams.Reacquire, ""},
		{streams.ServiceKinesis, "InvalidArgumentException", "StartingSequenceNumber 49 used in GetShardIterator on shard s in stream n under account a is invalid.", streams.FromTrimHorizon, ""},
		{streams.ServiceKinesis, "InvalidArgumentException", "Invalid ShardId", streams.FailMessage, ""},
		{streams.ServiceKinesis, "ResourceNotFoundException", "Stream s under account 123456789012 not found.", streams.Gone, streams.ReasonStreamNotFound},
		{streams.ServiceKinesis, "ResourceNotFoundException", "Shard shardId-000000000001 in stream s under account 123456789012 does not exist", streams.Gone, streams.ReasonShardNotFound},
		{streams.ServiceKinesis, "UnrecognizedClientException", "The security token included in the request is invalid.", streams.FailMessage, ""},
		{streams.ServiceDynamoDBStreams, "AccessDeniedException", "", streams.FailMessage, ""},
		{streams.ServiceDynamoDBStreams, "TrimmedDataAccessException", "", streams.FromTrimHorizon, ""},
		{streams.ServiceDynamoDBStreams, "ResourceNotFoundException", "Requested resource not found: Stream: arn not found", streams.Gone, streams.ReasonStreamNotFound},
		{streams.ServiceDynamoDBStreams, "LimitExceededException", "", streams.RetryThrottled, ""},
		{streams.ServiceDynamoDBStreams, "KMSAccessDeniedException", "", streams.FailMessage, ""},
	} {
		r, _ := streams.Classify(tc.service, apiErr(tc.code, tc.msg))
		if r.Handling != tc.want || r.Reason != tc.reason {
			t.Errorf("%s %s %q: %v (%q), want %v (%q)", tc.service, tc.code, tc.msg, r.Handling, r.Reason, tc.want, tc.reason)
		}
	}
	if r, ok := streams.Classify(streams.ServiceKinesis, errors.New("connection reset")); ok || r.Handling != streams.FailMessage {
		t.Errorf("a non-AWS error: %+v %v, want FailMessage", r, ok)
	}
	for i, r := range rules {
		if r.Handling == streams.Gone && r.Reason == "" {
			t.Errorf("rule %d (%s %s) is Gone without a reason", i, r.Service, r.Code)
		}
		for _, earlier := range rules[:i] {
			if earlier.Service == r.Service && earlier.Code == r.Code && len(earlier.MessageHas) == 0 {
				t.Errorf("rule %d (%s %s) is shadowed by an earlier row without a message condition", i, r.Service, r.Code)
			}
		}
	}
}

func errorCode(errs ...error) string {
	for _, err := range errs {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
	}
	return ""
}

// TestErrorRulesAreDocumented keeps docs/failure-handling.md's classification table the code's:
// every rule, in order, as rendered here.
func TestErrorRulesAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/failure-handling.md")
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, r := range streams.ErrorRules() {
		cond := ""
		if len(r.MessageHas) > 0 {
			cond = " (message names " + strings.Join(r.MessageHas, " or ") + ")"
		}
		h := r.Handling.String()
		if r.Handling == streams.Gone {
			h = "reported gone: `RecordHydrationFailed`, reason `" + r.Reason + "`"
		}
		want.WriteString("| " + r.Service + " | `" + r.Code + "`" + cond + " | " + h + " | " + r.Why + " |\n")
	}
	if !strings.Contains(string(doc), want.String()) {
		t.Fatalf("docs/failure-handling.md does not hold the error classification as the code has it; the rows should read:\n%s", want.String())
	}
}
