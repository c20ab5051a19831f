package hydrantevent

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// idLen is the length of an event identity in hex digits: 128 bits of SHA-256, far beyond any
// chance of collision among the records of a stream's retention, and short in every event.
const idLen = 32

// EventID returns the deterministic identity of a hydrated record: the first 32 lowercase hex
// digits of the SHA-256 of
//
//	"hydrant.record.v1\n" + streamARN + "\n" + shardID + "\n" + sequenceNumber + "\n" + sub
//
// where sub is the decimal sub-sequence number of a KPL user record and empty otherwise (so
// a plain record and sub-record 0 of an aggregate differ). streamARN is the stream's ARN, never
// an enhanced fan-out consumer's. Every RecordHydrated for the same record carries the same
// identity, whichever attempt, message or destination produced it, so consumers drop
// duplicates by detail.eventId.
func EventID(streamARN, shardID, sequenceNumber string, subSequenceNumber *int64) string {
	id := eventID(streamARN, shardID, sequenceNumber, subSequenceNumber)
	return string(id[:])
}

// Stamp is a RecordHydrated eventId with the fields it was computed from (RecordStamp), so
// that CheckStamped can take the eventId of a detail built from it as verified without
// hashing the same fields a second time. Its fields are unexported: only RecordStamp, which
// always hashes, makes a stamp that vouches for anything.
type Stamp struct {
	id, streamARN, shardID, sequenceNumber string
	sub                                    int64
	hasSub                                 bool
}

// RecordStamp computes EventID(streamARN, shardID, sequenceNumber, subSequenceNumber) and
// keeps the fields it was computed from.
func RecordStamp(streamARN, shardID, sequenceNumber string, subSequenceNumber *int64) Stamp {
	id := eventID(streamARN, shardID, sequenceNumber, subSequenceNumber)
	s := Stamp{id: string(id[:]), streamARN: streamARN, shardID: shardID, sequenceNumber: sequenceNumber}
	if subSequenceNumber != nil {
		s.sub, s.hasSub = *subSequenceNumber, true
	}
	return s
}

// ID is the stamp's eventId (EventID of its fields).
func (s Stamp) ID() string { return s.id }

// vouchesFor reports whether d holds exactly the stamp's fields and eventId. Comparing the
// strings is cheap: a detail built from the stamp shares their bytes.
func (s *Stamp) vouchesFor(d *RecordHydrated) bool {
	if s.id == "" || d.EventID != s.id || d.StreamARN != s.streamARN || d.ShardID != s.shardID || d.SequenceNumber != s.sequenceNumber {
		return false
	}
	if d.SubSequenceNumber == nil {
		return !s.hasSub
	}
	return s.hasSub && *d.SubSequenceNumber == s.sub
}

// MissingEventID returns the deterministic identity of a RecordHydrationFailed event, built
// like EventID from "hydrant.missing.v1", streamARN, shardID and the first and last sequence
// numbers of the missing range. The reason is left out: the same range reported again is the
// same failure.
func MissingEventID(streamARN, shardID, startSequenceNumber, endSequenceNumber string) string {
	id := missingEventID(streamARN, shardID, startSequenceNumber, endSequenceNumber)
	return string(id[:])
}

// eventID and missingEventID compute the identities into arrays, so that Check, which runs
// on every event published, compares them without allocating.
func eventID(streamARN, shardID, sequenceNumber string, subSequenceNumber *int64) [idLen]byte {
	var sub [20]byte
	s := sub[:0]
	if subSequenceNumber != nil {
		s = strconv.AppendInt(s, *subSequenceNumber, 10)
	}
	return identity("hydrant.record.v1", streamARN, shardID, sequenceNumber, string(s))
}

func missingEventID(streamARN, shardID, startSequenceNumber, endSequenceNumber string) [idLen]byte {
	return identity("hydrant.missing.v1", streamARN, shardID, startSequenceNumber, endSequenceNumber)
}

// identity hashes the parts joined by newlines, which no ARN, shard ID or sequence number
// contains, and returns the digest's first idLen hex digits.
func identity(kind, streamARN, shardID, a, b string) [idLen]byte {
	var buf [256]byte // the parts fit in most cases: no allocation
	msg := append(buf[:0], kind...)
	for _, p := range [...]string{streamARN, shardID, a, b} {
		msg = append(msg, '\n')
		msg = append(msg, p...)
	}
	sum := sha256.Sum256(msg)
	var id [idLen]byte
	hex.Encode(id[:], sum[:idLen/2])
	return id
}
