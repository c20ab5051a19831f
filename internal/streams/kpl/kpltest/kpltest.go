// Package kpltest builds KPL aggregated records the way the Kinesis Producer
// Library does, for tests and benchmarks of de-aggregation.
package kpltest

import (
	"crypto/md5"

	"google.golang.org/protobuf/encoding/protowire"
)

// Record is a user record to aggregate. ExplicitHashKey empty means none.
type Record struct {
	PartitionKey    string
	ExplicitHashKey string
	Data            []byte
	Tags            [][2]string
}

// Aggregate returns the Kinesis record data the KPL writes for records:
// magic, AggregatedRecord protobuf (keys deduplicated into tables in first-use
// order, as the KPL does), then the MD5 of the protobuf bytes.
func Aggregate(records []Record) []byte {
	return Seal(Protobuf(records))
}

// Protobuf returns the AggregatedRecord message alone, so tests can corrupt it
// before sealing.
func Protobuf(records []Record) []byte {
	var pkTable, ehkTable []string
	pkIndex := map[string]uint64{}
	ehkIndex := map[string]uint64{}
	type ref struct {
		pk, ehk uint64
		hasEHK  bool
	}
	refs := make([]ref, len(records))
	for i, r := range records {
		idx, ok := pkIndex[r.PartitionKey]
		if !ok {
			idx = uint64(len(pkTable))
			pkIndex[r.PartitionKey] = idx
			pkTable = append(pkTable, r.PartitionKey)
		}
		refs[i].pk = idx
		if r.ExplicitHashKey != "" {
			idx, ok := ehkIndex[r.ExplicitHashKey]
			if !ok {
				idx = uint64(len(ehkTable))
				ehkIndex[r.ExplicitHashKey] = idx
				ehkTable = append(ehkTable, r.ExplicitHashKey)
			}
			refs[i].ehk, refs[i].hasEHK = idx, true
		}
	}
	var b []byte
	for _, k := range pkTable {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, k)
	}
	for _, k := range ehkTable {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, k)
	}
	for i, r := range records {
		var m []byte
		m = protowire.AppendTag(m, 1, protowire.VarintType)
		m = protowire.AppendVarint(m, refs[i].pk)
		if refs[i].hasEHK {
			m = protowire.AppendTag(m, 2, protowire.VarintType)
			m = protowire.AppendVarint(m, refs[i].ehk)
		}
		m = protowire.AppendTag(m, 3, protowire.BytesType)
		m = protowire.AppendBytes(m, r.Data)
		for _, t := range r.Tags {
			var tag []byte
			tag = protowire.AppendTag(tag, 1, protowire.BytesType)
			tag = protowire.AppendString(tag, t[0])
			if t[1] != "" {
				tag = protowire.AppendTag(tag, 2, protowire.BytesType)
				tag = protowire.AppendString(tag, t[1])
			}
			m = protowire.AppendTag(m, 4, protowire.BytesType)
			m = protowire.AppendBytes(m, tag)
		}
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendBytes(b, m)
	}
	return b
}

// Seal frames an AggregatedRecord message: magic, message, MD5(message).
func Seal(message []byte) []byte {
	sum := md5.Sum(message)
	out := make([]byte, 0, 4+len(message)+len(sum))
	out = append(out, 0xF3, 0x89, 0x9A, 0xC2)
	out = append(out, message...)
	return append(out, sum[:]...)
}
