package streams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/hydrant-dev/hydrant/internal/streams/dynamodbjson"
)

// DynamoDBStreamsAPI is the part of the DynamoDB Streams client the reader uses.
type DynamoDBStreamsAPI interface {
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// DynamoDB Streams GetRecords returns at most 1,000 records (and 1 MB).
const dynamoDBMaxLimit = 1000

// dynamoDBMaxEmptyPages: a DynamoDB Streams open shard has no "caught up"
// signal, and GetRecords may answer empty pages before records it holds;
// after this many consecutive empty pages the shard counts as read to its
// tip (or, when nothing was read yet, TRIM_HORIZON is checked).
const dynamoDBMaxEmptyPages = 20

// DynamoDBReader reads ranges of DynamoDB Streams shards. It is safe for
// concurrent use.
type DynamoDBReader struct {
	api dynamoDBShards
	lim loopLimits
	log *slog.Logger
}

// NewDynamoDBReader returns a reader over client, with the reader's retryer
// set on each call.
func NewDynamoDBReader(client DynamoDBStreamsAPI, opts Options) *DynamoDBReader {
	o := opts.withDefaults()
	lim := loopLimits{maxLimit: dynamoDBMaxLimit, defaultLimit: dynamoDBMaxLimit, maxEmptyPages: dynamoDBMaxEmptyPages, maxRestarts: 3}
	if o.PageLimit > 0 {
		lim.maxLimit, lim.defaultLimit = min(o.PageLimit, dynamoDBMaxLimit), min(o.PageLimit, dynamoDBMaxLimit)
	}
	retryer := o.Retryer
	return &DynamoDBReader{
		api: dynamoDBShards{client: client, withRetryer: func(opt *dynamodbstreams.Options) { opt.Retryer = retryer }},
		lim: lim,
		log: o.Logger,
	}
}

// Read reads the records of r in order, converting keys and images to plain
// JSON, and passes each to fn. See KinesisReader.Read for the Report and error.
func (d *DynamoDBReader) Read(ctx context.Context, r Range, fn func(Record) error) (Report, error) {
	return readShard(ctx, d.api, d.lim, d.log, r, func(rec types.Record) (int, error) {
		out, err := fromStreamRecord(rec)
		if err != nil {
			return 0, fmt.Errorf("stream %s shard %s: %w", r.StreamARN, r.ShardID, err)
		}
		return 1, fn(out)
	})
}

func fromStreamRecord(rec types.Record) (Record, error) {
	sr := rec.Dynamodb
	if sr == nil {
		return Record{}, fmt.Errorf("record %s has no dynamodb field", aws.ToString(rec.EventID))
	}
	seq := aws.ToString(sr.SequenceNumber)
	data := &DynamoDBData{
		EventID:                     aws.ToString(rec.EventID),
		EventName:                   string(rec.EventName),
		ApproximateCreationDateTime: aws.ToTime(sr.ApproximateCreationDateTime).UTC(),
		StreamViewType:              string(sr.StreamViewType),
		SizeBytes:                   aws.ToInt64(sr.SizeBytes),
	}
	if id := rec.UserIdentity; id != nil {
		data.UserIdentity = &UserIdentity{Type: aws.ToString(id.Type), PrincipalID: aws.ToString(id.PrincipalId)}
	}
	var err error
	if data.Keys, err = dynamodbjson.Item(sr.Keys); err != nil {
		return Record{}, fmt.Errorf("record %s Keys: %w", seq, err)
	}
	if data.NewImage, err = dynamodbjson.Item(sr.NewImage); err != nil {
		return Record{}, fmt.Errorf("record %s NewImage: %w", seq, err)
	}
	if data.OldImage, err = dynamodbjson.Item(sr.OldImage); err != nil {
		return Record{}, fmt.Errorf("record %s OldImage: %w", seq, err)
	}
	return Record{SequenceNumber: seq, DynamoDB: data}, nil
}

// dynamoDBEventRecord is a DynamoDB Streams record as Lambda delivers it.
type dynamoDBEventRecord struct {
	EventID      string `json:"eventID"`
	EventName    string `json:"eventName"`
	UserIdentity *struct {
		Type        string `json:"type"`
		PrincipalID string `json:"principalId"`
	} `json:"userIdentity"`
	DynamoDB *struct {
		ApproximateCreationDateTime json.Number     `json:"ApproximateCreationDateTime"`
		Keys                        json.RawMessage `json:"Keys"`
		NewImage                    json.RawMessage `json:"NewImage"`
		OldImage                    json.RawMessage `json:"OldImage"`
		SequenceNumber              string          `json:"SequenceNumber"`
		SizeBytes                   int64           `json:"SizeBytes"`
		StreamViewType              string          `json:"StreamViewType"`
	} `json:"dynamodb"`
}

// FromDynamoDBEventRecord converts a DynamoDB record of a Lambda event (as an
// S3 on-failure object carries the batch) to a Record, its DynamoDB JSON keys
// and images converted exactly as the stream path converts them.
func FromDynamoDBEventRecord(raw json.RawMessage) (Record, error) {
	var e dynamoDBEventRecord
	if err := json.Unmarshal(raw, &e); err != nil {
		return Record{}, fmt.Errorf("DynamoDB event record: %w", err)
	}
	if e.DynamoDB == nil {
		return Record{}, errors.New("DynamoDB event record: dynamodb is missing")
	}
	if _, err := parseSequenceNumber(e.DynamoDB.SequenceNumber); err != nil {
		return Record{}, fmt.Errorf("DynamoDB event record: dynamodb.SequenceNumber: %w", err)
	}
	sr := types.StreamRecord{
		SequenceNumber: aws.String(e.DynamoDB.SequenceNumber),
		SizeBytes:      aws.Int64(e.DynamoDB.SizeBytes),
		StreamViewType: types.StreamViewType(e.DynamoDB.StreamViewType),
	}
	if e.DynamoDB.ApproximateCreationDateTime != "" {
		t, err := epochSeconds(e.DynamoDB.ApproximateCreationDateTime)
		if err != nil {
			return Record{}, fmt.Errorf("DynamoDB event record: dynamodb.ApproximateCreationDateTime: %w", err)
		}
		sr.ApproximateCreationDateTime = &t
	}
	for _, img := range []struct {
		name string
		raw  json.RawMessage
		dst  *map[string]types.AttributeValue
	}{{"Keys", e.DynamoDB.Keys, &sr.Keys}, {"NewImage", e.DynamoDB.NewImage, &sr.NewImage}, {"OldImage", e.DynamoDB.OldImage, &sr.OldImage}} {
		item, err := dynamodbjson.ParseItem(img.raw)
		if err != nil {
			return Record{}, fmt.Errorf("DynamoDB event record: dynamodb.%s: %w", img.name, err)
		}
		*img.dst = item
	}
	in := types.Record{EventID: aws.String(e.EventID), EventName: types.OperationType(e.EventName), Dynamodb: &sr}
	if e.UserIdentity != nil {
		in.UserIdentity = &types.Identity{Type: aws.String(e.UserIdentity.Type), PrincipalId: aws.String(e.UserIdentity.PrincipalID)}
	}
	rec, err := fromStreamRecord(in)
	if err != nil {
		return Record{}, fmt.Errorf("DynamoDB event record: %w", err)
	}
	return rec, nil
}

// epochSeconds parses Lambda's ApproximateCreationDateTime, epoch seconds
// (possibly fractional), without float rounding of the seconds.
func epochSeconds(n json.Number) (time.Time, error) {
	s := n.String()
	whole, frac, hasFrac := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || (hasFrac && (frac == "" || strings.Trim(frac, "0123456789") != "")) {
		return time.Time{}, fmt.Errorf("%q is not epoch seconds", s)
	}
	var nsec int64
	if frac != "" {
		if nsec, err = strconv.ParseInt((frac + "000000000")[:9], 10, 64); err != nil {
			return time.Time{}, fmt.Errorf("%q is not epoch seconds", s)
		}
	}
	return time.Unix(sec, nsec).UTC(), nil
}

// dynamoDBShards adapts the DynamoDB Streams API to the read loop.
type dynamoDBShards struct {
	client      DynamoDBStreamsAPI
	withRetryer func(*dynamodbstreams.Options)
}

func (d dynamoDBShards) shardIterator(ctx context.Context, r Range, pos position, seq string) (string, error) {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(r.StreamARN), ShardId: aws.String(r.ShardID)}
	switch pos {
	case atSequence:
		in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeAtSequenceNumber, aws.String(seq)
	case afterSequence:
		in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, aws.String(seq)
	default:
		in.ShardIteratorType = types.ShardIteratorTypeTrimHorizon
	}
	out, err := d.client.GetShardIterator(ctx, in, d.withRetryer)
	if err != nil {
		return "", err
	}
	if aws.ToString(out.ShardIterator) == "" {
		return "", errors.New("GetShardIterator returned no iterator")
	}
	return *out.ShardIterator, nil
}

func (d dynamoDBShards) getRecords(ctx context.Context, _ Range, it string, limit int) (page[types.Record], error) {
	out, err := d.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(it), Limit: aws.Int32(int32(limit))}, d.withRetryer)
	if err != nil {
		return page[types.Record]{}, err
	}
	return page[types.Record]{records: out.Records, next: aws.ToString(out.NextShardIterator)}, nil
}

// recordBytes is the record's size as DynamoDB Streams reports it (pages are capped at 1 MB,
// so the reader does not size them).
func (dynamoDBShards) recordBytes(rec types.Record) int {
	if rec.Dynamodb == nil {
		return 0
	}
	return int(aws.ToInt64(rec.Dynamodb.SizeBytes))
}

func (dynamoDBShards) sequenceNumber(rec types.Record) string {
	if rec.Dynamodb == nil {
		return ""
	}
	return aws.ToString(rec.Dynamodb.SequenceNumber)
}

func (dynamoDBShards) classify(err error) (errKind, string) {
	return readKind(ServiceDynamoDBStreams, err)
}
