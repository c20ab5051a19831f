//go:build integration

package redrive_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/hydrant-dev/hydrant/internal/redrive"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// A queue that holds several teams' records (the catch-all DLQ holds every stream's) is
// redriven to one team's consumer without --stream: only the records of the streams the
// function's event source mappings read reach it; another team's stay in the queue, named
// in the report. Before, the consumer was invoked with every stream's records.
func TestRedriveFunctionGetsOnlyItsMappedStreams(t *testing.T) {
	e := emulators.Get(t)
	sqsc := e.SQSClient()
	orders, payments := streamARN("orders"), streamARN("payments")
	bodies := [][]byte{
		kinesisEvent(t, orders, "shardId-000000000000", 1, "pk", data("o1"), arrival),
		kinesisEvent(t, payments, "shardId-000000000000", 1, "pk", data("p1-secret"), arrival),
		kinesisEvent(t, orders, "shardId-000000000000", 2, "pk", data("o2"), arrival),
	}
	url := queue(t, sqsc, bodies...)
	fn := &consumer{mapped: []string{orders}}
	rep, err := redrive.Run(context.Background(), redrive.NewQueueSource(sqsc, url, 5*time.Minute),
		redrive.NewFunctionDestination(lambdaClient(t, fn), "orders-consumer"), redrive.Options{Journal: journal(t)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fn.processed(), []string{`000000000000:{"v":"o1"}`, `000000000000:{"v":"o2"}`}; !slices.Equal(got, want) {
		t.Errorf("the orders consumer processed %q, want only the orders records %q", got, want)
	}
	if s := streamReport(t, rep, payments); s.Redriven != 0 || s.Skipped != 1 {
		t.Errorf("payments in the report: %+v, want 1 skipped, none redriven", *s)
	}
	if n := rep.Skipped[redrive.ReasonNoMapping]; n != 1 {
		t.Errorf("skipped %v, want 1 %q", rep.Skipped, redrive.ReasonNoMapping)
	}
	if left := remaining(t, sqsc, url); !slices.Equal(left, []string{`{"v":"p1-secret"}`}) {
		t.Errorf("left in the queue %q, want the payments record", left)
	}
}

// --to stream:ARN puts back onto that stream only its own records: a record of another stream
// in the queue (another team's, from a shared DLQ) stays there instead of being written onto
// this stream, where every consumer of it would read another team's data.
func TestRedriveToStreamTakesOnlyItsOwnRecords(t *testing.T) {
	e := emulators.Get(t)
	ctx := context.Background()
	kc, sqsc := e.KinesisClient(), e.SQSClient()
	target := newKinesisStream(t, kc)
	other := streamARN("payments")
	url := queue(t, sqsc,
		kinesisEvent(t, target, "shardId-000000000000", 1, "k1", data("mine"), arrival),
		kinesisEvent(t, other, "shardId-000000000000", 1, "k1", data("theirs"), arrival))
	rep, err := redrive.Run(ctx, redrive.NewQueueSource(sqsc, url, 5*time.Minute), redrive.NewStreamDestination(kc, target), redrive.Options{Journal: journal(t)})
	if err != nil {
		t.Fatal(err)
	}
	if n := rep.Skipped[redrive.ReasonOtherStream]; n != 1 {
		t.Errorf("skipped %v, want 1 %q", rep.Skipped, redrive.ReasonOtherStream)
	}
	if got := readStream(t, kc, target, 1); !slices.Equal(got, []string{`k1 {"v":"mine"}`}) {
		t.Errorf("on the stream: %q, want only its own record", got)
	}
	if left := remaining(t, sqsc, url); !slices.Equal(left, []string{`{"v":"theirs"}`}) {
		t.Errorf("left in the queue %q, want the other stream's record", left)
	}
}

// newKinesisStream creates a one-shard stream on kinesis-local and returns its ARN.
func newKinesisStream(t *testing.T, kc *kinesis.Client) string {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("redrive-%d", time.Now().UnixNano())
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	if err := kinesis.NewStreamExistsWaiter(kc).Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	desc, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(desc.StreamDescriptionSummary.StreamARN)
}

// readStream reads the first shard of a stream from its start until it has n records (or a
// deadline passes, then a little longer to see more than n), as "partitionKey data".
func readStream(t *testing.T, kc *kinesis.Client, stream string, n int) []string {
	t.Helper()
	ctx := context.Background()
	shards, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamARN: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamARN: aws.String(stream), ShardId: shards.Shards[0].ShardId, ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	iter := it.ShardIterator
	for deadline := time.Now().Add(30 * time.Second); len(got) <= n && time.Now().Before(deadline); {
		out, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{StreamARN: aws.String(stream), ShardIterator: iter})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Records {
			got = append(got, aws.ToString(r.PartitionKey)+" "+string(r.Data))
		}
		iter = out.NextShardIterator
		if len(got) >= n && len(out.Records) == 0 && aws.ToInt64(out.MillisBehindLatest) == 0 {
			break // caught up: nothing more was written
		}
	}
	return got
}

// Two messages that name one record (same eventId: stream, shard, sequence number) but carry
// different content are not copies of one record: one of them is made up (hydrantevent.Check
// does not cover the data). Before, the first received was sent and both were deleted, so a
// made-up copy put in the queue ahead of the genuine one replaced it and the genuine record
// was gone. Now neither is sent; both stay in the queue, named in the report. Identical
// copies (EventBridge's at-least-once delivery) are still sent once and deleted together.
func TestRedriveConflictingCopiesOfARecordStay(t *testing.T) {
	e := emulators.Get(t)
	sqsc := e.SQSClient()
	orders := streamARN("orders")
	forged := kinesisEvent(t, orders, "shardId-000000000000", 1, "pk", data("forged"), arrival)
	genuine := kinesisEvent(t, orders, "shardId-000000000000", 1, "pk", data("genuine"), arrival)
	other := kinesisEvent(t, orders, "shardId-000000000001", 1, "pk", data("b1"), arrival)
	url := queue(t, sqsc, forged, genuine, other, other)
	fn := &consumer{}
	rep, err := redrive.Run(context.Background(), redrive.NewQueueSource(sqsc, url, 5*time.Minute),
		redrive.NewFunctionDestination(lambdaClient(t, fn), "orders-consumer"), redrive.Options{Journal: journal(t)})
	if err != nil {
		t.Fatal(err)
	}
	if got := fn.processed(); !slices.Equal(got, []string{`000000000001:{"v":"b1"}`}) {
		t.Errorf("processed %q, want only the record with no conflicting copy, once", got)
	}
	if n := rep.Skipped[redrive.ReasonConflictingCopies]; n != 2 {
		t.Errorf("skipped %v, want the 2 conflicting copies as %q", rep.Skipped, redrive.ReasonConflictingCopies)
	}
	if left := remaining(t, sqsc, url); !slices.Equal(left, []string{`{"v":"forged"}`, `{"v":"genuine"}`}) {
		t.Errorf("left in the queue %q, want both conflicting copies", left)
	}
}
