//go:build integration

package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The whole demo through the command line, both acts: JSON report, exit 0, progress on stderr.
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
				Bus       string `json:"bus"`
			} `json:"deliveries"`
		} `json:"poisonRecords"`
		Inboxes []struct {
			Team          string   `json:"team"`
			Account       string   `json:"account"`
			PoisonRecords int      `json:"poisonRecords"`
			Delivered     int      `json:"delivered"`
			Foreign       []string `json:"foreign"`
			OK            bool     `json:"ok"`
		} `json:"inboxes"`
		Redrive *struct {
			OK             bool     `json:"ok"`
			FixedFunctions []string `json:"fixedFunctions"`
			Runs           []struct {
				From        string `json:"from"`
				Redriven    int    `json:"redriven"`
				AlreadyDone int    `json:"alreadyDone"`
				FailedAgain int    `json:"failedAgain"`
			} `json:"runs"`
			Records []struct {
				Key         string `json:"key"`
				Processed   int    `json:"processed"`
				SamePayload bool   `json:"samePayload"`
				InOrder     bool   `json:"inOrder"`
			} `json:"records"`
		} `json:"redrive"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout)
	}
	if !rep.OK || !strings.HasPrefix(rep.Verdict, "PASS") || len(rep.Poison) == 0 {
		t.Errorf("report %s", stdout)
	}
	// The archive, the catch-all queue and the team's queue; the orders stream's records also
	// go to the payments team's inbox (another account), whose rule delivers them to its queue.
	kinesisPoison := 0
	for _, p := range rep.Poison {
		want, wantInbox, inbox := 3, 0, 0
		if p.Source == "kinesis" {
			want, wantInbox = 5, 1
			kinesisPoison++
		}
		for _, d := range p.Deliveries {
			if d.Bus == "demo-payments-inbox" && d.Delivered {
				inbox++
			}
		}
		if len(p.RecoveredPayload) == 0 || len(p.Deliveries) != want || inbox != wantInbox {
			t.Errorf("%s poison record: payload %s, %d deliveries (%d on the payments inbox); want the payload and %d deliveries", p.Source, p.RecoveredPayload, len(p.Deliveries), inbox, want)
		}
	}
	if len(rep.Inboxes) != 1 || rep.Inboxes[0].Team != "payments" || rep.Inboxes[0].Account != "222233334444" || !rep.Inboxes[0].OK ||
		rep.Inboxes[0].PoisonRecords != kinesisPoison || rep.Inboxes[0].Delivered != kinesisPoison || len(rep.Inboxes[0].Foreign) != 0 {
		t.Errorf("inboxes %+v: want payments' inbox with the %d kinesis poison records and nothing else", rep.Inboxes, kinesisPoison)
	}
	// The second act: both consumers fixed; the two team queues, then the archive, redriven with
	// one journal: every record once from its team's queue, all already done in the archive.
	a := rep.Redrive
	if a == nil || !a.OK || len(a.FixedFunctions) != 2 || len(a.Runs) != 3 || len(a.Records) != len(rep.Poison) {
		t.Fatalf("second act: %s", stdout)
	}
	fromQueues := 0
	for _, r := range a.Runs[:2] {
		fromQueues += r.Redriven
	}
	if archive := a.Runs[2]; !strings.HasPrefix(archive.From, "s3://") || archive.Redriven != 0 || archive.AlreadyDone != len(rep.Poison) || fromQueues != len(rep.Poison) {
		t.Errorf("runs %+v: want every poison record redriven once from its team queue and already done in the archive", a.Runs)
	}
	for _, r := range a.Records {
		if r.Processed != 1 || !r.SamePayload || !r.InOrder {
			t.Errorf("record %s: processed %d times, same payload %v, in order %v", r.Key, r.Processed, r.SamePayload, r.InOrder)
		}
	}
	if !strings.Contains(stderr, "poison records hydrated") && !strings.Contains(stderr, "put ") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
}
