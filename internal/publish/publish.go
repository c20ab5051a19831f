// Package publish puts events on an EventBridge bus reliably and cheaply: it packs entries into
// PutEvents calls by the size EventBridge computes, retries only the entries that failed with a
// retryable code (with backoff and jitter), bounds the number of calls in flight, and stores
// records too large for an event in S3 (the claim check, see ClaimCheck).
package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/hydrant-dev/hydrant/internal/backoff"
)

// EventsAPI is the part of the EventBridge client the publisher uses.
type EventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Entry is one event to put on the bus.
type Entry struct {
	// ID identifies the entry in errors and logs; Hydrant uses the event's deterministic identity.
	ID         string
	Source     string
	DetailType string
	Resources  []string
	Detail     []byte // a JSON object
}

const (
	// MaxEntriesPerCall is EventBridge's limit of entries in one PutEvents call.
	MaxEntriesPerCall = 10
	// DefaultMaxEntrySize is EventBridge's classic limit for an entry and for a whole call (256 KiB).
	// Accounts and Regions with 1 MiB events can raise Config.MaxEntrySize to 1 MiB.
	DefaultMaxEntrySize = 256 * 1024
)

// EntrySize is the size EventBridge charges an entry against its limit, by its documented
// formula: the UTF-8 bytes of Source, DetailType, Detail and each Resources entry, plus 14
// bytes when Time is set (the publisher never sets Time, so EventBridge stamps it).
func EntrySize(e Entry) int {
	n := len(e.Source) + len(e.DetailType) + len(e.Detail)
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// Config tunes a Publisher. Zero values take the defaults named on each field.
type Config struct {
	EventBusName string        // required: name or ARN of the bus
	MaxEntrySize int           // default DefaultMaxEntrySize; also the limit for a whole call
	MaxAttempts  int           // attempts per entry, counting the first; default 8
	BaseDelay    time.Duration // first retry delay before jitter; default 100ms
	MaxDelay     time.Duration // cap on the retry delay; default 5s
	Concurrency  int           // PutEvents calls in flight; default 4
}

func (c Config) withDefaults() Config {
	if c.MaxEntrySize <= 0 {
		c.MaxEntrySize = DefaultMaxEntrySize
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.BaseDelay <= 0 {
		c.BaseDelay = 100 * time.Millisecond
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = 5 * time.Second
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	return c
}

// Publisher puts entries on one bus. It is safe for concurrent use.
type Publisher struct {
	client EventsAPI
	cfg    Config
}

// New returns a Publisher for cfg.EventBusName.
func New(client EventsAPI, cfg Config) (*Publisher, error) {
	if cfg.EventBusName == "" {
		return nil, errors.New("publish: event bus name is required")
	}
	return &Publisher{client: client, cfg: cfg.withDefaults()}, nil
}

// MaxEntrySize is the largest entry the publisher sends; larger ones must be offloaded first.
func (p *Publisher) MaxEntrySize() int { return p.cfg.MaxEntrySize }

// Stats counts what one Publish did.
type Stats struct {
	Published int // entries EventBridge accepted
	Calls     int // PutEvents calls made
	Retried   int // entries sent again after a retryable failure
}

func (s *Stats) add(o Stats) {
	s.Published += o.Published
	s.Calls += o.Calls
	s.Retried += o.Retried
}

// EntryError is an entry EventBridge refused for good: a non-retryable code, or a retryable
// one that persisted through every attempt.
type EntryError struct {
	ID       string
	Code     string
	Message  string
	Attempts int
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("put event %s: %s: %s (after %d attempts)", e.ID, e.Code, e.Message, e.Attempts)
}

// ErrEntryTooLarge is returned for an entry over MaxEntrySize; the caller offloads it first.
var ErrEntryTooLarge = errors.New("entry exceeds the maximum entry size")

// retryable tells the per-entry codes worth sending again, as the PutEvents reference lists them.
func retryable(code string) bool {
	return code == "ThrottlingException" || code == "InternalFailure"
}

// Publish puts every entry on the bus; the entries' Detail bytes must not change until it
// returns. It returns when each entry was accepted or failed for good; the error joins an *EntryError per failed entry (errors.As finds them) and any call
// error. Entries are packed into calls in order; order across calls is not guaranteed, as
// EventBridge itself does not guarantee it.
func (p *Publisher) Publish(ctx context.Context, entries []Entry) (Stats, error) {
	for _, e := range entries {
		if size := EntrySize(e); size > p.cfg.MaxEntrySize {
			return Stats{}, fmt.Errorf("publish event %s: %d bytes: %w (%d)", e.ID, size, ErrEntryTooLarge, p.cfg.MaxEntrySize)
		}
	}
	batches := Pack(entries, p.cfg.MaxEntrySize)

	var (
		mu    sync.Mutex
		stats Stats
		errs  []error
		wg    sync.WaitGroup
		slots = make(chan struct{}, p.cfg.Concurrency)
	)
	for _, b := range batches {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			s, err := p.sendBatch(ctx, b)
			mu.Lock()
			stats.add(s)
			if err != nil {
				errs = append(errs, err)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return stats, errors.Join(errs...)
}

// Pack splits entries, in order, into batches of at most MaxEntriesPerCall entries whose sizes
// add up to at most maxCallSize, so that no call is refused for its total size.
func Pack(entries []Entry, maxCallSize int) [][]Entry {
	var (
		out   [][]Entry
		start int
		size  int
	)
	for i, e := range entries {
		s := EntrySize(e)
		if i > start && (i-start == MaxEntriesPerCall || size+s > maxCallSize) {
			out = append(out, entries[start:i:i])
			start, size = i, 0
		}
		size += s
	}
	if start < len(entries) {
		out = append(out, entries[start:])
	}
	return out
}

// sendBatch puts one batch, then re-sends only the entries that failed with a retryable code
// until they succeed or run out of attempts.
func (p *Publisher) sendBatch(ctx context.Context, batch []Entry) (Stats, error) {
	var (
		stats   Stats
		failed  []error
		pending = batch
	)
	for attempt := 1; len(pending) > 0; attempt++ {
		if attempt > 1 {
			stats.Retried += len(pending)
			if err := sleep(ctx, p.backoff(attempt-1)); err != nil {
				return stats, fmt.Errorf("put events: waiting to retry %d entries (first %s): %w", len(pending), pending[0].ID, err)
			}
		}
		out, err := p.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: p.requestEntries(pending)})
		stats.Calls++
		if err != nil {
			// The SDK's retryer has already retried the call itself; what reaches here is final.
			return stats, fmt.Errorf("put events on bus %s (%d entries, first %s): %w", p.cfg.EventBusName, len(pending), pending[0].ID, err)
		}
		if len(out.Entries) != len(pending) {
			return stats, fmt.Errorf("put events on bus %s: %d result entries for %d request entries", p.cfg.EventBusName, len(out.Entries), len(pending))
		}
		var retry []Entry
		for i, r := range out.Entries {
			code := aws.ToString(r.ErrorCode)
			switch {
			case code == "":
				stats.Published++
			case retryable(code) && attempt < p.cfg.MaxAttempts:
				retry = append(retry, pending[i])
			default:
				failed = append(failed, &EntryError{ID: pending[i].ID, Code: code, Message: aws.ToString(r.ErrorMessage), Attempts: attempt})
			}
		}
		pending = retry
	}
	return stats, errors.Join(failed...)
}

func (p *Publisher) requestEntries(entries []Entry) []types.PutEventsRequestEntry {
	out := make([]types.PutEventsRequestEntry, len(entries))
	// The entries' strings live in one array per call (not an allocation per field per
	// entry), and consecutive entries share their source and detail type.
	strs := make([]string, 1+3*len(entries))
	strs[0] = p.cfg.EventBusName
	bus := &strs[0]
	var source, detailType *string
	for i, e := range entries {
		f := strs[1+3*i : 4+3*i]
		if source == nil || *source != e.Source {
			f[0] = e.Source
			source = &f[0]
		}
		if detailType == nil || *detailType != e.DetailType {
			f[1] = e.DetailType
			detailType = &f[1]
		}
		f[2] = detailString(e.Detail)
		out[i] = types.PutEventsRequestEntry{
			EventBusName: bus,
			Source:       source,
			DetailType:   detailType,
			Detail:       &f[2],
			Resources:    e.Resources,
		}
	}
	return out
}

// detailString shares the detail's bytes instead of copying them (a copy per entry was a tenth
// of the bytes the hydrate path allocated): the request entries live only while Publish runs,
// and Publish's callers do not change an entry's Detail until it returns.
func detailString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// backoff is capped exponential backoff with full jitter for the n-th retry (n ≥ 1).
func (p *Publisher) backoff(n int) time.Duration {
	return backoff.Exponential{Base: p.cfg.BaseDelay, Max: p.cfg.MaxDelay, Jitter: backoff.Full}.Delay(n)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
