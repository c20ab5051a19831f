package streams_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/hydrant-dev/hydrant/internal/streams"
)

var nameSeq atomic.Int64

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), nameSeq.Add(1))
}

// kinesisStream is a stream created on kinesis-local for one test.
type kinesisStream struct {
	client *kinesis.Client
	name   string
	arn    string
}

func newKinesisStream(t testing.TB, client *kinesis.Client, shards int32) kinesisStream {
	t.Helper()
	ctx := context.Background()
	name := uniqueName("streams")
	if _, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)}); err != nil {
		t.Fatalf("create stream %s: %v", name, err)
	}
	s := kinesisStream{client: client, name: name}
	// kinesis-local caps the shards of all streams (50 by default), and every
	// test binary of `make test` shares it: give the shards back.
	t.Cleanup(func() {
		_, err := client.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamName: aws.String(name), EnforceConsumerDeletion: aws.Bool(true)})
		var nf *ktypes.ResourceNotFoundException
		if err != nil && !errors.As(err, &nf) {
			t.Errorf("delete stream %s: %v", name, err)
		}
	})
	s.arn = s.waitActive(t)
	return s
}

func (s kinesisStream) waitActive(t testing.TB) string {
	t.Helper()
	w := kinesis.NewStreamExistsWaiter(s.client, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = 500 * time.Millisecond
	})
	out, err := w.WaitForOutput(context.Background(), &kinesis.DescribeStreamInput{StreamName: aws.String(s.name)}, 30*time.Second)
	if err != nil {
		t.Fatalf("wait for stream %s: %v", s.name, err)
	}
	return aws.ToString(out.StreamDescription.StreamARN)
}

// put writes records in order to the shard owning hash key 0 (the first
// shard) and returns their sequence numbers.
func (s kinesisStream) put(t testing.TB, data [][]byte) []string {
	t.Helper()
	var seqs []string
	for len(data) > 0 {
		n := min(len(data), 500)
		entries := make([]ktypes.PutRecordsRequestEntry, n)
		for i := range entries {
			entries[i] = ktypes.PutRecordsRequestEntry{Data: data[i], PartitionKey: aws.String(fmt.Sprintf("pk-%d", len(seqs)+i)), ExplicitHashKey: aws.String("0")}
		}
		out, err := s.client.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamARN: aws.String(s.arn), Records: entries})
		if err != nil {
			t.Fatalf("put records: %v", err)
		}
		if aws.ToInt32(out.FailedRecordCount) != 0 {
			t.Fatalf("put records: %d failed", aws.ToInt32(out.FailedRecordCount))
		}
		for _, r := range out.Records {
			seqs = append(seqs, aws.ToString(r.SequenceNumber))
		}
		data = data[n:]
	}
	return seqs
}

func (s kinesisStream) shardID(t testing.TB, i int) string {
	t.Helper()
	out, err := s.client.ListShards(context.Background(), &kinesis.ListShardsInput{StreamARN: aws.String(s.arn)})
	if err != nil {
		t.Fatalf("list shards: %v", err)
	}
	return aws.ToString(out.Shards[i].ShardId)
}

func numbered(prefix string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"%s":%d}`, prefix, i)
	}
	return out
}

// collect reads r and returns the records, failing the test on error.
type reader interface {
	Read(ctx context.Context, r streams.Range, fn func(streams.Record) error) (streams.Report, error)
}

func collect(t testing.TB, rd reader, r streams.Range) ([]streams.Record, streams.Report) {
	t.Helper()
	var got []streams.Record
	rep, err := rd.Read(context.Background(), r, func(rec streams.Record) error {
		got = append(got, rec)
		return nil
	})
	if err != nil {
		t.Fatalf("Read(%+v): %v", r, err)
	}
	if rep.Recovered != len(got) {
		t.Errorf("Report.Recovered = %d, callback got %d records", rep.Recovered, len(got))
	}
	return got, rep
}

// assertKinesisData checks that got holds exactly want's data, with want's sequence numbers, in order.
func assertKinesisData(t testing.TB, got []streams.Record, wantSeqs []string, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i, r := range got {
		if r.SequenceNumber != wantSeqs[i] {
			t.Fatalf("record %d: sequence number %s, want %s", i, r.SequenceNumber, wantSeqs[i])
		}
		if r.Kinesis == nil || string(r.Kinesis.Data) != string(want[i]) {
			t.Fatalf("record %d (%s): data %.60q, want %.60q", i, r.SequenceNumber, dataOf(r), want[i])
		}
		if r.SubSequenceNumber != nil || r.Kinesis.Aggregated {
			t.Fatalf("record %d: plain record marked as aggregated", i)
		}
	}
}

func dataOf(r streams.Record) []byte {
	if r.Kinesis == nil {
		return nil
	}
	return r.Kinesis.Data
}

func assertComplete(t testing.TB, rep streams.Report, streamRecords int) {
	t.Helper()
	if !rep.Complete() {
		t.Fatalf("report has missing parts: %+v", rep.Missing)
	}
	if rep.StreamRecords != streamRecords {
		t.Fatalf("Report.StreamRecords = %d, want %d", rep.StreamRecords, streamRecords)
	}
}

func assertMissing(t testing.TB, rep streams.Report, want ...streams.Missing) {
	t.Helper()
	if len(rep.Missing) != len(want) {
		t.Fatalf("missing = %+v, want %d parts %+v", rep.Missing, len(want), want)
	}
	for i, w := range want {
		g := rep.Missing[i]
		if g.ShardID != w.ShardID || g.StartSequenceNumber != w.StartSequenceNumber || g.EndSequenceNumber != w.EndSequenceNumber || g.Count != w.Count || g.Reason != w.Reason {
			t.Errorf("missing[%d] = %+v\nwant           %+v", i, g, w)
		}
		if !strings.Contains(g.Detail, w.Detail) {
			t.Errorf("missing[%d].Detail = %q, want it to contain %q", i, g.Detail, w.Detail)
		}
	}
}

func fmtSscan(s string, v *int64) (int, error) { return fmt.Sscan(s, v) }

// testLogger sends the reader's logs to the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// kinesisReader is a reader logging to the test's output.
func kinesisReader(t testing.TB, client streams.KinesisAPI, opts streams.Options) *streams.KinesisReader {
	opts.Logger = testLogger(t)
	return streams.NewKinesisReader(client, opts)
}
