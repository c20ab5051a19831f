package redrive

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Report is what a redrive did, per stream; its JSON is `hydrant redrive --json`'s output.
type Report struct {
	From    string          `json:"from"`
	To      string          `json:"to"`
	DryRun  bool            `json:"dryRun"`
	Streams []*StreamReport `json:"streams"`
	// Skipped counts the messages that were not redriven and stay in the source, by reason.
	Skipped map[string]int `json:"skipped"`
	// Failures lists each record that failed again, or stays behind one that did.
	Failures []Failure `json:"failures"`
	Seconds  float64   `json:"seconds"`

	byStream map[string]*StreamReport
}

// StreamReport counts one stream's records.
type StreamReport struct {
	StreamARN string `json:"streamArn"`
	// Read is the number of distinct records selected from the source.
	Read int `json:"read"`
	// Redriven were accepted by the destination (or would be, in a dry run).
	Redriven int `json:"redriven"`
	// AlreadyDone were accepted by an earlier run (the journal has them): deleted, not sent.
	AlreadyDone int `json:"alreadyDone"`
	// FailedAgain were refused by the destination; Held stay behind one of those in their shard.
	FailedAgain int `json:"failedAgain"`
	Held        int `json:"held"`
	// Skipped were selected but the destination cannot take them.
	Skipped int `json:"skipped"`
}

// Failure is a record that stays in the source after the redrive.
type Failure struct {
	EventID        string `json:"eventId"`
	StreamARN      string `json:"streamArn"`
	ShardID        string `json:"shardId"`
	SequenceNumber string `json:"sequenceNumber"`
	Message        string `json:"message"`
	Reason         string `json:"reason"`
	// Held is true for a record that was not sent because an earlier record of its shard
	// failed again.
	Held bool `json:"held,omitempty"`
}

func newReport(from, to string, dry bool) *Report {
	return &Report{From: from, To: to, DryRun: dry, Skipped: map[string]int{}, Streams: []*StreamReport{}, Failures: []Failure{}, byStream: map[string]*StreamReport{}}
}

func (r *Report) stream(arn string) *StreamReport {
	s, ok := r.byStream[arn]
	if !ok {
		s = &StreamReport{StreamARN: arn}
		r.byStream[arn] = s
		r.Streams = append(r.Streams, s)
	}
	return s
}

func (r *Report) skip(m Message, why string) {
	// Parse errors carry details; the reason counted is the part before them.
	key, _, _ := strings.Cut(why, ":")
	r.Skipped[key]++
}

func (r *Report) read(rec *Record)        { r.stream(rec.Detail.StreamARN).Read++ }
func (r *Report) redriven(rec *Record)    { r.stream(rec.Detail.StreamARN).Redriven++ }
func (r *Report) alreadyDone(rec *Record) { r.stream(rec.Detail.StreamARN).AlreadyDone++ }
func (r *Report) skipRecord(rec *Record, why string) {
	r.stream(rec.Detail.StreamARN).Skipped++
	r.Skipped[why]++
}

func (r *Report) failedAgain(rec *Record, why string) {
	r.stream(rec.Detail.StreamARN).FailedAgain++
	r.Failures = append(r.Failures, failure(rec, why, false))
}

func (r *Report) held(rec *Record, why string) {
	r.stream(rec.Detail.StreamARN).Held++
	r.Failures = append(r.Failures, failure(rec, why, true))
}

func failure(rec *Record, why string, held bool) Failure {
	return Failure{EventID: rec.EventID(), StreamARN: rec.Detail.StreamARN, ShardID: rec.Detail.ShardID,
		SequenceNumber: rec.Detail.SequenceNumber, Message: rec.msg.ID, Reason: why, Held: held}
}

func (r *Report) totalSelected() (n int) {
	for _, s := range r.Streams {
		n += s.Read - s.AlreadyDone - s.Skipped
	}
	return n
}

func (r *Report) totalFailed() (n int) {
	for _, s := range r.Streams {
		n += s.FailedAgain
	}
	return n
}

func (r *Report) totalHeld() (n int) {
	for _, s := range r.Streams {
		n += s.Held
	}
	return n
}

func (r *Report) finish(d time.Duration) {
	r.Seconds = d.Seconds()
	sort.Slice(r.Streams, func(i, j int) bool { return r.Streams[i].StreamARN < r.Streams[j].StreamARN })
}

// Complete reports whether every selected record was accepted: nothing failed again or was
// held behind a failure.
func (r *Report) Complete() bool { return r.totalFailed() == 0 && r.totalHeld() == 0 }

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	verb := "redriven"
	if r.DryRun {
		verb = "would redrive"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "redrive %s -> %s%s (%.1fs)\n", r.From, r.To, map[bool]string{true: " (dry run: nothing sent, nothing deleted)"}[r.DryRun], r.Seconds)
	if len(r.Streams) == 0 {
		b.WriteString("  no record selected\n")
	}
	for _, s := range r.Streams {
		fmt.Fprintf(&b, "  %s\n    read %d, %s %d, already done %d, failed again %d, held behind a failure %d, skipped %d\n",
			s.StreamARN, s.Read, verb, s.Redriven, s.AlreadyDone, s.FailedAgain, s.Held, s.Skipped)
	}
	reasons := make([]string, 0, len(r.Skipped))
	for k := range r.Skipped {
		reasons = append(reasons, k)
	}
	sort.Strings(reasons)
	for _, k := range reasons {
		fmt.Fprintf(&b, "  left in the source: %d message(s): %s\n", r.Skipped[k], k)
	}
	for _, f := range r.Failures {
		what := "failed again"
		if f.Held {
			what = "held"
		}
		fmt.Fprintf(&b, "  %s: %s (%s %s) %s\n", what, f.EventID, f.ShardID, f.SequenceNumber, f.Reason)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
