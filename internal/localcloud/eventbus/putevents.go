package eventbus

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hydrant-dev/hydrant/internal/eventpattern"
)

// busEvent is an event accepted by a bus: its JSON as targets receive it, and the parsed
// forms rules and transformers need, computed once.
type busEvent struct {
	id       string
	time     time.Time // the event's time member
	ingested time.Time
	raw      []byte
	hops     int

	// Parsed forms, computed on first use: every event is matched, few are transformed.
	parseOnce  sync.Once
	parsed     *eventpattern.Event
	parseErr   error
	decodeOnce sync.Once
	decoded    map[string]any
	decodeErr  error
}

func (e *busEvent) pattern() (*eventpattern.Event, error) {
	e.parseOnce.Do(func() { e.parsed, e.parseErr = eventpattern.ParseEvent(e.raw) })
	return e.parsed, e.parseErr
}

func (e *busEvent) doc() (map[string]any, error) {
	e.decodeOnce.Do(func() { e.decoded, e.decodeErr = decodeEvent(e.raw) })
	return e.decoded, e.decodeErr
}

// entrySize is AWS's PutEvents entry size: 14 bytes for Time if set, plus the UTF-8 bytes of
// Source, DetailType, Detail and each Resources entry.
func entrySize(e *putEventsEntry) int {
	n := 0
	if e.Time != nil {
		n += 14
	}
	for _, s := range []*string{e.Source, e.DetailType, e.Detail} {
		if s != nil {
			n += len(*s)
		}
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// putEvents validates as EventBridge does: more than 10 entries or entries whose summed size
// exceeds the limit fail the whole call (ValidationException); a missing Source, DetailType or
// Detail (InvalidArgument), a Detail that is not a JSON object (MalformedDetail) or a bus that
// does not exist (ResourceNotFoundException, a deliberate departure: AWS has been seen to
// accept such entries and drop them) fail only their entry, reported in request order.
func (s *Server) putEvents(_ context.Context, body []byte) (any, *apiError) {
	var in putEventsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.Entries) == 0 {
		return nil, validationError("1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(in.Entries) > maxEntriesPerCall {
		return nil, validationError("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to %d (got %d entries)", maxEntriesPerCall, len(in.Entries))
	}
	if in.EndpointID != "" {
		return nil, validationError("Global endpoints (EndpointId %s) are not supported by the local endpoint.", in.EndpointID)
	}
	total := 0
	for i := range in.Entries {
		total += entrySize(&in.Entries[i])
	}
	if total > s.opts.MaxEntrySize {
		return nil, validationError("Total size of the entries in the request is over the limit. The entries add up to %d bytes by the PutEvents entry-size formula; the limit is %d.", total, s.opts.MaxEntrySize)
	}
	out := putEventsOutput{Entries: make([]putEventsResultEntry, len(in.Entries))}
	now := time.Now().UTC()
	for i := range in.Entries {
		res := s.putEntry(&in.Entries[i], now)
		if res.ErrorCode != "" {
			out.FailedEntryCount++
		}
		out.Entries[i] = res
	}
	return out, nil
}

func (s *Server) putEntry(e *putEventsEntry, now time.Time) putEventsResultEntry {
	switch {
	case e.Source == nil || *e.Source == "":
		return putEventsResultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Source is not valid. Reason: Source is a required argument."}
	case e.DetailType == nil || *e.DetailType == "":
		return putEventsResultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter DetailType is not valid. Reason: DetailType is a required argument."}
	case e.Detail == nil || *e.Detail == "":
		return putEventsResultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Detail is not valid. Reason: Detail is a required argument."}
	}
	detail := bytes.TrimSpace([]byte(*e.Detail))
	if !utf8.Valid(detail) || len(detail) == 0 || detail[0] != '{' || !json.Valid(detail) {
		return putEventsResultEntry{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."}
	}
	for _, r := range e.Resources {
		if r == "" {
			return putEventsResultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Resources is not valid. Reason: a resource is empty."}
		}
	}
	s.mu.RLock()
	b, aerr := s.lookupBus(e.EventBusName)
	s.mu.RUnlock()
	if aerr != nil {
		return putEventsResultEntry{ErrorCode: aerr.Code, ErrorMessage: aerr.Message}
	}
	var compact bytes.Buffer
	_ = json.Compact(&compact, detail)
	t := now
	if e.Time != nil {
		t = e.Time.UTC()
	}
	resources := e.Resources
	if resources == nil {
		resources = []string{}
	}
	ev := Event{
		Version: "0", ID: uuid.NewString(), DetailType: *e.DetailType, Source: *e.Source, Account: s.opts.AccountID,
		Time: t.Format(time.RFC3339), Region: s.opts.Region, Resources: resources, Detail: compact.Bytes(),
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return putEventsResultEntry{ErrorCode: "InternalFailure", ErrorMessage: fmt.Sprintf("encode event: %v", err)}
	}
	be := &busEvent{id: ev.ID, time: t.Truncate(time.Second), ingested: now, raw: raw}
	matched, err := s.match(b, be)
	if err != nil {
		return putEventsResultEntry{ErrorCode: "MalformedDetail", ErrorMessage: fmt.Sprintf("Detail is malformed: %v", err)}
	}
	s.archiveEvent(b, be)
	s.enqueueTargets(be, matched, nil)
	return putEventsResultEntry{EventID: ev.ID}
}

// route matches the event against the bus's enabled rules and queues a delivery per target
// of each matching rule. filter, when not nil, limits the rules (a replay's FilterArns).
func (s *Server) route(b *bus, ev *busEvent, filter map[string]bool) {
	matched, err := s.match(b, ev)
	if err != nil {
		s.log.Error("event dropped: it cannot be parsed for matching", "event_id", ev.id, "bus", b.name, "error", err)
		return
	}
	s.enqueueTargets(ev, matched, filter)
}

// match returns the bus's rules whose pattern the event matches, in name order; the error
// is the event's (not a JSON object, or nested too deeply).
func (s *Server) match(b *bus, ev *busEvent) ([]*rule, error) {
	s.mu.RLock()
	rules, matcher := b.ordered, b.matcher
	s.mu.RUnlock()
	if matcher == nil {
		matcher = new(eventpattern.Set) // a bus that never had a rule: the event is still checked
	}
	names, err := matcher.MatchJSON(ev.raw)
	if err != nil {
		return nil, err
	}
	var matched []*rule
	for _, name := range names {
		if i, ok := slices.BinarySearchFunc(rules, name, func(r *rule, n string) int { return strings.Compare(r.name, n) }); ok {
			matched = append(matched, rules[i])
		}
	}
	return matched, nil
}

// enqueueTargets queues a delivery per target of each enabled rule (of those in filter, when not nil).
func (s *Server) enqueueTargets(ev *busEvent, rules []*rule, filter map[string]bool) {
	for _, r := range rules {
		if r.state == stateDisabled || len(r.targets) == 0 {
			continue
		}
		if filter != nil && !filter[r.arn] {
			continue
		}
		for _, t := range r.targets {
			s.delivery.enqueue(&job{ev: ev, ruleName: r.name, ruleARN: r.arn, target: t})
		}
	}
}
