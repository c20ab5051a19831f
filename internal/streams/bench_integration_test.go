//go:build integration

package streams_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/hydrant-dev/hydrant/internal/streams"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// Read and convert through the SDK from kinesis-local.
func BenchmarkKinesisReadEmulator(b *testing.B) {
	client := emulators.Get(b).KinesisClient()
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			s := newKinesisStream(b, client, 1)
			data := make([][]byte, sz.records)
			for i := range data {
				data[i] = bytes.Repeat([]byte{byte(i)}, sz.size)
			}
			seqs := s.put(b, data)
			rd := streams.NewKinesisReader(client, streams.Options{})
			r := streams.Range{StreamARN: s.arn, ShardID: s.shardID(b, 0), StartSequenceNumber: seqs[0], EndSequenceNumber: seqs[len(seqs)-1], BatchSize: len(seqs)}
			b.Run("reader", func(b *testing.B) {
				b.SetBytes(int64(sz.size * sz.records))
				measure(b, sz.records, func() int { return readAll(b, rd, r) })
			})
			// Baseline: the bare SDK calls the reader makes, without the reader.
			b.Run("sdk-baseline", func(b *testing.B) {
				b.SetBytes(int64(sz.size * sz.records))
				measure(b, sz.records, func() int {
					it, err := client.GetShardIterator(context.Background(), &kinesis.GetShardIteratorInput{StreamARN: aws.String(r.StreamARN), ShardId: aws.String(r.ShardID), ShardIteratorType: ktypes.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String(r.StartSequenceNumber)})
					if err != nil {
						b.Fatal(err)
					}
					n, next := 0, it.ShardIterator
					for n < sz.records {
						out, err := client.GetRecords(context.Background(), &kinesis.GetRecordsInput{ShardIterator: next, Limit: aws.Int32(int32(sz.records - n))})
						if err != nil {
							b.Fatal(err)
						}
						n += len(out.Records)
						next = out.NextShardIterator
					}
					return n
				})
			})
		})
	}
}

// Read and convert through the SDK from DynamoDB Local: INSERT records whose
// new image holds a binary attribute of the size.
func BenchmarkDynamoDBReadEmulator(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			tb := newDDBTable(b)
			for i := 0; i < sz.records; i += 25 {
				var reqs []dtypes.WriteRequest
				for k := i; k < min(i+25, sz.records); k++ {
					reqs = append(reqs, dtypes.WriteRequest{PutRequest: &dtypes.PutRequest{Item: map[string]dtypes.AttributeValue{
						"pk":   &dtypes.AttributeValueMemberS{Value: fmt.Sprintf("k%05d", k)},
						"blob": &dtypes.AttributeValueMemberB{Value: bytes.Repeat([]byte{byte(k)}, sz.size)},
					}}})
				}
				if _, err := tb.db.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]dtypes.WriteRequest{tb.name: reqs}}); err != nil {
					b.Fatal(err)
				}
			}
			raw := tb.records(b)
			if len(raw) != sz.records {
				b.Fatalf("stream holds %d records, want %d", len(raw), sz.records)
			}
			rd := streams.NewDynamoDBReader(tb.streams, streams.Options{})
			r := streams.Range{StreamARN: tb.arn, ShardID: tb.shard, StartSequenceNumber: seqOf(raw[0]), EndSequenceNumber: seqOf(raw[len(raw)-1]), BatchSize: len(raw)}
			b.SetBytes(int64(sz.size * sz.records))
			measure(b, sz.records, func() int { return readAll(b, rd, r) })
		})
	}
}
