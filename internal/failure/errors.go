package failure

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"
)

// FieldError reports input that is not a failure record, naming the field at
// fault. Path is the JSON path of the field inside the document being parsed
// (for example "KinesisBatchInfo.endSequenceNumber" or
// "Records[0].s3.object.key"); it is empty when the document as a whole is
// wrong. When the record sits inside an envelope (an SNS notification, an SQS
// message) the path is relative to the innermost document, and the error that
// wraps the FieldError names the envelope.
type FieldError struct {
	Path   string
	Reason string
	// Err is the underlying cause, if any (a JSON syntax error, a URL decoding error).
	Err error
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Reason
	}
	return e.Path + ": " + e.Reason
}

func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(path, reason string) *FieldError { return &FieldError{Path: path, Reason: reason} }

func missing(path string) *FieldError { return fieldErr(path, "missing") }

// check is the validation step: it turns decoded wire values into Go values
// and keeps the first *FieldError. Once it holds one, every further check is
// a no-op returning a zero value, so validation reads top to bottom without
// an error test per field, and reports the same first fault it always did.
// Absent (nil) and null values are "not given": required fields report them
// as missing or null, optional ones give the zero value.
type check struct{ err error }

func (c *check) fail(e *FieldError) {
	if c.err == nil && e != nil {
		c.err = e
	}
}

func (c *check) failf(path, reason string) { c.fail(fieldErr(path, reason)) }

func isNull(raw json.RawMessage) bool { return len(raw) == 4 && string(raw) == "null" }

func given(raw json.RawMessage) bool { return raw != nil && !isNull(raw) }

// str is an optional string.
func (c *check) str(raw json.RawMessage, path string) string {
	if !given(raw) || c.err != nil {
		return ""
	}
	s, err := decodeString(raw, path)
	c.fail(err)
	return s
}

// reqStr is a required string: absent is missing, null is wrong.
func (c *check) reqStr(raw json.RawMessage, path string) string {
	switch {
	case c.err != nil:
		return ""
	case raw == nil:
		c.fail(missing(path))
		return ""
	case isNull(raw):
		c.failf(path, "must be a string, got null")
		return ""
	}
	s, err := decodeString(raw, path)
	c.fail(err)
	return s
}

// decodeString returns a *FieldError or nil (never a nil *FieldError in an error).
func decodeString(raw json.RawMessage, path string) (string, *FieldError) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", fieldErr(path, "must be a string, got "+describe(raw))
	}
	// Fast path: plain ASCII without escapes needs no unquoting.
	plain := true
	for _, ch := range raw[1 : len(raw)-1] {
		if ch == '\\' || ch < 0x20 || ch >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", &FieldError{Path: path, Reason: "invalid string: " + err.Error(), Err: err}
	}
	return s, nil
}

// int is an optional integer; reqInt a required one (null is reported as not a number).
func (c *check) int(raw json.RawMessage, path string) int64 {
	if !given(raw) {
		return 0
	}
	return c.reqInt(raw, path)
}

func (c *check) reqInt(raw json.RawMessage, path string) int64 {
	switch {
	case c.err != nil:
		return 0
	case raw == nil:
		c.fail(missing(path))
		return 0
	case kind(raw) != "number":
		c.failf(path, "must be an integer, got "+describe(raw))
		return 0
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		c.failf(path, "must be an integer that fits in 64 bits, got "+describe(raw))
	case err != nil:
		c.failf(path, "must be an integer, got "+describe(raw))
	}
	return n
}

// time parses both forms AWS writes: with milliseconds
// (2019-11-14T00:38:04.835Z, Kinesis) and without (2023-12-10T22:58:57Z,
// DynamoDB). time.RFC3339 accepts an optional fraction when parsing.
func (c *check) time(raw json.RawMessage, path string) time.Time {
	if !given(raw) || c.err != nil {
		return time.Time{}
	}
	s, ferr := decodeString(raw, path)
	if ferr != nil {
		c.failf(path, "must be an RFC 3339 timestamp string, got "+describe(raw))
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		c.fail(&FieldError{
			Path:   path,
			Reason: "must be an RFC 3339 timestamp such as 2019-11-14T00:38:04.835Z or 2023-12-10T22:58:57Z, got " + quote(s),
			Err:    err,
		})
	}
	return t
}

// maxSequenceDigits bounds sequence numbers: Kinesis allows up to 129 digits
// (0|[1-9]\d{0,128}), DynamoDB Streams 21 to 40.
const maxSequenceDigits = 129

// seq is a required sequence number: a string of decimal digits.
func (c *check) seq(raw json.RawMessage, path string) string {
	if c.err != nil {
		return ""
	}
	if raw == nil {
		c.fail(missing(path))
		return ""
	}
	if kind(raw) == "string" {
		if s, err := decodeString(raw, path); err == nil && isDecimal(s) {
			return s
		}
	}
	c.failf(path, "must be a decimal sequence number, got "+describe(raw))
	return ""
}

// isDecimal reports whether s is 1 to maxSequenceDigits ASCII digits.
// Leading zeros are allowed: DynamoDB Local pads its sequence numbers to 21
// digits (000000000000000000001).
func isDecimal(s string) bool {
	return len(s) > 0 && len(s) <= maxSequenceDigits && allIn(s, isDigit)
}

// compareDecimal compares two decimal digit strings as the integers they
// denote (-1, 0, +1), whatever their lengths or leading zeros. Sequence
// numbers exceed 64 bits, and comparing them as strings is wrong when their
// lengths differ.
func compareDecimal(a, b string) int {
	a, b = trimZeros(a), trimZeros(b)
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// maxQuoted bounds how much of a bad value goes into an error message: a
// 1 MiB string has no place in a log line.
const maxQuoted = 80

// describe renders a JSON value for an error message: strings quoted, other
// values prefixed with their JSON type.
func describe(raw json.RawMessage) string {
	k := kind(raw)
	if k == "string" {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return strconv.Quote(truncate(s))
		}
	}
	if k == "null" {
		return "null"
	}
	return k + " " + truncate(string(raw))
}

func quote(s string) string { return strconv.Quote(truncate(s)) }

func truncate(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// kind names the JSON type of an encoded value from its first byte.
func kind(raw []byte) string {
	s := bytes.TrimLeft(raw, " \t\r\n")
	if len(s) == 0 {
		return "nothing"
	}
	switch s[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}
