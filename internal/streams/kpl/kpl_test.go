package kpl_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/hydrant-dev/hydrant/internal/streams/kpl"
	"github.com/hydrant-dev/hydrant/internal/streams/kpl/kpltest"
)

// Aggregates produced by the reference implementations in
// awslabs/kinesis-aggregation (node and Java tests), so the accepted format is
// not defined only by our own encoder.
var golden = []struct {
	name    string
	b64     string
	pk      []string
	data    []string
	encoder []kpltest.Record // how kpltest builds the same bytes, if it does
}{
	{
		name: "kinesis-aggregation node test",
		b64:  "84mawgoCcDEaGAgAGhQwMTIzNDU2Nzg5MDEyMzQ1NjdfQRoYCAAaFDAxMjM0NTY3ODkwMTIzNDU2N19CGhgIABoUMDEyMzQ1Njc4OTAxMjM0NTY3X0NHjL02iyRk3D+kO2UC2X6u",
		pk:   []string{"p1", "p1", "p1"},
		data: []string{"012345678901234567_A", "012345678901234567_B", "012345678901234567_C"},
		encoder: []kpltest.Record{
			{PartitionKey: "p1", Data: []byte("012345678901234567_A")},
			{PartitionKey: "p1", Data: []byte("012345678901234567_B")},
			{PartitionKey: "p1", Data: []byte("012345678901234567_C")},
		},
	},
	{
		name: "kinesis-aggregation lambda sample",
		b64:  "84mawgoFa2V5LTAaJQgAGiFUZXN0aW5nIEtQTCBBZ2dyZWdhdGVkIFJlY29yZCAxLTBlW2Hfd6iL1WkMbznr8jc2",
		pk:   []string{"key-0"},
		data: []string{"Testing KPL Aggregated Record 1-0"},
	},
}

func TestDeaggregateGolden(t *testing.T) {
	for _, g := range golden {
		t.Run(g.name, func(t *testing.T) {
			raw, err := base64.StdEncoding.DecodeString(g.b64)
			if err != nil {
				t.Fatal(err)
			}
			if !kpl.IsAggregated(raw) {
				t.Fatal("IsAggregated = false for a KPL aggregate")
			}
			recs, err := kpl.Deaggregate(raw)
			if err != nil {
				t.Fatalf("Deaggregate: %v", err)
			}
			if len(recs) != len(g.data) {
				t.Fatalf("got %d user records, want %d", len(recs), len(g.data))
			}
			for i, r := range recs {
				if r.PartitionKey != g.pk[i] || string(r.Data) != g.data[i] || r.ExplicitHashKey != "" {
					t.Errorf("record %d = {%q %q %q}, want {%q %q \"\"}", i, r.PartitionKey, r.Data, r.ExplicitHashKey, g.pk[i], g.data[i])
				}
			}
			if g.encoder != nil {
				if got := kpltest.Aggregate(g.encoder); !bytes.Equal(got, raw) {
					t.Errorf("kpltest.Aggregate differs from the reference bytes:\n got %x\nwant %x", got, raw)
				}
			}
		})
	}
}

func TestDeaggregateRoundTrip(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	ehk := "340282366920938463463374607431768211455" // 2^128-1, the top of the hash key range
	in := []kpltest.Record{
		{PartitionKey: "a", Data: []byte(`{"n":1}`)},
		{PartitionKey: "b", ExplicitHashKey: ehk, Data: all, Tags: [][2]string{{"k", "v"}, {"only-key", ""}}},
		{PartitionKey: "a", Data: []byte{}},
		{PartitionKey: "ü-ключ", ExplicitHashKey: "0", Data: bytes.Repeat([]byte{0xF3}, 5000)},
	}
	recs, err := kpl.Deaggregate(kpltest.Aggregate(in))
	if err != nil {
		t.Fatalf("Deaggregate: %v", err)
	}
	if len(recs) != len(in) {
		t.Fatalf("got %d user records, want %d", len(recs), len(in))
	}
	for i, r := range recs {
		if r.PartitionKey != in[i].PartitionKey || r.ExplicitHashKey != in[i].ExplicitHashKey || !bytes.Equal(r.Data, in[i].Data) {
			t.Errorf("record %d = {%q %q %x}, want {%q %q %x}", i, r.PartitionKey, r.ExplicitHashKey, r.Data, in[i].PartitionKey, in[i].ExplicitHashKey, in[i].Data)
		}
		if r.Data == nil {
			t.Errorf("record %d: nil data, want empty slice", i)
		}
	}
	if want := []kpl.Tag{{"k", "v"}, {"only-key", ""}}; len(recs[1].Tags) != 2 || recs[1].Tags[0] != want[0] || recs[1].Tags[1] != want[1] {
		t.Errorf("tags = %v, want %v", recs[1].Tags, want)
	}
}

func TestDeaggregateCorrupt(t *testing.T) {
	good := kpltest.Protobuf([]kpltest.Record{{PartitionKey: "a", Data: []byte("x")}, {PartitionKey: "b", Data: []byte("y")}})
	sealedGood := kpltest.Seal(good)
	badDigest := bytes.Clone(sealedGood)
	badDigest[len(badDigest)-1] ^= 0xFF

	// A record that points at partition key 5 in a table of one.
	var pkOut []byte
	pkOut = protowire.AppendTag(pkOut, 1, protowire.BytesType)
	pkOut = protowire.AppendString(pkOut, "a")
	var rec []byte
	rec = protowire.AppendTag(rec, 1, protowire.VarintType)
	rec = protowire.AppendVarint(rec, 5)
	rec = protowire.AppendTag(rec, 3, protowire.BytesType)
	rec = protowire.AppendBytes(rec, []byte("x"))
	pkOut = protowire.AppendTag(pkOut, 3, protowire.BytesType)
	pkOut = protowire.AppendBytes(pkOut, rec)

	// Explicit hash key index with an empty table.
	var ehkOut []byte
	ehkOut = protowire.AppendTag(ehkOut, 1, protowire.BytesType)
	ehkOut = protowire.AppendString(ehkOut, "a")
	rec = nil
	rec = protowire.AppendTag(rec, 1, protowire.VarintType)
	rec = protowire.AppendVarint(rec, 0)
	rec = protowire.AppendTag(rec, 2, protowire.VarintType)
	rec = protowire.AppendVarint(rec, 0)
	rec = protowire.AppendTag(rec, 3, protowire.BytesType)
	rec = protowire.AppendBytes(rec, nil)
	ehkOut = protowire.AppendTag(ehkOut, 3, protowire.BytesType)
	ehkOut = protowire.AppendBytes(ehkOut, rec)

	// A record without data.
	var noData []byte
	noData = protowire.AppendTag(noData, 1, protowire.BytesType)
	noData = protowire.AppendString(noData, "a")
	rec = nil
	rec = protowire.AppendTag(rec, 1, protowire.VarintType)
	rec = protowire.AppendVarint(rec, 0)
	noData = protowire.AppendTag(noData, 3, protowire.BytesType)
	noData = protowire.AppendBytes(noData, rec)

	// Records field sent as a varint.
	var wrongType []byte
	wrongType = protowire.AppendTag(wrongType, 3, protowire.VarintType)
	wrongType = protowire.AppendVarint(wrongType, 1)

	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"magic only", kpl.Magic(), "shorter than magic"},
		{"bad MD5", badDigest, "MD5 digest mismatch"},
		{"truncated protobuf", kpltest.Seal(good[:len(good)-1]), "AggregatedRecord"},
		{"partition key index out of range", kpltest.Seal(pkOut), "partition_key_index 5 out of range"},
		{"explicit hash key index out of range", kpltest.Seal(ehkOut), "explicit_hash_key_index 0 out of range"},
		{"record without data", kpltest.Seal(noData), "required data missing"},
		{"wrong wire type", kpltest.Seal(wrongType), "wire type"},
		{"no records", kpltest.Seal(nil), "no records"},
		{"not aggregated", []byte("plain"), "no magic prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := kpl.Deaggregate(tc.data)
			if err == nil {
				t.Fatalf("Deaggregate returned %d records and no error", len(recs))
			}
			if !errors.Is(err, kpl.ErrCorrupt) {
				t.Errorf("error %v does not wrap ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestUnknownFieldsSkipped(t *testing.T) {
	msg := kpltest.Protobuf([]kpltest.Record{{PartitionKey: "a", Data: []byte("x")}})
	msg = protowire.AppendTag(msg, 15, protowire.Fixed64Type)
	msg = protowire.AppendFixed64(msg, 42)
	recs, err := kpl.Deaggregate(kpltest.Seal(msg))
	if err != nil || len(recs) != 1 || string(recs[0].Data) != "x" {
		t.Fatalf("Deaggregate = %v, %v; want one record x", recs, err)
	}
}

func FuzzDeaggregate(f *testing.F) {
	f.Add(kpltest.Aggregate([]kpltest.Record{{PartitionKey: "a", Data: []byte("x")}}))
	f.Add(kpltest.Protobuf([]kpltest.Record{{PartitionKey: "a", ExplicitHashKey: "1", Data: []byte("x"), Tags: [][2]string{{"t", "v"}}}}))
	f.Fuzz(func(t *testing.T, body []byte) {
		// Sealing makes the MD5 pass, so the fuzzer exercises the protobuf decoder.
		recs, err := kpl.Deaggregate(kpltest.Seal(body))
		if err == nil && len(recs) == 0 {
			t.Fatal("no error and no records")
		}
	})
}

func BenchmarkDeaggregate(b *testing.B) {
	for _, size := range []int{1 << 10, 100 << 10} {
		// The KPL packs user records up to the 1 MiB Kinesis record limit.
		n := (1 << 20) / (size + 64)
		if n < 1 {
			n = 1
		}
		in := make([]kpltest.Record, n)
		for i := range in {
			in[i] = kpltest.Record{PartitionKey: "pk", Data: bytes.Repeat([]byte{'x'}, size)}
		}
		agg := kpltest.Aggregate(in)
		b.Run(byteSize(size), func(b *testing.B) {
			b.SetBytes(int64(len(agg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := kpl.Deaggregate(agg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func byteSize(n int) string {
	if n%(1<<10) == 0 {
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
