//go:build integration

package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The whole demo through the command line: JSON report, exit 0, progress on stderr.
func TestDemoJSON(t *testing.T) {
	code, stdout, stderr := runCLI(t, "", "demo", "--json", "--timeout", "60s")
	if code != demoPass {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var rep struct {
		OK      bool   `json:"ok"`
		Verdict string `json:"verdict"`
		Poison  []struct {
			Source           string          `json:"source"`
			RecoveredPayload json.RawMessage `json:"recoveredPayload"`
			Deliveries       []struct {
				Delivered bool   `json:"delivered"`
				Where     string `json:"where"`
			} `json:"deliveries"`
		} `json:"poisonRecords"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout)
	}
	if !rep.OK || !strings.HasPrefix(rep.Verdict, "PASS") || len(rep.Poison) == 0 {
		t.Errorf("report %s", stdout)
	}
	for _, p := range rep.Poison {
		if len(p.RecoveredPayload) == 0 || len(p.Deliveries) != 3 {
			t.Errorf("%s poison record: payload %s, %d deliveries; want the payload and 3 deliveries", p.Source, p.RecoveredPayload, len(p.Deliveries))
		}
	}
	if !strings.Contains(stderr, "poison records hydrated") && !strings.Contains(stderr, "put ") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
}
