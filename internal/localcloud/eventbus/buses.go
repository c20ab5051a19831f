package eventbus

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hydrant-dev/hydrant/internal/eventpattern"
)

const defaultBus = "default"

type bus struct {
	name, arn, description string
	deadLetterArn          string
	created, modified      time.Time
	rules                  map[string]*rule
	// ordered is rules sorted by name, rebuilt on every change, so PutEvents reads it
	// without sorting.
	ordered []*rule
	// matcher holds the patterns of ordered, each under its rule's name, rebuilt with it:
	// PutEvents matches an event against every rule in one pass.
	matcher *eventpattern.Set
}

func (b *bus) reorder() {
	// A new slice every time: PutEvents iterates the old one without holding the lock.
	ordered := make([]*rule, 0, len(b.rules))
	for _, r := range b.rules {
		ordered = append(ordered, r)
	}
	sort.Slice(ordered, func(i, j int) bool { return ordered[i].name < ordered[j].name })
	matcher := eventpattern.NewSet()
	for _, r := range ordered {
		matcher.AddPattern(r.name, r.compiled)
	}
	b.ordered, b.matcher = ordered, matcher
}

type rule struct {
	name, arn, bus string
	pattern        string
	compiled       *eventpattern.Pattern
	state          string
	description    string
	roleArn        string
	targets        []*target // sorted by Id
}

func (s *Server) arn(resource string) string {
	return "arn:aws:events:" + s.opts.Region + ":" + s.opts.AccountID + ":" + resource
}

func (s *Server) busARN(name string) string { return s.arn("event-bus/" + name) }

func (s *Server) ruleARN(busName, name string) string {
	if busName == defaultBus {
		return s.arn("rule/" + name)
	}
	return s.arn("rule/" + busName + "/" + name)
}

var busNameRE = regexp.MustCompile(`^[/\.\-_A-Za-z0-9]{1,256}$`)

// busName turns an EventBusName member (a name or an event-bus ARN; empty is default) into
// a bus name.
func busName(nameOrARN string) string {
	if nameOrARN == "" {
		return defaultBus
	}
	if strings.HasPrefix(nameOrARN, "arn:") {
		if i := strings.Index(nameOrARN, ":event-bus/"); i >= 0 {
			return nameOrARN[i+len(":event-bus/"):]
		}
	}
	return nameOrARN
}

// lookupBus returns the bus; the caller holds s.mu.
func (s *Server) lookupBus(nameOrARN string) (*bus, *apiError) {
	name := busName(nameOrARN)
	b, ok := s.buses[name]
	if !ok {
		return nil, notFound("Event bus %s does not exist.", name)
	}
	return b, nil
}

func (s *Server) createEventBus(_ context.Context, body []byte) (any, *apiError) {
	var in createEventBusInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if !busNameRE.MatchString(in.Name) || strings.Contains(in.Name, "/") {
		return nil, validationError("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+ (a custom bus name cannot contain '/').", in.Name)
	}
	if in.EventSourceName != "" {
		return nil, validationError("Partner event buses (EventSourceName %s) are not supported by the local endpoint.", in.EventSourceName)
	}
	if in.DeadLetterConfig != nil && in.DeadLetterConfig.Arn != "" && !strings.HasPrefix(in.DeadLetterConfig.Arn, "arn:aws:sqs:") {
		return nil, validationError("DeadLetterConfig.Arn %s is not an SQS queue ARN.", in.DeadLetterConfig.Arn)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buses[in.Name]; ok {
		return nil, alreadyExists("Event bus %s already exists.", in.Name)
	}
	now := time.Now().UTC()
	b := &bus{name: in.Name, arn: s.busARN(in.Name), description: in.Description, created: now, modified: now, rules: map[string]*rule{}}
	if in.DeadLetterConfig != nil {
		b.deadLetterArn = in.DeadLetterConfig.Arn
	}
	s.buses[in.Name] = b
	return createEventBusOutput{EventBusArn: b.arn, Description: b.description, DeadLetterConfig: in.DeadLetterConfig}, nil
}

func (s *Server) describeEventBus(_ context.Context, body []byte) (any, *apiError) {
	var in nameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, aerr := s.lookupBus(in.Name)
	if aerr != nil {
		return nil, aerr
	}
	out := describeEventBusOutput{Name: b.name, Arn: b.arn, Description: b.description, CreationTime: newEpoch(b.created), LastModifiedTime: newEpoch(b.modified)}
	if b.deadLetterArn != "" {
		out.DeadLetterConfig = &deadLetterConfig{Arn: b.deadLetterArn}
	}
	return out, nil
}

// deleteEventBus follows the API reference: the default bus cannot be deleted, and "all
// rules associated with this event bus need to be deleted" first. Deleting a bus that does
// not exist succeeds, as AWS's delete operations are idempotent.
func (s *Server) deleteEventBus(_ context.Context, body []byte) (any, *apiError) {
	var in nameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name := busName(in.Name)
	if name == defaultBus {
		return nil, validationError("Cannot delete event bus default.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buses[name]
	if !ok {
		// AWS: LocalStack test_describe_delete_not_existing_event_bus, recorded 12-03-2025.
		return nil, notFound("Event bus %s does not exist.", name)
	}
	if len(b.rules) > 0 {
		return nil, validationError("Event bus %s still has %d rule(s); delete them before the bus.", name, len(b.rules))
	}
	delete(s.buses, name)
	return empty{}, nil
}

func (s *Server) listEventBuses(_ context.Context, body []byte) (any, *apiError) {
	var in listInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	var all []eventBusEntry
	for _, b := range s.buses {
		if strings.HasPrefix(b.name, in.NamePrefix) {
			all = append(all, eventBusEntry{Name: b.name, Arn: b.arn, Description: b.description, CreationTime: newEpoch(b.created), LastModifiedTime: newEpoch(b.modified)})
		}
	}
	s.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	page, next, aerr := paginate(all, in.NextToken, in.Limit)
	if aerr != nil {
		return nil, aerr
	}
	return listEventBusesOutput{EventBuses: page, NextToken: next}, nil
}
