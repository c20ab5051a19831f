package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
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
	numOK bool    // n holds the number (finite as a float64)
	big   bool    // an integer too large for a float64 to tell it from its neighbours
	s     string  // string value, or a number's literal text
	n     float64 // numbers
	trail []arrayPos
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
	// slots holds the values by the field slot of a Set's path table, for events the Set
	// scanned (index is nil then); leaves compiled by the Set carry their slot.
	slots []span
}

// ParseEvent parses a JSON object for matching. The error is an *EventError.
func ParseEvent(event []byte) (*Event, error) {
	data := bytes.TrimSpace(event)
	// json.Valid checks the syntax without allocating, so the flattening parser below can
	// assume well-formed input.
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return nil, &EventError{Reason: "not valid JSON: " + err.Error()}
	}
	if data[0] != '{' {
		return nil, &EventError{Reason: "not a JSON object but " + jsonKindOf(data[0])}
	}
	p := eventParser{data: data}
	if err := p.value("", nil, 0); err != nil {
		return nil, &EventError{Reason: err.Error()}
	}
	slices.SortStableFunc(p.out, func(a, b pathValue) int { return strings.Compare(a.path, b.path) })
	distinct := 0
	for i := range p.out {
		if i == 0 || p.out[i].path != p.out[i-1].path {
			distinct++
		}
	}
	ev := &Event{values: make([]value, len(p.out)), index: make(map[string]span, distinct), nested: p.nested}
	for i := 0; i < len(p.out); {
		j := i
		for j < len(p.out) && p.out[j].path == p.out[i].path {
			ev.values[j] = p.out[j].v
			j++
		}
		ev.index[p.out[i].path] = span{int32(i), int32(j)}
		i = j
	}
	return ev, nil
}

func jsonKindOf(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// leafValues returns the event's values at the leaf's path.
func (ev *Event) leafValues(l *leaf) []value {
	if ev.slots != nil {
		sp := ev.slots[l.slot]
		return ev.values[sp.lo:sp.hi]
	}
	return ev.lookup(l.path)
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

// eventParser flattens syntactically valid JSON straight into path/value pairs.
type eventParser struct {
	data   []byte
	pos    int
	out    []pathValue
	arena  []arrayPos // backing store for value trails, append-only
	arrays int32
	nested bool
}

func (p *eventParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *eventParser) value(path string, trail []arrayPos, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nested more than %d levels deep", maxDepth)
	}
	p.skipSpace()
	switch p.data[p.pos] {
	case '{':
		p.pos++
		for {
			p.skipSpace()
			switch p.data[p.pos] {
			case '}':
				p.pos++
				return nil
			case ',':
				p.pos++
				p.skipSpace()
			}
			key := p.str()
			p.skipSpace()
			p.pos++ // ':'
			if err := p.value(joinPath(path, key), trail, depth+1); err != nil {
				return err
			}
		}
	case '[':
		p.pos++
		id := p.arrays
		p.arrays++
		for i := int32(0); ; i++ {
			p.skipSpace()
			switch p.data[p.pos] {
			case ']':
				p.pos++
				return nil
			case ',':
				p.pos++
				p.skipSpace()
			}
			if c := p.data[p.pos]; c == '{' || c == '[' {
				p.nested = true
			}
			start := len(p.arena)
			p.arena = append(p.arena, trail...)
			p.arena = append(p.arena, arrayPos{array: id, index: i})
			if err := p.value(path, p.arena[start:len(p.arena):len(p.arena)], depth+1); err != nil {
				return err
			}
		}
	case '"':
		p.emit(path, value{kind: vString, s: p.str(), trail: trail})
	case 't':
		p.pos += 4
		p.emit(path, value{kind: vBool, b: true, trail: trail})
	case 'f':
		p.pos += 5
		p.emit(path, value{kind: vBool, trail: trail})
	case 'n':
		p.pos += 4
		p.emit(path, value{kind: vNull, trail: trail})
	default:
		start := p.pos
		for p.pos < len(p.data) && strings.IndexByte("+-0123456789.eE", p.data[p.pos]) >= 0 {
			p.pos++
		}
		v := value{kind: vNumber, s: string(p.data[start:p.pos]), trail: trail, big: bigInteger(p.data[start:p.pos])}
		if f, err := strconv.ParseFloat(v.s, 64); err == nil {
			v.n, v.numOK = f, true
		}
		p.emit(path, v)
	}
	return nil
}

func (p *eventParser) emit(path string, v value) {
	p.out = append(p.out, pathValue{path: path, v: v})
}

// str reads the string that starts at the current quote.
func (p *eventParser) str() string {
	start := p.pos + 1
	i := start
	escaped := false
	for p.data[i] != '"' {
		if p.data[i] == '\\' {
			escaped = true
			i += 2
			continue
		}
		i++
	}
	p.pos = i + 1
	raw := p.data[start:i]
	if !escaped && utf8.Valid(raw) {
		return string(raw)
	}
	// Escapes and invalid UTF-8 decode exactly as encoding/json decodes pattern strings.
	var s string
	_ = json.Unmarshal(p.data[start-1:i+1], &s)
	return s
}

// bigInteger reports whether a number literal is an integer beyond ±2^53, where distinct
// integers share a float64: such numbers are compared as written, never as doubles, so that
// one large identifier never equals another.
func bigInteger[T string | []byte](lit T) bool {
	if len(lit) < 16 {
		return false
	}
	for i := 0; i < len(lit); i++ {
		if c := lit[i]; c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	n, err := strconv.ParseInt(string(lit), 10, 64)
	return err != nil || n > 1<<53 || n < -(1<<53)
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
