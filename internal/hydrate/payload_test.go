package hydrate

import (
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"testing"

	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/streams"
)

// s3Object is the real-shaped Kinesis S3 on-failure object of internal/failure's testdata (a
// batch of 3 records), with its payload records edited by edit (return false to drop one).
func s3Object(t *testing.T, edit func(i int, r map[string]any) bool) *failure.Record {
	t.Helper()
	raw, err := os.ReadFile("../failure/testdata/kinesis-s3-object.json")
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	pl := obj["payload"].(map[string]any)
	kept := []any{}
	for i, r := range pl["Records"].([]any) {
		if edit == nil || edit(i, r.(map[string]any)) {
			kept = append(kept, r)
		}
	}
	pl["Records"] = kept
	if raw, err = json.Marshal(obj); err != nil {
		t.Fatal(err)
	}
	rec, err := failure.ParseObject(raw)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func bounds(t *testing.T, rec *failure.Record) (*big.Int, *big.Int) {
	start, _ := new(big.Int).SetString(rec.Batch().StartSequenceNumber, 10)
	end, _ := new(big.Int).SetString(rec.Batch().EndSequenceNumber, 10)
	return start, end
}

func TestPayloadCoverage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keep  func(i int) bool
		count int
	}{
		{"whole batch", func(int) bool { return true }, 3},
		{"middle missing", func(i int) bool { return i != 1 }, 2},
		{"first missing", func(i int) bool { return i != 0 }, 2},
		{"last missing", func(i int) bool { return i != 2 }, 2},
		{"empty", func(int) bool { return false }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := s3Object(t, func(i int, _ map[string]any) bool { return tc.keep(i) })
			start, end := bounds(t, rec)
			p, err := readPayload(rec, rec.Batch().StreamARN, start, end)
			if err != nil {
				t.Fatal(err)
			}
			if p.count != tc.count || len(p.records) != tc.count {
				t.Fatalf("count %d records %d, want %d", p.count, len(p.records), tc.count)
			}
		})
	}
}

func TestPayloadRefusals(t *testing.T) {
	seqOf := func(r map[string]any) string { return r["kinesis"].(map[string]any)["sequenceNumber"].(string) }
	for _, tc := range []struct {
		name string
		edit func(i int, r map[string]any) bool
		want string
	}{
		{"after the end", func(i int, r map[string]any) bool {
			if i == 2 {
				n, _ := new(big.Int).SetString(seqOf(r), 10)
				seq := n.Add(n, big.NewInt(1)).String()
				r["kinesis"].(map[string]any)["sequenceNumber"] = seq
				r["eventID"] = "shardId-000000000001:" + seq
			}
			return true
		}, RefusedOutsideRange},
		{"another shard", func(i int, r map[string]any) bool {
			if i == 1 {
				r["eventID"] = "shardId-000000000002:" + seqOf(r)
			}
			return true
		}, RefusedOtherShard},
		{"no eventID", func(i int, r map[string]any) bool {
			if i == 0 {
				delete(r, "eventID")
			}
			return true
		}, RefusedOtherShard},
		{"another stream", func(i int, r map[string]any) bool {
			if i == 0 {
				r["eventSourceARN"] = "arn:aws:kinesis:us-east-1:222222222222:stream/orders"
			}
			return true
		}, RefusedOtherStream},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := s3Object(t, tc.edit)
			start, end := bounds(t, rec)
			_, err := readPayload(rec, rec.Batch().StreamARN, start, end)
			var re *RefusedError
			if !errors.As(err, &re) || re.Reason != tc.want || !IsRefused(err) {
				t.Fatalf("err = %v, want a refusal %s", err, tc.want)
			}
		})
	}
}

func TestPayloadShortfall(t *testing.T) {
	rng := streams.Range{ShardID: "shardId-000000000001", StartSequenceNumber: "10", EndSequenceNumber: "20", BatchSize: 6}
	trimmed := streams.Report{StreamRecords: 2, Missing: []streams.Missing{{ShardID: rng.ShardID, StartSequenceNumber: "10", EndSequenceNumber: "14", Count: 4, Reason: streams.ReasonTrimmed}}}
	for _, tc := range []struct {
		name       string
		payload    int
		fromStream int
		rep        streams.Report
		want       []streams.Missing
	}{
		{"the payload made up for the trimmed part", 4, 2, trimmed, nil},
		{"two records neither holds", 2, 2, trimmed, []streams.Missing{{ShardID: rng.ShardID, StartSequenceNumber: "10", EndSequenceNumber: "14", Count: 2, Reason: streams.ReasonTrimmed}}},
		{"a shortfall the stream did not see", 3, 2, streams.Report{StreamRecords: 5}, []streams.Missing{{ShardID: rng.ShardID, StartSequenceNumber: "10", EndSequenceNumber: "20", Count: 1, Reason: streams.ReasonNotFound}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := payloadShortfall(tc.rep, &payload{count: tc.payload}, tc.fromStream, rng)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				g, w := got[i], tc.want[i]
				if g.StartSequenceNumber != w.StartSequenceNumber || g.EndSequenceNumber != w.EndSequenceNumber || g.Count != w.Count || g.Reason != w.Reason {
					t.Errorf("missing[%d] = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}
