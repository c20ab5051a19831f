package eventpattern

import (
	"sort"
	"strconv"
)

type vkind uint8

const (
	vNull vkind = iota
	vBool
	vNumber
	vString
)

// value is one leaf of a flattened event.
type value struct {
	kind  vkind
	b     bool
	s     string  // string value, or a number's literal text
	n     float64 // numbers, when finite (numOK)
	numOK bool
	trail []arrayPos // the arrays this value sits in, outermost first
}

// arrayPos is one array a value was reached through, and the element it came from.
type arrayPos struct {
	array int32 // unique per array in the event
	index int32
}

type span struct{ lo, hi int32 }

// Event is a parsed event: its leaves by flattened dotted path.
type Event struct {
	values []value
	index  map[string]span
	// nested is set when an array holds objects or arrays, the only case in which values at
	// different paths can come from different elements of one array, and matching must check
	// that the values it picked come from the same element.
	nested bool
}

// ParseEvent parses a JSON object for matching. The error is an *EventError.
func ParseEvent(event []byte) (*Event, error) {
	root, err := decodeJSON(event)
	if err != nil {
		return nil, &EventError{Reason: "not valid JSON: " + err.Error()}
	}
	if root.kind != jObject {
		return nil, &EventError{Reason: "not a JSON object but " + root.kindName()}
	}
	f := flattener{}
	f.object(root, "", nil)
	sort.SliceStable(f.out, func(i, j int) bool { return f.out[i].path < f.out[j].path })
	ev := &Event{values: make([]value, len(f.out)), index: make(map[string]span), nested: f.nested}
	for i := 0; i < len(f.out); {
		j := i
		for j < len(f.out) && f.out[j].path == f.out[i].path {
			ev.values[j] = f.out[j].v
			j++
		}
		ev.index[f.out[i].path] = span{int32(i), int32(j)}
		i = j
	}
	return ev, nil
}

// Paths returns the event's flattened leaf paths, sorted; for diagnostics.
func (ev *Event) Paths() []string {
	ps := make([]string, 0, len(ev.index))
	for p := range ev.index {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

func (ev *Event) lookup(path string) []value {
	if sp, ok := ev.index[path]; ok {
		return ev.values[sp.lo:sp.hi]
	}
	return nil
}

type pathValue struct {
	path string
	v    value
}

type flattener struct {
	out    []pathValue
	arrays int32
	nested bool
}

func (f *flattener) object(n *jnode, prefix string, trail []arrayPos) {
	for i, k := range n.keys {
		f.node(n.kids[i], joinPath(prefix, k), trail)
	}
}

func (f *flattener) node(n *jnode, path string, trail []arrayPos) {
	switch n.kind {
	case jObject:
		f.object(n, path, trail)
	case jArray:
		id := f.arrays
		f.arrays++
		for i, el := range n.kids {
			if el.kind == jObject || el.kind == jArray {
				f.nested = true
			}
			t := make([]arrayPos, len(trail)+1)
			copy(t, trail)
			t[len(trail)] = arrayPos{array: id, index: int32(i)}
			f.node(el, path, t)
		}
	default:
		f.out = append(f.out, pathValue{path: path, v: scalar(n, trail)})
	}
}

func scalar(n *jnode, trail []arrayPos) value {
	v := value{trail: trail}
	switch n.kind {
	case jNull:
		v.kind = vNull
	case jBool:
		v.kind, v.b = vBool, n.b
	case jString:
		v.kind, v.s = vString, n.s
	case jNumber:
		v.kind, v.s = vNumber, n.s
		if f, err := strconv.ParseFloat(n.s, 64); err == nil {
			v.n, v.numOK = f, true
		}
	}
	return v
}

// compatible reports whether two values can come from one event "row": wherever both sit in
// the same array, they sit in the same element of it.
func compatible(a, b *value) bool {
	for i := 0; i < len(a.trail) && i < len(b.trail); i++ {
		if a.trail[i].array != b.trail[i].array {
			return true
		}
		if a.trail[i].index != b.trail[i].index {
			return false
		}
	}
	return true
}
