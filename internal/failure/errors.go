package failure

import (
	"bytes"
	"encoding/json"
	"strconv"
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
