//go:build integration

package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/internal/streams/kpl/kpltest"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
)

// stderrMissing decodes the JSON lines `hydrant hydrate` reports on stderr.
func stderrMissing(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var m struct {
			Missing map[string]any `json:"missing"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil || m.Missing == nil {
			t.Fatalf("stderr line %q is not a {\"missing\":...} JSON line (%v)", line, err)
		}
		out = append(out, m.Missing)
	}
	return out
}

// TestIntegrityCorruptAggregateExitsThree (issue 9, item 4): a record that is read but cannot be
// hydrated whole (a KPL aggregate that does not decode) is not "complete": hydrate exits 3 and
// names the record and the reason on stderr, as it does for missing ranges.
func TestIntegrityCorruptAggregateExitsThree(t *testing.T) {
	ep := emulators.Get(t)
	users := []kpltest.Record{{PartitionKey: "a", Data: []byte(`{"u":0}`)}}
	corrupt := kpltest.Seal(append(kpltest.Protobuf(users), 0xff)) // a valid MD5 over a broken message
	b := failuretest.PutKinesis(t, ep, [][]byte{[]byte(`{"plain":1}`), corrupt, kpltest.Aggregate(users)})

	for _, tc := range []struct{ name, body string }{
		{"read from the stream", b.FailureJSON(0, 2)},
		{"from an S3 on-failure payload", b.S3ObjectJSON(t, 0, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", "hydrate", "--failure", failureFile(t, tc.body))
			if code != 3 {
				t.Fatalf("exit %d, want 3 (a record was not hydrated whole); stderr: %s", code, stderr)
			}
			missing := stderrMissing(t, stderr)
			if len(missing) != 1 || missing[0]["reason"] != "corrupt-aggregate" || missing[0]["startSequenceNumber"] != b.Seqs[1] ||
				missing[0]["count"] != float64(1) || !strings.Contains(missing[0]["detail"].(string), "KPL aggregate") {
				t.Fatalf("stderr %v, want the corrupt aggregate %s with its reason", missing, b.Seqs[1])
			}
			// The other records are still hydrated, and the failure event printed with them.
			kinds := map[string]int{}
			for _, e := range printed(t, stdout) {
				kinds[string(e["detail-type"])]++
			}
			if kinds[`"RecordHydrated"`] != 2 || kinds[`"RecordHydrationFailed"`] != 1 {
				t.Fatalf("printed %v, want 2 RecordHydrated and 1 RecordHydrationFailed", kinds)
			}
		})
	}
}
