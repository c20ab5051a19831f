package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hydrant-dev/hydrant/internal/streams/dynamodbjson"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// DynamoDBStreamsAPI is what the ESM uses of DynamoDB Streams.
type DynamoDBStreamsAPI interface {
	DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// dynamoDBMaxLimit is GetRecords' largest Limit on DynamoDB Streams.
const dynamoDBMaxLimit = 1000

// dynamoDBSource reads a DynamoDB stream's shards and builds the Lambda
// DynamoDB event records (with-ddb.md "Example event": eventSource
// aws:dynamodb, eventVersion 1.1, dynamodb{ApproximateCreationDateTime, Keys,
// NewImage, OldImage, SequenceNumber, SizeBytes, StreamViewType}).
type dynamoDBSource struct {
	client    DynamoDBStreamsAPI
	streamARN string
	region    string
}

func (d *dynamoDBSource) listShards(ctx context.Context) ([]shardInfo, error) {
	var shards []shardInfo
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(d.streamARN)}
	for {
		out, err := d.client.DescribeStream(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describe stream %s: %w", d.streamARN, err)
		}
		for _, s := range out.StreamDescription.Shards {
			shards = append(shards, shardInfo{
				id:     aws.ToString(s.ShardId),
				parent: aws.ToString(s.ParentShardId),
				closed: s.SequenceNumberRange != nil && s.SequenceNumberRange.EndingSequenceNumber != nil,
			})
		}
		if out.StreamDescription.LastEvaluatedShardId == nil {
			return shards, nil
		}
		in.ExclusiveStartShardId = out.StreamDescription.LastEvaluatedShardId
	}
}

func (d *dynamoDBSource) iterator(ctx context.Context, shardID string, p position) (string, error) {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(d.streamARN), ShardId: aws.String(shardID)}
	switch {
	case p.after != "":
		in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
		in.SequenceNumber = aws.String(p.after)
	case p.latest:
		in.ShardIteratorType = types.ShardIteratorTypeLatest
	default:
		in.ShardIteratorType = types.ShardIteratorTypeTrimHorizon
	}
	out, err := d.client.GetShardIterator(ctx, in)
	if err != nil {
		return "", fmt.Errorf("get shard iterator %s %s at %s: %w", d.streamARN, shardID, p, err)
	}
	return aws.ToString(out.ShardIterator), nil
}

func (d *dynamoDBSource) getRecords(ctx context.Context, shardID, it string, limit int) ([]record, string, error) {
	out, err := d.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(it), Limit: aws.Int32(int32(min(limit, dynamoDBMaxLimit)))})
	if err != nil {
		return nil, "", fmt.Errorf("get records %s %s: %w", d.streamARN, shardID, err)
	}
	recs := make([]record, 0, len(out.Records))
	for _, r := range out.Records {
		rec, err := d.record(r)
		if err != nil {
			return nil, "", err
		}
		recs = append(recs, rec)
	}
	return recs, aws.ToString(out.NextShardIterator), nil
}

func (d *dynamoDBSource) record(r types.Record) (record, error) {
	if r.Dynamodb == nil {
		return record{}, fmt.Errorf("stream record %s of %s has no dynamodb field", aws.ToString(r.EventID), d.streamARN)
	}
	region := aws.ToString(r.AwsRegion)
	if region == "" {
		region = d.region
	}
	created := aws.ToTime(r.Dynamodb.ApproximateCreationDateTime)
	ev := events.DynamoDBEventRecord{
		AWSRegion: region,
		Change: events.DynamoDBStreamRecord{
			ApproximateCreationDateTime: events.SecondsEpochTime{Time: created},
			Keys:                        dynamodbjson.LambdaItem(r.Dynamodb.Keys),
			NewImage:                    dynamodbjson.LambdaItem(r.Dynamodb.NewImage),
			OldImage:                    dynamodbjson.LambdaItem(r.Dynamodb.OldImage),
			SequenceNumber:              aws.ToString(r.Dynamodb.SequenceNumber),
			SizeBytes:                   aws.ToInt64(r.Dynamodb.SizeBytes),
			StreamViewType:              string(r.Dynamodb.StreamViewType),
		},
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    "aws:dynamodb",
		EventVersion:   "1.1",
		EventSourceArn: d.streamARN,
	}
	if u := r.UserIdentity; u != nil {
		// Set for items deleted by TTL.
		ev.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(u.Type), PrincipalID: aws.ToString(u.PrincipalId)}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return record{}, fmt.Errorf("marshal DynamoDB event record %s: %w", ev.EventID, err)
	}
	return record{seq: ev.Change.SequenceNumber, arrival: created, event: b}, nil
}

func (d *dynamoDBSource) expired(err error) bool {
	var e *types.ExpiredIteratorException
	var t *types.TrimmedDataAccessException
	return errors.As(err, &e) || errors.As(err, &t)
}
