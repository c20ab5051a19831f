package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jObject
	jArray
)

// jnode is a decoded JSON value that keeps object keys in document order (and duplicates), which
// pattern compilation needs: a later write to a path replaces an earlier one, as in EventBridge.
type jnode struct {
	kind jkind
	b    bool
	s    string   // string value, or a number's literal text
	keys []string // object keys, parallel to kids
	kids []*jnode // object values or array elements
}

func decodeJSON(data []byte) (*jnode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return nil, fmt.Errorf("unexpected data after the top-level value at offset %d", dec.InputOffset())
		}
		return nil, err
	}
	return n, nil
}

func decodeValue(dec *json.Decoder, depth int) (*jnode, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested more than %d levels deep", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("unexpected end of JSON input")
		}
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &jnode{kind: jNull}, nil
	case bool:
		return &jnode{kind: jBool, b: t}, nil
	case json.Number:
		return &jnode{kind: jNumber, s: string(t)}, nil
	case string:
		return &jnode{kind: jString, s: t}, nil
	case json.Delim:
		switch t {
		case '{':
			n := &jnode{kind: jObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is not a string at offset %d", dec.InputOffset())
				}
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k)
				n.kids = append(n.kids, v)
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			return n, nil
		case '[':
			n := &jnode{kind: jArray}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.kids = append(n.kids, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, err
			}
			return n, nil
		}
	}
	return nil, fmt.Errorf("unexpected token %v at offset %d", tok, dec.InputOffset())
}

// kindName names a JSON type for error messages.
func (n *jnode) kindName() string {
	switch n.kind {
	case jNull:
		return "null"
	case jBool:
		return "boolean"
	case jNumber:
		return "number"
	case jString:
		return "string"
	case jObject:
		return "object"
	default:
		return "array"
	}
}

// text renders a scalar the way AWS's streaming parser names an offending token.
func (n *jnode) text() string {
	switch n.kind {
	case jNull:
		return "null"
	case jBool:
		if n.b {
			return "true"
		}
		return "false"
	case jNumber:
		return n.s
	case jString:
		return n.s
	case jObject:
		return "{"
	default:
		return "["
	}
}
