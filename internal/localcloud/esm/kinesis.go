package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// KinesisAPI is what the ESM uses of Kinesis Data Streams.
type KinesisAPI interface {
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, optFns ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// kinesisSource reads a Kinesis stream's shards and builds the Lambda
// Kinesis event records (with-kinesis.md "Example event": eventSource
// aws:kinesis, eventVersion 1.0, eventID <shardId>:<sequenceNumber>, eventName
// aws:kinesis:record, kinesisSchemaVersion 1.0).
type kinesisSource struct {
	client    KinesisAPI
	streamARN string
	region    string
	roleARN   string
}

func (k *kinesisSource) listShards(ctx context.Context) ([]shardInfo, error) {
	var shards []shardInfo
	in := &kinesis.ListShardsInput{StreamARN: aws.String(k.streamARN)}
	for {
		out, err := k.client.ListShards(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list shards of %s: %w", k.streamARN, err)
		}
		for _, s := range out.Shards {
			shards = append(shards, shardInfo{
				id:             aws.ToString(s.ShardId),
				parent:         aws.ToString(s.ParentShardId),
				adjacentParent: aws.ToString(s.AdjacentParentShardId),
				closed:         s.SequenceNumberRange != nil && s.SequenceNumberRange.EndingSequenceNumber != nil,
			})
		}
		if out.NextToken == nil {
			return shards, nil
		}
		// With a NextToken, ListShards takes no stream name or ARN.
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
}

func (k *kinesisSource) iterator(ctx context.Context, shardID string, p position) (string, error) {
	in := &kinesis.GetShardIteratorInput{StreamARN: aws.String(k.streamARN), ShardId: aws.String(shardID)}
	switch {
	case p.after != "":
		in.ShardIteratorType = ktypes.ShardIteratorTypeAfterSequenceNumber
		in.StartingSequenceNumber = aws.String(p.after)
	case p.latest:
		in.ShardIteratorType = ktypes.ShardIteratorTypeLatest
	default:
		in.ShardIteratorType = ktypes.ShardIteratorTypeTrimHorizon
	}
	out, err := k.client.GetShardIterator(ctx, in)
	if err != nil {
		return "", fmt.Errorf("get shard iterator %s %s at %s: %w", k.streamARN, shardID, p, err)
	}
	return aws.ToString(out.ShardIterator), nil
}

func (k *kinesisSource) getRecords(ctx context.Context, shardID, it string, limit int) ([]record, string, error) {
	out, err := k.client.GetRecords(ctx, &kinesis.GetRecordsInput{StreamARN: aws.String(k.streamARN), ShardIterator: aws.String(it), Limit: aws.Int32(int32(limit))})
	if err != nil {
		return nil, "", fmt.Errorf("get records %s %s: %w", k.streamARN, shardID, err)
	}
	recs := make([]record, 0, len(out.Records))
	for _, r := range out.Records {
		rec, err := k.record(shardID, r)
		if err != nil {
			return nil, "", err
		}
		recs = append(recs, rec)
	}
	return recs, aws.ToString(out.NextShardIterator), nil
}

func (k *kinesisSource) record(shardID string, r ktypes.Record) (record, error) {
	seq := aws.ToString(r.SequenceNumber)
	arrival := aws.ToTime(r.ApproximateArrivalTimestamp)
	ev := events.KinesisEventRecord{
		AwsRegion:         k.region,
		EventID:           shardID + ":" + seq,
		EventName:         "aws:kinesis:record",
		EventSource:       "aws:kinesis",
		EventSourceArn:    k.streamARN,
		EventVersion:      "1.0",
		InvokeIdentityArn: k.roleARN,
		Kinesis: events.KinesisRecord{
			ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: arrival},
			Data:                        r.Data,
			PartitionKey:                aws.ToString(r.PartitionKey),
			SequenceNumber:              seq,
			KinesisSchemaVersion:        "1.0",
		},
	}
	if r.EncryptionType == ktypes.EncryptionTypeKms {
		ev.Kinesis.EncryptionType = string(r.EncryptionType)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return record{}, fmt.Errorf("marshal Kinesis event record %s: %w", ev.EventID, err)
	}
	return record{seq: seq, arrival: arrival, event: b}, nil
}

func (k *kinesisSource) expired(err error) bool {
	var e *ktypes.ExpiredIteratorException
	return errors.As(err, &e)
}
