package eventpattern

// Mismatch is one reason an event does not match one alternative of a pattern.
type Mismatch struct {
	// Path is the flattened field path ("detail.state"); empty for a failure that involves
	// several fields.
	Path   string
	Reason string
}

// Explain tells why an event does not match: for each alternative of the pattern (one per
// $or branch, in compilation order), the fields whose condition the event does not meet.
// It returns nil when the pattern matches. Explain is for people, and allocates; use Match
// to decide.
func (p *Pattern) Explain(ev *Event) [][]Mismatch {
	if p.Match(ev) {
		return nil
	}
	out := make([][]Mismatch, 0, len(p.branches))
	for i := range p.branches {
		b := &p.branches[i]
		var ms []Mismatch
		for j := range b.leaves {
			l := &b.leaves[j]
			vals := ev.leafValues(l)
			if l.anyValue(vals) {
				continue
			}
			reason := "no value satisfies the pattern"
			if len(vals) == 0 {
				reason = "no value at this path"
			}
			ms = append(ms, Mismatch{Path: l.path, Reason: reason})
		}
		if len(ms) == 0 {
			// Every field holds alone; only the same-element rule can have failed.
			ms = append(ms, Mismatch{Reason: "the fields hold only in different elements of one array of objects, and must hold in the same element"})
		}
		out = append(out, ms)
	}
	return out
}
