// Package jsonscan checks JSON text and steps over its values without decoding them: the
// primitives behind eventpattern.Set's event scanner and hydrantevent.DataJSON's check. It is
// several times faster than encoding/json's scanner because strings, most of any JSON text,
// are searched eight bytes at a time or with bytes.IndexByte rather than byte by byte.
package jsonscan

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxNesting is encoding/json's limit on nested arrays and objects.
const MaxNesting = 10000

// Valid reports whether data is one JSON value with optional whitespace around it, exactly as
// json.Valid does (FuzzValid holds the two together).
func Valid(data []byte) bool {
	i, ok := Skip(data, Space(data, 0), 0, MaxNesting-1, math.MaxInt)
	return ok && Space(data, i) == len(data)
}

// Space returns the index of the first byte at or after i that is not JSON whitespace.
func Space(d []byte, i int) int {
	for i < len(d) && d[i] <= ' ' && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
		i++
	}
	return i
}

// Skip checks the value at d[i], a value at nesting depth depth (0 at the top), and returns the
// index after it. An array or object deeper than maxContainer, or any other value deeper than
// maxScalar, makes the value invalid.
func Skip(d []byte, i, depth, maxContainer, maxScalar int) (int, bool) {
	if i >= len(d) {
		return i, false
	}
	switch c := d[i]; c {
	case '{', '[':
		if depth > maxContainer {
			return i, false
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = Space(d, i+1)
		if i < len(d) && d[i] == closer {
			return i + 1, true
		}
		for {
			if c == '{' {
				if i >= len(d) || d[i] != '"' {
					return i, false
				}
				var ok bool
				if i, ok = skipString(d, i); !ok {
					return i, false
				}
				if i = Space(d, i); i >= len(d) || d[i] != ':' {
					return i, false
				}
				i = Space(d, i+1)
			}
			var ok bool
			if i, ok = Skip(d, i, depth+1, maxContainer, maxScalar); !ok {
				return i, false
			}
			if i = Space(d, i); i >= len(d) {
				return i, false
			}
			switch d[i] {
			case ',':
				i = Space(d, i+1)
			case closer:
				return i + 1, true
			default:
				return i, false
			}
		}
	}
	if depth > maxScalar {
		return i, false
	}
	switch d[i] {
	case '"':
		return skipString(d, i)
	case 't':
		return literal(d, i, "true")
	case 'f':
		return literal(d, i, "false")
	case 'n':
		return literal(d, i, "null")
	}
	return Number(d, i)
}

// skipString steps over the string at d[i]: a string that ends within its first eight bytes
// without an escape (member names, most values) by one test of those eight bytes at once, the
// rest through String.
func skipString(d []byte, i int) (int, bool) {
	if i+9 <= len(d) {
		if m := special8(binary.LittleEndian.Uint64(d[i+1:])); m != 0 {
			if j := i + 1 + bits.TrailingZeros64(m)/8; d[j] == '"' {
				return j + 1, true
			}
		}
	}
	_, _, next, _, ok := String(d, i)
	return next, ok
}

func literal(d []byte, i int, lit string) (int, bool) {
	if len(d)-i < len(lit) || string(d[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// Number checks JSON's number grammar at d[i] and returns the index after the number.
func Number(d []byte, i int) (int, bool) {
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
		return i, false
	}
	if i < len(d) && d[i] == '.' {
		i++
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			return i, false
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
			return i, false
		}
	}
	return i, true
}

const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	quotes = '"' * ones
	backs  = '\\' * ones
	spaces = 0x20 * ones
)

// String checks the string whose opening quote is at d[i]. It returns the bytes between the
// quotes (d[start:end]), the index after the closing quote, and whether it has no escape. The first 16 bytes are tested eight
// at a time for a quote, backslash or control character (member names and most values end
// there); a longer string is searched with bytes.IndexByte, which uses the CPU's vector
// instructions, and checked for control characters 32 bytes at a time.
func String(d []byte, i int) (start, end, next int, plain, ok bool) {
	i++
	start, plain = i, true
	for {
		if n, found := special16(d, i); found {
			i = n
		} else if n > i {
			// No special byte in 16: search for the closing quote, then check what lies before it.
			i = n
			q := bytes.IndexByte(d[i:], '"')
			if q < 0 {
				return 0, 0, 0, false, false
			}
			q += i
			stop := q
			if b := bytes.IndexByte(d[i:q], '\\'); b >= 0 {
				stop = i + b
			}
			if hasControl(d[i:stop]) {
				return 0, 0, 0, false, false
			}
			i = stop
		} else {
			for i < len(d) && d[i] != '"' && d[i] != '\\' && d[i] >= 0x20 {
				i++
			}
		}
		if i >= len(d) {
			return 0, 0, 0, false, false
		}
		switch c := d[i]; {
		case c == '"':
			return start, i, i + 1, plain, true
		case c < 0x20:
			return 0, 0, 0, false, false
		}
		// A backslash: one of JSON's escapes.
		plain = false
		if i+1 >= len(d) {
			return 0, 0, 0, false, false
		}
		switch d[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if i+6 > len(d) || hex4(d[i+2:i+6]) < 0 {
				return 0, 0, 0, false, false
			}
			i += 6
		default:
			return 0, 0, 0, false, false
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
		if m := special8(binary.LittleEndian.Uint64(d[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8, true
		}
		i += 8
	}
	return i, false
}

// special8 flags the quotes, backslashes and control characters among the eight bytes of w
// (little-endian): the high bit of a byte is set where it is '"', '\\' or below 0x20 (bytes of
// 0x80 and above never set it); only the lowest flagged byte is exact, and it is the one used.
func special8(w uint64) uint64 {
	q, b := w^quotes, w^backs
	return (((q - ones) &^ q) | ((b - ones) &^ b) | ((w - spaces) &^ w)) & highs
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

// AppendUnquoted appends the string whose checked JSON text (between the quotes) is raw,
// decoded exactly as encoding/json decodes it: escapes resolved, a surrogate half that is not
// part of a pair and every invalid UTF-8 byte replaced by U+FFFD.
func AppendUnquoted(dst, raw []byte) []byte {
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
