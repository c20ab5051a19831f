package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// MaxComplexity is the largest wildcard complexity EventBridge accepts in one rule. event-ruler
// (the library EventBridge runs) measures a rule's complexity with MachineComplexityEvaluator;
// its README suggests a per-rule limit of 10 alongside a quota of 30 wildcard rules, which is
// EventBridge's quota, and every pattern recorded against AWS fits a limit of 10 (DECISIONS.md,
// "Rule is too complex").
const MaxComplexity = 10

// TooComplexReason is AWS's reason for a pattern over MaxComplexity.
const TooComplexReason = "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character"

// complexityBudget bounds the sets of automaton states CheckComplexity explores, so that no
// pattern can make the check itself slow. Patterns within MaxComplexity need far fewer.
const complexityBudget = 1 << 16

// CheckComplexity reports an *Error when EventBridge would refuse a valid pattern as too
// complex ("Rule is too complex - ..."), with the path of the field whose wildcards are to
// blame. Call it after Compile has accepted the pattern; it assumes valid syntax.
//
// The measure is event-ruler's: the rule's fields ($or expanded) are laid out as event-ruler's
// machine lays them out, in sorted key order, sharing a field's value matcher wherever the
// values before it are the same; for each field's matcher, the complexity is the largest number
// of wildcard-pattern prefixes one input string can match at once (prefixes of the quoted
// value, `*` matching any bytes). The pattern is refused when any matcher exceeds
// MaxComplexity.
func CheckComplexity(pattern []byte) error {
	root, err := decodeOrdered(pattern)
	if err != nil {
		return fmt.Errorf("check complexity: %w", err)
	}
	obj, ok := root.(orderedObject)
	if !ok {
		return errors.New("check complexity: the pattern is not a JSON object")
	}
	if !hasWildcard(obj) {
		return nil
	}
	top := &cxName{}
	for _, fields := range expandAlternatives(obj, "") {
		top.add(fields)
	}
	var worst error
	top.walk(func(path string, m *cxMachine) bool {
		if len(m.patterns) == 0 {
			return true
		}
		if c := machineComplexity(m.patterns, true); c > MaxComplexity {
			worst = &Error{Path: "$." + path, Reason: TooComplexReason}
			return false
		}
		return true
	})
	return worst
}

// cxValue is one value of a pattern field, reduced to what the measure needs: its identity
// (equal values share a next state) and, for wildcard and anything-but wildcard, its strings.
type cxValue struct {
	identity string
	wildcard []string
}

type cxField struct {
	path   string
	values []cxValue
}

// cxName is a state of event-ruler's machine between fields: a matcher per field name.
type cxName struct {
	machines map[string]*cxMachine
	order    []string
}

// cxMachine is one field's value matcher: the state each value leads to, and the wildcard
// patterns it holds (one per distinct value identity).
type cxMachine struct {
	next     map[string]*cxName
	patterns map[string][]string
}

func (n *cxName) add(fields []cxField) {
	slices.SortStableFunc(fields, func(a, b cxField) int { return strings.Compare(a.path, b.path) })
	states := []*cxName{n}
	for _, f := range fields {
		var next []*cxName
		for _, st := range states {
			m := st.machine(f.path)
			var fresh *cxName
			for _, v := range f.values {
				to := m.next[v.identity]
				if to == nil {
					if fresh == nil {
						fresh = &cxName{}
					}
					to = fresh
					m.next[v.identity] = to
				}
				if !slices.Contains(next, to) {
					next = append(next, to)
				}
				if v.wildcard != nil {
					m.patterns[v.identity] = v.wildcard
				}
			}
		}
		states = next
	}
}

func (n *cxName) machine(path string) *cxMachine {
	if n.machines == nil {
		n.machines = map[string]*cxMachine{}
	}
	m := n.machines[path]
	if m == nil {
		m = &cxMachine{next: map[string]*cxName{}, patterns: map[string][]string{}}
		n.machines[path] = m
		n.order = append(n.order, path)
	}
	return m
}

// walk visits every matcher reachable from n once, until visit returns false.
func (n *cxName) walk(visit func(path string, m *cxMachine) bool) {
	seen := map[*cxName]bool{}
	stack := []*cxName{n}
	for len(stack) > 0 {
		st := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[st] {
			continue
		}
		seen[st] = true
		for _, path := range st.order {
			m := st.machines[path]
			if !visit(path, m) {
				return
			}
			ids := make([]string, 0, len(m.next))
			for id := range m.next {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			for _, id := range ids {
				stack = append(stack, m.next[id])
			}
		}
	}
}

// machineComplexity is event-ruler's MachineComplexityEvaluator for one matcher holding the
// given wildcard patterns (an anything-but wildcard list is one pattern of several strings):
// over every input string, the largest number of pattern prefixes matching it whole. The
// prefixes of one pattern that event-ruler stores once count once: its literal start before
// the first `*` and its accepting state. The search stops as soon as MaxComplexity is
// exceeded, and after complexityBudget state sets (reported as exceeding it).
func machineComplexity(patterns map[string][]string, quoted bool) int {
	ids := make([]string, 0, len(patterns))
	for id := range patterns {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	type str struct {
		toks  []int // bytes, or star
		first int   // index of the first star, or len(toks)
		base  int   // id of the state at position 0
	}
	const star = -1
	var strs []str
	var key []int // counting key of every state id (position ≥ 1)
	keys := map[string]int{}
	alphabet := map[int]bool{}
	total := 0
	for pid, id := range ids {
		for _, s := range dedupe(patterns[id]) {
			toks := wildcardTokens(s, quoted)
			first := slices.Index(toks, star)
			if first < 0 {
				first = len(toks)
			}
			st := str{toks: toks, first: first, base: total}
			for pos := 0; pos <= len(toks); pos++ {
				var k string
				switch {
				case pos == len(toks):
					k = fmt.Sprintf("%d end", pid)
				case pos <= first:
					k = fmt.Sprintf("%d pre %v", pid, toks[:pos])
				default:
					k = fmt.Sprintf("%d %d %d", pid, len(strs), pos)
				}
				n, ok := keys[k]
				if !ok {
					n = len(keys)
					keys[k] = n
				}
				key = append(key, n)
			}
			for _, t := range toks {
				if t != star {
					alphabet[t] = true
				}
			}
			total += len(toks) + 1
			strs = append(strs, st)
		}
	}
	owner := make([]int, total) // state id → index in strs
	for i, s := range strs {
		for pos := 0; pos <= len(s.toks); pos++ {
			owner[s.base+pos] = i
		}
	}
	// closure adds the states a star reaches without consuming a byte.
	closure := func(set map[int]bool) {
		var stack []int
		for id := range set {
			stack = append(stack, id)
		}
		for len(stack) > 0 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			s := strs[owner[id]]
			pos := id - s.base
			if pos < len(s.toks) && s.toks[pos] == star && !set[id+1] {
				set[id+1] = true
				stack = append(stack, id+1)
			}
		}
	}
	bytesToTry := []int{-2} // a byte no pattern names
	for b := range alphabet {
		bytesToTry = append(bytesToTry, b)
	}
	slices.Sort(bytesToTry)
	start := map[int]bool{}
	for _, s := range strs {
		start[s.base] = true
	}
	closure(start)
	seen := map[string]bool{}
	queue := [][]int{sortedIDs(start)}
	best := 0
	for explored := 0; len(queue) > 0; explored++ {
		if explored >= complexityBudget {
			return MaxComplexity + 1
		}
		set := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, b := range bytesToTry {
			next := map[int]bool{}
			for _, id := range set {
				s := strs[owner[id]]
				pos := id - s.base
				if pos > 0 && s.toks[pos-1] == star {
					next[id] = true // a star consumes any byte
				}
				if pos < len(s.toks) && s.toks[pos] == b {
					next[id+1] = true
				}
			}
			if len(next) == 0 {
				continue
			}
			closure(next)
			counted := map[int]bool{}
			for id := range next {
				counted[key[id]] = true
			}
			best = max(best, len(counted))
			if best > MaxComplexity {
				return best
			}
			ids := sortedIDs(next)
			sig := fmt.Sprint(ids)
			if !seen[sig] {
				seen[sig] = true
				queue = append(queue, ids)
			}
		}
	}
	return best
}

// wildcardTokens is a wildcard value as event-ruler's matcher holds it: the string's bytes
// between double quotes (quoted is false only for event-ruler's own unit cases, which add
// patterns without them), `*` a star, `\*` and `\\` the literal characters.
func wildcardTokens(s string, quoted bool) []int {
	var toks []int
	if quoted {
		toks = append(toks, '"')
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '*':
			toks = append(toks, -1)
		case c == '\\' && i+1 < len(s):
			i++
			toks = append(toks, int(s[i]))
		default:
			toks = append(toks, int(c))
		}
	}
	if quoted {
		toks = append(toks, '"')
	}
	return toks
}

func sortedIDs(set map[int]bool) []int {
	ids := make([]int, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func dedupe(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

// expandAlternatives flattens a pattern object into its $or alternatives, each a list of
// fields (dotted path and values). A path written twice in one alternative keeps the last
// write in document order, as Compile does.
func expandAlternatives(obj orderedObject, prefix string) [][]cxField {
	alts := [][]cxField{nil}
	for _, m := range obj {
		var sub [][]cxField
		switch v := m.value.(type) {
		case orderedObject:
			sub = expandAlternatives(v, prefix+m.key+".")
		case []any:
			if m.key == "$or" && isOrSyntax(v) {
				for _, el := range v {
					sub = append(sub, expandAlternatives(el.(orderedObject), prefix)...)
				}
			} else {
				sub = [][]cxField{{{path: prefix + m.key, values: leafValues(v)}}}
			}
		default:
			continue // Compile refuses it; nothing to measure
		}
		var product [][]cxField
		for _, a := range alts {
			for _, s := range sub {
				product = append(product, mergeFields(a, s))
			}
		}
		alts = product
	}
	return alts
}

func isOrSyntax(v []any) bool {
	if len(v) < 2 {
		return false
	}
	for _, el := range v {
		if _, ok := el.(orderedObject); !ok {
			return false
		}
	}
	return true
}

func mergeFields(a, b []cxField) []cxField {
	out := slices.Clone(a)
	for _, f := range b {
		out = slices.DeleteFunc(out, func(g cxField) bool { return g.path == f.path })
		out = append(out, f)
	}
	return out
}

func leafValues(vals []any) []cxValue {
	var out []cxValue
	for _, v := range vals {
		cv := cxValue{identity: canonical(v)}
		if obj, ok := v.(orderedObject); ok && len(obj) == 1 {
			switch op := obj[0]; op.key {
			case "wildcard":
				if s, ok := op.value.(string); ok {
					cv.wildcard = []string{s}
				}
			case "anything-but":
				if inner, ok := op.value.(orderedObject); ok && len(inner) == 1 && inner[0].key == "wildcard" {
					switch w := inner[0].value.(type) {
					case string:
						cv.wildcard = []string{w}
					case []any:
						for _, x := range w {
							if s, ok := x.(string); ok {
								cv.wildcard = append(cv.wildcard, s)
							}
						}
					}
				}
			}
		}
		if !slices.ContainsFunc(out, func(o cxValue) bool { return o.identity == cv.identity }) {
			out = append(out, cv)
		}
	}
	return out
}

func hasWildcard(v any) bool {
	switch x := v.(type) {
	case orderedObject:
		for _, m := range x {
			if m.key == "wildcard" || hasWildcard(m.value) {
				return true
			}
		}
	case []any:
		for _, el := range x {
			if hasWildcard(el) {
				return true
			}
		}
	}
	return false
}

// canonical is a value's JSON text with object keys in document order: equal values have
// equal text.
func canonical(v any) string {
	switch x := v.(type) {
	case orderedObject:
		parts := make([]string, len(x))
		for i, m := range x {
			parts[i] = strconv.Quote(m.key) + ":" + canonical(m.value)
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, el := range x {
			parts[i] = canonical(el)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case string:
		return strconv.Quote(x)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	default:
		return "null"
	}
}

// orderedObject is a JSON object with its members in document order (duplicates kept).
type orderedObject []orderedMember

type orderedMember struct {
	key   string
	value any
}

// decodeOrdered decodes JSON into orderedObject, []any, string, json.Number, bool and nil.
func decodeOrdered(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeOrderedValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func decodeOrderedValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var obj orderedObject
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeOrderedValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				obj = append(obj, orderedMember{key: kt.(string), value: v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			if obj == nil {
				obj = orderedObject{}
			}
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeOrderedValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil
	}
}
