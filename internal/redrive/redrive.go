// Package redrive sends hydrated records back to a fixed consumer: it reads Hydrant's
// RecordHydrated events from a queue (a team's queue, the catch-all DLQ, a target's DLQ) or
// from the S3 archive, selects them by stream, time and event pattern, and delivers each
// record either to the consumer function, as the exact event its event source mapping would
// have sent, or back onto its Kinesis stream.
//
// Delivery is at least once and never loses a record: a message leaves its queue only after
// the destination accepted its record, and every accepted record's detail.eventId is written
// to a journal first, so a redrive that is stopped and run again skips (and deletes) what was
// already accepted instead of sending it twice. Records reach the destination in sequence
// order per shard; after a record of a shard fails again, the later records of that shard are
// not sent, as an event source mapping would not skip past it either.
package redrive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/eventpattern"
)

// Message is one message (or archive line) of a source: a Hydrant event and the handle that
// acknowledges it.
type Message struct {
	// ID names the message in logs and reports: an SQS message id, or s3://bucket/key#line.
	ID   string
	Body []byte
	// handle is the source's own reference (an SQS receipt handle); empty for the archive.
	handle string
}

// Source is where the events to redrive come from.
type Source interface {
	// Receive returns the next messages; an empty slice with a nil error means the source is
	// drained. Received messages stay reserved for this run until acknowledged or released.
	Receive(ctx context.Context) ([]Message, error)
	// Delete removes messages whose records the destination accepted.
	Delete(ctx context.Context, msgs []Message) error
	// Release hands messages that were not redriven back to the source, unchanged.
	Release(ctx context.Context, msgs []Message) error
	String() string
}

// Destination is where the records go.
type Destination interface {
	// Deliver sends records of one shard, in order, and returns those the destination
	// accepted; err describes why the others were not (a *DeliveryError naming the record the
	// destination refused, any other error when the call kept failing).
	Deliver(ctx context.Context, recs []*Record) (accepted []*Record, err error)
	// BatchLimit is the most records, and payload bytes, one Deliver call takes for a stream.
	BatchLimit(ctx context.Context, streamARN string) (records int, bytes int)
	// Accepts reports whether the destination can take a record (a Kinesis stream cannot take
	// a DynamoDB record, nor another stream's; a function takes only the records of the
	// streams it consumes); the reason is reported for the record it refuses, which stays in
	// its source.
	Accepts(ctx context.Context, r *Record) (ok bool, reason string)
	String() string
}

// DeliveryError is a destination's refusal of a record: the consumer failed it again, or the
// stream refused it. The record stays in (or goes back to) its source.
type DeliveryError struct {
	EventID string
	Reason  string
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("record %s failed again: %s", e.EventID, e.Reason)
}

// Options select and pace a redrive.
type Options struct {
	// StreamARN, when set, selects only the records of that stream.
	StreamARN string
	// Since and Until, when set, select events whose time is in [Since, Until).
	Since, Until time.Time
	// Pattern, when set, selects only events it matches (EventBridge pattern semantics).
	Pattern *eventpattern.Pattern
	// DryRun reports what would be sent, and sends, deletes and journals nothing.
	DryRun bool
	// Rate bounds records per second sent to the destination; 0 is unbounded.
	Rate float64
	// Journal records accepted records; nil keeps no journal (a re-run may then send again
	// what a stopped run had sent but not yet deleted).
	Journal *Journal
	// Offloads is the S3 client that fetches records offloaded to the claim-check bucket
	// (hydrantevent.Offload.Fetch: size and SHA-256 checked).
	Offloads hydrantevent.S3API
	// Progress, when set, is called after each delivery and at the end.
	Progress func(Progress)
	Log      *slog.Logger
}

// Run redrives every selected record from src to dst and reports what happened. An error is
// returned only when the source, the journal or the destination kept failing; records that
// the destination refused are in the report (Report.FailedAgain), not an error.
func Run(ctx context.Context, src Source, dst Destination, opts Options) (*Report, error) {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	r := &runner{src: src, dst: dst, opts: opts, log: log, report: newReport(src.String(), dst.String(), opts.DryRun), start: time.Now()}
	err := r.run(ctx)
	// Whatever happened, what was not redriven goes back to the source, unchanged. A
	// cancelled run still releases: the context for it outlives ctx briefly.
	relCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if rerr := r.releaseRest(relCtx); rerr != nil {
		err = errors.Join(err, rerr)
	}
	r.report.finish(time.Since(r.start))
	r.progress(true)
	return r.report, err
}

type runner struct {
	src    Source
	dst    Destination
	opts   Options
	log    *slog.Logger
	report *Report
	start  time.Time

	held     []Message    // received, neither deleted nor released yet
	done     map[int]bool // indexes into held that were deleted or released
	limiter  *limiter
	sent     int
	lastNote time.Time
}

func (r *runner) run(ctx context.Context) error {
	r.done = map[int]bool{}
	r.limiter = newLimiter(r.opts.Rate)
	// 1. Drain the source: order per shard needs every record of the shard first.
	var recs []*Record
	for {
		msgs, err := r.src.Receive(ctx)
		if err != nil {
			return fmt.Errorf("read %s: %w", r.src, err)
		}
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			r.held = append(r.held, m)
			idx := len(r.held) - 1
			rec, why := r.selectMessage(m)
			if rec == nil {
				r.report.skip(m, why)
				continue
			}
			rec.msgIndex = idx
			recs = append(recs, rec)
		}
	}
	// 2. Duplicates (the same record in two messages) are sent once and deleted together;
	// copies that disagree on the record's content are not sent, and stay.
	recs, conflicts := dedupe(recs)
	for _, rec := range conflicts {
		r.report.read(rec)
		r.report.skipRecord(rec, ReasonConflictingCopies)
	}
	if len(conflicts) > 0 {
		r.log.Warn("messages name one record with different content: none of them is sent, all stay in the source", "count", len(conflicts), "eventId", conflicts[0].EventID())
	}
	// 3. Records the journal says were accepted before are deleted without sending again.
	var todo []*Record
	var already []*Record
	for _, rec := range recs {
		r.report.read(rec)
		if ok, why := r.dst.Accepts(ctx, rec); !ok {
			r.report.skipRecord(rec, why)
			continue
		}
		if r.opts.Journal != nil && r.opts.Journal.Has(rec.EventID()) {
			already = append(already, rec)
			continue
		}
		todo = append(todo, rec)
	}
	if len(already) > 0 {
		for _, rec := range already {
			r.report.alreadyDone(rec)
		}
		if !r.opts.DryRun {
			if err := r.deleteRecords(ctx, already); err != nil {
				return err
			}
		}
	}
	// 4. Per shard, in sequence order, in batches within the destination's limits.
	for _, shard := range byShard(todo) {
		if err := r.redriveShard(ctx, shard); err != nil {
			return err
		}
	}
	return nil
}

// selectMessage parses a message and applies the filters; nil and the reason when the
// message is not redriven.
func (r *runner) selectMessage(m Message) (*Record, string) {
	ev, err := hydrantevent.Parse(m.Body)
	if err != nil {
		return nil, "not a Hydrant event: " + err.Error()
	}
	d, ok := ev.Detail.(*hydrantevent.RecordHydrated)
	if !ok {
		return nil, "a " + ev.DetailType + " event carries no record to redrive"
	}
	if err := hydrantevent.Check(d); err != nil {
		return nil, "inconsistent event: " + err.Error()
	}
	if r.opts.StreamARN != "" && d.StreamARN != r.opts.StreamARN {
		return nil, "another stream"
	}
	if !r.opts.Since.IsZero() && ev.Time.Before(r.opts.Since) {
		return nil, "before --since"
	}
	if !r.opts.Until.IsZero() && !ev.Time.Before(r.opts.Until) {
		return nil, "not before --until"
	}
	if r.opts.Pattern != nil {
		ok, err := r.opts.Pattern.MatchJSON(m.Body)
		if err != nil {
			return nil, "pattern: " + err.Error()
		}
		if !ok {
			return nil, "does not match --pattern"
		}
	}
	return &Record{Event: ev, Detail: d, msg: m}, ""
}

func (r *runner) redriveShard(ctx context.Context, recs []*Record) error {
	stream := recs[0].Detail.StreamARN
	maxRecs, maxBytes := r.dst.BatchLimit(ctx, stream)
	for i := 0; i < len(recs); {
		// Restore offloaded records of the next batch, then cut the batch to the limits.
		batch, err := r.nextBatch(ctx, recs[i:], maxRecs, maxBytes)
		if err != nil {
			var de *DeliveryError
			if errors.As(err, &de) { // the claim-check object is missing or does not verify
				r.failShard(recs[i:], de)
				return nil
			}
			return err
		}
		if r.opts.DryRun {
			for _, rec := range batch {
				r.report.redriven(rec)
			}
			r.sent += len(batch)
			r.progress(false)
			i += len(batch)
			continue
		}
		if err := r.limiter.wait(ctx, len(batch)); err != nil {
			return err
		}
		ok, derr := r.dst.Deliver(ctx, batch)
		if len(ok) > 0 {
			if r.opts.Journal != nil {
				ids := make([]string, len(ok))
				for j, rec := range ok {
					ids[j] = rec.EventID()
				}
				if err := r.opts.Journal.Add(ids...); err != nil {
					return fmt.Errorf("journal %d accepted records of %s: %w", len(ids), stream, err)
				}
			}
			if err := r.deleteRecords(ctx, ok); err != nil {
				return err
			}
			for _, rec := range ok {
				r.report.redriven(rec)
			}
			r.sent += len(ok)
		}
		r.progress(false)
		if derr != nil {
			var de *DeliveryError
			if errors.As(derr, &de) {
				r.failShard(without(recs[i:], ok), de)
				return nil
			}
			return fmt.Errorf("deliver %d records of %s to %s: %w", len(batch)-len(ok), stream, r.dst, derr)
		}
		i += len(batch)
	}
	return nil
}

// without returns recs less those in ok.
func without(recs, ok []*Record) []*Record {
	accepted := make(map[*Record]bool, len(ok))
	for _, r := range ok {
		accepted[r] = true
	}
	var out []*Record
	for _, r := range recs {
		if !accepted[r] {
			out = append(out, r)
		}
	}
	return out
}

// failShard reports the refused record and leaves it, and every later record of its shard,
// in the source.
func (r *runner) failShard(rest []*Record, de *DeliveryError) {
	if len(rest) == 0 {
		return
	}
	for _, rec := range rest {
		if rec.EventID() == de.EventID || de.EventID == "" {
			r.report.failedAgain(rec, de.Reason)
			continue
		}
		r.report.held(rec, "a record before it in its shard failed again ("+de.EventID+")")
	}
	r.log.Warn("record failed again; the rest of its shard stays in the source",
		"eventId", de.EventID, "reason", de.Reason, "streamArn", rest[0].Detail.StreamARN, "shardId", rest[0].Detail.ShardID, "left", len(rest))
}

// nextBatch takes records from the front of recs up to the limits, restoring offloaded ones.
func (r *runner) nextBatch(ctx context.Context, recs []*Record, maxRecs, maxBytes int) ([]*Record, error) {
	var size int
	n := 0
	for n < len(recs) && n < maxRecs {
		rec := recs[n]
		if rec.Detail.Offload != nil {
			if err := r.restore(ctx, rec); err != nil {
				if n > 0 { // send what is ready; the failure is met again at the front
					break
				}
				return nil, err
			}
		}
		sz, err := rec.size()
		if err != nil {
			return nil, err
		}
		if n > 0 && size+sz > maxBytes {
			break
		}
		size += sz
		n++
	}
	return recs[:n], nil
}

func (r *runner) restore(ctx context.Context, rec *Record) error {
	o := rec.Detail.Offload
	if r.opts.Offloads == nil {
		return &DeliveryError{EventID: rec.EventID(), Reason: "offloaded to s3://" + o.Bucket + "/" + o.Key + " and no S3 client to fetch it"}
	}
	body, err := o.Fetch(ctx, r.opts.Offloads)
	var gone *hydrantevent.OffloadError
	switch {
	case errors.As(err, &gone):
		// Expired, never written, or not the record: it cannot be redriven.
		return &DeliveryError{EventID: rec.EventID(), Reason: err.Error()}
	case err != nil:
		return fmt.Errorf("fetch offloaded record %s: %w", rec.EventID(), err)
	}
	if err := rec.Detail.Restore(body); err != nil {
		return &DeliveryError{EventID: rec.EventID(), Reason: err.Error()}
	}
	return nil
}

// deleteRecords deletes the messages of records (and of their duplicates).
func (r *runner) deleteRecords(ctx context.Context, recs []*Record) error {
	var msgs []Message
	var idx []int
	for _, rec := range recs {
		for _, i := range rec.allIndexes() {
			if !r.done[i] {
				msgs = append(msgs, r.held[i])
				idx = append(idx, i)
			}
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := r.src.Delete(ctx, msgs); err != nil {
		// They are journaled: released with the rest, the next run deletes them unsent.
		return fmt.Errorf("delete %d redriven messages from %s: %w", len(msgs), r.src, err)
	}
	for _, i := range idx {
		r.done[i] = true
	}
	return nil
}

func (r *runner) releaseRest(ctx context.Context) error {
	var msgs []Message
	for i, m := range r.held {
		if !r.done[i] {
			r.done[i] = true
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := r.src.Release(ctx, msgs); err != nil {
		return fmt.Errorf("release %d messages back to %s: %w", len(msgs), r.src, err)
	}
	return nil
}

func (r *runner) progress(final bool) {
	if r.opts.Progress == nil {
		return
	}
	now := time.Now()
	if !final && now.Sub(r.lastNote) < time.Second {
		return
	}
	r.lastNote = now
	elapsed := now.Sub(r.start).Seconds()
	p := Progress{Done: r.sent, Failed: r.report.totalFailed(), Left: r.report.totalSelected() - r.sent - r.report.totalFailed() - r.report.totalHeld(), Final: final}
	if elapsed > 0 {
		p.Rate = float64(r.sent) / elapsed
	}
	if p.Left < 0 {
		p.Left = 0
	}
	r.opts.Progress(p)
}

// Progress is a snapshot of a running redrive.
type Progress struct {
	Done, Failed, Left int
	Rate               float64 // records per second so far
	Final              bool
}

func (p Progress) String() string {
	return fmt.Sprintf("redrive: %d records done, %.1f/s, %d left, %d failed again", p.Done, p.Rate, p.Left, p.Failed)
}

// byShard groups records by stream and shard, each group in sequence order, groups ordered by
// stream and shard so that runs are reproducible.
func byShard(recs []*Record) [][]*Record {
	groups := map[[2]string][]*Record{}
	var keys [][2]string
	for _, rec := range recs {
		k := [2]string{rec.Detail.StreamARN, rec.Detail.ShardID}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], rec)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	out := make([][]*Record, 0, len(keys))
	for _, k := range keys {
		g := groups[k]
		sort.SliceStable(g, func(i, j int) bool { return g[i].before(g[j]) })
		out = append(out, g)
	}
	return out
}

// dedupe keeps the first of records with the same eventId; the others' messages are deleted
// with it. Records whose copies differ in content (hydrantevent.Check vouches for a record's
// identity, not its data: one of them is made up) are returned apart, every copy, so that
// none of them is sent or deleted.
func dedupe(recs []*Record) (kept, conflicts []*Record) {
	groups := map[string][]*Record{}
	var order []string
	for _, rec := range recs {
		id := rec.EventID()
		if _, ok := groups[id]; !ok {
			order = append(order, id)
		}
		groups[id] = append(groups[id], rec)
	}
	for _, id := range order {
		g := groups[id]
		first := g[0]
		same := true
		for _, rec := range g[1:] {
			same = same && rec.sameContent(first)
		}
		if !same {
			conflicts = append(conflicts, g...)
			continue
		}
		for _, rec := range g[1:] {
			first.dupIndexes = append(first.dupIndexes, rec.msgIndex)
		}
		kept = append(kept, first)
	}
	return kept, conflicts
}
