package failure

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// The helpers below turn one raw JSON value into a Go value, or into a
// *FieldError naming path. Absent (nil) and null values are "not given":
// required fields report them as missing or null, optional fields as zero.

func isNull(raw json.RawMessage) bool { return len(raw) == 4 && string(raw) == "null" }

func given(raw json.RawMessage) bool { return raw != nil && !isNull(raw) }

// decodeObject decodes an object whose fields are all json.RawMessage (so the
// only possible type error is raw not being an object).
func decodeObject(raw json.RawMessage, path string, v any) error {
	if kind(raw) != "object" {
		return fieldErr(path, "must be an object, got "+describe(raw))
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return &FieldError{Path: path, Reason: "invalid object: " + err.Error(), Err: err}
	}
	return nil
}

func requiredString(raw json.RawMessage, path string) (string, error) {
	if raw == nil {
		return "", missing(path)
	}
	if isNull(raw) {
		return "", fieldErr(path, "must be a string, got null")
	}
	return decodeString(raw, path)
}

func optionalString(raw json.RawMessage, path string) (string, error) {
	if !given(raw) {
		return "", nil
	}
	return decodeString(raw, path)
}

func decodeString(raw json.RawMessage, path string) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", fieldErr(path, "must be a string, got "+describe(raw))
	}
	// Fast path: plain ASCII without escapes needs no unquoting.
	plain := true
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' || c < 0x20 || c >= 0x80 {
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

func requiredInt(raw json.RawMessage, path string) (int64, error) {
	if raw == nil {
		return 0, missing(path)
	}
	return decodeInt(raw, path)
}

func optionalInt(raw json.RawMessage, path string) (int64, error) {
	if !given(raw) {
		return 0, nil
	}
	return decodeInt(raw, path)
}

func decodeInt(raw json.RawMessage, path string) (int64, error) {
	if kind(raw) != "number" {
		return 0, fieldErr(path, "must be an integer, got "+describe(raw))
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fieldErr(path, "must be an integer that fits in 64 bits, got "+describe(raw))
		}
		return 0, fieldErr(path, "must be an integer, got "+describe(raw))
	}
	return n, nil
}

// timestampLayout parses both forms AWS writes: with milliseconds
// (2019-11-14T00:38:04.835Z, Kinesis) and without (2023-12-10T22:58:57Z,
// DynamoDB). time.RFC3339 accepts an optional fraction when parsing.
const timestampLayout = time.RFC3339

func optionalTime(raw json.RawMessage, path string) (time.Time, error) {
	if !given(raw) {
		return time.Time{}, nil
	}
	s, err := decodeString(raw, path)
	if err != nil {
		return time.Time{}, fieldErr(path, "must be an RFC 3339 timestamp string, got "+describe(raw))
	}
	t, err := time.Parse(timestampLayout, s)
	if err != nil {
		return time.Time{}, &FieldError{
			Path:   path,
			Reason: "must be an RFC 3339 timestamp such as 2019-11-14T00:38:04.835Z or 2023-12-10T22:58:57Z, got " + quote(s),
			Err:    err,
		}
	}
	return t, nil
}

// maxSequenceDigits bounds sequence numbers: Kinesis allows up to 129 digits
// (0|[1-9]\d{0,128}), DynamoDB Streams 21 to 40.
const maxSequenceDigits = 129

func requiredSequence(raw json.RawMessage, path string) (string, error) {
	if raw == nil {
		return "", missing(path)
	}
	bad := func() error { return fieldErr(path, "must be a decimal sequence number, got "+describe(raw)) }
	if kind(raw) != "string" {
		return "", bad()
	}
	s, err := decodeString(raw, path)
	if err != nil || !isDecimal(s) {
		return "", bad()
	}
	return s, nil
}

// isDecimal reports whether s is 1 to maxSequenceDigits ASCII digits.
// Leading zeros are allowed: DynamoDB Local pads its sequence numbers to 21
// digits (000000000000000000001).
func isDecimal(s string) bool {
	if len(s) == 0 || len(s) > maxSequenceDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
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
