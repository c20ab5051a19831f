package redrive

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Journal is the redrive's memory: the detail.eventId of every record a destination accepted,
// one per line, appended and synced to disk before the record's message is deleted. A run that
// was stopped between the two is resumed without sending the record again: the next run finds
// its eventId here and only deletes the message. (A stop between the destination's answer and
// the journal write can still send a record twice; consumers dedupe on the Lambda event's
// eventID, which is the original one.)
type Journal struct {
	path string
	mu   sync.Mutex
	f    *os.File
	ids  map[string]bool
}

// OpenJournal opens (or creates) the journal at path and loads what it holds.
func OpenJournal(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	j := &Journal{path: path, f: f, ids: map[string]bool{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// A line cut short by a crash has no newline and no valid id after it; it is ignored
		// as an id that matches no record.
		if id := strings.TrimSpace(sc.Text()); id != "" {
			j.ids[id] = true
		}
	}
	if err := sc.Err(); err != nil {
		f.Close()
		return nil, fmt.Errorf("read journal %s: %w", path, err)
	}
	return j, nil
}

// Path is where the journal is.
func (j *Journal) Path() string { return j.path }

// Len is how many records the journal holds.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.ids)
}

// Has reports whether a record was accepted by an earlier (or this) run.
func (j *Journal) Has(eventID string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.ids[eventID]
}

// Add records accepted records, durably, before their messages are deleted.
func (j *Journal) Add(eventIDs ...string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var b strings.Builder
	for _, id := range eventIDs {
		if strings.ContainsAny(id, "\n\r") {
			return fmt.Errorf("journal %s: event id %q has a line break", j.path, id)
		}
		b.WriteString(id)
		b.WriteByte('\n')
	}
	if _, err := j.f.WriteString(b.String()); err != nil {
		return fmt.Errorf("append to journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync journal %s: %w", j.path, err)
	}
	for _, id := range eventIDs {
		j.ids[id] = true
	}
	return nil
}

// Close closes the journal file.
func (j *Journal) Close() error {
	if j == nil || j.f == nil {
		return nil
	}
	return j.f.Close()
}

// limiter bounds records per second with a token bucket of one second's worth.
type limiter struct {
	rate   float64
	tokens float64
	last   time.Time
}

func newLimiter(rate float64) *limiter { return &limiter{rate: rate, tokens: rate, last: time.Now()} }

// wait blocks until n records may be sent. A batch larger than one second's worth waits for
// the tokens it needs beyond what the bucket holds.
func (l *limiter) wait(ctx context.Context, n int) error {
	if l.rate <= 0 {
		return nil
	}
	now := time.Now()
	l.tokens += now.Sub(l.last).Seconds() * l.rate
	if l.tokens > l.rate {
		l.tokens = l.rate
	}
	l.last = now
	l.tokens -= float64(n)
	if l.tokens >= 0 {
		return nil
	}
	d := time.Duration(-l.tokens / l.rate * float64(time.Second))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		l.last = time.Now()
		l.tokens = 0
		return nil
	case <-ctx.Done():
		return errors.Join(ctx.Err(), fmt.Errorf("waiting for --rate"))
	}
}
