// Package hydrate is Hydrant's use case: it turns one on-failure message (any intake shape)
// into events, one RecordHydrated per record of the failed batch and one
// RecordHydrationFailed per part of the batch that can no longer be read, so that nothing
// of a failed batch disappears silently. The Lambda handler, the CLI and the local cloud all
// call it; where the events go is the caller's Sink.
package hydrate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/big"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/streams"
)

// Reader reads a failed range back from its stream (streams.KinesisReader, streams.DynamoDBReader).
type Reader interface {
	Read(ctx context.Context, r streams.Range, fn func(streams.Record) error) (streams.Report, error)
}

// S3API is the part of the S3 client used to fetch on-failure objects.
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Event is an event as Hydrant puts it on the bus; EventBridge adds id, time, account and region.
type Event struct {
	Source     string              `json:"source"`
	DetailType string              `json:"detail-type"`
	Resources  []string            `json:"resources"`
	Detail     hydrantevent.Detail `json:"detail"`
	// stamp is the eventId the builder computed with the fields it came from, so that the bus
	// sink's check need not hash them again (hydrantevent.CheckStamped); an Event made
	// anywhere else has none and is checked in full.
	stamp hydrantevent.Stamp
}

// Sink receives the events of a failure, one at a time, so that memory stays bounded by what
// the sink buffers whatever the batch size.
type Sink interface {
	Emit(ctx context.Context, e Event) error
}

// Hydrator turns failure messages into events.
type Hydrator struct {
	admit    Admitter
	kinesis  Reader
	dynamodb Reader
	objects  S3API
	source   string
	log      *slog.Logger
}

// Config holds what a Hydrator reads from. Readers and Objects may be nil when the caller
// knows that kind of input cannot arrive; a message that needs one then fails clearly.
type Config struct {
	// Admit checks each failure record against the stack's configuration before anything of
	// it is read or published (trust.Policy.Admit); it returns a *RefusedError to refuse one.
	// Nil admits every record (`hydrant hydrate` run by hand on a file).
	Admit    Admitter
	Kinesis  Reader
	DynamoDB Reader
	Objects  S3API
	Source   string // the events' source; default hydrantevent.DefaultSource
	Logger   *slog.Logger
}

// New returns a Hydrator.
func New(cfg Config) *Hydrator {
	h := &Hydrator{admit: cfg.Admit, kinesis: cfg.Kinesis, dynamodb: cfg.DynamoDB, objects: cfg.Objects, source: cfg.Source, log: cfg.Logger}
	if h.source == "" {
		h.source = hydrantevent.DefaultSource
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h
}

// Admitter decides whether a failure record of an intake message may be hydrated; obj is the
// S3 object the record came from, nil when the message carried the record.
type Admitter func(ctx context.Context, msg failure.Message, rec *failure.Record, obj *failure.ObjectRef) error

// Result counts what hydrating one message produced.
type Result struct {
	Failures int   // on-failure records handled (an S3 notification may name several)
	Hydrated int   // RecordHydrated events emitted
	Failed   int   // RecordHydrationFailed events emitted
	Bytes    int64 // record data bytes recovered
	// Missing lists every part of a range not hydrated whole, one per RecordHydrationFailed:
	// records that could not be read back, and records read that could not be decoded (a
	// corrupt KPL aggregate, Reason hydrantevent.ReasonCorruptAggregate).
	Missing []streams.Missing
}

// Complete reports whether every record was hydrated whole: no RecordHydrationFailed.
func (r Result) Complete() bool { return r.Failed == 0 && len(r.Missing) == 0 }

func (r *Result) add(o Result) {
	r.Failures += o.Failures
	r.Hydrated += o.Hydrated
	r.Failed += o.Failed
	r.Bytes += o.Bytes
	r.Missing = append(r.Missing, o.Missing...)
}

// Hydrate emits the events for one parsed intake message. An error means the message was not
// fully handled and must be retried (events already emitted carry deterministic ids, so a
// retry's duplicates can be dropped by consumers); records that are gone for good are not
// errors but RecordHydrationFailed events.
func (h *Hydrator) Hydrate(ctx context.Context, msg failure.Message, sink Sink) (Result, error) {
	var res Result
	if msg.Record != nil {
		if h.admit != nil {
			if err := h.admit(ctx, msg, msg.Record, nil); err != nil {
				return res, err
			}
		}
		r, err := h.hydrateRecord(ctx, msg.Record, string(msg.Destination), sink)
		res.add(r)
		if err != nil {
			return res, err
		}
	}
	for _, obj := range msg.Objects {
		rec, err := h.fetchObject(ctx, obj)
		if err != nil {
			return res, err
		}
		if h.admit != nil {
			if err := h.admit(ctx, msg, rec, &obj); err != nil {
				return res, fmt.Errorf("s3://%s/%s: %w", obj.Bucket, obj.Key, err)
			}
		}
		r, err := h.hydrateRecord(ctx, rec, hydrantevent.DestinationS3, sink)
		res.add(r)
		if err != nil {
			return res, fmt.Errorf("hydrate s3://%s/%s: %w", obj.Bucket, obj.Key, err)
		}
	}
	return res, nil
}

func (h *Hydrator) fetchObject(ctx context.Context, obj failure.ObjectRef) (*failure.Record, error) {
	if h.objects == nil {
		return nil, fmt.Errorf("get s3://%s/%s: no S3 client configured", obj.Bucket, obj.Key)
	}
	in := &s3.GetObjectInput{Bucket: aws.String(obj.Bucket), Key: aws.String(obj.Key)}
	if obj.VersionID != "" {
		in.VersionId = aws.String(obj.VersionID)
	}
	out, err := h.objects.GetObject(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", obj.Bucket, obj.Key, err)
	}
	defer out.Body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, out.Body); err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", obj.Bucket, obj.Key, err)
	}
	rec, err := failure.ParseObject(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("parse s3://%s/%s: %w", obj.Bucket, obj.Key, err)
	}
	return rec, nil
}

// hydrateRecord emits the events for one on-failure record: from its payload when the S3
// destination carried the batch (what the payload lacks of the range is read back from the
// stream), otherwise read back from the stream.
func (h *Hydrator) hydrateRecord(ctx context.Context, rec *failure.Record, destination string, sink Sink) (Result, error) {
	b := newBuilder(rec, destination, h.source)
	res := Result{Failures: 1}
	log := h.log.With(
		slog.String("requestId", rec.RequestContext.RequestID),
		slog.String("streamArn", b.streamARN),
		slog.String("shardId", b.batch.ShardID),
		slog.String("startSequenceNumber", b.batch.StartSequenceNumber),
		slog.String("endSequenceNumber", b.batch.EndSequenceNumber),
		slog.Int("batchSize", b.batch.BatchSize),
		slog.String("destination", destination),
	)

	emitRecord := func(r streams.Record) error {
		e, err := b.record(r)
		if err != nil {
			return err
		}
		if d, ok := e.Detail.(*hydrantevent.RecordHydrationFailed); ok {
			res.Failed++
			res.Missing = append(res.Missing, streams.Missing{ShardID: d.ShardID, StartSequenceNumber: d.Missing.StartSequenceNumber,
				EndSequenceNumber: d.Missing.EndSequenceNumber, Count: d.Missing.Count, Reason: d.Reason, Detail: d.Message})
			log.Warn("record hydration failed", slog.String("sequenceNumber", d.Missing.StartSequenceNumber), slog.String("reason", d.Reason), slog.String("message", d.Message))
		} else {
			res.Hydrated++
			res.Bytes += recordBytes(r)
		}
		return sink.Emit(ctx, e)
	}

	rng := streams.Range{
		StreamARN:           b.streamARN,
		ShardID:             b.batch.ShardID,
		StartSequenceNumber: b.batch.StartSequenceNumber,
		EndSequenceNumber:   b.batch.EndSequenceNumber,
		BatchSize:           b.batch.BatchSize,
	}
	reader := h.kinesis
	if rec.StreamType() == failure.StreamTypeDynamoDB {
		reader = h.dynamodb
	}
	if reader == nil {
		return res, fmt.Errorf("hydrate %s shard %s: no %s reader configured", b.streamARN, b.batch.ShardID, rec.StreamType())
	}
	// The payload of an S3 on-failure object is checked against the range, then against the
	// stream (checkPayload), before anything is emitted; what it lacks of the batch comes
	// from the stream.
	if rec.Payload != nil {
		start, okStart := new(big.Int).SetString(rng.StartSequenceNumber, 10)
		end, okEnd := new(big.Int).SetString(rng.EndSequenceNumber, 10)
		if !okStart || !okEnd {
			return res, fmt.Errorf("hydrate %s shard %s: range [%s, %s] is not decimal", b.streamARN, rng.ShardID, rng.StartSequenceNumber, rng.EndSequenceNumber)
		}
		pl, err := readPayload(rec, b.streamARN, start, end)
		var checked checkedPayload
		if err == nil {
			checked, err = checkPayload(ctx, reader, rng, pl)
		}
		if err != nil {
			if IsRefused(err) {
				log.Error("failure record refused", slog.String("error", err.Error()))
			}
			return res, fmt.Errorf("hydrate %s shard %s: %w", b.streamARN, rng.ShardID, err)
		}
		if checked.unverified > 0 {
			log.Warn("payload records the stream no longer holds were taken from the payload unchecked", slog.Int("unverified", checked.unverified))
		}
		for _, r := range append(pl.records, checked.streamOnly...) {
			if err := emitRecord(r); err != nil {
				return res, err
			}
		}
		if err := h.emitMissing(ctx, &res, b, checked.missing, sink, log); err != nil {
			return res, err
		}
		log.Info("failure hydrated from its S3 payload", slog.Int("hydrated", res.Hydrated), slog.Int("failed", res.Failed),
			slog.Int("fromStream", len(checked.streamOnly)), slog.Int("unverified", checked.unverified))
		return res, nil
	}

	report, err := reader.Read(ctx, rng, emitRecord)
	if err != nil {
		return res, fmt.Errorf("read %s shard %s [%s, %s]: %w", b.streamARN, b.batch.ShardID, rng.StartSequenceNumber, rng.EndSequenceNumber, err)
	}
	if err := h.emitMissing(ctx, &res, b, report.Missing, sink, log); err != nil {
		return res, err
	}
	log.Info("failure hydrated from the stream", slog.Int("hydrated", res.Hydrated), slog.Int("failed", res.Failed), slog.Int("streamRecords", report.StreamRecords))
	return res, nil
}

// emitMissing emits a RecordHydrationFailed for each part of the range that could not be had.
func (h *Hydrator) emitMissing(ctx context.Context, res *Result, b *builder, missing []streams.Missing, sink Sink, log *slog.Logger) error {
	for _, m := range missing {
		res.Missing = append(res.Missing, m)
		res.Failed++
		log.Warn("records missing from the stream", slog.String("from", m.StartSequenceNumber), slog.String("to", m.EndSequenceNumber), slog.Int("count", m.Count), slog.String("reason", m.Reason), slog.String("detail", m.Detail))
		if err := sink.Emit(ctx, b.missing(m)); err != nil {
			return err
		}
	}
	return nil
}

func recordBytes(r streams.Record) int64 {
	if r.Kinesis != nil {
		return int64(len(r.Kinesis.Data))
	}
	if r.DynamoDB != nil {
		return r.DynamoDB.SizeBytes
	}
	return 0
}
