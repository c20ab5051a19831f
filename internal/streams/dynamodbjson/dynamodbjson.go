// Package dynamodbjson converts DynamoDB attribute values, as DynamoDB Streams
// returns them and as Lambda delivers them (DynamoDB JSON), to plain JSON
// values: strings, exact numbers (json.Number), booleans, null, arrays and
// objects, with binary values as []byte (which encoding/json writes as base64).
//
// There is one conversion, over dynamodbstreams/types.AttributeValue; DynamoDB
// JSON is first parsed into that type (ParseItem), so both paths produce the
// same values.
package dynamodbjson

//lint:file-ignore ST1005 errors start with the DynamoDB type descriptor they concern (M, N, S, B), whose case is its name

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Item converts a map of attribute values (an item, its keys or an image) to
// a plain JSON object. A nil map stays nil so an absent image stays absent.
func Item(item map[string]types.AttributeValue) (map[string]any, error) {
	if item == nil {
		return nil, nil
	}
	out := make(map[string]any, len(item))
	for name, av := range item {
		v, err := value(av)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}

// Value converts one attribute value to its plain JSON value.
func Value(av types.AttributeValue) (any, error) { return value(av) }

func value(av types.AttributeValue) (any, error) {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return v.Value, nil
	case *types.AttributeValueMemberN:
		return number(v.Value)
	case *types.AttributeValueMemberB:
		return binary(v.Value), nil
	case *types.AttributeValueMemberBOOL:
		return v.Value, nil
	case *types.AttributeValueMemberNULL:
		// NULL is only ever true in DynamoDB; it is the JSON null either way.
		return nil, nil
	case *types.AttributeValueMemberSS:
		out := make([]string, len(v.Value))
		copy(out, v.Value)
		return out, nil
	case *types.AttributeValueMemberNS:
		return each("NS", v.Value, number)
	case *types.AttributeValueMemberBS:
		out := make([][]byte, len(v.Value))
		for i, b := range v.Value {
			out[i] = binary(b)
		}
		return out, nil
	case *types.AttributeValueMemberL:
		return each("L", v.Value, value)
	case *types.AttributeValueMemberM:
		out, err := Item(v.Value)
		if err != nil {
			return nil, fmt.Errorf("M: %w", err)
		}
		if out == nil {
			out = map[string]any{}
		}
		return out, nil
	case nil:
		return nil, fmt.Errorf("missing attribute value")
	default:
		return nil, fmt.Errorf("unsupported attribute value type %T", av)
	}
}

// binary keeps an empty binary value an empty (not null) base64 string.
func binary(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// number checks that a DynamoDB number is a JSON number literal, so that
// encoding/json writes it verbatim with every digit.
func number(s string) (json.Number, error) {
	if !isJSONNumber(s) {
		return "", fmt.Errorf("N %q is not a number", s)
	}
	return json.Number(s), nil
}

// isJSONNumber reports whether s is a JSON number literal (RFC 8259 grammar).
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// span is a JSON value inside the input being parsed. Unlike
// json.RawMessage it does not copy: json.Unmarshal hands UnmarshalJSON a
// slice of its own input, which the caller of ParseItem owns and which
// outlives the parse; nothing returned keeps a span (strings and binary
// values are decoded into new memory). This keeps a large binary value from
// being copied once per nesting level.
type span []byte

func (s *span) UnmarshalJSON(b []byte) error {
	*s = b
	return nil
}

// ParseItem parses a DynamoDB JSON object (e.g. a Lambda event's Keys,
// NewImage or OldImage: {"id":{"S":"a"},"n":{"N":"1"}}) into attribute values.
// JSON null or absent input gives a nil map.
func ParseItem(data json.RawMessage) (map[string]types.AttributeValue, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return nil, nil
	}
	var raw map[string]span
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("DynamoDB JSON item: %w", err)
	}
	out := make(map[string]types.AttributeValue, len(raw))
	for name, r := range raw {
		av, err := parseValue(r)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		out[name] = av
	}
	return out, nil
}

// ParseValue parses one DynamoDB JSON attribute value, e.g. {"N":"1"}.
func ParseValue(data json.RawMessage) (types.AttributeValue, error) { return parseValue(span(data)) }

func parseValue(data span) (types.AttributeValue, error) {
	var typed map[string]span
	if err := json.Unmarshal(data, &typed); err != nil {
		return nil, fmt.Errorf("attribute value must be an object with one type key: %w", err)
	}
	if len(typed) != 1 {
		return nil, fmt.Errorf("attribute value must have exactly one type key, has %d", len(typed))
	}
	var typ string
	var r span
	for typ, r = range typed {
	}
	return parseTyped(typ, r)
}

func parseTyped(typ string, r span) (types.AttributeValue, error) {
	switch typ {
	case "S":
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			return nil, fmt.Errorf("S: %w", err)
		}
		return &types.AttributeValueMemberS{Value: s}, nil
	case "N":
		s, err := jsonNumberString(r)
		if err != nil {
			return nil, fmt.Errorf("N: %w", err)
		}
		return &types.AttributeValueMemberN{Value: s}, nil
	case "B":
		b, err := base64Value(r)
		if err != nil {
			return nil, fmt.Errorf("B: %w", err)
		}
		return &types.AttributeValueMemberB{Value: b}, nil
	case "BOOL":
		var b bool
		if err := json.Unmarshal(r, &b); err != nil {
			return nil, fmt.Errorf("BOOL: %w", err)
		}
		return &types.AttributeValueMemberBOOL{Value: b}, nil
	case "NULL":
		var b bool
		if err := json.Unmarshal(r, &b); err != nil {
			return nil, fmt.Errorf("NULL: %w", err)
		}
		return &types.AttributeValueMemberNULL{Value: b}, nil
	case "SS":
		var ss []string
		if err := json.Unmarshal(r, &ss); err != nil {
			return nil, fmt.Errorf("SS: %w", err)
		}
		return &types.AttributeValueMemberSS{Value: ss}, nil
	case "NS":
		ns, err := parseList("NS", r, jsonNumberString)
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberNS{Value: ns}, nil
	case "BS":
		bs, err := parseList("BS", r, base64Value)
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberBS{Value: bs}, nil
	case "L":
		l, err := parseList("L", r, parseValue)
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case "M":
		m, err := ParseItem(json.RawMessage(r))
		if err != nil {
			return nil, fmt.Errorf("M: %w", err)
		}
		if m == nil {
			return nil, fmt.Errorf("M: null, want an object")
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	default:
		return nil, fmt.Errorf("unknown attribute type %q", typ)
	}
}

// jsonNumberString reads a DynamoDB JSON number, a string such as "12.5".
// A bare JSON number is accepted too, without passing through float64.
// parseList parses a DynamoDB JSON list (NS, BS, L), each element with elem.
func parseList[T any](typ string, r span, elem func(span) (T, error)) ([]T, error) {
	var raws []span
	if err := json.Unmarshal(r, &raws); err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	return each(typ, raws, elem)
}

// each converts the elements of a list attribute; an error names the element's index.
func each[S, T any](typ string, in []S, f func(S) (T, error)) ([]T, error) {
	out := make([]T, len(in))
	for i, e := range in {
		v, err := f(e)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", typ, i, err)
		}
		out[i] = v
	}
	return out, nil
}

func jsonNumberString(r span) (string, error) {
	r = bytes.TrimSpace(r)
	var s string
	if len(r) > 0 && r[0] == '"' {
		if err := json.Unmarshal(r, &s); err != nil {
			return "", err
		}
	} else {
		s = string(r)
	}
	if !isJSONNumber(s) {
		return "", fmt.Errorf("%s is not a number", strconv.Quote(s))
	}
	return s, nil
}

func base64Value(r span) ([]byte, error) {
	if t := bytes.TrimSpace(r); len(t) == 0 || t[0] != '"' {
		return nil, fmt.Errorf("want a base64 string, got %.20s", t)
	}
	// encoding/json decodes base64 straight into the slice.
	var b []byte
	if err := json.Unmarshal(r, &b); err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	return b, nil
}
