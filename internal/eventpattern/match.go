package eventpattern

import (
	"net/netip"
	"slices"
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
	b      bool       // exact boolean; exists operand
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
		return v.kind == vNumber && v.numOK && v.n == m.n
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
		if !b.leaves[i].anyValue(ev.lookup(b.leaves[i].path)) {
			return false
		}
	}
	if !ev.nested {
		return true
	}
	return b.matchNested(ev)
}

const (
	noArray    = -1 // a leaf that some value satisfies outside any array: no constraint
	manyArrays = -2 // a leaf whose values sit in several outermost arrays
)

// matchNested enforces event-ruler's rule that values picked from an array of objects come
// from the same element. Two leaves can only conflict through an array they both reach, and
// any shared array means a shared outermost array; so leaves are grouped by the outermost
// array their candidate values sit in, and only groups of two or more leaves are searched.
// That keeps independent arrays from multiplying into each other.
func (b *branch) matchNested(ev *Event) bool {
	var outerBuf [32]int32
	outer := outerBuf[:0]
	many := false
	for i := range b.leaves {
		o := b.leaves[i].outerArray(ev.lookup(b.leaves[i].path))
		many = many || o == manyArrays
		outer = append(outer, o)
	}
	var buf [16]*value
	if many {
		return b.search(ev, outer, manyArrays, 0, buf[:0])
	}
	for i, id := range outer {
		if id < 0 || slices.Contains(outer[:i], id) {
			continue // unconstrained, or a group already searched
		}
		size := 0
		for _, o := range outer {
			if o == id {
				size++
			}
		}
		if size > 1 && !b.search(ev, outer, id, i, buf[:0]) {
			return false
		}
	}
	return true
}

// outerArray reports the outermost array a leaf's satisfying values sit in (or noArray /
// manyArrays).
func (l *leaf) outerArray(vals []value) int32 {
	if l.holdsWithoutValue(vals) {
		return noArray
	}
	id := int32(noArray)
	for j := range vals {
		v := &vals[j]
		if !l.valueMatches(v) {
			continue
		}
		if len(v.trail) == 0 {
			return noArray
		}
		switch {
		case id == noArray:
			id = v.trail[0].array
		case id != v.trail[0].array:
			return manyArrays
		}
	}
	return id
}

// search picks one satisfying value for each leaf of the group (all leaves when group is
// manyArrays) such that all picks are compatible.
func (b *branch) search(ev *Event, outer []int32, group int32, i int, chosen []*value) bool {
	for i < len(b.leaves) && group != manyArrays && outer[i] != group {
		i++
	}
	if i == len(b.leaves) {
		return true
	}
	l := &b.leaves[i]
	vals := ev.lookup(l.path)
	if l.holdsWithoutValue(vals) && b.search(ev, outer, group, i+1, chosen) {
		return true
	}
	var tried []arrayPos
	triedAny := false
next:
	for j := range vals {
		v := &vals[j]
		if !l.valueMatches(v) {
			continue
		}
		// Values in one element of the same arrays (adjacent after flattening) are
		// interchangeable for the leaves that follow: try one of them.
		if triedAny && sameTrail(tried, v.trail) {
			continue
		}
		for _, c := range chosen {
			if !compatible(c, v) {
				continue next
			}
		}
		tried, triedAny = v.trail, true
		if b.search(ev, outer, group, i+1, append(chosen, v)) {
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
