package eventpattern

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
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
			s.path = appendUnquoted(s.path, s.data[start:end])
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
				s.text = appendUnquoted(s.text, raw)
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

// skip checks the value at pos and steps over it.
func (s *scanner) skip(depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch c := s.peek(); c {
	case '{':
		s.pos++
		s.space()
		if s.peek() == '}' {
			s.pos++
			return true
		}
		for {
			if s.peek() != '"' {
				return false
			}
			if !s.skipString() {
				return false
			}
			s.space()
			if s.peek() != ':' {
				return false
			}
			s.pos++
			s.space()
			if !s.skip(depth + 1) {
				return false
			}
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
	case '[':
		s.pos++
		s.space()
		if s.peek() == ']' {
			s.pos++
			return true
		}
		for {
			if !s.skip(depth + 1) {
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
	case '"':
		return s.skipString()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

// skipString steps over the string at pos: short strings without escapes (member names, most
// values) in a loop small enough to inline, the rest through str.
func (s *scanner) skipString() bool {
	d := s.data
	for i := s.pos + 1; i < len(d) && i < s.pos+10; i++ {
		if c := d[i]; c == '"' {
			s.pos = i + 1
			return true
		} else if c == '\\' || c < 0x20 {
			break
		}
	}
	_, _, _, ok := s.str()
	return ok
}

func (s *scanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(lit)) {
		return false
	}
	s.pos += len(lit)
	return true
}

// number checks JSON's number grammar at pos and steps over it.
func (s *scanner) number() bool {
	d, i := s.data, s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(d) && d[i] == '.' {
		i++
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	s.pos = i
	return true
}

const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	quotes = '"' * ones
	backs  = '\\' * ones
	spaces = 0x20 * ones
)

// str checks the string at pos (the opening quote) and steps over it. It returns the bytes
// between the quotes and whether they contain no escape. The first 16 bytes are tested eight
// at a time for a quote, backslash or control character (member names and most values end
// there); a longer string is searched with bytes.IndexByte, which uses the CPU's vector
// instructions, and checked for control characters 32 bytes at a time.
func (s *scanner) str() (start, end int, plain, ok bool) {
	d := s.data
	i := s.pos + 1
	start, plain = i, true
	for {
		if n, found := special16(d, i); found {
			i = n
		} else if n > i {
			// No special byte in 16: search for the closing quote, then check what lies before it.
			i = n
			q := bytes.IndexByte(d[i:], '"')
			if q < 0 {
				return 0, 0, false, false
			}
			q += i
			stop := q
			if b := bytes.IndexByte(d[i:q], '\\'); b >= 0 {
				stop = i + b
			}
			if hasControl(d[i:stop]) {
				return 0, 0, false, false
			}
			i = stop
		} else {
			for i < len(d) && d[i] != '"' && d[i] != '\\' && d[i] >= 0x20 {
				i++
			}
		}
		if i >= len(d) {
			return 0, 0, false, false
		}
		switch c := d[i]; {
		case c == '"':
			s.pos = i + 1
			return start, i, plain, true
		case c < 0x20:
			return 0, 0, false, false
		}
		// A backslash: one of JSON's escapes.
		plain = false
		if i+1 >= len(d) {
			return 0, 0, false, false
		}
		switch d[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if i+6 > len(d) || hex4(d[i+2:i+6]) < 0 {
				return 0, 0, false, false
			}
			i += 6
		default:
			return 0, 0, false, false
		}
	}
}

// special16 looks for the first quote, backslash or control character in d[i:i+16]: found
// with its index, or not found with i+16; i itself when fewer than 16 bytes remain.
func special16(d []byte, i int) (int, bool) {
	if i+16 > len(d) {
		return i, false
	}
	for k := 0; k < 2; k++ {
		w := binary.LittleEndian.Uint64(d[i:])
		q, b := w^quotes, w^backs
		// The high bit of a byte is set where it is '"', '\\' or below 0x20 (bytes of 0x80 and
		// above never set it); only the lowest flagged byte is exact, and it is the one used.
		if m := (((q - ones) &^ q) | ((b - ones) &^ b) | ((w - spaces) &^ w)) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8, true
		}
		i += 8
	}
	return i, false
}

// hasControl reports whether b holds a byte below 0x20, which JSON strings may not contain.
func hasControl(b []byte) bool {
	for len(b) >= 32 {
		w0 := binary.LittleEndian.Uint64(b)
		w1 := binary.LittleEndian.Uint64(b[8:])
		w2 := binary.LittleEndian.Uint64(b[16:])
		w3 := binary.LittleEndian.Uint64(b[24:])
		if ((w0-spaces)&^w0|(w1-spaces)&^w1|(w2-spaces)&^w2|(w3-spaces)&^w3)&highs != 0 {
			return true
		}
		b = b[32:]
	}
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// hex4 decodes four hex digits, or returns -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// appendUnquoted appends the string whose checked JSON text (between the quotes) is raw,
// decoded exactly as encoding/json decodes it: escapes resolved, a surrogate half that is not
// part of a pair and every invalid UTF-8 byte replaced by U+FFFD.
func appendUnquoted(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			switch e := raw[i+1]; e {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := hex4(raw[i+2:])
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						r2 = hex4(raw[i+2:])
					}
					if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						continue
					}
					r = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, e)
			}
			i += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, n := utf8.DecodeRune(raw[i:])
			dst = utf8.AppendRune(dst, r)
			i += n
		}
	}
	return dst
}

// view is a string sharing b's bytes; b must not change while the string is used.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
