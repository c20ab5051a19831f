//go:build integration

package streams_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hydrant-dev/hydrant/internal/streams"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// shardFixture is a shard of one stream service holding records 0..n-1, for
// the suite every reader must pass.
type shardFixture struct {
	shard  string
	seqs   []string
	reader func(t *testing.T, opts streams.Options) reader
	rng    func(from, to, batchSize int) streams.Range
	// key identifies record i in what the reader returns.
	key func(r streams.Record) string
}

func kinesisFixture(t *testing.T, n int) shardFixture {
	client := emulators.Get(t).KinesisClient()
	s := newKinesisStream(t, client, 1)
	f := shardFixture{shard: s.shardID(t, 0), seqs: s.put(t, numbered("c", n))}
	f.reader = func(t *testing.T, opts streams.Options) reader { return kinesisReader(t, client, opts) }
	f.rng = func(from, to, batch int) streams.Range {
		return streams.Range{StreamARN: s.arn, ShardID: f.shard, StartSequenceNumber: f.seqs[from], EndSequenceNumber: f.seqs[to], BatchSize: batch}
	}
	f.key = func(r streams.Record) string { return string(r.Kinesis.Data) }
	return f
}

func dynamoDBFixture(t *testing.T, n int) shardFixture {
	tb := newDDBTable(t)
	for i := range n {
		tb.put(t, map[string]dtypes.AttributeValue{"pk": &dtypes.AttributeValueMemberS{Value: fmt.Sprintf(`{"c":%d}`, i)}})
	}
	f := shardFixture{shard: tb.shard}
	for _, r := range tb.records(t) {
		f.seqs = append(f.seqs, aws.ToString(r.Dynamodb.SequenceNumber))
	}
	f.reader = func(t *testing.T, opts streams.Options) reader { return ddbReader(t, tb.streams, opts) }
	f.rng = func(from, to, batch int) streams.Range {
		return streams.Range{StreamARN: tb.arn, ShardID: tb.shard, StartSequenceNumber: f.seqs[from], EndSequenceNumber: f.seqs[to], BatchSize: batch}
	}
	f.key = func(r streams.Record) string { return r.DynamoDB.Keys["pk"].(string) }
	return f
}

func TestReaderConformance(t *testing.T) {
	const n = 40
	for name, fixture := range map[string]func(*testing.T, int) shardFixture{"kinesis": kinesisFixture, "dynamodb": dynamoDBFixture} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := fixture(t, n)
			if len(f.seqs) != n {
				t.Fatalf("fixture holds %d records, want %d", len(f.seqs), n)
			}
			want := func(t *testing.T, got []streams.Record, from, to int) {
				t.Helper()
				if len(got) != to-from+1 {
					t.Fatalf("got %d records, want %d", len(got), to-from+1)
				}
				for i, r := range got {
					if r.SequenceNumber != f.seqs[from+i] || f.key(r) != fmt.Sprintf(`{"c":%d}`, from+i) {
						t.Fatalf("record %d: %s %q, want %s {\"c\":%d}", i, r.SequenceNumber, f.key(r), f.seqs[from+i], from+i)
					}
				}
			}
			for _, tc := range []struct {
				name            string
				from, to, batch int
				pageLimit       int
			}{
				{"whole shard", 0, n - 1, n, 0},
				{"middle, pages of 3", 7, 31, 25, 3},
				{"single record", 13, 13, 1, 0},
				{"pages of 1", 2, 6, 5, 1},
				{"batch size unknown", 30, 35, 0, 4},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, rep := collect(t, f.reader(t, streams.Options{PageLimit: tc.pageLimit}), f.rng(tc.from, tc.to, tc.batch))
					want(t, got, tc.from, tc.to)
					assertComplete(t, rep, tc.to-tc.from+1)
				})
			}

			t.Run("batch size larger than the range", func(t *testing.T) {
				got, rep := collect(t, f.reader(t, streams.Options{}), f.rng(10, 19, 13))
				want(t, got, 10, 19)
				assertMissing(t, rep, streams.Missing{ShardID: f.shard, StartSequenceNumber: f.seqs[10], EndSequenceNumber: f.seqs[19], Count: 3, Reason: streams.ReasonNotFound, Detail: "held 10 records, batch size 13"})
			})

			t.Run("batch size smaller than the range", func(t *testing.T) {
				// The read stops at the batch size: the ESM's batch was that long.
				got, rep := collect(t, f.reader(t, streams.Options{PageLimit: 4}), f.rng(10, 19, 6))
				want(t, got, 10, 15)
				assertComplete(t, rep, 6)
			})

			t.Run("callback error", func(t *testing.T) {
				stop := errors.New("stop")
				calls := 0
				rep, err := f.reader(t, streams.Options{PageLimit: 3}).Read(context.Background(), f.rng(0, 20, 21), func(streams.Record) error {
					calls++
					if calls == 5 {
						return stop
					}
					return nil
				})
				if !errors.Is(err, stop) || rep.Recovered != 4 || calls != 5 {
					t.Fatalf("err %v, recovered %d after %d calls", err, rep.Recovered, calls)
				}
			})

			t.Run("end before start", func(t *testing.T) {
				_, err := f.reader(t, streams.Options{}).Read(context.Background(), f.rng(5, 4, 2), func(streams.Record) error { return nil })
				if !errors.Is(err, streams.ErrInvalidRange) {
					t.Fatalf("err = %v, want ErrInvalidRange", err)
				}
			})

		})
	}
}
