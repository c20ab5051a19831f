package redrive

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/streams/dynamodbjson"
)

// Record is one hydrated record selected for redrive, with the message it came in.
type Record struct {
	Event  *hydrantevent.Event
	Detail *hydrantevent.RecordHydrated

	msg        Message
	msgIndex   int
	dupIndexes []int // messages carrying the same record
	lambda     []byte
}

// EventID is the record's deterministic identity (detail.eventId): the journal's key.
func (r *Record) EventID() string { return r.Detail.EventID }

// sameContent reports whether two copies of a record (same eventId) carry the same record:
// for Kinesis the partition and explicit hash keys and the data (or its offload's SHA-256, the
// data's); for DynamoDB the event name, keys and images, or the same offloaded object.
func (r *Record) sameContent(o *Record) bool {
	a, b := r.Detail, o.Detail
	switch {
	case a.Kinesis != nil && b.Kinesis != nil:
		return a.Kinesis.PartitionKey == b.Kinesis.PartitionKey && a.Kinesis.ExplicitHashKey == b.Kinesis.ExplicitHashKey &&
			kinesisDataSum(a) == kinesisDataSum(b)
	case a.DynamoDB != nil && b.DynamoDB != nil:
		x, y := a.DynamoDB, b.DynamoDB
		if a.Offload != nil || b.Offload != nil {
			return a.Offload != nil && b.Offload != nil && a.Offload.SHA256 == b.Offload.SHA256 &&
				x.EventName == y.EventName && bytes.Equal(x.Keys, y.Keys)
		}
		return x.EventName == y.EventName && bytes.Equal(x.Keys, y.Keys) && bytes.Equal(x.NewImage, y.NewImage) && bytes.Equal(x.OldImage, y.OldImage)
	}
	return false
}

// kinesisDataSum is the hex SHA-256 of a Kinesis record's data: computed, or its offload's.
func kinesisDataSum(d *hydrantevent.RecordHydrated) string {
	if d.Offload != nil {
		return d.Offload.SHA256
	}
	sum := sha256.Sum256(d.Kinesis.Data)
	return hex.EncodeToString(sum[:])
}

func (r *Record) allIndexes() []int { return append([]int{r.msgIndex}, r.dupIndexes...) }

// before orders records of one shard: by sequence number (compared as the integers they are),
// then by a KPL user record's subsequence number.
func (r *Record) before(o *Record) bool {
	a, aok := new(big.Int).SetString(r.Detail.SequenceNumber, 10)
	b, bok := new(big.Int).SetString(o.Detail.SequenceNumber, 10)
	if aok && bok {
		if c := a.Cmp(b); c != 0 {
			return c < 0
		}
	} else if r.Detail.SequenceNumber != o.Detail.SequenceNumber {
		return r.Detail.SequenceNumber < o.Detail.SequenceNumber
	}
	return sub(r) < sub(o)
}

func sub(r *Record) int64 {
	if r.Detail.SubSequenceNumber == nil {
		return -1
	}
	return *r.Detail.SubSequenceNumber
}

// size is the record's share of an invocation payload: its Lambda event record's JSON and
// the comma between records.
func (r *Record) size() (int, error) {
	b, err := r.LambdaRecord()
	if err != nil {
		return 0, err
	}
	return len(b) + 1, nil
}

// LambdaRecord is the record as the event source mapping delivered it to the consumer: an
// element of a Kinesis or DynamoDB Streams event's "Records", with the original eventID,
// eventSourceARN, sequence number, partition key, arrival or creation time, keys and images.
func (r *Record) LambdaRecord() ([]byte, error) {
	if r.lambda != nil {
		return r.lambda, nil
	}
	d := r.Detail
	var v any
	switch {
	case d.Kinesis != nil:
		v = events.KinesisEventRecord{
			AwsRegion:         r.Event.Region,
			EventID:           d.ShardID + ":" + d.SequenceNumber,
			EventName:         "aws:kinesis:record",
			EventSource:       "aws:kinesis",
			EventSourceArn:    d.StreamARN,
			EventVersion:      "1.0",
			InvokeIdentityArn: "",
			Kinesis: events.KinesisRecord{
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: d.Kinesis.ApproximateArrivalTimestamp},
				Data:                        d.Kinesis.Data,
				PartitionKey:                d.Kinesis.PartitionKey,
				SequenceNumber:              d.SequenceNumber,
				KinesisSchemaVersion:        "1.0",
			},
		}
	case d.DynamoDB != nil:
		keys, err := dynamodbjson.LambdaItemFromJSON(d.DynamoDB.Keys)
		if err != nil {
			return nil, fmt.Errorf("record %s keys: %w", d.EventID, err)
		}
		newImage, err := dynamodbjson.LambdaItemFromJSON(d.DynamoDB.NewImage)
		if err != nil {
			return nil, fmt.Errorf("record %s new image: %w", d.EventID, err)
		}
		oldImage, err := dynamodbjson.LambdaItemFromJSON(d.DynamoDB.OldImage)
		if err != nil {
			return nil, fmt.Errorf("record %s old image: %w", d.EventID, err)
		}
		v = events.DynamoDBEventRecord{
			AWSRegion: r.Event.Region,
			Change: events.DynamoDBStreamRecord{
				ApproximateCreationDateTime: events.SecondsEpochTime{Time: d.DynamoDB.ApproximateCreationDateTime},
				Keys:                        keys,
				NewImage:                    newImage,
				OldImage:                    oldImage,
				SequenceNumber:              d.SequenceNumber,
				SizeBytes:                   d.DynamoDB.SizeBytes,
				StreamViewType:              d.DynamoDB.StreamViewType,
			},
			EventID:        d.DynamoDB.EventID,
			EventName:      d.DynamoDB.EventName,
			EventSource:    "aws:dynamodb",
			EventVersion:   "1.1",
			EventSourceArn: d.StreamARN,
		}
	default:
		return nil, fmt.Errorf("record %s: neither a kinesis nor a dynamodb record", d.EventID)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", d.EventID, err)
	}
	r.lambda = b
	return b, nil
}

// itemIdentifier is what a consumer's batchItemFailures name the record by: its sequence
// number, for Kinesis and DynamoDB Streams alike.
func (r *Record) itemIdentifier() string { return r.Detail.SequenceNumber }
