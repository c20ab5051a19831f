package streams_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"

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
		{name: "IAM denies", iterErr: apiErr("AccessDeniedException", "User is not authorized to perform: kinesis:GetShardIterator"), wantReason: streams.ReasonAccessDenied, wantFrom: "101", wantCount: 6},
		{name: "KMS denies", iterErr: apiErr("KMSAccessDeniedException", "denied"), wantReason: streams.ReasonAccessDenied, wantFrom: "101", wantCount: 6},
		{name: "KMS key disabled", iterErr: apiErr("KMSDisabledException", "disabled"), wantReason: streams.ReasonKMSUnavailable, wantFrom: "101", wantCount: 6},
		{name: "access revoked mid-read", recordsErr: apiErr("AccessDeniedException", "revoked"), recordsOK: 1, wantReason: streams.ReasonAccessDenied, wantFrom: "103", wantCount: 4, wantRead: 2},
		{name: "stream deleted mid-read", recordsErr: apiErr("ResourceNotFoundException", "Stream s under account 123456789012 not found."), recordsOK: 2, wantReason: streams.ReasonStreamNotFound, wantFrom: "105", wantCount: 2, wantRead: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			api := scriptedKinesis{shortSeqShard: shortSeqShard{seqs: seqs}, iterErr: tc.iterErr, recordsErr: tc.recordsErr, recordsOK: tc.recordsOK, calls: &calls}
			got, rep := collect(t, streams.NewKinesisReader(api, streams.WithPageLimit(2), testLogger(t)), rng)
			if len(got) != tc.wantRead {
				t.Fatalf("read %d records, want %d", len(got), tc.wantRead)
			}
			assertMissing(t, rep, streams.Missing{ShardID: rng.ShardID, StartSequenceNumber: tc.wantFrom, EndSequenceNumber: "106", Count: tc.wantCount, Reason: tc.wantReason, Detail: errorCode(tc.iterErr, tc.recordsErr)})
		})
	}

	t.Run("other errors are returned", func(t *testing.T) {
		calls := 0
		api := scriptedKinesis{shortSeqShard: shortSeqShard{seqs: seqs}, iterErr: apiErr("InvalidArgumentException", "Invalid ShardId"), calls: &calls}
		_, err := streams.NewKinesisReader(api, testLogger(t)).Read(context.Background(), rng, func(streams.Record) error { return nil })
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidArgumentException" {
			t.Fatalf("err = %v, want the InvalidArgumentException", err)
		}
	})

	t.Run("dynamodb", func(t *testing.T) {
		r := streams.Range{StreamARN: "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2026-11-28T19:10:56.474", ShardID: "shardId-00000001795893056493-973c0bbd", StartSequenceNumber: "000000000000000000007", EndSequenceNumber: "000000000000000000009", BatchSize: 3}
		for code, reason := range map[string]string{"ResourceNotFoundException": streams.ReasonStreamNotFound, "AccessDeniedException": streams.ReasonAccessDenied} {
			_, rep := collect(t, streams.NewDynamoDBReader(scriptedDynamoDB{apiErr(code, "Requested resource not found: Stream: "+r.StreamARN+" not found")}, testLogger(t)), r)
			assertMissing(t, rep, streams.Missing{ShardID: r.ShardID, StartSequenceNumber: r.StartSequenceNumber, EndSequenceNumber: r.EndSequenceNumber, Count: 3, Reason: reason, Detail: code})
		}
	})
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
