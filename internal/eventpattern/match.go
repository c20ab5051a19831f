package eventpattern

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

type opcode uint8

const (
	opExactString opcode = iota
	opExactNumber
	opExactBool
	opExactNull
	opPrefix
	opPrefixFold
	opSuffix
	opSuffixFold
	opEqualsFold
	opWildcard
	opCIDR
	opNumeric
	opExists
	opButStrings // anything-but with string values
	opButNumbers // anything-but with number values
	opButPrefix
	opButSuffix
	opButFold
	opButWildcard
)

// matcher is one compiled value of a leaf. A single struct with an opcode keeps matching free
// of interface calls and allocations.
type matcher struct {
	op     opcode
	s      string     // string operand
	strs   []string   // anything-but string operands
	nums   []float64  // anything-but number operands
	wcs    []wildcard // wildcard operands (one for wildcard, any number for anything-but)
	n      float64    // exact number
	b      bool       // exact boolean; exists operand; exact number: a big integer (see bigInteger)
	prefix netip.Prefix
	// numeric: up to two comparisons, each "lower" (>, >=) or "upper" (<, <=) or "=".
	cmps  [2]comparison
	ncmps int
}

type comparison struct {
	op string
	v  float64
}

func (c comparison) holds(x float64) bool {
	switch c.op {
	case "=":
		return x == c.v
	case "<":
		return x < c.v
	case "<=":
		return x <= c.v
	case ">":
		return x > c.v
	default: // ">="
		return x >= c.v
	}
}

// matchValue reports whether one event leaf satisfies the matcher. exists is decided by the
// leaf, not by a value, and never matches here.
func (m *matcher) matchValue(v *value) bool {
	switch m.op {
	case opExactString:
		return v.kind == vString && v.s == m.s
	case opExactNumber:
		if v.kind != vNumber {
			return false
		}
		if v.big || m.b { // m.b: the operand is a big integer
			return v.s == m.s
		}
		return v.numOK && v.n == m.n
	case opExactBool:
		return v.kind == vBool && v.b == m.b
	case opExactNull:
		return v.kind == vNull
	case opPrefix:
		return v.kind == vString && strings.HasPrefix(v.s, m.s)
	case opPrefixFold:
		return v.kind == vString && hasPrefixFold(v.s, m.s)
	case opSuffix:
		return v.kind == vString && strings.HasSuffix(v.s, m.s)
	case opSuffixFold:
		return v.kind == vString && hasSuffixFold(v.s, m.s)
	case opEqualsFold:
		return v.kind == vString && strings.EqualFold(v.s, m.s)
	case opWildcard:
		return v.kind == vString && m.wcs[0].match(v.s)
	case opCIDR:
		if v.kind != vString {
			return false
		}
		a, err := netip.ParseAddr(v.s)
		return err == nil && a.Zone() == "" && m.prefix.Contains(a)
	case opNumeric:
		if v.kind != vNumber || !v.numOK {
			return false
		}
		for i := 0; i < m.ncmps; i++ {
			if !m.cmps[i].holds(v.n) {
				return false
			}
		}
		return true
	case opButStrings:
		if v.kind != vString {
			return true
		}
		for _, s := range m.strs {
			if v.s == s {
				return false
			}
		}
		return true
	case opButNumbers:
		if v.kind != vNumber || !v.numOK {
			return true
		}
		for _, n := range m.nums {
			if v.n == n {
				return false
			}
		}
		return true
	case opButPrefix:
		if v.kind != vString {
			return true
		}
		for _, s := range m.strs {
			if strings.HasPrefix(v.s, s) {
				return false
			}
		}
		return true
	case opButSuffix:
		if v.kind != vString {
			return true
		}
		for _, s := range m.strs {
			if strings.HasSuffix(v.s, s) {
				return false
			}
		}
		return true
	case opButFold:
		if v.kind != vString {
			return true
		}
		for _, s := range m.strs {
			if strings.EqualFold(v.s, s) {
				return false
			}
		}
		return true
	case opButWildcard:
		if v.kind != vString {
			return true
		}
		for i := range m.wcs {
			if m.wcs[i].match(v.s) {
				return false
			}
		}
		return true
	}
	return false
}

// existsSatisfied reports whether an exists matcher holds for a leaf with these values: the
// path exists when it reaches at least one leaf value (null included).
func (m *matcher) existsSatisfied(vals []value) bool {
	return (len(vals) > 0) == m.b
}

// anyValue reports whether the leaf holds for the event, ignoring which value satisfied it.
func (l *leaf) anyValue(vals []value) bool {
	for i := range l.matchers {
		m := &l.matchers[i]
		if m.op == opExists {
			if m.existsSatisfied(vals) {
				return true
			}
			continue
		}
		for j := range vals {
			if m.matchValue(&vals[j]) {
				return true
			}
		}
	}
	return false
}

// valueMatches reports whether one value satisfies the leaf (exists:true counts any value).
func (l *leaf) valueMatches(v *value) bool {
	for i := range l.matchers {
		m := &l.matchers[i]
		if m.op == opExists {
			if m.b {
				return true
			}
			continue
		}
		if m.matchValue(v) {
			return true
		}
	}
	return false
}

// holdsWithoutValue reports whether the leaf holds through exists:false on an absent path.
func (l *leaf) holdsWithoutValue(vals []value) bool {
	if len(vals) > 0 {
		return false
	}
	for i := range l.matchers {
		if l.matchers[i].op == opExists && !l.matchers[i].b {
			return true
		}
	}
	return false
}

func (b *branch) match(ev *Event) bool {
	for i := range b.leaves {
		if !b.leaves[i].anyValue(ev.leafValues(&b.leaves[i])) {
			return false
		}
	}
	if !ev.nested {
		return true
	}
	return b.matchNested(ev)
}

// matchNested enforces event-ruler's rule that values picked from an array of objects come
// from the same element, after every leaf was found to hold on its own.
func (b *branch) matchNested(ev *Event) bool {
	if len(b.leaves) > 64 {
		var buf [16]*value
		return b.search(ev, 0, buf[:0])
	}
	ok, decided := b.solve(ev, uint64(1)<<len(b.leaves)-1, nil)
	if !decided {
		var buf [16]*value
		return b.search(ev, 0, buf[:0])
	}
	return ok
}

// solve decides whether the leaves in set can be satisfied together by values whose trails
// start with prefix. Leaves only constrain each other through an array they both reach; so
// below the prefix the leaves are grouped by the next array their values enter, groups are
// independent, and a group holds if one element of its array satisfies the whole group. This
// keeps the work polynomial where a plain search over value combinations is exponential.
// decided is false when a leaf's values enter several different arrays below the prefix (only
// possible through duplicate or dotted keys); the caller then falls back to search.
func (b *branch) solve(ev *Event, set uint64, prefix []arrayPos) (ok, decided bool) {
	d := len(prefix)
	var next [64]int32 // per leaf: the array its candidates enter below the prefix, or -1
	for i := range b.leaves {
		next[i] = -1
		if set&(1<<i) == 0 {
			continue
		}
		l := &b.leaves[i]
		vals := ev.leafValues(l)
		if l.holdsWithoutValue(vals) {
			continue
		}
		found, free := false, false
		for j := range vals {
			v := &vals[j]
			if len(v.trail) < d || !sameTrail(v.trail[:d], prefix) || !l.valueMatches(v) {
				continue
			}
			found = true
			if len(v.trail) == d {
				free = true // satisfied without entering another array
				break
			}
			switch id := v.trail[d].array; {
			case next[i] == -1:
				next[i] = id
			case next[i] != id:
				return false, false
			}
		}
		if !found {
			return false, true
		}
		if free {
			next[i] = -1
		}
	}
	var done uint64
	for i := range b.leaves {
		id := next[i]
		if id < 0 || done&(1<<i) != 0 {
			continue
		}
		var group uint64
		for k := i; k < len(b.leaves); k++ {
			if next[k] == id {
				group |= 1 << k
			}
		}
		done |= group
		if group == 1<<i {
			continue // a lone leaf in this array: already known to hold
		}
		// Try each element of the array that the first leaf has a candidate in.
		l := &b.leaves[i]
		vals := ev.leafValues(l)
		held := false
		last := int32(-1)
		for j := range vals {
			v := &vals[j]
			if len(v.trail) <= d || !sameTrail(v.trail[:d], prefix) || v.trail[d].array != id || v.trail[d].index == last || !l.valueMatches(v) {
				continue
			}
			last = v.trail[d].index
			ok, decided := b.solve(ev, group, v.trail[:d+1])
			if !decided {
				return false, false
			}
			if ok {
				held = true
				break
			}
		}
		if !held {
			return false, true
		}
	}
	return true, true
}

// search picks one satisfying value per leaf such that all picks are compatible: exhaustive,
// the fallback for the cases solve does not decide.
func (b *branch) search(ev *Event, i int, chosen []*value) bool {
	if i == len(b.leaves) {
		return true
	}
	l := &b.leaves[i]
	vals := ev.leafValues(l)
	if l.holdsWithoutValue(vals) && b.search(ev, i+1, chosen) {
		return true
	}
next:
	for j := range vals {
		v := &vals[j]
		if !l.valueMatches(v) {
			continue
		}
		for _, c := range chosen {
			if !compatible(c, v) {
				continue next
			}
		}
		if b.search(ev, i+1, append(chosen, v)) {
			return true
		}
	}
	return false
}

func sameTrail(a, b []arrayPos) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// wildcard is a compiled wildcard operand: literal segments separated by '*'.
type wildcard struct {
	segs []string
}

func (w *wildcard) match(s string) bool {
	segs := w.segs
	if len(segs) == 1 {
		return s == segs[0]
	}
	first, last := segs[0], segs[len(segs)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	// Leftmost placement of each middle segment is optimal for '*'-only globs.
	for _, seg := range segs[1 : len(segs)-1] {
		k := strings.Index(s, seg)
		if k < 0 {
			return false
		}
		s = s[k+len(seg):]
	}
	return true
}

// hasPrefixFold is strings.HasPrefix under Unicode simple case folding, without allocating.
func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		pr, pn := utf8.DecodeRuneInString(prefix)
		sr, sn := utf8.DecodeRuneInString(s)
		if !foldEqual(pr, sr) {
			return false
		}
		prefix, s = prefix[pn:], s[sn:]
	}
	return true
}

// hasSuffixFold is strings.HasSuffix under Unicode simple case folding, without allocating.
func hasSuffixFold(s, suffix string) bool {
	for suffix != "" {
		if s == "" {
			return false
		}
		pr, pn := utf8.DecodeLastRuneInString(suffix)
		sr, sn := utf8.DecodeLastRuneInString(s)
		if !foldEqual(pr, sr) {
			return false
		}
		suffix, s = suffix[:len(suffix)-pn], s[:len(s)-sn]
	}
	return true
}

// foldEqual is the rune comparison strings.EqualFold uses.
func foldEqual(a, b rune) bool {
	if a == b {
		return true
	}
	if b < a {
		a, b = b, a
	}
	if b < utf8.RuneSelf {
		return 'A' <= a && a <= 'Z' && b == a+'a'-'A'
	}
	r := unicode.SimpleFold(a)
	for r != a && r < b {
		r = unicode.SimpleFold(r)
	}
	return r == b
}
