package hydrate

import (
	"encoding/json"
	"fmt"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/streams"
)

// builder makes the events of one on-failure record; the failure context is the same for all.
type builder struct {
	source    string
	streamARN string // the stream's ARN, also for an enhanced fan-out consumer's failure
	typ       string
	batch     *failure.BatchInfo
	failure   hydrantevent.FailureContext
	resources []string // the events' resources, shared by all of them: [streamARN]
}

func newBuilder(rec *failure.Record, destination, source string) *builder {
	batch := rec.Batch()
	streamARN := batch.StreamARN
	if batch.Source.Type != "" {
		streamARN = batch.Source.Stream()
	}
	fc := hydrantevent.FailureContext{
		Condition:                       rec.RequestContext.Condition,
		FunctionARN:                     rec.RequestContext.FunctionARN,
		RequestID:                       rec.RequestContext.RequestID,
		ApproximateInvokeCount:          rec.RequestContext.ApproximateInvokeCount,
		Timestamp:                       rec.Timestamp,
		Destination:                     destination,
		StartSequenceNumber:             batch.StartSequenceNumber,
		EndSequenceNumber:               batch.EndSequenceNumber,
		BatchSize:                       batch.BatchSize,
		ApproximateArrivalOfFirstRecord: batch.ApproximateArrivalOfFirstRecord,
		ApproximateArrivalOfLastRecord:  batch.ApproximateArrivalOfLastRecord,
	}
	if rc := rec.ResponseContext; rc != nil {
		resp := &hydrantevent.FunctionResponse{StatusCode: rc.StatusCode, ExecutedVersion: rc.ExecutedVersion}
		if rc.FunctionError != "" {
			fe := rc.FunctionError
			resp.FunctionError = &fe
		}
		fc.Response = resp
	}
	return &builder{source: source, streamARN: streamARN, typ: string(rec.StreamType()), batch: batch, failure: fc, resources: []string{streamARN}}
}

func (b *builder) event(d hydrantevent.Detail) Event {
	return Event{Source: b.source, DetailType: d.DetailType(), Resources: b.resources[:1:1], Detail: d}
}

// record makes the event for one record read back: RecordHydrated, or RecordHydrationFailed
// for a KPL aggregate that does not decode (its raw bytes travel with the failure).
func (b *builder) record(r streams.Record) (Event, error) {
	if r.Kinesis != nil && r.Kinesis.AggregateError != "" {
		return b.event(&hydrantevent.RecordHydrationFailed{
			SchemaVersion: hydrantevent.SchemaVersion,
			EventID:       hydrantevent.MissingEventID(b.streamARN, b.batch.ShardID, r.SequenceNumber, r.SequenceNumber),
			StreamARN:     b.streamARN,
			StreamType:    b.typ,
			ShardID:       b.batch.ShardID,
			Missing:       hydrantevent.MissingRange{StartSequenceNumber: r.SequenceNumber, EndSequenceNumber: r.SequenceNumber, Count: 1},
			Reason:        hydrantevent.ReasonCorruptAggregate,
			Message:       "KPL aggregate does not decode: " + r.Kinesis.AggregateError,
			Failure:       b.failure,
			Kinesis:       kinesisRecord(r.Kinesis),
		}), nil
	}
	var (
		d    *hydrantevent.RecordHydrated
		both *kinesisHydrated
	)
	if r.Kinesis != nil {
		both = new(kinesisHydrated) // the detail and its Kinesis record in one allocation
		d = &both.detail
	} else {
		d = new(hydrantevent.RecordHydrated)
	}
	stamp := hydrantevent.RecordStamp(b.streamARN, b.batch.ShardID, r.SequenceNumber, r.SubSequenceNumber)
	*d = hydrantevent.RecordHydrated{
		SchemaVersion:     hydrantevent.SchemaVersion,
		EventID:           stamp.ID(),
		StreamARN:         b.streamARN,
		StreamType:        b.typ,
		ShardID:           b.batch.ShardID,
		SequenceNumber:    r.SequenceNumber,
		SubSequenceNumber: r.SubSequenceNumber,
		Failure:           b.failure,
	}
	if both != nil {
		setKinesisRecord(&both.kinesis, r.Kinesis)
		d.Kinesis = &both.kinesis
	}
	if r.DynamoDB != nil {
		ddb, err := dynamoDBRecord(r.DynamoDB)
		if err != nil {
			return Event{}, fmt.Errorf("record %s: %w", r.SequenceNumber, err)
		}
		d.DynamoDB = ddb
	}
	e := b.event(d)
	e.stamp = stamp
	return e, nil
}

// missing makes the event for a part of the range that can no longer be read.
func (b *builder) missing(m streams.Missing) Event {
	return b.event(&hydrantevent.RecordHydrationFailed{
		SchemaVersion: hydrantevent.SchemaVersion,
		EventID:       hydrantevent.MissingEventID(b.streamARN, b.batch.ShardID, m.StartSequenceNumber, m.EndSequenceNumber),
		StreamARN:     b.streamARN,
		StreamType:    b.typ,
		ShardID:       b.batch.ShardID,
		Missing:       hydrantevent.MissingRange{StartSequenceNumber: m.StartSequenceNumber, EndSequenceNumber: m.EndSequenceNumber, Count: m.Count},
		Reason:        failedReason(m.Reason),
		Message:       missingMessage(m),
		Failure:       b.failure,
	})
}

func missingMessage(m streams.Missing) string {
	msg := fmt.Sprintf("%d record(s) of shard %s between %s and %s could not be read: %s", m.Count, m.ShardID, m.StartSequenceNumber, m.EndSequenceNumber, m.Reason)
	if m.Detail != "" {
		msg += ": " + m.Detail
	}
	return msg
}

// failedReason maps the reader's reasons onto the schema's enumeration.
func failedReason(r string) string {
	switch r {
	case streams.ReasonTrimmed:
		return hydrantevent.ReasonTrimmed
	case streams.ReasonStreamNotFound:
		return hydrantevent.ReasonStreamNotFound
	case streams.ReasonShardNotFound:
		return hydrantevent.ReasonShardNotFound
	case streams.ReasonNotFound:
		return hydrantevent.ReasonNotFound
	default:
		return hydrantevent.ReasonOther
	}
}

// kinesisHydrated is a RecordHydrated and its Kinesis record, allocated together.
type kinesisHydrated struct {
	detail  hydrantevent.RecordHydrated
	kinesis hydrantevent.KinesisRecord
}

func kinesisRecord(k *streams.KinesisData) *hydrantevent.KinesisRecord {
	out := new(hydrantevent.KinesisRecord)
	setKinesisRecord(out, k)
	return out
}

func setKinesisRecord(out *hydrantevent.KinesisRecord, k *streams.KinesisData) {
	data := k.Data
	if data == nil {
		data = []byte{} // an empty record is still a record: data "" rather than absent
	}
	*out = hydrantevent.KinesisRecord{
		PartitionKey:                k.PartitionKey,
		ExplicitHashKey:             k.ExplicitHashKey,
		ApproximateArrivalTimestamp: k.ApproximateArrivalTimestamp,
		Data:                        data,
	}
	if k.AggregateError == "" {
		out.DataJSON = hydrantevent.DataJSON(data)
	}
}

func dynamoDBRecord(d *streams.DynamoDBData) (*hydrantevent.DynamoDBRecord, error) {
	out := &hydrantevent.DynamoDBRecord{
		EventID:                     d.EventID,
		EventName:                   d.EventName,
		ApproximateCreationDateTime: d.ApproximateCreationDateTime,
		StreamViewType:              d.StreamViewType,
		SizeBytes:                   d.SizeBytes,
	}
	for _, img := range []struct {
		name string
		in   map[string]any
		out  *json.RawMessage
	}{{"keys", d.Keys, &out.Keys}, {"newImage", d.NewImage, &out.NewImage}, {"oldImage", d.OldImage, &out.OldImage}} {
		if img.in == nil {
			continue
		}
		b, err := json.Marshal(img.in)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", img.name, err)
		}
		*img.out = b
	}
	return out, nil
}
