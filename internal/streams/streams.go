// Package streams reads back the records of a failed Lambda batch from
// Kinesis Data Streams and DynamoDB Streams, exactly: every record of the
// range is passed to a callback, in order, or reported as Missing with the
// reason it can no longer be read. Records are streamed page by page, so
// memory stays bounded by a GetRecords page whatever the batch size.
//
// A read starts at AT_SEQUENCE_NUMBER and ends when a record past the end
// sequence number is seen (numbers compared as integers) or BatchSize stream
// records were read. Expired iterators are re-acquired after the last record
// read; a start position that is gone (trimmed) falls back to TRIM_HORIZON,
// and the records between the start and the first one left are reported
// Missing ("trimmed"). A range that yields fewer records than its batch size
// always ends with a Missing entry for the shortfall.
package streams

import (
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"time"
)

// Range is the part of a shard a failed batch covered, as the on-failure
// record's KinesisBatchInfo or DDBStreamBatchInfo gives it. Start and end are
// inclusive. BatchSize counts stream records (for Kinesis, records as stored,
// so a KPL aggregate counts once); zero means unknown.
type Range struct {
	StreamARN           string `json:"streamArn"`
	ShardID             string `json:"shardId"`
	StartSequenceNumber string `json:"startSequenceNumber"`
	EndSequenceNumber   string `json:"endSequenceNumber"`
	BatchSize           int    `json:"batchSize"`
}

// Record is one record read back. For a de-aggregated KPL user record,
// SubSequenceNumber is its index within the aggregate and SequenceNumber is
// the aggregate's.
type Record struct {
	SequenceNumber    string        `json:"sequenceNumber"`
	SubSequenceNumber *int64        `json:"subSequenceNumber,omitempty"`
	Kinesis           *KinesisData  `json:"kinesis,omitempty"`
	DynamoDB          *DynamoDBData `json:"dynamodb,omitempty"`
}

// KinesisData is a Kinesis record's content. Aggregated is true when the
// stored record was a KPL aggregate; AggregateError is set when it had the
// KPL prefix but could not be de-aggregated, in which case Data is the whole
// stored record.
type KinesisData struct {
	PartitionKey                string    `json:"partitionKey"`
	ExplicitHashKey             string    `json:"explicitHashKey,omitempty"`
	ApproximateArrivalTimestamp time.Time `json:"approximateArrivalTimestamp"`
	Data                        []byte    `json:"data"`
	Aggregated                  bool      `json:"aggregated,omitempty"`
	AggregateError              string    `json:"aggregateError,omitempty"`
}

// DynamoDBData is a DynamoDB Streams record's content, with Keys and images
// as plain JSON (numbers json.Number, binary []byte).
type DynamoDBData struct {
	EventID                     string         `json:"eventId"`
	EventName                   string         `json:"eventName"`
	Keys                        map[string]any `json:"keys,omitempty"`
	NewImage                    map[string]any `json:"newImage,omitempty"`
	OldImage                    map[string]any `json:"oldImage,omitempty"`
	ApproximateCreationDateTime time.Time      `json:"approximateCreationDateTime"`
	StreamViewType              string         `json:"streamViewType,omitempty"`
	SizeBytes                   int64          `json:"sizeBytes"`
	// UserIdentity is set on REMOVEs made by DynamoDB TTL (type "Service",
	// principal "dynamodb.amazonaws.com").
	UserIdentity *UserIdentity `json:"userIdentity,omitempty"`
}

// UserIdentity is who made a DynamoDB change, when the stream records it.
type UserIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
}

// Reasons a part of a range could not be read.
const (
	ReasonTrimmed        = "trimmed"          // older than the stream's retention
	ReasonStreamNotFound = "stream-not-found" // stream (or its table) deleted
	ReasonShardNotFound  = "shard-not-found"
	// ReasonNotFound: the stream is readable but the range held fewer records
	// than the batch size, or its start position does not exist.
	ReasonNotFound = "not-found"
)

// Missing is a part of a range that could not be read. Start and end are
// inclusive bounds of the positions (not necessarily existing sequence
// numbers) within which the Count missing stream records lie. Count comes
// from the range's BatchSize less the records read: it is 0 (unknown) when
// the batch size is unknown, and when one read finds several missing parts
// the whole shortfall is on the last of them.
type Missing struct {
	ShardID             string `json:"shardId"`
	StartSequenceNumber string `json:"startSequenceNumber"`
	EndSequenceNumber   string `json:"endSequenceNumber"`
	Count               int    `json:"count"`
	Reason              string `json:"reason"`
	Detail              string `json:"detail,omitempty"`
}

// Report says what a Read recovered. Recovered counts records passed to the
// callback (KPL user records each count); StreamRecords counts stream records
// of the range read, the unit of Range.BatchSize and Missing.Count.
type Report struct {
	Recovered     int       `json:"recovered"`
	StreamRecords int       `json:"streamRecords"`
	Missing       []Missing `json:"missing,omitempty"`
}

// Complete reports whether nothing of the range is missing.
func (r Report) Complete() bool { return len(r.Missing) == 0 }

// ErrInvalidRange is wrapped by errors for a Range that cannot be read.
var ErrInvalidRange = errors.New("invalid range")

// bounds is a Range with its sequence numbers parsed.
type bounds struct {
	start, end *big.Int
}

func parseRange(r Range) (bounds, error) {
	if r.StreamARN == "" {
		return bounds{}, fmt.Errorf("%w: streamArn is empty", ErrInvalidRange)
	}
	if r.ShardID == "" {
		return bounds{}, fmt.Errorf("%w: shardId is empty", ErrInvalidRange)
	}
	start, err := parseSequenceNumber(r.StartSequenceNumber)
	if err != nil {
		return bounds{}, fmt.Errorf("%w: startSequenceNumber: %w", ErrInvalidRange, err)
	}
	end, err := parseSequenceNumber(r.EndSequenceNumber)
	if err != nil {
		return bounds{}, fmt.Errorf("%w: endSequenceNumber: %w", ErrInvalidRange, err)
	}
	if end.Cmp(start) < 0 {
		return bounds{}, fmt.Errorf("%w: endSequenceNumber %s is before startSequenceNumber %s", ErrInvalidRange, r.EndSequenceNumber, r.StartSequenceNumber)
	}
	if r.BatchSize < 0 {
		return bounds{}, fmt.Errorf("%w: batchSize %d is negative", ErrInvalidRange, r.BatchSize)
	}
	return bounds{start: start, end: end}, nil
}

// parseSequenceNumber parses a decimal sequence number. Sequence numbers are
// compared as integers: as strings, "9" sorts after "10".
func parseSequenceNumber(s string) (*big.Int, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return nil, fmt.Errorf("%q is not a decimal sequence number", s)
		}
	}
	if n := parseDigits(s); n != nil {
		return n, nil
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("%q is not a decimal sequence number", s)
	}
	return n, nil
}

// seqNumber is a sequence number and the words of its value in one allocation: a read parses
// every record's sequence number, and big.Int.SetString took three allocations for it.
type seqNumber struct {
	n big.Int
	w [4]big.Word // 256 bits: a Kinesis sequence number (56 digits) takes 186
}

// pow10 holds 10^k for the chunks of up to 19 digits parseDigits multiplies by.
var pow10 = func() (p [20]uint64) {
	p[0] = 1
	for k := 1; k < len(p); k++ {
		p[k] = p[k-1] * 10
	}
	return p
}()

// parseDigits parses a non-empty string of ASCII digits, 19 at a time, into the words of a
// seqNumber; nil when the value needs more than its words, or words are not 64 bits.
func parseDigits(s string) *big.Int {
	if bits.UintSize != 64 {
		return nil
	}
	v := new(seqNumber)
	words := v.w[:0]
	for len(s) > 0 {
		k := min(len(s), 19) // 10^19 < 2^64
		var chunk uint64
		for i := 0; i < k; i++ {
			chunk = chunk*10 + uint64(s[i]-'0')
		}
		carry := chunk // words = words*10^k + chunk
		for i := range words {
			hi, lo := bits.Mul64(uint64(words[i]), pow10[k])
			lo, c := bits.Add64(lo, carry, 0)
			words[i], carry = big.Word(lo), hi+c
		}
		if carry != 0 {
			if len(words) == len(v.w) {
				return nil
			}
			words = append(words, big.Word(carry))
		}
		s = s[k:]
	}
	return v.n.SetBits(words)
}

// seqString formats n, zero-padded to the width of like, so positions we
// derive (e.g. last read + 1) look like the stream's own (DynamoDB Streams
// pads to 21 digits).
func seqString(n *big.Int, like string) string {
	s := n.String()
	for len(s) < len(like) {
		s = "0" + s
	}
	return s
}

func plusOne(n *big.Int) *big.Int  { return new(big.Int).Add(n, big.NewInt(1)) }
func minusOne(n *big.Int) *big.Int { return new(big.Int).Sub(n, big.NewInt(1)) }
