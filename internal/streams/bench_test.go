package streams_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/hydrant-dev/hydrant/internal/streams"
	"github.com/hydrant-dev/hydrant/internal/streams/kpl/kpltest"
)

var benchSizes = []struct {
	name    string
	size    int
	records int // per range: about 1 MiB, and 10 MiB (one full GetRecords page)
}{
	{"1KiB", 1 << 10, 1000},
	{"100KiB", 100 << 10, 100},
}

// measure runs read b.N times and reports records/s and heap bytes allocated per record.
func measure(b *testing.B, recordsPerOp int, read func() int) {
	b.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	total := 0
	b.ResetTimer()
	for b.Loop() {
		total += read()
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	if total != recordsPerOp*b.N {
		b.Fatalf("read %d records in %d ops, want %d per op", total, b.N, recordsPerOp)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(total), "B/record")
}

func readAll(b *testing.B, rd reader, r streams.Range) int {
	n := 0
	rep, err := rd.Read(context.Background(), r, func(streams.Record) error { n++; return nil })
	if err != nil || !rep.Complete() {
		b.Fatalf("read: %v %+v", err, rep.Missing)
	}
	return n
}

// memKinesis serves prebuilt GetRecords pages from memory, so the benchmark
// measures the read loop and conversion alone.
type memKinesis struct{ records []ktypes.Record }

func (m memKinesis) GetShardIterator(context.Context, *kinesis.GetShardIteratorInput, ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String("0")}, nil
}

func (m memKinesis) GetRecords(_ context.Context, in *kinesis.GetRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	i, _ := strconv.Atoi(aws.ToString(in.ShardIterator))
	j := min(i+int(aws.ToInt32(in.Limit)), len(m.records))
	return &kinesis.GetRecordsOutput{Records: m.records[i:j], NextShardIterator: aws.String(strconv.Itoa(j)), MillisBehindLatest: aws.Int64(0)}, nil
}

func memRecords(n, size int, data func(i int) []byte) []ktypes.Record {
	now := time.Now()
	out := make([]ktypes.Record, n)
	for i := range out {
		out[i] = ktypes.Record{SequenceNumber: aws.String(fmt.Sprintf("4968065330681963532880996996322252273867328970298700%04d", i)), PartitionKey: aws.String("pk"), ApproximateArrivalTimestamp: &now, Data: data(i)}
	}
	return out
}

// The read loop and conversion in memory: plain records, and KPL aggregates
// (each Kinesis record packing as many user records of the size as fit in 1 MiB).
func BenchmarkKinesisReadInMemory(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run("plain/"+sz.name, func(b *testing.B) {
			recs := memRecords(sz.records, sz.size, func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, sz.size) })
			rd := streams.NewKinesisReader(memKinesis{recs}, streams.Options{})
			r := streams.Range{StreamARN: "arn:aws:kinesis:us-east-1:000000000000:stream/bench", ShardID: "shardId-000000000000", StartSequenceNumber: *recs[0].SequenceNumber, EndSequenceNumber: *recs[len(recs)-1].SequenceNumber, BatchSize: len(recs)}
			b.SetBytes(int64(sz.size * sz.records))
			measure(b, sz.records, func() int { return readAll(b, rd, r) })
		})
		b.Run("kpl/"+sz.name, func(b *testing.B) {
			perAggregate := max(1, (1<<20)/(sz.size+16))
			users := make([]kpltest.Record, perAggregate)
			for i := range users {
				users[i] = kpltest.Record{PartitionKey: "pk", Data: bytes.Repeat([]byte{byte(i)}, sz.size)}
			}
			agg := kpltest.Aggregate(users)
			aggregates := max(1, sz.records/perAggregate)
			recs := memRecords(aggregates, len(agg), func(int) []byte { return agg })
			rd := streams.NewKinesisReader(memKinesis{recs}, streams.Options{})
			r := streams.Range{StreamARN: "arn:aws:kinesis:us-east-1:000000000000:stream/bench", ShardID: "shardId-000000000000", StartSequenceNumber: *recs[0].SequenceNumber, EndSequenceNumber: *recs[len(recs)-1].SequenceNumber, BatchSize: len(recs)}
			b.SetBytes(int64(sz.size * perAggregate * aggregates))
			measure(b, perAggregate*aggregates, func() int { return readAll(b, rd, r) })
		})
	}
}

// memDynamoDB serves prebuilt DynamoDB Streams pages from memory.
type memDynamoDB struct{ records []stypes.Record }

func (m memDynamoDB) GetShardIterator(context.Context, *dynamodbstreams.GetShardIteratorInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String("0")}, nil
}

func (m memDynamoDB) GetRecords(_ context.Context, in *dynamodbstreams.GetRecordsInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	i, _ := strconv.Atoi(aws.ToString(in.ShardIterator))
	j := min(i+int(aws.ToInt32(in.Limit)), len(m.records))
	return &dynamodbstreams.GetRecordsOutput{Records: m.records[i:j], NextShardIterator: aws.String(strconv.Itoa(j))}, nil
}

// DynamoDB Streams read loop and image conversion in memory: MODIFY records
// with old and new images of the size (a binary attribute, a string, numbers, a map).
func BenchmarkDynamoDBReadInMemory(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			recs := make([]stypes.Record, sz.records)
			for i := range recs {
				img := map[string]stypes.AttributeValue{
					"pk":   &stypes.AttributeValueMemberS{Value: fmt.Sprintf("k%d", i)},
					"n":    &stypes.AttributeValueMemberN{Value: big38},
					"blob": &stypes.AttributeValueMemberB{Value: bytes.Repeat([]byte{1}, sz.size/2)},
					"text": &stypes.AttributeValueMemberS{Value: string(bytes.Repeat([]byte{'x'}, sz.size/2-64))},
					"m":    &stypes.AttributeValueMemberM{Value: map[string]stypes.AttributeValue{"ok": &stypes.AttributeValueMemberBOOL{Value: true}, "l": &stypes.AttributeValueMemberL{Value: []stypes.AttributeValue{&stypes.AttributeValueMemberN{Value: "1"}}}}},
				}
				recs[i] = stypes.Record{EventID: aws.String("e"), EventName: stypes.OperationTypeModify, Dynamodb: &stypes.StreamRecord{
					SequenceNumber: aws.String(fmt.Sprintf("%021d", i+1)), Keys: map[string]stypes.AttributeValue{"pk": img["pk"]}, NewImage: img, OldImage: img, StreamViewType: stypes.StreamViewTypeNewAndOldImages,
				}}
			}
			rd := streams.NewDynamoDBReader(memDynamoDB{recs}, streams.Options{})
			r := streams.Range{StreamARN: "arn:aws:dynamodb:ddblocal:000000000000:table/T/stream/x", ShardID: "shardId-1", StartSequenceNumber: fmt.Sprintf("%021d", 1), EndSequenceNumber: fmt.Sprintf("%021d", len(recs)), BatchSize: len(recs)}
			b.SetBytes(int64(sz.size * sz.records))
			measure(b, sz.records, func() int { return readAll(b, rd, r) })
		})
	}
}

// Lambda event records (S3 on-failure payloads) to Records, in memory.
func BenchmarkFromEventRecord(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run("kinesis/"+sz.name, func(b *testing.B) {
			var e events.KinesisEventRecord
			e.Kinesis.Data = bytes.Repeat([]byte{7}, sz.size)
			e.Kinesis.SequenceNumber = "49680653306819635328809969963222522738673289702987005954"
			b.SetBytes(int64(sz.size))
			measure(b, 1, func() int { return len(streams.FromKinesisEventRecord(e)) })
		})
		b.Run("dynamodb/"+sz.name, func(b *testing.B) {
			blob, _ := json.Marshal(bytes.Repeat([]byte{1}, sz.size))
			raw := json.RawMessage(`{"eventID":"e","eventName":"INSERT","dynamodb":{"ApproximateCreationDateTime":1764356400,"Keys":{"pk":{"S":"a"}},` +
				`"NewImage":{"pk":{"S":"a"},"n":{"N":"` + big38 + `"},"blob":{"B":` + string(blob) + `}},"SequenceNumber":"000000000000000000001","SizeBytes":1,"StreamViewType":"NEW_IMAGE"}}`)
			b.SetBytes(int64(sz.size))
			measure(b, 1, func() int {
				if _, err := streams.FromDynamoDBEventRecord(raw); err != nil {
					b.Fatal(err)
				}
				return 1
			})
		})
	}
}

// lazyKinesis generates each page when asked, so a read of many large
// records holds only what the reader keeps.
type lazyKinesis struct{ n, size int }

func (l lazyKinesis) GetShardIterator(context.Context, *kinesis.GetShardIteratorInput, ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String("0")}, nil
}

func (l lazyKinesis) GetRecords(_ context.Context, in *kinesis.GetRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	i, _ := strconv.Atoi(aws.ToString(in.ShardIterator))
	// Like Kinesis: at most 10 MiB per page, whatever the Limit.
	j := min(i+int(aws.ToInt32(in.Limit)), l.n, i+max(1, (10<<20)/l.size))
	now := time.Now()
	out := &kinesis.GetRecordsOutput{NextShardIterator: aws.String(strconv.Itoa(j)), MillisBehindLatest: aws.Int64(0)}
	for k := i; k < j; k++ {
		out.Records = append(out.Records, ktypes.Record{SequenceNumber: aws.String(fmt.Sprintf("4968065330681963532880996996322252273867328970298700%04d", k)), PartitionKey: aws.String("pk"), ApproximateArrivalTimestamp: &now, Data: make([]byte, l.size)})
	}
	return out, nil
}

// A 10,000-record batch of 100 KiB records (1 GB) read in memory: the peak
// live heap sampled during the read stays near one 10 MiB page.
func BenchmarkKinesisReadPeakHeap(b *testing.B) {
	const n, size = 10000, 100 << 10
	rd := streams.NewKinesisReader(lazyKinesis{n: n, size: size}, streams.Options{})
	r := streams.Range{StreamARN: "arn:aws:kinesis:us-east-1:000000000000:stream/bench", ShardID: "shardId-000000000000", StartSequenceNumber: fmt.Sprintf("4968065330681963532880996996322252273867328970298700%04d", 0), EndSequenceNumber: fmt.Sprintf("4968065330681963532880996996322252273867328970298700%04d", n-1), BatchSize: n}
	var peak uint64
	var ms runtime.MemStats
	b.SetBytes(n * size)
	for b.Loop() {
		count := 0
		rep, err := rd.Read(context.Background(), r, func(streams.Record) error {
			count++
			if count%250 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			return nil
		})
		if err != nil || !rep.Complete() || count != n {
			b.Fatalf("read %d: %v %+v", count, err, rep.Missing)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

const big38 = "12345678901234567890123456789012345678"
