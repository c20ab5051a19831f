package eventpattern

import (
	"bytes"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/hydrant-dev/hydrant/internal/jsonscan"
)

// field is what a Set knows about one flattened path: whether a pattern names it (and its
// slot), and whether a named path lies below it (so an object or array there is read).
type field struct {
	slot   int32
	named  bool
	prefix bool
}

// slotValue is one value the scanner kept, before grouping by slot.
type slotValue struct {
	slot int32
	v    value
}

// scanner reads an event for a Set in one pass: it checks the whole text is the JSON that
// ParseEvent accepts, keeps the values at paths some pattern names, and steps over everything
// else without decoding it. Strings without escapes are kept as views of the event's bytes, so a
// scan allocates nothing once its buffers have grown; the views live only as long as the
// MatchJSON call.
type scanner struct {
	fields map[string]field
	data   []byte
	pos    int
	path   []byte // the current flattened path, built as joinPath builds it
	recs   []slotValue
	arena  []arrayPos // backing store for value trails
	text   []byte     // unescaped strings
	arrays int32
	nested bool
}

// scan reads event; false means ParseEvent rejects it (the caller asks ParseEvent for the
// error, so the two report the same).
func (s *scanner) scan(fields map[string]field, event []byte) bool {
	s.fields = fields
	s.data = bytes.TrimSpace(event) // as ParseEvent: Unicode spaces around the object are ignored
	s.pos = 0
	s.path = s.path[:0]
	s.recs = s.recs[:0]
	s.arena = s.arena[:0]
	s.text = s.text[:0]
	s.arrays = 0
	s.nested = false
	if len(s.data) == 0 || s.data[0] != '{' {
		return false
	}
	if !s.object(0, nil) {
		return false
	}
	s.space()
	return s.pos == len(s.data)
}

// release drops the references to the caller's event.
func (s *scanner) release() {
	s.data = nil
	clear(s.recs)
	s.recs = s.recs[:0]
}

func (s *scanner) space() {
	for s.pos < len(s.data) && s.data[s.pos] <= ' ' {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the byte at pos, or 0 at the end of the input (0 is never valid JSON there).
func (s *scanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// object reads the object at pos, whose path (in s.path) some named path lies below.
func (s *scanner) object(depth int, trail []arrayPos) bool {
	if depth > maxDepth {
		return false
	}
	s.pos++ // '{'
	s.space()
	if s.peek() == '}' {
		s.pos++
		return true
	}
	for {
		if s.peek() != '"' {
			return false
		}
		start, end, plain, ok := s.str()
		if !ok {
			return false
		}
		base := len(s.path)
		if base > 0 {
			s.path = append(s.path, '.')
		}
		if plain && utf8.Valid(s.data[start:end]) {
			s.path = append(s.path, s.data[start:end]...)
		} else {
			s.path = jsonscan.AppendUnquoted(s.path, s.data[start:end])
		}
		f := s.fields[string(s.path)]
		s.space()
		if s.peek() != ':' {
			return false
		}
		s.pos++
		s.space()
		if !s.value(depth+1, trail, f) {
			return false
		}
		s.path = s.path[:base]
		s.space()
		switch s.peek() {
		case ',':
			s.pos++
			s.space()
		case '}':
			s.pos++
			return true
		default:
			return false
		}
	}
}

// value reads the value at pos, found at the path f describes.
func (s *scanner) value(depth int, trail []arrayPos, f field) bool {
	if depth > maxDepth {
		return false
	}
	switch c := s.peek(); c {
	case '{':
		if f.prefix {
			return s.object(depth, trail)
		}
		return s.skip(depth)
	case '[':
		if f.prefix || f.named {
			return s.array(depth, trail, f)
		}
		return s.skip(depth)
	case '"':
		start, end, plain, ok := s.str()
		if !ok {
			return false
		}
		if f.named {
			raw := s.data[start:end]
			var str string
			if plain && utf8.Valid(raw) {
				str = view(raw)
			} else {
				from := len(s.text)
				s.text = jsonscan.AppendUnquoted(s.text, raw)
				str = view(s.text[from:])
			}
			s.recs = append(s.recs, slotValue{f.slot, value{kind: vString, s: str, trail: trail}})
		}
		return true
	case 't', 'f', 'n':
		lit := "null"
		v := value{kind: vNull, trail: trail}
		switch c {
		case 't':
			lit, v = "true", value{kind: vBool, b: true, trail: trail}
		case 'f':
			lit, v = "false", value{kind: vBool, trail: trail}
		}
		if !bytes.HasPrefix(s.data[s.pos:], []byte(lit)) {
			return false
		}
		s.pos += len(lit)
		if f.named {
			s.recs = append(s.recs, slotValue{f.slot, v})
		}
		return true
	default:
		start := s.pos
		if !s.number() {
			return false
		}
		if f.named {
			lit := view(s.data[start:s.pos])
			v := value{kind: vNumber, s: lit, trail: trail, big: bigInteger(lit)}
			if n, err := strconv.ParseFloat(lit, 64); err == nil {
				v.n, v.numOK = n, true
			}
			s.recs = append(s.recs, slotValue{f.slot, v})
		}
		return true
	}
}

// array reads the array at pos: its scalar elements are values at the array's own path.
func (s *scanner) array(depth int, trail []arrayPos, f field) bool {
	s.pos++ // '['
	id := s.arrays
	s.arrays++
	s.space()
	if s.peek() == ']' {
		s.pos++
		return true
	}
	for i := int32(0); ; i++ {
		if c := s.peek(); c == '{' || c == '[' {
			s.nested = true
		}
		start := len(s.arena)
		s.arena = append(s.arena, trail...)
		s.arena = append(s.arena, arrayPos{array: id, index: i})
		if !s.value(depth+1, s.arena[start:len(s.arena):len(s.arena)], f) {
			return false
		}
		s.space()
		switch s.peek() {
		case ',':
			s.pos++
			s.space()
		case ']':
			s.pos++
			return true
		default:
			return false
		}
	}
}

// skip checks the value at pos, at nesting depth depth, and steps over it.
func (s *scanner) skip(depth int) bool {
	var ok bool
	s.pos, ok = jsonscan.Skip(s.data, s.pos, depth, maxDepth, maxDepth)
	return ok
}

// number checks JSON's number grammar at pos and steps over it.
func (s *scanner) number() bool {
	var ok bool
	s.pos, ok = jsonscan.Number(s.data, s.pos)
	return ok
}

// str checks the string at pos (the opening quote) and steps over it, returning the bytes
// between the quotes and whether they contain no escape.
func (s *scanner) str() (start, end int, plain, ok bool) {
	start, end, next, plain, ok := jsonscan.String(s.data, s.pos)
	if ok {
		s.pos = next
	}
	return start, end, plain, ok
}

// view is a string sharing b's bytes; b must not change while the string is used.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
