package hydrate

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"

	"github.com/hydrant-dev/hydrant/internal/streams"
)

// An S3 on-failure payload is its writer's claim. The failure bucket's policy lets only a
// mapping's consumer role write under the mapping's prefix (package trust checks the rest), but
// that role could still write records of its own stream that the stream never held: made-up
// data that `hydrant redrive` would then put on the stream. So while the stream still holds
// the range, every payload record must be the stream's own record at its sequence number;
// only what the stream no longer has (trimmed, or the stream or shard deleted), which is why
// the S3 destination exists, is taken on the payload's word.

// recordKey names a stream record, or a KPL user record within one.
type recordKey struct {
	seq string
	sub int64 // -1: not a KPL user record
}

func keyOf(r streams.Record) recordKey {
	k := recordKey{seq: r.SequenceNumber, sub: -1}
	if r.SubSequenceNumber != nil {
		k.sub = *r.SubSequenceNumber
	}
	return k
}

func (k recordKey) String() string {
	if k.sub < 0 {
		return k.seq
	}
	return k.seq + "/" + strconv.FormatInt(k.sub, 10)
}

// contentDigest is what must agree between a payload record and the stream's: the data and
// partition key of a Kinesis record; the event name, keys and images of a DynamoDB record.
// Arrival and creation times are left out: the payload and the stream API write them with
// different precisions.
func contentDigest(r streams.Record) ([sha256.Size]byte, error) {
	h := sha256.New()
	switch {
	case r.Kinesis != nil:
		h.Write([]byte(r.Kinesis.PartitionKey))
		h.Write([]byte{0})
		h.Write(r.Kinesis.Data)
	case r.DynamoDB != nil:
		b, err := json.Marshal(struct {
			EventName                string
			Keys, NewImage, OldImage map[string]any
		}{r.DynamoDB.EventName, r.DynamoDB.Keys, r.DynamoDB.NewImage, r.DynamoDB.OldImage})
		if err != nil {
			return [sha256.Size]byte{}, fmt.Errorf("digest of record %s: %w", r.SequenceNumber, err)
		}
		h.Write(b)
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d, nil
}

// checkedPayload is the outcome of reading a payload's range from the stream.
type checkedPayload struct {
	streamOnly []streams.Record  // records of the batch the stream holds and the payload lacks
	missing    []streams.Missing // what neither holds
	unverified int               // payload records taken on its word: the stream no longer has them
}

// checkPayload reads rng from the stream and holds pl against it. A payload record that differs
// from the stream's, or that the stream does not have where it still holds the range, refuses
// the whole failure record (*RefusedError, RefusedNotTheStream).
func checkPayload(ctx context.Context, reader Reader, rng streams.Range, pl *payload) (checkedPayload, error) {
	var out checkedPayload
	want := make(map[recordKey][sha256.Size]byte, len(pl.records))
	for _, r := range pl.records {
		d, err := contentDigest(r)
		if err != nil {
			return out, err
		}
		want[keyOf(r)] = d
	}
	seen := make(map[recordKey]bool, len(want))
	report, err := reader.Read(ctx, rng, func(r streams.Record) error {
		k := keyOf(r)
		d, ok := want[k]
		switch {
		case !ok && pl.has(r.SequenceNumber):
			return &RefusedError{Reason: RefusedNotTheStream, Detail: fmt.Sprintf("the stream's record %s is not in the payload, which holds its sequence number %s", k, r.SequenceNumber)}
		case !ok:
			out.streamOnly = append(out.streamOnly, r)
			return nil
		}
		got, err := contentDigest(r)
		if err != nil {
			return err
		}
		if got != d {
			return &RefusedError{Reason: RefusedNotTheStream, Detail: fmt.Sprintf("payload record %s is not the record the stream holds at that sequence number", k)}
		}
		seen[k] = true
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("read %s shard %s [%s, %s] to check the payload: %w", rng.StreamARN, rng.ShardID, rng.StartSequenceNumber, rng.EndSequenceNumber, err)
	}
	for _, r := range pl.records {
		k := keyOf(r)
		if seen[k] {
			continue
		}
		if !gone(report.Missing, r.SequenceNumber) {
			return out, &RefusedError{Reason: RefusedNotTheStream, Detail: fmt.Sprintf("payload record %s is not in the stream, which still holds that part of shard %s", k, rng.ShardID)}
		}
		out.unverified++
	}
	out.missing = payloadShortfall(report, pl, len(out.streamOnly), rng)
	return out, nil
}

// gone reports whether seq lies in a part of the range the stream no longer has (trimmed, or
// its stream or shard deleted). A part the stream holds but where a record was not found does
// not count: there the stream says the record does not exist.
func gone(missing []streams.Missing, seq string) bool {
	n, ok := new(big.Int).SetString(seq, 10)
	if !ok {
		return false
	}
	for _, m := range missing {
		switch m.Reason {
		case streams.ReasonTrimmed, streams.ReasonStreamNotFound, streams.ReasonShardNotFound:
		default:
			continue
		}
		lo, okLo := new(big.Int).SetString(m.StartSequenceNumber, 10)
		hi, okHi := new(big.Int).SetString(m.EndSequenceNumber, 10)
		if (!okLo || lo.Cmp(n) <= 0) && (!okHi || n.Cmp(hi) <= 0) {
			return true
		}
	}
	return false
}
