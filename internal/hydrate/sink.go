package hydrate

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/publish"
)

// Publisher puts entries on the bus (publish.Publisher).
type Publisher interface {
	Publish(ctx context.Context, entries []publish.Entry) (publish.Stats, error)
	MaxEntrySize() int
}

// ObjectStore keeps records too large for an event (publish.ClaimCheck).
type ObjectStore interface {
	Store(ctx context.Context, key, contentType string, body []byte) (publish.Ref, error)
}

// BusSink publishes events to EventBridge. It buffers up to a few PutEvents calls' worth of
// entries (so memory stays bounded whatever the batch size), and stores a record whose event
// would exceed the maximum entry size in S3, the event then carrying the reference.
type BusSink struct {
	pub      Publisher
	store    ObjectStore // nil: an oversized record is an error
	flushAt  int
	buf      []publish.Entry
	bufBytes int
	// details holds the encoded details of the buffered entries (their Detail fields point
	// into it): each event is encoded once, straight into this buffer, which is reused after
	// every flush, so encoding allocates only while it grows to one flush's worth.
	details []byte
	enc     detailEncoder
	Stats   SinkStats
}

// SinkStats counts what a BusSink did.
type SinkStats struct {
	publish.Stats
	Offloaded      int   // records stored in S3 instead of carried in their event
	OffloadedBytes int64 // bytes stored in S3
}

// NewBusSink returns a sink that publishes through pub and offloads through store. flushAt
// is the number of entries buffered before they are published (at least 10).
func NewBusSink(pub Publisher, store ObjectStore, flushAt int) *BusSink {
	return &BusSink{pub: pub, store: store, flushAt: max(flushAt, publish.MaxEntriesPerCall)}
}

// RefusedEventCheck refuses a failure record one of whose events breaks hydrantevent.Check
// (its identity or its place in the failed range): such an event is never published.
const RefusedEventCheck = "event-check"

// Emit adds one event, publishing the buffer when it is full. Every event passes
// hydrantevent.Check first: one that does not is refused, not published. The eventId of an
// event the builder made is not hashed a second time when the detail still holds the fields
// the builder hashed (hydrantevent.CheckStamped, the same verdict).
func (s *BusSink) Emit(ctx context.Context, e Event) error {
	if err := hydrantevent.CheckStamped(e.Detail, e.stamp); err != nil {
		return &RefusedError{Reason: RefusedEventCheck, Detail: err.Error()}
	}
	entry, err := s.entry(ctx, e)
	if err != nil {
		return err
	}
	s.buf = append(s.buf, entry)
	s.bufBytes += publish.EntrySize(entry)
	if len(s.buf) >= s.flushAt || s.bufBytes >= s.flushAt*s.pub.MaxEntrySize()/publish.MaxEntriesPerCall {
		return s.Flush(ctx)
	}
	return nil
}

// Flush publishes what is buffered.
func (s *BusSink) Flush(ctx context.Context) error {
	if len(s.buf) == 0 {
		return nil
	}
	st, err := s.pub.Publish(ctx, s.buf)
	s.Stats.Published += st.Published
	s.Stats.Calls += st.Calls
	s.Stats.Retried += st.Retried
	clear(s.buf)
	s.buf, s.bufBytes = s.buf[:0], 0
	s.details = s.details[:0] // the publisher is done with the entries: reuse their bytes
	return err
}

func (s *BusSink) entry(ctx context.Context, e Event) (publish.Entry, error) {
	id := eventID(e.Detail)
	detail, err := s.encode(e.Detail)
	if err != nil {
		return publish.Entry{}, fmt.Errorf("encode event %s: %w", id, err)
	}
	entry := publish.Entry{ID: id, Source: e.Source, DetailType: e.DetailType, Resources: e.Resources, Detail: detail}
	if publish.EntrySize(entry) <= s.pub.MaxEntrySize() {
		return entry, nil
	}
	if s.store == nil {
		return publish.Entry{}, fmt.Errorf("event %s is %d bytes, over the %d-byte maximum, and no claim-check bucket is configured", id, publish.EntrySize(entry), s.pub.MaxEntrySize())
	}
	if err := s.offload(ctx, e.Detail); err != nil {
		return publish.Entry{}, fmt.Errorf("offload event %s: %w", id, err)
	}
	s.details = s.details[:len(s.details)-len(detail)] // the oversized encoding is dropped
	if entry.Detail, err = s.encode(e.Detail); err != nil {
		return publish.Entry{}, fmt.Errorf("encode event %s: %w", id, err)
	}
	if size := publish.EntrySize(entry); size > s.pub.MaxEntrySize() {
		return publish.Entry{}, fmt.Errorf("event %s is still %d bytes after offloading its record, over the %d-byte maximum", id, size, s.pub.MaxEntrySize())
	}
	return entry, nil
}

// encode appends the detail's JSON to the sink's buffer and returns it. When the buffer has to
// grow, the entries already encoded keep the old array, so their bytes never move.
func (s *BusSink) encode(d hydrantevent.Detail) ([]byte, error) {
	start := len(s.details)
	out, err := s.enc.appendDetail(s.details, d)
	if err != nil {
		return nil, err
	}
	if start == 0 && cap(s.details) == 0 {
		// The first event: make room for a flush's worth of events like it (the sink flushes at
		// flushAt entries or at flushAt maximum-size entries' bytes), so that the buffer is
		// allocated once rather than grown and copied a dozen times.
		want := min(s.flushAt*len(out)*5/4, s.flushAt*s.pub.MaxEntrySize()/publish.MaxEntriesPerCall+len(out))
		if want > cap(out) {
			out = append(make([]byte, 0, want), out...)
		}
	}
	s.details = out
	return out[start:len(out):len(out)], nil
}

// offloadable is a detail whose record can be moved to S3 (both Hydrant details are).
type offloadable interface {
	OffloadBody() ([]byte, error)
	SetOffload(hydrantevent.Offload)
}

// offload stores the record's payload in S3 and replaces it in the detail with the reference:
// a Kinesis record's exact data bytes, or the JSON of a DynamoDB record (images included).
func (s *BusSink) offload(ctx context.Context, detail hydrantevent.Detail) error {
	d, ok := detail.(offloadable)
	if !ok {
		return fmt.Errorf("%T cannot be offloaded", detail)
	}
	body, err := d.OffloadBody()
	if err != nil {
		return err
	}
	var key, contentType string
	switch d := detail.(type) {
	case *hydrantevent.RecordHydrated:
		key = OffloadKey(d.StreamARN, d.ShardID, d.SequenceNumber, d.SubSequenceNumber)
		contentType = "application/octet-stream"
		if d.DynamoDB != nil {
			contentType = "application/json"
		}
	case *hydrantevent.RecordHydrationFailed:
		key = OffloadKey(d.StreamARN, d.ShardID, d.Missing.StartSequenceNumber, nil)
		contentType = "application/octet-stream"
	}
	ref, err := s.store.Store(ctx, key, contentType, body)
	if err != nil {
		return err
	}
	d.SetOffload(hydrantevent.Offload{Bucket: ref.Bucket, Key: ref.Key, Size: ref.Size, SHA256: ref.SHA256})
	s.Stats.Offloaded++
	s.Stats.OffloadedBytes += ref.Size
	return nil
}

// OffloadKey is where a record's payload is stored: derived from its stream, shard and
// sequence numbers only, so that a retry overwrites the same object instead of adding one.
//
//	records/<region>/<account>/kinesis/<stream>/<shard>/<sequence>[-<sub-sequence>]
//	records/<region>/<account>/dynamodb/<table>/<stream label>/<shard>/<sequence>
func OffloadKey(streamARN, shardID, sequenceNumber string, subSequenceNumber *int64) string {
	key := OffloadKeyPrefix(streamARN) + shardID + "/" + sequenceNumber
	if subSequenceNumber != nil {
		key += "-" + strconv.FormatInt(*subSequenceNumber, 10)
	}
	return key
}

// OffloadKeyPrefix is the start, ending in "/", of the key of every record of the stream: the
// bucket policy grants a team account reads under the prefixes of its streams only.
func OffloadKeyPrefix(streamARN string) string {
	a, err := failure.ParseStreamARN(streamARN)
	if err != nil {
		return "records/unparsed/" + streamARN + "/"
	}
	prefix := "records/" + a.Region + "/" + a.AccountID + "/" + string(a.Type) + "/"
	if a.Type == failure.StreamTypeDynamoDB {
		return prefix + a.TableName + "/" + a.StreamLabel + "/"
	}
	return prefix + a.StreamName + "/"
}

// OffloadKeyPrefixOfARNPrefix is the key prefix of the records of every stream whose ARN starts
// with arnPrefix (a subscription's prefix selector). The prefix must name the partition,
// region, account and the resource type ("stream/" or "table/"): a shorter one would grant
// reads across accounts or services, so it is refused.
func OffloadKeyPrefixOfARNPrefix(arnPrefix string) (string, error) {
	// A prefix that names the account has all six ARN sections, the last one cut short.
	a, err := arn.Parse(arnPrefix)
	if err != nil || a.Partition == "" || a.Region == "" || len(a.AccountID) != 12 {
		return "", fmt.Errorf("stream ARN prefix %q: name the partition, region and account (arn:aws:kinesis:REGION:ACCOUNT:stream/...)", arnPrefix)
	}
	resource := a.Resource
	base := "records/" + a.Region + "/" + a.AccountID + "/"
	switch a.Service {
	case "kinesis":
		name, ok := strings.CutPrefix(resource, "stream/")
		if !ok || strings.Contains(name, "/") {
			return "", fmt.Errorf("stream ARN prefix %q: a Kinesis prefix continues with stream/ and part of a stream name", arnPrefix)
		}
		return base + string(failure.StreamTypeKinesis) + "/" + name, nil
	case "dynamodb":
		rest, ok := strings.CutPrefix(resource, "table/")
		if !ok {
			return "", fmt.Errorf("stream ARN prefix %q: a DynamoDB prefix continues with table/", arnPrefix)
		}
		table, tail, more := strings.Cut(rest, "/")
		if !more {
			return base + string(failure.StreamTypeDynamoDB) + "/" + table, nil
		}
		// table/NAME/stream/LABEL-PREFIX: the key holds NAME/LABEL. A tail that stops inside
		// "stream/" selects every stream of the table.
		label, _ := strings.CutPrefix(tail, "stream/")
		if !strings.HasPrefix(tail, "stream/") {
			label = ""
		}
		return base + string(failure.StreamTypeDynamoDB) + "/" + table + "/" + label, nil
	}
	return "", fmt.Errorf("stream ARN prefix %q: service %q is neither kinesis nor dynamodb", arnPrefix, a.Service)
}

func eventID(d hydrantevent.Detail) string {
	switch d := d.(type) {
	case *hydrantevent.RecordHydrated:
		return d.EventID
	case *hydrantevent.RecordHydrationFailed:
		return d.EventID
	}
	return ""
}
