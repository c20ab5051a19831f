package streams

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
)

// position is where a shard iterator starts.
type position int

const (
	atSequence position = iota
	afterSequence
	trimHorizon
)

func (p position) String() string {
	switch p {
	case atSequence:
		return "AT_SEQUENCE_NUMBER"
	case afterSequence:
		return "AFTER_SEQUENCE_NUMBER"
	default:
		return "TRIM_HORIZON"
	}
}

// errKind is what the read loop does about an API error.
type errKind int

const (
	errOther        errKind = iota // return it to the caller
	errExpired                     // re-acquire the iterator where we were
	errPositionGone                // the position is trimmed (or unknown): go to TRIM_HORIZON
	errUnreadable                  // the rest of the range cannot be read: report it Missing
)

// page is one GetRecords answer. next is empty when the shard is closed and
// fully read; caughtUp is true when the iterator is at the shard's tip.
type page[R any] struct {
	records  []R
	next     string
	caughtUp bool
}

// shardAPI is what the read loop needs from one stream service.
type shardAPI[R any] interface {
	shardIterator(ctx context.Context, r Range, pos position, seq string) (string, error)
	getRecords(ctx context.Context, r Range, iterator string, limit int) (page[R], error)
	sequenceNumber(rec R) string
	// recordBytes is the record's data size, for sizing pages.
	recordBytes(rec R) int
	// classify says what to do about err, and for errUnreadable the reason.
	classify(err error) (errKind, string)
}

// loopLimits are the per-service knobs of the read loop.
type loopLimits struct {
	maxLimit      int // largest GetRecords Limit the service accepts
	defaultLimit  int // Limit when the batch size is unknown
	maxEmptyPages int // consecutive empty pages after which an open shard counts as read to its tip; 0: rely on caughtUp
	maxRestarts   int // iterator re-acquisitions (expired, trimmed under it) without progress before giving up
	// pageBytes, when set, bounds the data a page is asked for: the Limit of the next call is
	// what fits in pageBytes at the last page's bytes per record, and the first call asks for
	// probeRecords at most. A decoded page costs several times its data in memory (the SDK's
	// JSON and base64), so this, not the service's own page cap, bounds the reader's memory.
	pageBytes    int
	probeRecords int
}

// readShard reads r through api, calling deliver for each stream record in
// the range in order; deliver returns how many Records it passed on.
func readShard[R any](ctx context.Context, api shardAPI[R], lim loopLimits, log *slog.Logger, r Range, deliver func(R) (int, error)) (Report, error) {
	b, err := parseRange(r)
	if err != nil {
		return Report{}, err
	}
	rd := &shardRead[R]{api: api, lim: lim, log: log.With("stream", r.StreamARN, "shard", r.ShardID), r: r, b: b, deliver: deliver}
	return rd.run(ctx)
}

type shardRead[R any] struct {
	api     shardAPI[R]
	lim     loopLimits
	log     *slog.Logger
	r       Range
	b       bounds
	deliver func(R) (int, error)

	report Report
	// lastSeen is the last record read from the shard (in range or not), where
	// an expired iterator resumes; lastInRange the last one delivered.
	lastSeen, lastInRange *big.Int
	// repositioned is set when the iterator was moved to TRIM_HORIZON because
	// our position was gone; the next record seen tells how much was lost.
	repositioned bool
	fellBackErr  error
	// triedHorizon: the empty-page fallback to TRIM_HORIZON was used.
	triedHorizon bool
	// gaps are the parts of the range found missing so far.
	gaps []Missing
	// perRecord is the data bytes per record of the last page that had records (0: none yet).
	perRecord int
}

func (s *shardRead[R]) run(ctx context.Context) (Report, error) {
	it, stop, err := s.acquire(ctx, atSequence)
	if err != nil {
		return s.partial(), err
	}
	if stop {
		return s.finish(false), nil
	}
	restarts, empty := 0, 0
	for {
		// Ask for what is left of the batch and no more: the shard's read
		// throughput (2 MB/s, 5 reads/s) is shared with the ESM, so records
		// past the range are not worth fetching. Page size is bounded anyway
		// (10 MiB Kinesis, 1 MB DynamoDB Streams).
		limit := s.lim.defaultLimit
		if s.r.BatchSize > 0 {
			limit = min(s.r.BatchSize-s.report.StreamRecords, s.lim.maxLimit)
		}
		switch {
		case s.lim.pageBytes == 0:
		case s.perRecord > 0:
			limit = min(limit, max(1, s.lim.pageBytes/s.perRecord))
		case s.lim.probeRecords > 0:
			limit = min(limit, s.lim.probeRecords)
		}
		pg, err := s.api.getRecords(ctx, s.r, it, limit)
		if err != nil {
			kind, reason := s.api.classify(err)
			if kind == errExpired || kind == errPositionGone {
				restarts++
				if restarts > s.lim.maxRestarts {
					return s.partial(), fmt.Errorf("get records shard %s: iterator re-acquired %d times without progress: %w", s.r.ShardID, restarts-1, err)
				}
			}
			switch kind {
			case errExpired:
				s.log.InfoContext(ctx, "shard iterator expired, re-acquiring", "error", err)
				it, stop, err = s.resume(ctx)
			case errPositionGone:
				s.log.WarnContext(ctx, "records trimmed under the iterator, continuing from TRIM_HORIZON", "error", err)
				s.repositioned, s.fellBackErr = true, err
				it, stop, err = s.acquire(ctx, trimHorizon)
			case errUnreadable:
				s.unreadable(reason, err)
				return s.finish(false), nil
			default:
				return s.partial(), fmt.Errorf("get records shard %s: %w", s.r.ShardID, err)
			}
			if err != nil {
				return s.partial(), err
			}
			if stop {
				return s.finish(false), nil
			}
			continue
		}
		if len(pg.records) > 0 {
			restarts, empty = 0, 0
			total := 0
			for _, rec := range pg.records {
				total += s.api.recordBytes(rec)
			}
			s.perRecord = max(1, total/len(pg.records))
		} else {
			empty++
		}
		for _, rec := range pg.records {
			done, stop, err := s.record(rec)
			if err != nil {
				return s.partial(), err
			}
			if stop {
				return s.finish(false), nil
			}
			if done {
				return s.finish(true), nil
			}
		}
		if pg.next == "" {
			s.log.DebugContext(ctx, "shard closed before the end of the range")
			return s.finish(false), nil
		}
		if len(pg.records) == 0 && pg.caughtUp {
			s.log.DebugContext(ctx, "reached the shard's tip before the end of the range")
			return s.finish(false), nil
		}
		if len(pg.records) == 0 && empty >= s.lim.maxEmptyPages {
			if s.lastSeen == nil && !s.triedHorizon {
				// Nothing at all from the start position: AWS may hand out an
				// iterator into trimmed data that only yields empty pages.
				// TRIM_HORIZON tells: a first record after the start means the
				// start was trimmed; one before it means it was not.
				s.log.WarnContext(ctx, "only empty pages from the start position, trying TRIM_HORIZON", "emptyPages", empty)
				s.triedHorizon, s.repositioned = true, true
				s.fellBackErr = fmt.Errorf("%d consecutive empty pages from AT_SEQUENCE_NUMBER %s", empty, s.r.StartSequenceNumber)
				empty = 0
				if it, stop, err = s.acquire(ctx, trimHorizon); err != nil {
					return s.partial(), err
				}
				if stop {
					return s.finish(false), nil
				}
				continue
			}
			s.log.DebugContext(ctx, "giving up after consecutive empty pages", "emptyPages", empty)
			return s.finish(false), nil
		}
		it = pg.next
	}
}

// record handles one stream record. done: the range is complete; stop: the
// read ends here with the rest Missing (already recorded).
func (s *shardRead[R]) record(rec R) (done, stop bool, err error) {
	raw := s.api.sequenceNumber(rec)
	seq, perr := parseSequenceNumber(raw)
	if perr != nil {
		return false, false, fmt.Errorf("get records shard %s: record sequence number: %w", s.r.ShardID, perr)
	}
	if s.lastSeen != nil && seq.Cmp(s.lastSeen) <= 0 {
		// Already read: the iterator went back to TRIM_HORIZON.
		return false, false, nil
	}
	if s.repositioned {
		s.repositioned = false
		if s.lastSeen == nil && seq.Cmp(s.b.start) < 0 {
			// The start was refused, yet older records exist: it is not
			// trimmed but unknown. Walking the shard from its trim horizon
			// to find it could mean days of data, so stop here.
			s.gaps = append(s.gaps, Missing{
				StartSequenceNumber: s.r.StartSequenceNumber, EndSequenceNumber: s.r.EndSequenceNumber,
				Reason: ReasonNotFound, Detail: fmt.Sprintf("start sequence number not found, and the shard holds older records (%s): %v", raw, s.fellBackErr),
			})
			return false, true, nil
		}
		s.gapBefore(seq, "records before "+raw+" are no longer in the shard")
	} else if s.lastInRange == nil && s.lastSeen == nil && seq.Cmp(s.b.start) > 0 {
		// An AT_SEQUENCE_NUMBER iterator's first record is the start record
		// itself; a later one means the start is gone (AWS may hand out an
		// iterator into trimmed data rather than refuse it).
		s.gapBefore(seq, "the first record at AT_SEQUENCE_NUMBER "+s.r.StartSequenceNumber+" is "+raw+": the records before it are no longer in the shard")
	}
	s.lastSeen = seq
	if seq.Cmp(s.b.start) < 0 {
		return false, false, nil
	}
	if seq.Cmp(s.b.end) > 0 {
		return true, false, nil
	}
	n, err := s.deliver(rec)
	if err != nil {
		return false, false, err
	}
	s.report.Recovered += n
	s.report.StreamRecords++
	s.lastInRange = seq
	if s.r.BatchSize > 0 && s.report.StreamRecords >= s.r.BatchSize {
		return true, false, nil
	}
	return false, false, nil
}

// gapBefore records the trimmed positions between what we last read (or the
// range start) and seq, the first record available after them.
func (s *shardRead[R]) gapBefore(seq *big.Int, detail string) {
	from := s.b.start
	if s.lastInRange != nil {
		from = plusOne(s.lastInRange)
	}
	if seq.Cmp(from) <= 0 {
		return // nothing lost: the record we expected is there
	}
	to := minusOne(seq)
	if to.Cmp(s.b.end) > 0 {
		to = s.b.end
	}
	if s.fellBackErr != nil {
		detail += ": " + s.fellBackErr.Error()
	}
	s.gaps = append(s.gaps, Missing{
		StartSequenceNumber: seqString(from, s.r.StartSequenceNumber), EndSequenceNumber: seqString(to, s.r.StartSequenceNumber),
		Reason: ReasonTrimmed, Detail: detail,
	})
}

// unreadable records that the rest of the range, from after the last
// delivered record, cannot be read.
func (s *shardRead[R]) unreadable(reason string, err error) {
	from := s.b.start
	if s.lastInRange != nil {
		from = plusOne(s.lastInRange)
	}
	s.gaps = append(s.gaps, Missing{
		StartSequenceNumber: seqString(from, s.r.StartSequenceNumber), EndSequenceNumber: s.r.EndSequenceNumber,
		Reason: reason, Detail: err.Error(),
	})
}

// acquire gets an iterator at pos (the range start for atSequence). On a gone
// start position it falls back to TRIM_HORIZON. stop: the read ends, with the
// reason recorded as Missing.
func (s *shardRead[R]) acquire(ctx context.Context, pos position) (string, bool, error) {
	seq := ""
	switch pos {
	case atSequence:
		seq = s.r.StartSequenceNumber
	case afterSequence:
		seq = seqString(s.lastSeen, s.r.StartSequenceNumber)
	}
	it, err := s.api.shardIterator(ctx, s.r, pos, seq)
	if err == nil {
		return it, false, nil
	}
	kind, reason := s.api.classify(err)
	switch {
	case kind == errPositionGone && pos != trimHorizon:
		s.log.WarnContext(ctx, "sequence number no longer in the shard, falling back to TRIM_HORIZON", "position", pos.String(), "sequenceNumber", seq, "error", err)
		s.repositioned, s.fellBackErr = true, err
		return s.acquire(ctx, trimHorizon)
	case kind == errUnreadable:
		s.unreadable(reason, err)
		return "", true, nil
	default:
		return "", false, fmt.Errorf("get shard iterator %s shard %s: %w", pos, s.r.ShardID, err)
	}
}

// resume re-acquires an expired iterator just after the last record read, or
// at the start when nothing was read yet.
func (s *shardRead[R]) resume(ctx context.Context) (string, bool, error) {
	if s.lastSeen != nil {
		return s.acquire(ctx, afterSequence)
	}
	if s.fellBackErr != nil {
		s.repositioned = true
		return s.acquire(ctx, trimHorizon)
	}
	return s.acquire(ctx, atSequence)
}

// finish builds the report: the gaps found, and if the range held fewer
// records than the batch size, the shortfall, so a short read is never silent.
func (s *shardRead[R]) finish(reachedEnd bool) Report {
	if s.repositioned && !reachedEnd {
		// Moved to TRIM_HORIZON and found nothing after: all the rest is gone.
		s.repositioned = false
		s.gapBefore(plusOne(s.b.end), "no record of the range is left in the shard")
	}
	if s.lastInRange != nil && s.lastInRange.Cmp(s.b.end) >= 0 {
		reachedEnd = true // the end record was read; nothing can follow it in the range
	}
	rep := s.report
	missing := append([]Missing(nil), s.gaps...)
	short := 0
	if s.r.BatchSize > 0 {
		short = s.r.BatchSize - rep.StreamRecords
	}
	switch {
	case !reachedEnd && !s.tailCovered(missing):
		// The shard ended (closed, or read to its tip) before the end record.
		from := s.b.start
		if s.lastInRange != nil {
			from = plusOne(s.lastInRange)
		}
		missing = append(missing, Missing{
			StartSequenceNumber: seqString(from, s.r.StartSequenceNumber), EndSequenceNumber: s.r.EndSequenceNumber,
			Reason: ReasonNotFound, Detail: fmt.Sprintf("the shard ended (closed, or read to its tip) after %d records of the range, before its end sequence number", rep.StreamRecords),
		})
	case reachedEnd && short > 0 && len(missing) == 0:
		// Every record between start and end was read, yet fewer than the
		// batch size: where in the range the others were is unknown.
		missing = append(missing, Missing{
			StartSequenceNumber: s.r.StartSequenceNumber, EndSequenceNumber: s.r.EndSequenceNumber,
			Reason: ReasonNotFound, Detail: fmt.Sprintf("the range held %d records, batch size %d", rep.StreamRecords, s.r.BatchSize),
		})
	}
	// The shortfall is only known in total: when the range has more than one
	// missing part, it goes to the last (Count 0 on the others means unknown).
	if len(missing) > 0 && short > 0 {
		missing[len(missing)-1].Count = short
	}
	for i := range missing {
		missing[i].ShardID = s.r.ShardID
	}
	rep.Missing = missing
	return rep
}

// tailCovered reports whether the last missing part reaches the range's end.
func (s *shardRead[R]) tailCovered(missing []Missing) bool {
	if len(missing) == 0 {
		return false
	}
	end, err := parseSequenceNumber(missing[len(missing)-1].EndSequenceNumber)
	return err == nil && end.Cmp(s.b.end) >= 0
}

// partial is the report of a read that ends with an error: what was read
// and the gaps found so far.
func (s *shardRead[R]) partial() Report {
	rep := s.report
	rep.Missing = append([]Missing(nil), s.gaps...)
	for i := range rep.Missing {
		rep.Missing[i].ShardID = s.r.ShardID
	}
	return rep
}
