//go:build integration

package streams_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/hydrant-dev/hydrant/internal/streams"
	"github.com/hydrant-dev/hydrant/internal/streams/kpl/kpltest"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

func TestKinesisRanges(t *testing.T) {
	t.Parallel()
	client := emulators.Get(t).KinesisClient()
	s := newKinesisStream(t, client, 2)
	shard := s.shardID(t, 0)
	data := numbered("r", 130)
	seqs := s.put(t, data)
	// Records on the other shard are interleaved in time but must not appear.
	other := make([]ktypes.PutRecordsRequestEntry, 50)
	for i := range other {
		other[i] = ktypes.PutRecordsRequestEntry{Data: []byte("other"), PartitionKey: aws.String("x"), ExplicitHashKey: aws.String("340282366920938463463374607431768211455")}
	}
	if _, err := client.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamARN: aws.String(s.arn), Records: other}); err != nil {
		t.Fatal(err)
	}
	seqs = append(seqs, s.put(t, numbered("late", 5))...)

	for _, tc := range []struct {
		name      string
		from, to  int // indexes into seqs, inclusive
		pageLimit int
		batchSize int
	}{
		{name: "100 records", from: 10, to: 109, batchSize: 100},
		{name: "100 records, pages of 7", from: 10, to: 109, pageLimit: 7, batchSize: 100},
		{name: "bisected half", from: 10, to: 59, batchSize: 50},
		{name: "bisected quarter, pages of 3", from: 60, to: 84, pageLimit: 3, batchSize: 25},
		{name: "single record", from: 42, to: 42, batchSize: 1},
		{name: "first record of the shard", from: 0, to: 4, batchSize: 5},
		{name: "batch size unknown", from: 100, to: 129, batchSize: 0},
		{name: "to the shard's last record", from: 120, to: 134, pageLimit: 4, batchSize: 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd := kinesisReader(t, client, streams.Options{PageLimit: tc.pageLimit})
			got, rep := collect(t, rd, streams.Range{StreamARN: s.arn, ShardID: shard, StartSequenceNumber: seqs[tc.from], EndSequenceNumber: seqs[tc.to], BatchSize: tc.batchSize})
			want := append(append([][]byte{}, data...), numbered("late", 5)...)
			assertKinesisData(t, got, seqs[tc.from:tc.to+1], want[tc.from:tc.to+1])
			assertComplete(t, rep, tc.to-tc.from+1)
			for _, r := range got {
				if r.Kinesis.ApproximateArrivalTimestamp.IsZero() || r.Kinesis.PartitionKey == "" {
					t.Fatalf("record %s: arrival %v, partition key %q", r.SequenceNumber, r.Kinesis.ApproximateArrivalTimestamp, r.Kinesis.PartitionKey)
				}
			}
		})
	}

	t.Run("shard not found", func(t *testing.T) {
		got, rep := collect(t, kinesisReader(t, client, streams.Options{}), streams.Range{StreamARN: s.arn, ShardID: "shardId-000000000009", StartSequenceNumber: seqs[0], EndSequenceNumber: seqs[1], BatchSize: 2})
		if len(got) != 0 {
			t.Fatalf("got %d records", len(got))
		}
		assertMissing(t, rep, streams.Missing{ShardID: "shardId-000000000009", StartSequenceNumber: seqs[0], EndSequenceNumber: seqs[1], Count: 2, Reason: streams.ReasonShardNotFound, Detail: "ResourceNotFoundException"})
	})

	t.Run("stream deleted", func(t *testing.T) {
		gone := newKinesisStream(t, client, 1)
		goneSeqs := gone.put(t, numbered("g", 3))
		if _, err := client.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamARN: aws.String(gone.arn)}); err != nil {
			t.Fatal(err)
		}
		w := kinesis.NewStreamNotExistsWaiter(client, func(o *kinesis.StreamNotExistsWaiterOptions) {
			o.MinDelay = 100 * time.Millisecond
			o.MaxDelay = 500 * time.Millisecond
		})
		if err := w.Wait(context.Background(), &kinesis.DescribeStreamInput{StreamName: aws.String(gone.name)}, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		shard := "shardId-000000000000"
		got, rep := collect(t, kinesisReader(t, client, streams.Options{}), streams.Range{StreamARN: gone.arn, ShardID: shard, StartSequenceNumber: goneSeqs[0], EndSequenceNumber: goneSeqs[2], BatchSize: 3})
		if len(got) != 0 {
			t.Fatalf("got %d records from a deleted stream", len(got))
		}
		assertMissing(t, rep, streams.Missing{ShardID: shard, StartSequenceNumber: goneSeqs[0], EndSequenceNumber: goneSeqs[2], Count: 3, Reason: streams.ReasonStreamNotFound, Detail: "ResourceNotFoundException"})
	})
}

func TestKinesisInvalidRange(t *testing.T) {
	t.Parallel()
	rd := streams.NewKinesisReader(emulators.Get(t).KinesisClient(), streams.Options{})
	base := streams.Range{StreamARN: "arn:aws:kinesis:us-east-1:000000000000:stream/x", ShardID: "shardId-000000000000", StartSequenceNumber: "10", EndSequenceNumber: "9", BatchSize: 1}
	for _, tc := range []struct {
		name string
		edit func(*streams.Range)
		want string
	}{
		{"end before start, compared as numbers", func(r *streams.Range) {}, "endSequenceNumber 9 is before startSequenceNumber 10"},
		{"non-numeric", func(r *streams.Range) { r.StartSequenceNumber = "12a" }, `startSequenceNumber: "12a" is not a decimal`},
		{"empty end", func(r *streams.Range) { r.EndSequenceNumber = "" }, "endSequenceNumber: empty"},
		{"no stream", func(r *streams.Range) { r.StreamARN = "" }, "streamArn is empty"},
		{"no shard", func(r *streams.Range) { r.ShardID = "" }, "shardId is empty"},
		{"negative batch", func(r *streams.Range) { r.EndSequenceNumber = "11"; r.BatchSize = -1 }, "batchSize -1 is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			tc.edit(&r)
			_, err := rd.Read(context.Background(), r, func(streams.Record) error { return nil })
			if !errors.Is(err, streams.ErrInvalidRange) || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("err = %v, want ErrInvalidRange mentioning %q", err, tc.want)
			}
		})
	}
}

func TestKinesisData(t *testing.T) {
	t.Parallel()
	client := emulators.Get(t).KinesisClient()
	s := newKinesisStream(t, client, 1)
	shard := s.shardID(t, 0)

	every := make([]byte, 256)
	for i := range every {
		every[i] = byte(i)
	}
	data := [][]byte{[]byte("before"), every}
	for i := range 256 {
		data = append(data, []byte{byte(i)})
	}
	// The largest record Kinesis accepts: 1 MiB of data (partition key aside).
	mib := bytes.Repeat(every, (1<<20)/256)
	data = append(data, mib, []byte("after"))
	seqs := s.put(t, data)

	t.Run("every byte value", func(t *testing.T) {
		got, rep := collect(t, kinesisReader(t, client, streams.Options{}), streams.Range{StreamARN: s.arn, ShardID: shard, StartSequenceNumber: seqs[1], EndSequenceNumber: seqs[257], BatchSize: 257})
		assertKinesisData(t, got, seqs[1:258], data[1:258])
		assertComplete(t, rep, 257)
	})
	t.Run("1 MiB record", func(t *testing.T) {
		got, rep := collect(t, kinesisReader(t, client, streams.Options{}), streams.Range{StreamARN: s.arn, ShardID: shard, StartSequenceNumber: seqs[257], EndSequenceNumber: seqs[259], BatchSize: 3})
		assertKinesisData(t, got, seqs[257:260], data[257:260])
		assertComplete(t, rep, 3)
		if len(got[1].Kinesis.Data) != 1<<20 {
			t.Fatalf("1 MiB record came back with %d bytes", len(got[1].Kinesis.Data))
		}
	})
}

// The largest batch an ESM hands a function: 10,000 records.
func TestKinesisTenThousandRecords(t *testing.T) {
	t.Parallel()
	client := emulators.Get(t).KinesisClient()
	s := newKinesisStream(t, client, 1)
	shard := s.shardID(t, 0)
	data := numbered("tenk", 10002)
	seqs := s.put(t, data)
	got, rep := collect(t, kinesisReader(t, client, streams.Options{}), streams.Range{StreamARN: s.arn, ShardID: shard, StartSequenceNumber: seqs[1], EndSequenceNumber: seqs[10000], BatchSize: 10000})
	assertKinesisData(t, got, seqs[1:10001], data[1:10001])
	assertComplete(t, rep, 10000)
}

func TestKinesisParentShardAfterSplit(t *testing.T) {
	t.Parallel()
	client := emulators.Get(t).KinesisClient()
	s := newKinesisStream(t, client, 1)
	parent := s.shardID(t, 0)
	before := numbered("parent", 30)
	seqs := s.put(t, before)

	// Split the only shard in the middle of the hash key range.
	half := new(big.Int).Lsh(big.NewInt(1), 127)
	if _, err := client.SplitShard(context.Background(), &kinesis.SplitShardInput{StreamARN: aws.String(s.arn), ShardToSplit: aws.String(parent), NewStartingHashKey: aws.String(half.String())}); err != nil {
		t.Fatalf("split shard: %v", err)
	}
	s.waitActive(t)
	after := s.put(t, numbered("child", 10)) // these land on a child shard

	for _, tc := range []struct {
		name     string
		from, to int
	}{
		{"inside the parent", 5, 19},
		{"up to the parent's last record", 20, 29},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rep := collect(t, kinesisReader(t, client, streams.Options{PageLimit: 4}), streams.Range{StreamARN: s.arn, ShardID: parent, StartSequenceNumber: seqs[tc.from], EndSequenceNumber: seqs[tc.to], BatchSize: tc.to - tc.from + 1})
			assertKinesisData(t, got, seqs[tc.from:tc.to+1], before[tc.from:tc.to+1])
			assertComplete(t, rep, tc.to-tc.from+1)
		})
	}
	t.Run("range past the closed parent's end", func(t *testing.T) {
		// A batch size larger than what the parent holds: the closed shard
		// ends the read and the shortfall is reported.
		got, rep := collect(t, kinesisReader(t, client, streams.Options{}), streams.Range{StreamARN: s.arn, ShardID: parent, StartSequenceNumber: seqs[25], EndSequenceNumber: after[0], BatchSize: 8})
		assertKinesisData(t, got, seqs[25:30], before[25:30])
		next := new(big.Int)
		next.SetString(seqs[29], 10)
		next.Add(next, big.NewInt(1))
		assertMissing(t, rep, streams.Missing{ShardID: parent, StartSequenceNumber: next.String(), EndSequenceNumber: after[0], Count: 3, Reason: streams.ReasonNotFound, Detail: "shard ended"})
	})
}

func TestKinesisKPL(t *testing.T) {
	t.Parallel()
	client := emulators.Get(t).KinesisClient()
	s := newKinesisStream(t, client, 1)
	shard := s.shardID(t, 0)

	users := make([]kpltest.Record, 5)
	for i := range users {
		users[i] = kpltest.Record{PartitionKey: fmt.Sprintf("user-%d", i%2), Data: fmt.Appendf(nil, `{"user":%d}`, i)}
	}
	users[3].ExplicitHashKey = "170141183460469231731687303715884105728"
	corrupt := kpltest.Aggregate(users[:2])
	corrupt[len(corrupt)-1] ^= 1 // MD5 no longer matches
	data := [][]byte{[]byte("plain"), kpltest.Aggregate(users), corrupt, []byte("tail")}
	seqs := s.put(t, data)

	got, rep := collect(t, kinesisReader(t, client, streams.Options{}), streams.Range{StreamARN: s.arn, ShardID: shard, StartSequenceNumber: seqs[0], EndSequenceNumber: seqs[2], BatchSize: 3})
	// BatchSize counts Kinesis records: 3, yielding 1 + 5 + 1 records.
	assertComplete(t, rep, 3)
	if len(got) != 7 {
		t.Fatalf("got %d records, want 7 (plain, 5 user records, corrupt aggregate)", len(got))
	}
	if string(got[0].Kinesis.Data) != "plain" || got[0].SubSequenceNumber != nil {
		t.Errorf("record 0 = %+v, want the plain record", got[0])
	}
	for i, u := range users {
		r := got[1+i]
		if r.SequenceNumber != seqs[1] || r.SubSequenceNumber == nil || *r.SubSequenceNumber != int64(i) {
			t.Errorf("user record %d: sequence %s sub %v, want %s sub %d", i, r.SequenceNumber, r.SubSequenceNumber, seqs[1], i)
		}
		if !r.Kinesis.Aggregated || r.Kinesis.AggregateError != "" || string(r.Kinesis.Data) != string(u.Data) || r.Kinesis.PartitionKey != u.PartitionKey || r.Kinesis.ExplicitHashKey != u.ExplicitHashKey {
			t.Errorf("user record %d = %+v, want %+v", i, r.Kinesis, u)
		}
		if r.Kinesis.ApproximateArrivalTimestamp.IsZero() {
			t.Errorf("user record %d has no arrival time", i)
		}
	}
	bad := got[6]
	if bad.SequenceNumber != seqs[2] || bad.SubSequenceNumber != nil || !bad.Kinesis.Aggregated || !bytes.Equal(bad.Kinesis.Data, corrupt) || bad.Kinesis.AggregateError == "" {
		t.Errorf("corrupt aggregate = %+v, want it whole and flagged", bad.Kinesis)
	}
}
