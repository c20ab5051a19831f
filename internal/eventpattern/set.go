package eventpattern

import (
	"math"
	"slices"
	"strings"
	"sync"
)

// Set matches one event against many patterns at once, as a bus matches an event against its
// rules. It reads each event in one pass that keeps only the fields some pattern names (the
// rest is checked as JSON and stepped over), and finds the patterns worth evaluating through an
// index of their exact values: 300 rules that each name one stream ARN cost one lookup, not 300
// evaluations. Matching is exactly Pattern.Match's (FuzzSetAgrees holds the two together).
//
// Add and AddPattern must not run concurrently with each other or with matching; MatchJSON and
// AppendMatchJSON are safe for concurrent use. Matching allocates nothing once warm, except the
// slice MatchJSON returns.
type Set struct {
	names    []string // distinct names, in the order first added
	nameIDs  map[string]int32
	branches []setBranch
	fields   map[string]field // every path a pattern names, and every path above one
	slots    int32
	index    map[int32]*exactIndex // by slot: branches keyed by an exact value at that path
	indexed  []int32               // slots with an index, ascending
	always   []int32               // branches without an exact-valued leaf: evaluated for every event
	pool     sync.Pool
}

// setBranch is one $or alternative of an added pattern, with leaves bound to the Set's slots.
type setBranch struct {
	branch
	name int32
}

// exactIndex finds, from one event value at a path, the branches that require an exact value
// there and accept that one.
type exactIndex struct {
	strs  map[string][]int32
	nums  map[float64][]int32 // numbers compared as doubles (-0 and 0 are one key)
	bigs  map[string][]int32  // integers beyond ±2^53, compared as written
	bools [2][]int32
	nulls []int32
}

// NewSet returns an empty Set.
func NewSet() *Set {
	return &Set{nameIDs: map[string]int32{}, fields: map[string]field{"": {prefix: true}}, index: map[int32]*exactIndex{}}
}

// Add compiles pattern (with the default size limit) and adds it under name. A name added more
// than once matches when any of its patterns does, and is reported once.
func (s *Set) Add(name string, pattern []byte) error {
	p, err := Compile(pattern)
	if err != nil {
		return err
	}
	s.AddPattern(name, p)
	return nil
}

// AddPattern adds a compiled pattern under name; p itself is not changed, and may be shared.
func (s *Set) AddPattern(name string, p *Pattern) {
	if s.nameIDs == nil {
		*s = Set{nameIDs: map[string]int32{}, fields: map[string]field{"": {prefix: true}}, index: map[int32]*exactIndex{}}
	}
	id, ok := s.nameIDs[name]
	if !ok {
		id = int32(len(s.names))
		s.names = append(s.names, name)
		s.nameIDs[name] = id
	}
	for _, b := range p.branches {
		leaves := slices.Clone(b.leaves)
		for i := range leaves {
			leaves[i].slot = s.slot(leaves[i].path)
		}
		bi := int32(len(s.branches))
		s.branches = append(s.branches, setBranch{branch: branch{leaves: leaves}, name: id})
		if k := s.keyLeaf(leaves); k >= 0 {
			s.indexLeaf(&leaves[k], bi)
		} else {
			s.always = append(s.always, bi)
		}
	}
}

// slot returns the path's slot, registering the path and the paths above it.
func (s *Set) slot(path string) int32 {
	f := s.fields[path]
	if !f.named {
		f.named, f.slot = true, s.slots
		s.slots++
		s.fields[path] = f
		// The paths an event reaches this one through, as joinPath builds them.
		for i := 0; i < len(path); i++ {
			if path[i] == '.' {
				g := s.fields[path[:i]]
				g.prefix = true
				s.fields[path[:i]] = g
			}
		}
	}
	return f.slot
}

// exactOnly reports whether the leaf accepts only exact values, so that an event satisfying it
// holds one of them at the path.
func exactOnly(l *leaf) bool {
	for i := range l.matchers {
		if l.matchers[i].op > opExactNull {
			return false
		}
	}
	return len(l.matchers) > 0
}

// keyLeaf picks the exact-valued leaf the branch is indexed by, or -1: the deepest path (a
// stream ARN in detail rather than the source every rule shares), then the one whose values
// have the fewest branches already.
func (s *Set) keyLeaf(leaves []leaf) int {
	best, bestDepth, bestLoad := -1, -1, 0
	for i := range leaves {
		l := &leaves[i]
		if !exactOnly(l) {
			continue
		}
		depth := strings.Count(l.path, ".")
		load := s.load(l)
		if depth > bestDepth || depth == bestDepth && load < bestLoad {
			best, bestDepth, bestLoad = i, depth, load
		}
	}
	return best
}

// load counts the branches already indexed under the leaf's values.
func (s *Set) load(l *leaf) int {
	x := s.index[l.slot]
	if x == nil {
		return 0
	}
	n := 0
	for i := range l.matchers {
		n += len(x.list(&l.matchers[i]))
	}
	return n
}

func (s *Set) indexLeaf(l *leaf, bi int32) {
	x := s.index[l.slot]
	if x == nil {
		x = &exactIndex{strs: map[string][]int32{}, nums: map[float64][]int32{}, bigs: map[string][]int32{}}
		s.index[l.slot] = x
		s.indexed = append(s.indexed, l.slot)
		slices.Sort(s.indexed)
	}
	for i := range l.matchers {
		m := &l.matchers[i]
		list := x.list(m)
		if slices.Contains(list, bi) {
			continue // the same value twice in one leaf
		}
		list = append(list, bi)
		switch m.op {
		case opExactString:
			x.strs[m.s] = list
		case opExactNumber:
			if m.b {
				x.bigs[m.s] = list
			} else {
				x.nums[m.n+0] = list // +0 turns -0 into 0
			}
		case opExactBool:
			if m.b {
				x.bools[1] = list
			} else {
				x.bools[0] = list
			}
		default: // opExactNull
			x.nulls = list
		}
	}
}

// list returns the branches indexed under an exact matcher's value.
func (x *exactIndex) list(m *matcher) []int32 {
	switch m.op {
	case opExactString:
		return x.strs[m.s]
	case opExactNumber:
		if m.b {
			return x.bigs[m.s]
		}
		return x.nums[m.n+0]
	case opExactBool:
		if m.b {
			return x.bools[1]
		}
		return x.bools[0]
	default: // opExactNull
		return x.nulls
	}
}

// candidates returns the branches indexed under the value v.
func (x *exactIndex) candidates(v *value) []int32 {
	switch v.kind {
	case vString:
		return x.strs[v.s]
	case vNumber:
		if v.big {
			return x.bigs[v.s]
		}
		if v.numOK && !math.IsNaN(v.n) {
			return x.nums[v.n]
		}
		return nil
	case vBool:
		if v.b {
			return x.bools[1]
		}
		return x.bools[0]
	default:
		return x.nulls
	}
}

// matchState is one MatchJSON call's working memory, pooled per Set.
type matchState struct {
	scanner
	values  []value
	spans   []span
	ev      Event
	gen     uint32
	tried   []uint32 // per branch: gen when evaluated
	matched []uint32 // per name: gen when matched
	hits    []int32  // names matched, this call
}

// MatchJSON returns the names of the patterns the event matches, in the order they were first
// added; nil when none does. The error is an *EventError, the same ParseEvent reports.
func (s *Set) MatchJSON(event []byte) ([]string, error) {
	return s.AppendMatchJSON(nil, event)
}

// AppendMatchJSON is MatchJSON appending to dst, so a caller that reuses dst allocates nothing.
func (s *Set) AppendMatchJSON(dst []string, event []byte) ([]string, error) {
	st, _ := s.pool.Get().(*matchState)
	if st == nil {
		st = &matchState{}
	}
	defer func() {
		st.release()
		clear(st.values)
		st.ev = Event{}
		s.pool.Put(st)
	}()
	if !st.scan(s.fields, event) {
		_, err := ParseEvent(event)
		if err == nil {
			// Unreachable while the scanner accepts what ParseEvent accepts (FuzzSetAgrees).
			err = &EventError{Reason: "rejected by the set's scanner but not by ParseEvent"}
		}
		return dst, err
	}
	ev := st.group(int(s.slots))
	st.gen++
	if st.gen == 0 { // wrapped: forget every old mark
		clear(st.tried)
		clear(st.matched)
		st.gen = 1
	}
	if n := len(s.branches); len(st.tried) < n {
		st.tried = append(st.tried, make([]uint32, n-len(st.tried))...)
	}
	if n := len(s.names); len(st.matched) < n {
		st.matched = append(st.matched, make([]uint32, n-len(st.matched))...)
	}
	st.hits = st.hits[:0]
	for _, slot := range s.indexed {
		x := s.index[slot]
		sp := ev.slots[slot]
		for i := sp.lo; i < sp.hi; i++ {
			for _, bi := range x.candidates(&ev.values[i]) {
				s.try(st, bi, ev)
			}
		}
	}
	for _, bi := range s.always {
		s.try(st, bi, ev)
	}
	slices.Sort(st.hits)
	for _, n := range st.hits {
		dst = append(dst, s.names[n])
	}
	return dst, nil
}

// try evaluates one branch, once per event, unless its pattern's name already matched.
func (s *Set) try(st *matchState, bi int32, ev *Event) {
	if st.tried[bi] == st.gen {
		return
	}
	st.tried[bi] = st.gen
	b := &s.branches[bi]
	if st.matched[b.name] == st.gen {
		return
	}
	if b.match(ev) {
		st.matched[b.name] = st.gen
		st.hits = append(st.hits, b.name)
	}
}

// group sorts the scanned values by slot (stably, so each path keeps document order, as in
// ParseEvent) into the event matching reads.
func (st *matchState) group(slots int) *Event {
	if cap(st.spans) < slots {
		st.spans = make([]span, slots)
	}
	st.spans = st.spans[:slots]
	clear(st.spans)
	for i := range st.recs {
		st.spans[st.recs[i].slot].hi++
	}
	var at int32
	for i := range st.spans {
		n := st.spans[i].hi
		st.spans[i] = span{at, at}
		at += n
	}
	if cap(st.values) < len(st.recs) {
		st.values = make([]value, len(st.recs))
	}
	st.values = st.values[:len(st.recs)]
	for i := range st.recs {
		sp := &st.spans[st.recs[i].slot]
		st.values[sp.hi] = st.recs[i].v
		sp.hi++
	}
	st.ev = Event{values: st.values, slots: st.spans, nested: st.nested}
	return &st.ev
}
