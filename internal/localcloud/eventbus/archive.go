package eventbus

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hydrant-dev/hydrant/internal/eventpattern"
)

var archiveNameRE = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,48}$`)

type archive struct {
	name, arn, description string
	busName, busARN        string
	pattern                string
	compiled               *eventpattern.Pattern // nil: every event
	retentionDays          int                   // 0: indefinitely
	created                time.Time

	mu     sync.Mutex
	events []*busEvent
	size   int64
}

// keep stores an event, dropping those past the retention period first.
func (a *archive) keep(ev *busEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expire(ev.ingested)
	a.events = append(a.events, ev)
	a.size += int64(len(ev.raw))
}

// expire drops events older than the retention period; the caller holds a.mu.
func (a *archive) expire(now time.Time) {
	if a.retentionDays <= 0 {
		return
	}
	cutoff := now.Add(-time.Duration(a.retentionDays) * 24 * time.Hour)
	i := 0
	for i < len(a.events) && a.events[i].ingested.Before(cutoff) {
		a.size -= int64(len(a.events[i].raw))
		i++
	}
	a.events = a.events[i:]
}

func (a *archive) stats() (count, size int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expire(time.Now())
	return int64(len(a.events)), a.size
}

// archiveEvent keeps the event in every archive of the bus whose pattern it matches.
func (s *Server) archiveEvent(b *bus, ev *busEvent) {
	s.mu.RLock()
	var targets []*archive
	for _, a := range s.archives {
		if a.busName == b.name {
			targets = append(targets, a)
		}
	}
	s.mu.RUnlock()
	if len(targets) == 0 {
		return
	}
	pe, err := ev.pattern()
	if err != nil {
		return
	}
	for _, a := range targets {
		if a.compiled == nil || a.compiled.Match(pe) {
			a.keep(ev)
		}
	}
}

func (s *Server) createArchive(_ context.Context, body []byte) (any, *apiError) {
	var in createArchiveInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if !archiveNameRE.MatchString(in.ArchiveName) {
		return nil, validationError("1 validation error detected: Value '%s' at 'archiveName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length between 1 and 48.", in.ArchiveName)
	}
	if in.RetentionDays < 0 {
		return nil, validationError("1 validation error detected: Value '%d' at 'retentionDays' failed to satisfy constraint: Member must have value greater than or equal to 0", in.RetentionDays)
	}
	var compiled *eventpattern.Pattern
	if in.EventPattern != "" {
		var aerr *apiError
		if compiled, aerr = compilePattern(in.EventPattern, eventpattern.Options{}); aerr != nil {
			return nil, aerr
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.Contains(in.EventSourceArn, ":event-bus/") {
		return nil, validationError("Parameter EventSourceArn is not valid. Reason: %q is not an event bus ARN.", in.EventSourceArn)
	}
	b, aerr := s.lookupBus(in.EventSourceArn)
	if aerr != nil {
		return nil, aerr
	}
	if _, ok := s.archives[in.ArchiveName]; ok {
		return nil, alreadyExists("Archive %s already exists.", in.ArchiveName)
	}
	a := &archive{
		name: in.ArchiveName, arn: s.arn("archive/" + in.ArchiveName), description: in.Description,
		busName: b.name, busARN: b.arn, pattern: in.EventPattern, compiled: compiled,
		retentionDays: in.RetentionDays, created: time.Now().UTC(),
	}
	s.archives[a.name] = a
	return createArchiveOutput{ArchiveArn: a.arn, State: stateEnabled, CreationTime: newEpoch(a.created)}, nil
}

func (s *Server) describeArchive(_ context.Context, body []byte) (any, *apiError) {
	var in archiveNameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	a, ok := s.archives[in.ArchiveName]
	s.mu.RUnlock()
	if !ok {
		return nil, notFound("Archive %s does not exist.", in.ArchiveName)
	}
	count, size := a.stats()
	return describeArchiveOutput{
		ArchiveArn: a.arn, ArchiveName: a.name, EventSourceArn: a.busARN, Description: a.description,
		EventPattern: a.pattern, State: stateEnabled, RetentionDays: a.retentionDays, SizeBytes: size,
		EventCount: count, CreationTime: newEpoch(a.created),
	}, nil
}

func (s *Server) listArchives(_ context.Context, body []byte) (any, *apiError) {
	var in listInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	if in.EventSourceArn != "" {
		// AWS: LocalStack test_list_archive_error_unknown_source_arn, recorded 12-03-2025.
		if _, aerr := s.lookupBus(in.EventSourceArn); aerr != nil {
			s.mu.RUnlock()
			return nil, aerr
		}
	}
	var matched []*archive
	for _, a := range s.archives {
		if strings.HasPrefix(a.name, in.NamePrefix) && (in.EventSourceArn == "" || in.EventSourceArn == a.busARN) &&
			(in.State == "" || in.State == stateEnabled) {
			matched = append(matched, a)
		}
	}
	s.mu.RUnlock()
	sort.Slice(matched, func(i, j int) bool { return matched[i].name < matched[j].name })
	all := make([]archiveEntry, 0, len(matched))
	for _, a := range matched {
		count, size := a.stats()
		all = append(all, archiveEntry{ArchiveName: a.name, EventSourceArn: a.busARN, State: stateEnabled,
			RetentionDays: a.retentionDays, SizeBytes: size, EventCount: count, CreationTime: newEpoch(a.created)})
	}
	page, next, aerr := paginate(all, in.NextToken, in.Limit)
	if aerr != nil {
		return nil, aerr
	}
	return listArchivesOutput{Archives: page, NextToken: next}, nil
}

// Replay states as DescribeReplay reports them.
const (
	replayStarting  = "STARTING"
	replayRunning   = "RUNNING"
	replayCompleted = "COMPLETED"
)

type replay struct {
	name, arn, description string
	archive                *archive
	dest                   replayDestination
	start, end             time.Time

	mu           sync.Mutex
	state        string
	stateReason  string
	started      time.Time
	ended        time.Time
	lastReplayed time.Time
}

func (s *Server) startReplay(_ context.Context, body []byte) (any, *apiError) {
	var in startReplayInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if !archiveNameRE.MatchString(in.ReplayName) {
		return nil, validationError("1 validation error detected: Value '%s' at 'replayName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length between 1 and 64.", in.ReplayName)
	}
	if in.EventStartTime == nil || in.EventEndTime == nil || in.Destination == nil {
		return nil, validationError("EventStartTime, EventEndTime and Destination are required.")
	}
	if !in.EventStartTime.Before(in.EventEndTime.Time) {
		return nil, validationError("Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	archiveName := in.EventSourceArn
	if i := strings.Index(archiveName, ":archive/"); i >= 0 {
		archiveName = archiveName[i+len(":archive/"):]
	}
	a, ok := s.archives[archiveName]
	if !ok || (strings.HasPrefix(in.EventSourceArn, "arn:") && in.EventSourceArn != a.arn) {
		return nil, validationError("Parameter EventSourceArn is not valid. Reason: Archive %s does not exist.", archiveName)
	}
	if _, aerr := s.lookupBus(in.Destination.Arn); aerr != nil {
		return nil, aerr
	}
	if in.Destination.Arn != a.busARN {
		return nil, validationError("Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted. Archive %s holds events of %s.", a.name, a.busARN)
	}
	b, aerr := s.lookupBus(a.busARN)
	if aerr != nil {
		return nil, aerr
	}
	for _, f := range in.Destination.FilterArns {
		found := false
		for _, r := range b.rules {
			found = found || r.arn == f
		}
		if !found {
			return nil, validationError("Parameter Destination.FilterArns is not valid. Reason: %s is not a rule of event bus %s.", f, b.name)
		}
	}
	if _, ok := s.replays[in.ReplayName]; ok {
		return nil, alreadyExists("Replay %s already exists.", in.ReplayName)
	}
	rp := &replay{
		name: in.ReplayName, arn: s.arn("replay/" + in.ReplayName), description: in.Description, archive: a,
		dest: *in.Destination, start: in.EventStartTime.Time, end: in.EventEndTime.Time,
		state: replayStarting, started: time.Now().UTC(),
	}
	s.replays[rp.name] = rp
	s.delivery.pending.add(1) // Close waits for the replay to finish routing
	go s.runReplay(b, rp)
	return startReplayOutput{ReplayArn: rp.arn, State: replayStarting, ReplayStartTime: newEpoch(rp.started)}, nil
}

// runReplay sends the archived events whose time falls in [start, end) back to the bus,
// through its rules only (FilterArns when given), each carrying replay-name.
func (s *Server) runReplay(b *bus, rp *replay) {
	defer s.delivery.pending.add(-1)
	time.Sleep(s.opts.ReplaySliceDelay)
	rp.setState(replayRunning, "")
	var filter map[string]bool
	if len(rp.dest.FilterArns) > 0 {
		filter = map[string]bool{}
		for _, f := range rp.dest.FilterArns {
			filter[f] = true
		}
	}
	rp.archive.mu.Lock()
	events := append([]*busEvent(nil), rp.archive.events...)
	rp.archive.mu.Unlock()
	sort.SliceStable(events, func(i, j int) bool { return events[i].time.Before(events[j].time) })
	var last time.Time
	for _, ev := range events {
		if ev.time.Before(rp.start) || !ev.time.Before(rp.end) {
			continue
		}
		var e Event
		if err := json.Unmarshal(ev.raw, &e); err != nil {
			s.log.Error("archived event dropped from replay: it cannot be decoded", "replay", rp.name, "event_id", ev.id, "error", err)
			continue
		}
		e.ReplayName = rp.name
		raw, err := json.Marshal(e)
		if err != nil {
			s.log.Error("archived event dropped from replay: it cannot be encoded", "replay", rp.name, "event_id", ev.id, "error", err)
			continue
		}
		s.route(b, &busEvent{id: ev.id, time: ev.time, ingested: time.Now().UTC(), raw: raw}, filter)
		last = ev.time
	}
	time.Sleep(s.opts.ReplaySliceDelay)
	rp.mu.Lock()
	rp.state, rp.ended, rp.lastReplayed = replayCompleted, time.Now().UTC(), last
	rp.mu.Unlock()
}

func (rp *replay) setState(state, reason string) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.state, rp.stateReason = state, reason
}

func (s *Server) describeReplay(_ context.Context, body []byte) (any, *apiError) {
	var in replayNameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	rp, ok := s.replays[in.ReplayName]
	s.mu.RUnlock()
	if !ok {
		return nil, notFound("Replay %s does not exist.", in.ReplayName)
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	dest := rp.dest
	out := describeReplayOutput{
		ReplayName: rp.name, ReplayArn: rp.arn, Description: rp.description, State: rp.state, StateReason: rp.stateReason,
		EventSourceArn: rp.archive.arn, Destination: &dest, EventStartTime: newEpoch(rp.start), EventEndTime: newEpoch(rp.end),
		ReplayStartTime: newEpoch(rp.started),
	}
	if !rp.lastReplayed.IsZero() {
		out.EventLastReplayedTime = newEpoch(rp.lastReplayed)
	}
	if !rp.ended.IsZero() {
		out.ReplayEndTime = newEpoch(rp.ended)
	}
	return out, nil
}
