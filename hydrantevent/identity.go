package hydrantevent

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
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
	sub := ""
	if subSequenceNumber != nil {
		sub = strconv.FormatInt(*subSequenceNumber, 10)
	}
	return identity("hydrant.record.v1", streamARN, shardID, sequenceNumber, sub)
}

// MissingEventID returns the deterministic identity of a RecordHydrationFailed event, built
// like EventID from "hydrant.missing.v1", streamARN, shardID and the first and last sequence
// numbers of the missing range. The reason is left out: the same range reported again is the
// same failure.
func MissingEventID(streamARN, shardID, startSequenceNumber, endSequenceNumber string) string {
	return identity("hydrant.missing.v1", streamARN, shardID, startSequenceNumber, endSequenceNumber)
}

// identity hashes the parts joined by newlines, which no ARN, shard ID or sequence number
// contains.
func identity(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(sum[:])[:idLen]
}
