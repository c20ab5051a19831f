package eventbus

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hydrant-dev/hydrant/internal/eventpattern"
	"github.com/hydrant-dev/hydrant/internal/targetkind"
)

var (
	ruleNameRE = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)
	// nameCharsRE is the character class of target Ids and connection names, checked apart
	// from their length because AWS reports the two constraints separately.
	nameCharsRE = regexp.MustCompile(`^[\.\-_A-Za-z0-9]+$`)
)

const (
	stateEnabled  = "ENABLED"
	stateDisabled = "DISABLED"
	// stateEnabledCloudTrail also enables the rule; the local endpoint has no CloudTrail events.
	stateEnabledCloudTrail = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
)

// compilePattern compiles an EventPattern member, turning a rejection into AWS's
// InvalidEventPatternException with the matcher's reason (which names the JSON path).
func compilePattern(pattern string, opts eventpattern.Options) (*eventpattern.Pattern, *apiError) {
	p, err := eventpattern.CompileOptions([]byte(pattern), opts)
	if err == nil {
		// AWS refuses some valid wildcard patterns as too complex, in PutRule and
		// TestEventPattern alike.
		err = eventpattern.CheckComplexity([]byte(pattern))
	}
	if err != nil {
		return nil, invalidPattern(err)
	}
	return p, nil
}

func (s *Server) putRule(_ context.Context, body []byte) (any, *apiError) {
	var in putRuleInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if !ruleNameRE.MatchString(in.Name) {
		return nil, validationError("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length between 1 and 64.", in.Name)
	}
	if in.ScheduleExpression != "" {
		return nil, validationError("ScheduleExpression is not supported by the local EventBridge endpoint (rule %s): only event-pattern rules are; use EventBridge Scheduler or a timer in the test instead.", in.Name)
	}
	if in.EventPattern == "" {
		return nil, validationError("Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	state := in.State
	switch state {
	case "":
		state = stateEnabled
	case stateEnabled, stateDisabled, stateEnabledCloudTrail:
	default:
		return nil, validationError("1 validation error detected: Value '%s' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]", in.State)
	}
	compiled, aerr := compilePattern(in.EventPattern, eventpattern.Options{})
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, aerr := s.lookupBus(in.EventBusName)
	if aerr != nil {
		return nil, aerr
	}
	r, exists := b.rules[in.Name]
	if !exists {
		if len(b.rules) >= maxRulesPerBus {
			return nil, limitExceeded("The requested resource exceeds the maximum number allowed. Event bus %s already has %d rules.", b.name, maxRulesPerBus)
		}
		r = &rule{name: in.Name, arn: s.ruleARN(b.name, in.Name), bus: b.name}
	}
	// Rules are replaced, never mutated, so deliveries in flight keep a consistent view.
	updated := *r
	updated.pattern, updated.compiled, updated.state = in.EventPattern, compiled, state
	updated.description, updated.roleArn = in.Description, in.RoleArn
	b.rules[in.Name] = &updated
	b.reorder()
	b.modified = time.Now().UTC()
	return putRuleOutput{RuleArn: updated.arn}, nil
}

// lookupRule returns a rule of a bus; the caller holds s.mu.
func (s *Server) lookupRule(busNameOrARN, name string) (*bus, *rule, *apiError) {
	b, aerr := s.lookupBus(busNameOrARN)
	if aerr != nil {
		return nil, nil, aerr
	}
	r, ok := b.rules[name]
	if !ok {
		return nil, nil, notFound("Rule %s does not exist on EventBus %s.", name, b.name)
	}
	return b, r, nil
}

func (r *rule) entry() ruleEntry {
	return ruleEntry{Name: r.name, Arn: r.arn, EventPattern: r.pattern, State: r.state, Description: r.description, RoleArn: r.roleArn, EventBusName: r.bus}
}

func (s *Server) describeRule(_ context.Context, body []byte) (any, *apiError) {
	var in ruleInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, r, aerr := s.lookupRule(in.EventBusName, in.Name)
	if aerr != nil {
		return nil, aerr
	}
	return describeRuleOutput{ruleEntry: r.entry(), CreatedBy: s.opts.AccountID}, nil
}

func (s *Server) listRules(_ context.Context, body []byte) (any, *apiError) {
	var in listInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	b, aerr := s.lookupBus(in.EventBusName)
	if aerr != nil {
		s.mu.RUnlock()
		return nil, aerr
	}
	var all []ruleEntry
	for _, r := range b.ordered {
		if strings.HasPrefix(r.name, in.NamePrefix) {
			all = append(all, r.entry())
		}
	}
	s.mu.RUnlock()
	page, next, aerr := paginate(all, in.NextToken, in.Limit)
	if aerr != nil {
		return nil, aerr
	}
	return listRulesOutput{Rules: page, NextToken: next}, nil
}

// deleteRule refuses while the rule has targets, as EventBridge does; deleting a rule that
// does not exist succeeds silently (moto records this as verified against AWS).
func (s *Server) deleteRule(_ context.Context, body []byte) (any, *apiError) {
	var in ruleInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, validationError("1 validation error detected: Value at 'name' failed to satisfy constraint: Member must not be null")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, r, aerr := s.lookupRule(in.EventBusName, in.Name)
	if aerr != nil {
		return empty{}, nil
	}
	if len(r.targets) > 0 {
		return nil, validationError("Rule can't be deleted since it has targets.")
	}
	delete(b.rules, r.name)
	b.reorder()
	return empty{}, nil
}

func (s *Server) enableRule(_ context.Context, body []byte) (any, *apiError) {
	return s.setRuleState(body, stateEnabled)
}

func (s *Server) disableRule(_ context.Context, body []byte) (any, *apiError) {
	return s.setRuleState(body, stateDisabled)
}

func (s *Server) setRuleState(body []byte, state string) (any, *apiError) {
	var in ruleInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, r, aerr := s.lookupRule(in.EventBusName, in.Name)
	if aerr != nil {
		return nil, aerr
	}
	updated := *r
	updated.state = state
	b.rules[r.name] = &updated
	b.reorder()
	return empty{}, nil
}

func (s *Server) putTargets(_ context.Context, body []byte) (any, *apiError) {
	var in putTargetsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.Targets) == 0 || len(in.Targets) > 10 {
		return nil, validationError("1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 10 (got %d).", len(in.Targets))
	}
	parsed := make([]*target, 0, len(in.Targets))
	seen := map[string]bool{}
	for i, raw := range in.Targets {
		t, aerr := s.parseTarget(i+1, raw)
		if aerr != nil {
			return nil, aerr
		}
		if seen[t.spec.ID] {
			return nil, validationError("Target Id %s appears more than once in the request.", t.spec.ID)
		}
		seen[t.spec.ID] = true
		parsed = append(parsed, t)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, r, aerr := s.lookupRule(in.EventBusName, in.Rule)
	if aerr != nil {
		return nil, aerr
	}
	for _, t := range parsed {
		if t.kind == targetkind.APIDestination {
			if _, ok := s.destinations[t.spec.Arn]; !ok {
				return nil, notFound("API destination %s does not exist.", t.spec.Arn)
			}
		}
	}
	merged := map[string]*target{}
	for _, t := range r.targets {
		merged[t.spec.ID] = t
	}
	for _, t := range parsed {
		merged[t.spec.ID] = t
	}
	if len(merged) > maxTargetsPerRule {
		return nil, limitExceeded("The requested resource exceeds the maximum number allowed. Rule %s would have %d targets (at most %d).", r.name, len(merged), maxTargetsPerRule)
	}
	updated := *r
	updated.targets = make([]*target, 0, len(merged))
	for _, t := range merged {
		updated.targets = append(updated.targets, t)
	}
	sort.Slice(updated.targets, func(i, j int) bool { return updated.targets[i].spec.ID < updated.targets[j].spec.ID })
	b.rules[r.name] = &updated
	b.reorder()
	return putTargetsOutput{FailedEntries: []failedTarget{}}, nil
}

func (s *Server) listTargetsByRule(_ context.Context, body []byte) (any, *apiError) {
	var in listTargetsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	_, r, aerr := s.lookupRule(in.EventBusName, in.Rule)
	s.mu.RUnlock()
	if aerr != nil {
		return nil, aerr
	}
	all := make([]json.RawMessage, 0, len(r.targets))
	for _, t := range r.targets {
		all = append(all, t.raw)
	}
	page, next, aerr := paginate(all, in.NextToken, in.Limit)
	if aerr != nil {
		return nil, aerr
	}
	return listTargetsOutput{Targets: page, NextToken: next}, nil
}

// removeTargets removes the named targets; an Id the rule does not have is reported as a
// failed entry rather than ignored, so a typo does not pass unnoticed.
func (s *Server) removeTargets(_ context.Context, body []byte) (any, *apiError) {
	var in removeTargetsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.IDs) == 0 {
		return nil, validationError("1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length greater than or equal to 1.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, r, aerr := s.lookupRule(in.EventBusName, in.Rule)
	if aerr != nil {
		return nil, aerr
	}
	remove := map[string]bool{}
	for _, id := range in.IDs {
		remove[id] = true
	}
	out := putTargetsOutput{FailedEntries: []failedTarget{}}
	updated := *r
	updated.targets = nil
	for _, t := range r.targets {
		if remove[t.spec.ID] {
			delete(remove, t.spec.ID)
			continue
		}
		updated.targets = append(updated.targets, t)
	}
	for _, id := range in.IDs {
		if remove[id] {
			out.FailedEntries = append(out.FailedEntries, failedTarget{TargetID: id, ErrorCode: "ResourceNotFoundException", ErrorMessage: fmt.Sprintf("Target %s does not exist on rule %s.", id, r.name)})
			delete(remove, id)
		}
	}
	out.FailedEntryCount = len(out.FailedEntries)
	b.rules[r.name] = &updated
	b.reorder()
	return out, nil
}
