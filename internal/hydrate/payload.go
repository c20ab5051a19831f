package hydrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/streams"
)

// RefusedError says that a failure record was refused: it is not what an event source mapping
// writes for the batch it names, so nothing of it is published. It is not retried into
// publication: the intake message belongs in the intake DLQ, with Reason, for an operator.
// Callers find it with errors.As.
type RefusedError struct {
	Reason string // one of the Refused* constants
	Detail string // what was refused, naming the record
}

func (e *RefusedError) Error() string {
	return "failure record refused (" + e.Reason + "): " + e.Detail
}

// Reasons a failure record's S3 payload is refused: records that are not the failed batch.
const (
	RefusedOutsideRange = "payload-outside-range" // a record's sequence number is outside [start, end]
	RefusedOtherShard   = "payload-other-shard"   // a Kinesis record's eventID names another shard
	RefusedOtherStream  = "payload-other-stream"  // a record's eventSourceARN names another stream
	RefusedDuplicate    = "payload-duplicate"     // a sequence number appears twice
	RefusedOverCount    = "payload-over-count"    // more records than the batch size
	// RefusedNotTheStream: the stream still holds the range, and a payload record is not the
	// record it holds at that sequence number (other data), or is not there at all.
	RefusedNotTheStream = "payload-not-the-stream"
)

// IsRefused reports whether err is (or wraps) a refusal.
func IsRefused(err error) bool {
	var re *RefusedError
	return errors.As(err, &re)
}

// payload is an S3 on-failure object's batch, checked against the record's range and converted.
type payload struct {
	records []streams.Record    // converted (KPL aggregates de-aggregated), in payload order
	seqs    map[string]struct{} // the stream records' sequence numbers, as the payload writes them
	count   int                 // stream records (a KPL aggregate counts once, as batchSize does)
}

// has reports whether the payload holds the stream record seq.
func (p *payload) has(seq string) bool {
	_, ok := p.seqs[seq]
	return ok
}

// readPayload checks every record of rec's payload against the batch it names and converts
// it, before anything is emitted: a record outside [start, end], of another shard or stream,
// twice, or more records than batchSize, and the whole failure record is refused.
func readPayload(rec *failure.Record, streamARN string, start, end *big.Int) (*payload, error) {
	batch := rec.Batch()
	p := &payload{seqs: make(map[string]struct{}, len(rec.Payload.Records))}
	add := func(i int, seq, eventSourceARN string) error {
		at := "payload.Records[" + strconv.Itoa(i) + "]"
		if eventSourceARN != "" && eventSourceARN != streamARN && eventSourceARN != batch.StreamARN {
			return &RefusedError{Reason: RefusedOtherStream, Detail: fmt.Sprintf("%s (sequence number %s) is from %s, not %s", at, seq, eventSourceARN, streamARN)}
		}
		n, ok := new(big.Int).SetString(seq, 10)
		if !ok {
			return fmt.Errorf("%s: sequence number %q is not decimal", at, seq)
		}
		if n.Cmp(start) < 0 || n.Cmp(end) > 0 {
			return &RefusedError{Reason: RefusedOutsideRange, Detail: fmt.Sprintf("%s has sequence number %s, outside the failed range [%s, %s] of shard %s",
				at, seq, batch.StartSequenceNumber, batch.EndSequenceNumber, batch.ShardID)}
		}
		if p.has(seq) {
			return &RefusedError{Reason: RefusedDuplicate, Detail: fmt.Sprintf("%s repeats sequence number %s", at, seq)}
		}
		p.seqs[seq] = struct{}{}
		p.count++
		if p.count > batch.BatchSize {
			return &RefusedError{Reason: RefusedOverCount, Detail: fmt.Sprintf("the payload holds more than the batch's %d records", batch.BatchSize)}
		}
		return nil
	}

	if rec.StreamType() == failure.StreamTypeKinesis {
		krs, err := rec.Payload.KinesisRecords()
		if err != nil {
			return nil, err
		}
		for i, kr := range krs {
			seq := kr.Kinesis.SequenceNumber
			// AWS writes eventID as "<shardId>:<sequenceNumber>": the only shard a record names.
			if want := batch.ShardID + ":" + seq; kr.EventID != want {
				return nil, &RefusedError{Reason: RefusedOtherShard, Detail: fmt.Sprintf("payload.Records[%d] has eventID %q, want %q (shard %s)", i, kr.EventID, want, batch.ShardID)}
			}
			if err := add(i, seq, kr.EventSourceArn); err != nil {
				return nil, err
			}
			p.records = append(p.records, streams.FromKinesisEventRecord(kr)...)
		}
		return p, nil
	}
	for i, raw := range rec.Payload.Records {
		r, err := streams.FromDynamoDBEventRecord(raw)
		if err != nil {
			return nil, fmt.Errorf("payload.Records[%d]: %w", i, err)
		}
		var src struct {
			EventSourceARN string `json:"eventSourceARN"`
		}
		if err := json.Unmarshal(raw, &src); err != nil {
			return nil, fmt.Errorf("payload.Records[%d]: %w", i, err)
		}
		if err := add(i, r.SequenceNumber, src.EventSourceARN); err != nil {
			return nil, err
		}
		p.records = append(p.records, r)
	}
	return p, nil
}

// payloadShortfall corrects a read of the range behind a partial payload: the reader counted
// only what the stream still holds, but the payload already carried p.count records. What is
// missing is the batch size less the payload's records and those the stream added; when the
// payload made up for every gap the stream has, nothing is missing. The whole shortfall goes on
// the last missing part, as the reader does.
func payloadShortfall(rep streams.Report, p *payload, fromStream int, rng streams.Range) []streams.Missing {
	short := rng.BatchSize - p.count - fromStream
	if short <= 0 {
		return nil
	}
	missing := append([]streams.Missing(nil), rep.Missing...)
	if len(missing) == 0 {
		missing = []streams.Missing{{ShardID: rng.ShardID, StartSequenceNumber: rng.StartSequenceNumber, EndSequenceNumber: rng.EndSequenceNumber,
			Reason: streams.ReasonNotFound, Detail: "neither the S3 payload nor the stream holds them"}}
	}
	for i := range missing {
		missing[i].Count = 0
	}
	missing[len(missing)-1].Count = short
	return missing
}
