package streams

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/hydrant-dev/hydrant/internal/streams/kpl"
)

// KinesisAPI is the part of the Kinesis client the reader uses.
type KinesisAPI interface {
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, optFns ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// Kinesis GetRecords limits: at most 10,000 records per call (and 10 MiB,
// which bounds a page's memory whatever the Limit).
const (
	kinesisMaxLimit     = 10000
	kinesisDefaultLimit = 1000
)

// Kinesis pages are asked for about 2 MiB of data (after a first page of at most 10 records
// that tells the records' size) rather than the 10 MiB Kinesis allows: a shard serves 2 MB/s
// to all its readers, so smaller pages cost no throughput, and a decoded 10 MiB page costs the
// SDK about 58 MB (docs/benchmarks.md, internal/hydrate BenchmarkHydratePeakHeap).
const (
	kinesisPageBytes    = 2 << 20
	kinesisProbeRecords = 10
)

// kinesisMaxEmptyPages bounds a run of empty pages while the consumer is
// still behind the tip (MillisBehindLatest > 0). AWS returns such pages
// while crossing parts of a shard without records, and, as reported for
// iterators into trimmed data, for minutes on end: past this many the
// reader checks TRIM_HORIZON (nothing read yet) or gives up on the rest.
const kinesisMaxEmptyPages = 100

// KinesisReader reads ranges of Kinesis Data Streams shards. It is safe for
// concurrent use.
type KinesisReader struct {
	api kinesisShards
	lim loopLimits
	log *slog.Logger
}

// NewKinesisReader returns a reader over client. Its calls go through the
// reader's retryer (set per call, so the client's own is left alone).
func NewKinesisReader(client KinesisAPI, opts Options) *KinesisReader {
	o := opts.withDefaults()
	lim := loopLimits{maxLimit: kinesisMaxLimit, defaultLimit: kinesisDefaultLimit, maxEmptyPages: kinesisMaxEmptyPages, maxRestarts: 3,
		pageBytes: kinesisPageBytes, probeRecords: kinesisProbeRecords}
	if o.PageLimit > 0 {
		lim.maxLimit, lim.defaultLimit = min(o.PageLimit, kinesisMaxLimit), min(o.PageLimit, kinesisMaxLimit)
	}
	retryer := o.Retryer
	return &KinesisReader{
		api: kinesisShards{client: client, withRetryer: func(opt *kinesis.Options) { opt.Retryer = retryer }},
		lim: lim,
		log: o.Logger,
	}
}

// Read reads the records of r in order, de-aggregating KPL aggregates, and
// passes each to fn. The Report lists what could not be read. An error means
// the read was cut short (fn's error, the context, or an unexpected API
// error) and the Report covers only what was read.
func (k *KinesisReader) Read(ctx context.Context, r Range, fn func(Record) error) (Report, error) {
	return readShard(ctx, k.api, k.lim, k.log, r, func(rec types.Record) (int, error) {
		return deliverKinesis(kinesisRecord{
			seq:          aws.ToString(rec.SequenceNumber),
			partitionKey: aws.ToString(rec.PartitionKey),
			arrival:      aws.ToTime(rec.ApproximateArrivalTimestamp).UTC(),
			data:         rec.Data,
		}, fn)
	})
}

// FromKinesisEventRecord converts a Kinesis record of a Lambda event (as an
// S3 on-failure object carries the batch) to Records, de-aggregating a KPL
// aggregate into its user records.
func FromKinesisEventRecord(e events.KinesisEventRecord) []Record {
	var out []Record
	_, _ = deliverKinesis(kinesisRecord{
		seq:          e.Kinesis.SequenceNumber,
		partitionKey: e.Kinesis.PartitionKey,
		arrival:      e.Kinesis.ApproximateArrivalTimestamp.UTC(),
		data:         e.Kinesis.Data,
	}, func(r Record) error {
		out = append(out, r)
		return nil
	})
	return out
}

type kinesisRecord struct {
	seq, partitionKey string
	arrival           time.Time
	data              []byte
}

// deliverKinesis passes a stored record to fn: as is, or as its user records
// when it is a KPL aggregate; a corrupt aggregate is passed whole and flagged.
func deliverKinesis(kr kinesisRecord, fn func(Record) error) (int, error) {
	base := KinesisData{PartitionKey: kr.partitionKey, ApproximateArrivalTimestamp: kr.arrival, Data: kr.data}
	if base.Data == nil {
		base.Data = []byte{}
	}
	if !kpl.IsAggregated(kr.data) {
		return 1, fn(Record{SequenceNumber: kr.seq, Kinesis: &base})
	}
	users, err := kpl.Deaggregate(kr.data)
	if err != nil {
		base.Aggregated, base.AggregateError = true, err.Error()
		return 1, fn(Record{SequenceNumber: kr.seq, Kinesis: &base})
	}
	for i, u := range users {
		d := base
		d.PartitionKey, d.ExplicitHashKey, d.Data, d.Aggregated = u.PartitionKey, u.ExplicitHashKey, u.Data, true
		sub := int64(i)
		if err := fn(Record{SequenceNumber: kr.seq, SubSequenceNumber: &sub, Kinesis: &d}); err != nil {
			return i, err
		}
	}
	return len(users), nil
}

// kinesisShards adapts the Kinesis API to the read loop.
type kinesisShards struct {
	client      KinesisAPI
	withRetryer func(*kinesis.Options)
}

func (k kinesisShards) shardIterator(ctx context.Context, r Range, pos position, seq string) (string, error) {
	in := &kinesis.GetShardIteratorInput{StreamARN: aws.String(r.StreamARN), ShardId: aws.String(r.ShardID)}
	switch pos {
	case atSequence:
		in.ShardIteratorType, in.StartingSequenceNumber = types.ShardIteratorTypeAtSequenceNumber, aws.String(seq)
	case afterSequence:
		in.ShardIteratorType, in.StartingSequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, aws.String(seq)
	default:
		in.ShardIteratorType = types.ShardIteratorTypeTrimHorizon
	}
	out, err := k.client.GetShardIterator(ctx, in, k.withRetryer)
	if err != nil {
		return "", err
	}
	if aws.ToString(out.ShardIterator) == "" {
		return "", errors.New("GetShardIterator returned no iterator")
	}
	return *out.ShardIterator, nil
}

func (k kinesisShards) getRecords(ctx context.Context, r Range, it string, limit int) (page[types.Record], error) {
	out, err := k.client.GetRecords(ctx, &kinesis.GetRecordsInput{StreamARN: aws.String(r.StreamARN), ShardIterator: aws.String(it), Limit: aws.Int32(int32(limit))}, k.withRetryer)
	if err != nil {
		return page[types.Record]{}, err
	}
	return page[types.Record]{
		records:  out.Records,
		next:     aws.ToString(out.NextShardIterator),
		caughtUp: out.MillisBehindLatest == nil || *out.MillisBehindLatest == 0,
	}, nil
}

func (kinesisShards) sequenceNumber(rec types.Record) string { return aws.ToString(rec.SequenceNumber) }

func (kinesisShards) recordBytes(rec types.Record) int { return len(rec.Data) }

func (kinesisShards) classify(err error) (errKind, string) { return readKind(ServiceKinesis, err) }
