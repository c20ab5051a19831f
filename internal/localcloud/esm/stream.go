package esm

import (
	"context"
	"sync"
	"time"

	"github.com/hydrant-dev/hydrant/internal/backoff"
)

// shardSource is a stream as the pollers see it: Kinesis or DynamoDB Streams.
type shardSource interface {
	listShards(ctx context.Context) ([]shardInfo, error)
	iterator(ctx context.Context, shardID string, p position) (string, error)
	// getRecords returns the records at it and the next iterator, empty
	// once the shard is closed and read to its end.
	getRecords(ctx context.Context, shardID, it string, limit int) ([]record, string, error)
	// expired reports an error that a new iterator cures.
	expired(err error) bool
}

type shardInfo struct {
	id, parent, adjacentParent string
	closed                     bool
}

// position is where a shard iterator starts: after a sequence number, at
// the tip (LATEST) or at the oldest record (TRIM_HORIZON, the zero value).
type position struct {
	latest bool
	after  string
}

func (p position) String() string {
	switch {
	case p.after != "":
		return "AFTER_SEQUENCE_NUMBER " + p.after
	case p.latest:
		return StartingPositionLatest
	}
	return StartingPositionTrimHorizon
}

// prepareStream reads the shard list and, for LATEST, takes the open shards'
// iterators now, so that records written after Add returns are delivered.
// "For Kinesis and DynamoDB streams, an event source mapping creates an
// iterator for each shard in the stream and processes items in each shard in
// order" (services-dynamodb / with-kinesis). Closed shards at creation are
// skipped under LATEST (there is nothing after their tip) and read first,
// parents before children, under TRIM_HORIZON.
func (mp *Mapping) prepareStream(ctx context.Context, src shardSource) (func(run, hard context.Context), error) {
	shards, err := src.listShards(ctx)
	if err != nil {
		return nil, err
	}
	iters := map[string]string{}
	finished := map[string]bool{}
	if mp.s.StartingPosition == StartingPositionLatest {
		for _, sh := range shards {
			if sh.closed {
				finished[sh.id] = true
				continue
			}
			it, err := src.iterator(ctx, sh.id, position{latest: true})
			if err != nil {
				return nil, err
			}
			iters[sh.id] = it
		}
	}
	return func(run, hard context.Context) { mp.coordinate(run, hard, src, shards, iters, finished) }, nil
}

// coordinate runs a poller per shard and, as shards close, finds their
// children: "a child shard is processed only after its parents are read to
// their end" keeps per-key order across resharding (Kinesis developer guide,
// kinesis-using-sdk-java-after-resharding). Shards created after the mapping
// started are read from TRIM_HORIZON.
func (mp *Mapping) coordinate(run, hard context.Context, src shardSource, shards []shardInfo, iters map[string]string, finished map[string]bool) {
	started := map[string]bool{}
	done := make(chan string)
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(mp.opts.ShardDiscoveryInterval)
	defer tick.Stop()
	// A shard read to its end stays counted in Stats.BusyPollers until the pass
	// that starts its children's pollers.
	awaiting := 0
	defer func() { mp.busyPollers.Add(int64(-awaiting)) }()
	for {
		listed := make(map[string]bool, len(shards))
		for _, sh := range shards {
			listed[sh.id] = true
		}
		// A parent missing from the list has been trimmed away: nothing to wait for.
		parentDone := func(id string) bool { return id == "" || finished[id] || !listed[id] }
		for _, sh := range shards {
			if started[sh.id] || finished[sh.id] || !parentDone(sh.parent) || !parentDone(sh.adjacentParent) {
				continue
			}
			started[sh.id] = true
			it := iters[sh.id]
			start := position{latest: it != ""}
			idle := mp.newIdleness()
			wg.Go(func() {
				defer idle.set(false)
				if mp.pollShard(run, hard, src, sh.id, start, it, idle) {
					mp.busyPollers.Add(1) // handed over to the coordinator with done
					select {
					case done <- sh.id:
					case <-run.Done():
						mp.busyPollers.Add(-1)
					}
				}
			})
		}
		mp.busyPollers.Add(int64(-awaiting))
		awaiting = 0
		select {
		case <-run.Done():
			return
		case id := <-done:
			finished[id] = true
			awaiting++
		case <-tick.C:
		}
		list, err := src.listShards(run)
		if err != nil {
			if run.Err() != nil {
				return
			}
			mp.pollError(err)
			continue
		}
		shards = list
	}
}

// pollShard reads one shard in order, forms batches (BatchSize, batching
// window) and runs them through the failure semantics of batchRunner. It
// returns true once the shard is closed and every record was processed. It
// keeps idle up to date; its caller releases it.
func (mp *Mapping) pollShard(run, hard context.Context, src shardSource, shardID string, start position, it string, idle *idleness) bool {
	mp.shards.Add(1)
	defer mp.shards.Add(-1)
	log := mp.log.With("shard", shardID)
	runner := &batchRunner{
		s: &mp.s, now: mp.opts.Now, retryDelay: mp.opts.RetryDelay, log: log,
		invoke: func(_ context.Context, recs []record) outcome {
			resp, err := mp.invoke(hard, eventPayload(recs))
			out := classify(resp, err, recs, mp.s.rbif)
			if out.verdict == partial || out.verdict == batchFailed {
				mp.partialResponses.Add(1)
			}
			return out
		},
		discard: func(_ context.Context, d discarded) error { return mp.discard(run, hard, shardID, d) },
	}
	window := time.Duration(mp.s.MaximumBatchingWindowInSeconds) * time.Second
	pauses := newPollBackoff(mp.opts.PollInterval)
	var (
		checkpoint string // the last record processed
		buf        []record
		bufSince   time.Time
	)
	for run.Err() == nil {
		if it == "" {
			p := start
			if len(buf) > 0 {
				p = position{after: buf[len(buf)-1].seq}
			} else if checkpoint != "" {
				p = position{after: checkpoint}
			}
			var err error
			if it, err = src.iterator(run, shardID, p); err != nil {
				idle.set(true)
				if run.Err() == nil {
					mp.pollError(err)
				}
				_ = sleep(run, pauses.next())
				continue
			}
		}
		recs, next, err := src.getRecords(run, shardID, it, mp.s.batchSize-len(buf))
		if err != nil {
			if run.Err() != nil {
				return false
			}
			idle.set(true)
			if src.expired(err) {
				log.Debug("shard iterator expired, taking a new one", "err", err)
				it = ""
				continue
			}
			mp.pollError(err)
			_ = sleep(run, pauses.next())
			continue
		}
		pauses.reset()
		if len(buf) == 0 && len(recs) > 0 {
			bufSince = time.Now()
		}
		buf = append(buf, recs...)
		it = next
		closed := next == ""
		// "Lambda reads records from the event source until it has gathered
		// a full batch, the batching window expires, or the batch reaches the
		// payload limit of 6 MB" (with-kinesis.md, batching window).
		for len(buf) > 0 && (len(buf) >= mp.s.batchSize || closed || window == 0 || time.Since(bufSince) >= window) {
			n := fitPayload(buf)
			if err := runner.run(run, buf[:n]); err != nil {
				return false
			}
			checkpoint = buf[n-1].seq
			buf = buf[n:]
			bufSince = time.Now()
		}
		if closed {
			log.Debug("shard closed and read to its end")
			return true
		}
		if len(recs) == 0 {
			if len(buf) == 0 {
				idle.caughtUp()
			} else {
				idle.set(true)
			}
			_ = sleep(run, mp.opts.PollInterval)
		} else {
			idle.set(true)
		}
	}
	return false
}

// maxPayload is the synchronous invocation payload limit, 6 MB (Lambda
// quotas: "Invocation payload (request and response) 6 MB each for
// request and response (synchronous)").
const maxPayload = 6 * 1024 * 1024

// fitPayload returns how many records from the head of recs make an event
// payload within maxPayload (at least one).
func fitPayload(recs []record) int {
	size := len(`{"Records":[]}`)
	for i, r := range recs {
		size += len(r.event) + 1
		if size > maxPayload && i > 0 {
			return i
		}
	}
	return len(recs)
}

// pollBackoff spaces out polls after consecutive errors (a deleted stream or
// queue, an emulator gone), from the poll interval up to 5 s.
type pollBackoff struct {
	policy   backoff.Exponential
	failures int
}

func newPollBackoff(base time.Duration) *pollBackoff {
	return &pollBackoff{policy: backoff.Exponential{Base: base, Max: 5 * time.Second, Jitter: backoff.None}}
}

func (b *pollBackoff) next() time.Duration {
	b.failures++
	return b.policy.Delay(b.failures)
}

func (b *pollBackoff) reset() { b.failures = 0 }

// discard sends a discarded batch's invocation record to the on-failure
// destination, retrying until it is delivered or the mapping stops; without
// a destination the records are dropped ("Lambda discards the records and
// continues processing batches from the stream").
func (mp *Mapping) discard(run, hard context.Context, shardID string, d discarded) error {
	at := mp.opts.Now()
	rec := newInvocationRecord(&mp.s, shardID, d, at)
	mp.batchesDiscarded.Add(1)
	mp.recordsDiscarded.Add(int64(len(d.records)))
	attrs := []any{"shard", shardID, "condition", d.condition, "batch_size", len(d.records),
		"start_sequence_number", d.records[0].seq, "end_sequence_number", d.records[len(d.records)-1].seq,
		"approximate_invoke_count", d.invokeCount}
	if mp.dest == nil {
		mp.log.Warn("batch discarded, no on-failure destination", attrs...)
		return nil
	}
	delay := mp.opts.RetryDelay
	for {
		err := mp.dest.send(hard, shardID, rec, d.records, at)
		if err == nil {
			mp.batchesToDestination.Add(1)
			mp.log.Info("batch discarded to on-failure destination", append(attrs, "destination", mp.dest.String())...)
			return nil
		}
		mp.destinationErrors.Add(1)
		mp.lastError.Store(err.Error())
		mp.log.Error("on-failure destination refused a batch; retrying", append(attrs, "err", err)...)
		if err := sleep(run, delay); err != nil {
			return err
		}
		delay = min(2*delay, 5*time.Second)
	}
}
