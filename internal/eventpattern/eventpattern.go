// Package eventpattern compiles Amazon EventBridge event patterns and matches events against
// them, offline and with EventBridge's semantics.
//
// A pattern is compiled once (Compile) and an event parsed once (ParseEvent); matching a parsed
// event against a compiled pattern does not allocate. Both values are immutable and safe for
// concurrent use.
//
// Where the user guide is silent or contradicts itself, the semantics follow AWS's event-ruler
// library, which EventBridge runs, and behaviour recorded against AWS; DECISIONS.md in this
// directory lists each decision and its source. In short:
//   - Pattern and event are flattened to dotted paths ("detail.state"); arrays are transparent,
//     so a field matches when any element of an array satisfies any of the leaf's values.
//     Values taken from elements of one array of objects must come from the same element.
//   - Numbers compare numerically wherever a number meets a number (300 matches 300.0 and
//     3.0e2); a number never equals a string.
//   - exists asks whether the path reaches a leaf value: null is a leaf, an object or an empty
//     array is not.
//   - String operators (prefix, suffix, equals-ignore-case, wildcard, cidr) only match string
//     values; anything-but therefore matches every value that is not a string.
package eventpattern

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Size limits on the pattern text, in characters. EventBridge's default quota is 2,048 and can be
// raised to 4,096, the hard limit of the EventPattern API parameter.
const (
	DefaultMaxSize = 2048
	HardMaxSize    = 4096
)

// maxOrCombinations is EventBridge's cap on the alternatives a pattern's $or arrays multiply
// out to ("more than 1000 rule combinations").
const maxOrCombinations = 1000

// maxDepth bounds JSON nesting in both patterns and events, so hostile input cannot exhaust the
// stack. Real patterns and events are far shallower.
const maxDepth = 256

// Error is a pattern EventBridge would reject. Path is a JSON path to the offending element
// ("$" for the whole pattern); Reason is worded as close to AWS's
// InvalidEventPatternException reason as known.
type Error struct {
	Path   string
	Reason string

	orRelated bool // raised by $or's own syntax: retry reading "$or" as a field name
}

func (e *Error) Error() string {
	if e.Path == "" || e.Path == "$" {
		return "Event pattern is not valid. Reason: " + e.Reason
	}
	return "Event pattern is not valid. Reason: " + e.Reason + " (at " + e.Path + ")"
}

// EventError is an event that cannot be matched: not JSON, or not a JSON object.
type EventError struct {
	Reason string
}

func (e *EventError) Error() string { return "event is not valid: " + e.Reason }

// Options adjust compilation.
type Options struct {
	// MaxSize is the largest pattern accepted, in characters: 0 means DefaultMaxSize; at most
	// HardMaxSize.
	MaxSize int
}

// Pattern is a compiled event pattern.
type Pattern struct {
	source   string
	branches []branch // the pattern matches when any branch matches ($or expanded)
}

// branch is one $or-free alternative: every leaf must match.
type branch struct {
	leaves []leaf
}

// leaf is one field path of a branch with the values it accepts (any one may match).
type leaf struct {
	path     string
	matchers []matcher
	slot     int32 // the path's slot in a Set's path table (leaves of a Set's own copy only)
}

// Compile parses and validates an event pattern with the default size limit.
func Compile(pattern []byte) (*Pattern, error) {
	return CompileOptions(pattern, Options{})
}

// CompileOptions parses and validates an event pattern. A pattern EventBridge would reject
// yields an *Error.
func CompileOptions(pattern []byte, opts Options) (*Pattern, error) {
	limit := opts.MaxSize
	switch {
	case limit == 0:
		limit = DefaultMaxSize
	case limit < 0 || limit > HardMaxSize:
		return nil, fmt.Errorf("compile event pattern: MaxSize %d outside 1..%d", opts.MaxSize, HardMaxSize)
	}
	src := string(pattern)
	if n := utf8.RuneCountInString(src); n > limit {
		return nil, &Error{Path: "$", Reason: fmt.Sprintf("Event pattern is %d characters long; the maximum is %d", n, limit)}
	}
	root, err := decodeJSON(pattern)
	if err != nil {
		return nil, &Error{Path: "$", Reason: "Filter is not valid JSON: " + err.Error()}
	}
	if root.kind != jObject {
		return nil, &Error{Path: "$", Reason: "Filter is not an object"}
	}
	if n := orProduct(root, 0); n > maxOrCombinations {
		return nil, &Error{Path: "$", Reason: fmt.Sprintf("Event pattern contains more than %d rule combinations", maxOrCombinations)}
	}
	// EventBridge compiles with its $or-aware compiler and, when that fails, retries reading
	// "$or" as an ordinary field name; the first error is the one worth reporting.
	branches, err := compileRoot(root, true)
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) || !pe.orRelated {
			return nil, err
		}
		if b, err2 := compileRoot(root, false); err2 == nil {
			branches = b
		} else {
			return nil, err
		}
	}
	p := &Pattern{source: src}
	for _, b := range branches {
		p.branches = append(p.branches, branch{leaves: orderLeaves(b.leaves)})
	}
	return p, nil
}

// orderLeaves puts the leaves most likely to reject an event first: exact values before
// operators, deeper paths before shallower ones. On a bus, rules share envelope fields such as
// source and detail-type, while a deep field such as detail.streamArn tells them apart. The
// order never changes the result, only how soon a mismatch is found.
func orderLeaves(leaves []leaf) []leaf {
	rank := func(l leaf) int {
		r := 0
		for _, m := range l.matchers {
			if m.op > opExactNull {
				r = 1 << 16
				break
			}
		}
		return r - strings.Count(l.path, ".")
	}
	out := slices.Clone(leaves)
	slices.SortStableFunc(out, func(a, b leaf) int { return rank(a) - rank(b) })
	return out
}

// String returns the pattern text as given to Compile.
func (p *Pattern) String() string { return p.source }

// Match reports whether the event matches the pattern.
func (p *Pattern) Match(ev *Event) bool {
	for i := range p.branches {
		if p.branches[i].match(ev) {
			return true
		}
	}
	return false
}

// MatchJSON parses the event and matches it; the error is an *EventError.
func (p *Pattern) MatchJSON(event []byte) (bool, error) {
	ev, err := ParseEvent(event)
	if err != nil {
		return false, err
	}
	return p.Match(ev), nil
}

// jsonPath renders a path for error messages: $.detail.state[0], $["odd.key"].
func jsonPath(parent string, key string) string {
	simple := key != ""
	for _, r := range key {
		if !(r == '_' || r == '-' || r == '$' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			simple = false
			break
		}
	}
	if simple {
		return parent + "." + key
	}
	return parent + "[" + strconv.Quote(key) + "]"
}

func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// joinPath builds the flattened dotted path event-ruler matches on.
func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	var b strings.Builder
	b.Grow(len(prefix) + 1 + len(key))
	b.WriteString(prefix)
	b.WriteByte('.')
	b.WriteString(key)
	return b.String()
}
