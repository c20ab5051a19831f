package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hydrant-dev/hydrant/internal/localcloud/esm"
)

// WriteText prints the report for people: each poison record, where it ended up with its
// recovered payload, then the one-line verdict.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Poison records: %d (good records: %d)\n", len(r.Poison), r.GoodRecords)
	for _, o := range r.Poison {
		fmt.Fprintf(&b, "\n%s record %s", o.Source, o.Key)
		if o.Sequence != "" {
			fmt.Fprintf(&b, " (sequence number %s)", o.Sequence)
		}
		fmt.Fprintf(&b, "\n  stream:              %s\n", o.StreamARN)
		if o.EventID != "" {
			fmt.Fprintf(&b, "  failure destination: %s (discarded in a batch of %d)\n", orDash(o.FailureDestination), o.FailureBatchSize)
			fmt.Fprintf(&b, "  event:               %s\n", o.EventID)
			fmt.Fprintf(&b, "  recovered payload:   %s\n", compact(o.Payload))
		}
		for _, d := range o.Deliveries {
			mark := "ok     "
			switch {
			case d.DeadLettered:
				mark = "DLQ    "
			case !d.Delivered && d.Observable:
				mark = "MISSING"
			case !d.Delivered:
				mark = "?      "
			}
			on := ""
			if d.Bus != "" {
				on = " on bus " + d.Bus
			}
			fmt.Fprintf(&b, "  %s rule %s%s → %s %s", mark, d.Rule, on, d.Kind, d.Where)
			if d.Note != "" {
				fmt.Fprintf(&b, " (%s)", d.Note)
			}
			b.WriteByte('\n')
		}
		if o.Problem != "" {
			fmt.Fprintf(&b, "  PROBLEM: %s\n", o.Problem)
		}
	}
	if len(r.Inboxes) > 0 {
		fmt.Fprintf(&b, "\nTeam inboxes (each a bus in the team's own account, fed by Hydrant's rule for the team's streams):\n")
		for _, in := range r.Inboxes {
			mark := "ok     "
			if !in.OK {
				mark = "PROBLEM"
			}
			fmt.Fprintf(&b, "  %s team %s, bus %s in account %s: %d/%d poison records of its streams delivered; %d events seen, %d of another stream\n",
				mark, in.Team, in.Bus, in.Account, in.Delivered, in.PoisonRecords, in.Events, len(in.Foreign))
			fmt.Fprintf(&b, "          streams: %s\n", strings.Join(in.Streams, ", "))
			for _, f := range in.Foreign {
				fmt.Fprintf(&b, "          NOT ITS STREAM: %s\n", f)
			}
		}
	}
	for _, m := range r.Misrouted {
		fmt.Fprintf(&b, "\nMisrouted: %s", m)
	}
	if len(r.GoodLeaked) > 0 {
		fmt.Fprintf(&b, "\nGood records hydrated by mistake: %s\n", strings.Join(r.GoodLeaked, ", "))
	}
	if len(r.Mappings) > 0 {
		fmt.Fprintf(&b, "\nEvent source mappings:\n")
		for _, m := range r.Mappings {
			if m.Kind == esm.SourceSQS {
				fmt.Fprintf(&b, "  %-8s %s: %d invocations, %d function errors, %d partial batch responses, %d messages done and deleted\n",
					m.Kind, m.Source, m.Invocations, m.FunctionErrors, m.PartialResponses, m.MessagesDeleted)
				continue
			}
			fmt.Fprintf(&b, "  %-8s %s: %d invocations, %d function errors, %d partial batch responses, %d batches (%d records) discarded to the failure destination\n",
				m.Kind, m.Source, m.Invocations, m.FunctionErrors, m.PartialResponses, m.BatchesDiscarded, m.RecordsDiscarded)
		}
	}
	if a := r.Redrive; a != nil {
		a.writeText(&b)
	}
	fmt.Fprintf(&b, "\n%s\n", r.Verdict)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func compact(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "-"
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	if err := enc.Encode(v); err != nil {
		return string(raw)
	}
	return strings.TrimSpace(b.String())
}

// writeText prints the second act: the switch, each redrive run, each poison record as the
// fixed consumers processed it.
func (a *RedriveAct) writeText(b *strings.Builder) {
	fmt.Fprintf(b, "\nSecond act: consumers fixed (%s on %s), redriven with one journal (%.1fs):\n", a.Switch, strings.Join(a.FixedFunctions, ", "), a.Elapsed)
	for _, r := range a.Runs {
		fmt.Fprintf(b, "  redrive %s: read %d, redriven %d, already done (journal) %d, failed again %d, held %d\n",
			r.From, r.Read, r.Redriven, r.AlreadyDone, r.FailedAgain, r.Held)
	}
	for _, r := range a.Records {
		mark := "ok     "
		if !r.OK {
			mark = "PROBLEM"
		}
		fmt.Fprintf(b, "  %s %s record %s: processed %d time(s)", mark, r.Source, r.Key, r.Processed)
		if r.OK {
			b.WriteString(", in order, with the payload it failed on")
		} else {
			fmt.Fprintf(b, ": %s", r.Problem)
		}
		b.WriteByte('\n')
	}
	for _, u := range a.Unexpected {
		fmt.Fprintf(b, "  unexpected: the fixed consumer processed %s\n", u)
	}
}
