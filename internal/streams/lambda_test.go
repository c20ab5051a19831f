package streams_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/hydrant-dev/hydrant/internal/streams"
	"github.com/hydrant-dev/hydrant/internal/streams/kpl/kpltest"
)

func TestFromKinesisEventRecord(t *testing.T) {
	arrival := time.Date(2026, 11, 28, 19, 10, 56, 474_000_000, time.UTC)
	rec := func(data []byte) events.KinesisEventRecord {
		var e events.KinesisEventRecord
		e.Kinesis.Data = data
		e.Kinesis.PartitionKey = "pk"
		e.Kinesis.SequenceNumber = "49680653306819635328809969963222522738673289702987005954"
		e.Kinesis.ApproximateArrivalTimestamp = events.SecondsEpochTime{Time: arrival}
		return e
	}

	plain := streams.FromKinesisEventRecord(rec([]byte{0, 255}))
	if len(plain) != 1 || plain[0].SubSequenceNumber != nil || string(plain[0].Kinesis.Data) != "\x00\xff" || plain[0].Kinesis.PartitionKey != "pk" || !plain[0].Kinesis.ApproximateArrivalTimestamp.Equal(arrival) {
		t.Fatalf("plain record = %+v", plain)
	}

	agg := kpltest.Aggregate([]kpltest.Record{{PartitionKey: "a", Data: []byte("1")}, {PartitionKey: "b", ExplicitHashKey: "7", Data: []byte("2")}})
	users := streams.FromKinesisEventRecord(rec(agg))
	if len(users) != 2 {
		t.Fatalf("got %d user records, want 2", len(users))
	}
	for i, u := range users {
		if u.SubSequenceNumber == nil || *u.SubSequenceNumber != int64(i) || !u.Kinesis.Aggregated || u.SequenceNumber != plain[0].SequenceNumber {
			t.Errorf("user record %d = %+v", i, u)
		}
	}
	if users[1].Kinesis.PartitionKey != "b" || users[1].Kinesis.ExplicitHashKey != "7" || string(users[1].Kinesis.Data) != "2" {
		t.Errorf("user record 1 = %+v", users[1].Kinesis)
	}

	// The JSON Lambda writes to an S3 on-failure object decodes and converts.
	var fromJSON events.KinesisEventRecord
	if err := json.Unmarshal([]byte(`{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"pk","sequenceNumber":"1","data":"`+
		jsonBase64(agg)+`","approximateArrivalTimestamp":1764357056.474},"eventSource":"aws:kinesis","eventID":"shardId-000000000000:1"}`), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if got := streams.FromKinesisEventRecord(fromJSON); len(got) != 2 || string(got[0].Kinesis.Data) != "1" {
		t.Fatalf("from JSON: %+v", got)
	}

	corrupt := append([]byte{}, agg...)
	corrupt[5] ^= 0xFF
	flagged := streams.FromKinesisEventRecord(rec(corrupt))
	if len(flagged) != 1 || !flagged[0].Kinesis.Aggregated || !strings.Contains(flagged[0].Kinesis.AggregateError, "MD5") || string(flagged[0].Kinesis.Data) != string(corrupt) {
		t.Fatalf("corrupt aggregate = %+v, want it whole and flagged", flagged)
	}
}

func jsonBase64(b []byte) string {
	s, _ := json.Marshal(b)
	return strings.Trim(string(s), `"`)
}

func TestFromDynamoDBEventRecordErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"not JSON", `{`, "DynamoDB event record"},
		{"no dynamodb", `{"eventName":"INSERT"}`, "dynamodb is missing"},
		{"bad sequence number", `{"dynamodb":{"SequenceNumber":"x1"}}`, "dynamodb.SequenceNumber"},
		{"bad image", `{"dynamodb":{"SequenceNumber":"1","NewImage":{"a":{"N":"one"}}}}`, `dynamodb.NewImage: attribute "a": N: "one" is not a number`},
		{"bad keys", `{"dynamodb":{"SequenceNumber":"1","Keys":{"a":{"Q":"1"}}}}`, `dynamodb.Keys: attribute "a": unknown attribute type "Q"`},
		{"bad time", `{"dynamodb":{"SequenceNumber":"1","ApproximateCreationDateTime":1e9}}`, "ApproximateCreationDateTime"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := streams.FromDynamoDBEventRecord(json.RawMessage(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	r, err := streams.FromDynamoDBEventRecord(json.RawMessage(`{"eventID":"e","eventName":"REMOVE","userIdentity":{"type":"Service","principalId":"dynamodb.amazonaws.com"},"dynamodb":{"ApproximateCreationDateTime":1764356400.5,"Keys":{"pk":{"S":"a"}},"SequenceNumber":"000000000000000000001","SizeBytes":12,"StreamViewType":"KEYS_ONLY"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(1764356400, 500_000_000).UTC(); !r.DynamoDB.ApproximateCreationDateTime.Equal(want) || r.DynamoDB.NewImage != nil || r.DynamoDB.OldImage != nil || r.DynamoDB.Keys["pk"] != "a" || r.SequenceNumber != "000000000000000000001" {
		t.Fatalf("record = %+v", r.DynamoDB)
	}
	if id := r.DynamoDB.UserIdentity; id == nil || id.Type != "Service" || id.PrincipalID != "dynamodb.amazonaws.com" {
		t.Fatalf("TTL delete identity = %+v", id)
	}
}

func TestBackoff(t *testing.T) {
	b := streams.DefaultBackoff()
	for attempt, ceiling := range map[int]time.Duration{1: 200 * time.Millisecond, 2: 400 * time.Millisecond, 3: 800 * time.Millisecond, 6: 5 * time.Second, 30: 5 * time.Second} {
		for range 50 {
			d, err := b.BackoffDelay(attempt, nil)
			if err != nil || d < ceiling/2 || d > ceiling {
				t.Fatalf("attempt %d: delay %v (err %v), want within [%v, %v]", attempt, d, err, ceiling/2, ceiling)
			}
		}
	}
	r := streams.NewRetryer(b, 7)
	if r.MaxAttempts() != 7 {
		t.Fatalf("MaxAttempts = %d", r.MaxAttempts())
	}
	if !r.IsErrorRetryable(&ktypes.ProvisionedThroughputExceededException{Message: aws.String("Rate exceeded")}) {
		t.Fatal("ProvisionedThroughputExceededException is not retryable")
	}
	if r.IsErrorRetryable(&ktypes.ExpiredIteratorException{}) || r.IsErrorRetryable(&ktypes.InvalidArgumentException{}) {
		t.Fatal("ExpiredIteratorException or InvalidArgumentException retried by the SDK: the reader handles them")
	}
}

// shortSeqShard serves a shard whose sequence numbers have different
// lengths ("8", "9", "10", ...), where comparing as strings goes wrong.
type shortSeqShard struct {
	seqs   []string
	closed bool // no next iterator after the last record
}

func (s shortSeqShard) GetShardIterator(_ context.Context, in *kinesis.GetShardIteratorInput, _ ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	if in.ShardIteratorType == ktypes.ShardIteratorTypeTrimHorizon {
		return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String("0")}, nil
	}
	for i, q := range s.seqs {
		if q == aws.ToString(in.StartingSequenceNumber) && in.ShardIteratorType == ktypes.ShardIteratorTypeAtSequenceNumber {
			return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String(strconv.Itoa(i))}, nil
		}
	}
	return nil, &ktypes.ResourceNotFoundException{Message: aws.String("Unable to find record with provided SequenceNumber")}
}

func (s shortSeqShard) GetRecords(_ context.Context, in *kinesis.GetRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	i, _ := strconv.Atoi(aws.ToString(in.ShardIterator))
	j := min(i+int(aws.ToInt32(in.Limit)), len(s.seqs))
	out := &kinesis.GetRecordsOutput{NextShardIterator: aws.String(strconv.Itoa(j)), MillisBehindLatest: aws.Int64(0)}
	if s.closed && j == len(s.seqs) {
		out.NextShardIterator = nil
	}
	for _, q := range s.seqs[i:j] {
		out.Records = append(out.Records, ktypes.Record{SequenceNumber: aws.String(q), Data: []byte(q), PartitionKey: aws.String("p")})
	}
	return out, nil
}

func TestSequenceNumbersComparedAsIntegers(t *testing.T) {
	shard := shortSeqShard{seqs: []string{"7", "8", "9", "10", "11", "99", "100", "101"}}
	for _, tc := range []struct {
		start, end string
		batch      int
		want       string
	}{
		{"8", "11", 4, "8,9,10,11"},       // as strings "10" < "8": the read would stop at once
		{"9", "100", 0, "9,10,11,99,100"}, // batch size unknown: the end bounds it
		{"99", "101", 3, "99,100,101"},
	} {
		var got []string
		rep, err := streams.NewKinesisReader(shard, streams.Options{PageLimit: 2}).Read(context.Background(), streams.Range{StreamARN: "arn:aws:kinesis:us-east-1:000000000000:stream/s", ShardID: "shardId-000000000000", StartSequenceNumber: tc.start, EndSequenceNumber: tc.end, BatchSize: tc.batch}, func(r streams.Record) error {
			got = append(got, r.SequenceNumber)
			return nil
		})
		if err != nil || strings.Join(got, ",") != tc.want || !rep.Complete() {
			t.Errorf("[%s, %s]: got %v (missing %+v, err %v), want %s", tc.start, tc.end, got, rep.Missing, err, tc.want)
		}
	}
}

func TestTrimmedHeadAndClosedShard(t *testing.T) {
	// The start is gone (the shard now begins at 10) and the shard was closed
	// at 15, before the range's end: two missing parts, the shortfall of
	// 9 - 6 = 3 on the last (only the total is known).
	shard := shortSeqShard{seqs: []string{"10", "11", "12", "13", "14", "15"}, closed: true}
	got, rep := collect(t, streams.NewKinesisReader(shard, streams.Options{Logger: testLogger(t)}), streams.Range{StreamARN: "arn:aws:kinesis:us-east-1:000000000000:stream/s", ShardID: "shardId-000000000000", StartSequenceNumber: "5", EndSequenceNumber: "20", BatchSize: 9})
	if len(got) != 6 || got[0].SequenceNumber != "10" || got[5].SequenceNumber != "15" {
		t.Fatalf("got %d records", len(got))
	}
	assertMissing(t, rep,
		streams.Missing{ShardID: "shardId-000000000000", StartSequenceNumber: "5", EndSequenceNumber: "9", Count: 0, Reason: streams.ReasonTrimmed, Detail: "Unable to find record"},
		streams.Missing{ShardID: "shardId-000000000000", StartSequenceNumber: "16", EndSequenceNumber: "20", Count: 3, Reason: streams.ReasonNotFound, Detail: "shard ended"},
	)
}
