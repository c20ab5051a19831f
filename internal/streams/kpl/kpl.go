// Package kpl de-aggregates Kinesis Producer Library (KPL) aggregated records
// into the user records they carry.
//
// An aggregated record's data is the magic prefix F3 89 9A C2, a protobuf
// AggregatedRecord, and the 16-byte MD5 digest of the protobuf bytes:
//
//	message AggregatedRecord {
//	  repeated string partition_key_table     = 1;
//	  repeated string explicit_hash_key_table = 2;
//	  repeated Record records                 = 3;
//	}
//	message Record {
//	  required uint64 partition_key_index     = 1;
//	  optional uint64 explicit_hash_key_index = 2;
//	  required bytes  data                    = 3;
//	  repeated Tag    tags                    = 4;
//	}
//	message Tag { required string key = 1; optional string value = 2; }
//
// The protobuf is decoded with protowire rather than generated code: the
// format is small and fixed, and this keeps allocations to the user records.
package kpl

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// magic is the prefix of every KPL aggregated record.
var magic = [4]byte{0xF3, 0x89, 0x9A, 0xC2}

// Magic returns the 4-byte prefix that marks a KPL aggregated record.
func Magic() []byte { return magic[:] }

const digestSize = md5.Size

// Protobuf field numbers of the KPL messages.
const (
	fieldPartitionKeyTable    protowire.Number = 1
	fieldExplicitHashKeyTable protowire.Number = 2
	fieldRecords              protowire.Number = 3

	fieldPartitionKeyIndex    protowire.Number = 1
	fieldExplicitHashKeyIndex protowire.Number = 2
	fieldData                 protowire.Number = 3
	fieldTags                 protowire.Number = 4

	fieldTagKey   protowire.Number = 1
	fieldTagValue protowire.Number = 2
)

// UserRecord is one record a producer handed to the KPL. Its sub-sequence
// number is its index in the aggregate's records.
type UserRecord struct {
	PartitionKey    string
	ExplicitHashKey string
	Data            []byte
	Tags            []Tag
}

// Tag is a KPL record tag.
type Tag struct {
	Key   string
	Value string
}

// ErrCorrupt is wrapped by every error Deaggregate returns for data that
// carries the magic prefix but is not a well-formed aggregate.
var ErrCorrupt = errors.New("corrupt KPL aggregate")

// IsAggregated reports whether data carries the KPL magic prefix. A record
// with the prefix may still be corrupt; Deaggregate says so.
func IsAggregated(data []byte) bool {
	return bytes.HasPrefix(data, magic[:])
}

// Deaggregate decodes an aggregated record into its user records, in
// sub-sequence order. Data returned aliases the input slice.
//
// It returns an error wrapping ErrCorrupt when the data has the magic prefix
// but is too short, fails the MD5 check, is not a valid AggregatedRecord,
// refers to a table index that does not exist, or holds no records; callers
// keep such a record whole rather than drop it.
func Deaggregate(data []byte) ([]UserRecord, error) {
	if !IsAggregated(data) {
		return nil, fmt.Errorf("%w: no magic prefix", ErrCorrupt)
	}
	if len(data) < len(magic)+digestSize {
		return nil, fmt.Errorf("%w: %d bytes is shorter than magic and MD5 digest", ErrCorrupt, len(data))
	}
	body := data[len(magic) : len(data)-digestSize]
	digest := data[len(data)-digestSize:]
	if sum := md5.Sum(body); !bytes.Equal(sum[:], digest) {
		return nil, fmt.Errorf("%w: MD5 digest mismatch", ErrCorrupt)
	}
	return decodeAggregate(body)
}

type rawRecord struct {
	pkIndex, ehkIndex uint64
	hasPK, hasEHK     bool
	data              []byte
	hasData           bool
	tags              []Tag
}

func decodeAggregate(b []byte) ([]UserRecord, error) {
	var pkTable, ehkTable []string
	var raws []rawRecord
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("%w: AggregatedRecord: %v", ErrCorrupt, protowire.ParseError(n))
		}
		b = b[n:]
		switch num {
		case fieldPartitionKeyTable, fieldExplicitHashKeyTable, fieldRecords:
			if typ != protowire.BytesType {
				return nil, fmt.Errorf("%w: AggregatedRecord field %d has wire type %d, want bytes", ErrCorrupt, num, typ)
			}
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("%w: AggregatedRecord field %d: %v", ErrCorrupt, num, protowire.ParseError(n))
			}
			b = b[n:]
			switch num {
			case fieldPartitionKeyTable:
				pkTable = append(pkTable, string(v))
			case fieldExplicitHashKeyTable:
				ehkTable = append(ehkTable, string(v))
			default:
				r, err := decodeRecord(v)
				if err != nil {
					return nil, fmt.Errorf("%w: record %d: %w", ErrCorrupt, len(raws), err)
				}
				raws = append(raws, r)
			}
		default:
			// Unknown fields are skipped, as protobuf decoders do.
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, fmt.Errorf("%w: AggregatedRecord field %d: %v", ErrCorrupt, num, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	if len(raws) == 0 {
		return nil, fmt.Errorf("%w: aggregate holds no records", ErrCorrupt)
	}
	out := make([]UserRecord, len(raws))
	for i, r := range raws {
		if r.pkIndex >= uint64(len(pkTable)) {
			return nil, fmt.Errorf("%w: record %d: partition_key_index %d out of range (table has %d)", ErrCorrupt, i, r.pkIndex, len(pkTable))
		}
		out[i] = UserRecord{PartitionKey: pkTable[r.pkIndex], Data: r.data, Tags: r.tags}
		if r.hasEHK {
			if r.ehkIndex >= uint64(len(ehkTable)) {
				return nil, fmt.Errorf("%w: record %d: explicit_hash_key_index %d out of range (table has %d)", ErrCorrupt, i, r.ehkIndex, len(ehkTable))
			}
			out[i].ExplicitHashKey = ehkTable[r.ehkIndex]
		}
	}
	return out, nil
}

func decodeRecord(b []byte) (rawRecord, error) {
	var r rawRecord
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return r, protowire.ParseError(n)
		}
		b = b[n:]
		switch num {
		case fieldPartitionKeyIndex, fieldExplicitHashKeyIndex:
			if typ != protowire.VarintType {
				return r, fmt.Errorf("field %d has wire type %d, want varint", num, typ)
			}
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return r, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
			}
			b = b[n:]
			if num == fieldPartitionKeyIndex {
				r.pkIndex, r.hasPK = v, true
			} else {
				r.ehkIndex, r.hasEHK = v, true
			}
		case fieldData, fieldTags:
			if typ != protowire.BytesType {
				return r, fmt.Errorf("field %d has wire type %d, want bytes", num, typ)
			}
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return r, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
			}
			b = b[n:]
			if num == fieldData {
				r.data, r.hasData = v, true
				continue
			}
			t, err := decodeTag(v)
			if err != nil {
				return r, fmt.Errorf("tag %d: %w", len(r.tags), err)
			}
			r.tags = append(r.tags, t)
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return r, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	if !r.hasPK {
		return r, errors.New("required partition_key_index missing")
	}
	if !r.hasData {
		return r, errors.New("required data missing")
	}
	if r.data == nil {
		r.data = []byte{}
	}
	return r, nil
}

func decodeTag(b []byte) (Tag, error) {
	var t Tag
	var hasKey bool
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return t, protowire.ParseError(n)
		}
		b = b[n:]
		if (num == fieldTagKey || num == fieldTagValue) && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return t, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
			}
			b = b[n:]
			if num == fieldTagKey {
				t.Key, hasKey = string(v), true
			} else {
				t.Value = string(v)
			}
			continue
		}
		if num == fieldTagKey || num == fieldTagValue {
			return t, fmt.Errorf("field %d has wire type %d, want bytes", num, typ)
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return t, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
	}
	if !hasKey {
		return t, errors.New("required key missing")
	}
	return t, nil
}
