package eventbus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Reserved InputTemplate variables, filled by EventBridge rather than by InputPathsMap.
const (
	varRuleARN       = "aws.events.rule-arn"
	varRuleName      = "aws.events.rule-name"
	varIngestionTime = "aws.events.event.ingestion-time"
	varEvent         = "aws.events.event"
	varEventJSON     = "aws.events.event.json"
)

var placeholderRE = regexp.MustCompile(`<([^<>]*)>`)

func reservedVar(name string) bool {
	switch name {
	case varRuleARN, varRuleName, varIngestionTime, varEvent, varEventJSON:
		return true
	}
	return false
}

// jsonPath is the JSONPath subset EventBridge evaluates in InputPath and InputPathsMap: `$`
// followed by dot-notation names (letters, digits, dashes, underscores, slashes...), array
// indices `[n]` and wildcards `.*` / `[*]`.
type jsonPath struct {
	source string
	steps  []pathStep
}

type pathStep struct {
	name     string
	index    int // -1 when the step is a name or a wildcard
	wildcard bool
}

func parseJSONPath(p string) (*jsonPath, error) {
	if !strings.HasPrefix(p, "$") {
		return nil, fmt.Errorf("JSON path %q must start with $", p)
	}
	jp := &jsonPath{source: p}
	rest := p[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			name := rest[:end]
			rest = rest[end:]
			if name == "" {
				return nil, fmt.Errorf("JSON path %q has an empty name", p)
			}
			if name == "*" {
				jp.steps = append(jp.steps, pathStep{index: -1, wildcard: true})
				continue
			}
			if strings.ContainsAny(name, " \"'<>") {
				return nil, fmt.Errorf("JSON path %q: name %q has characters EventBridge does not accept", p, name)
			}
			jp.steps = append(jp.steps, pathStep{name: name, index: -1})
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("JSON path %q has an unclosed [", p)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			if inner == "*" {
				jp.steps = append(jp.steps, pathStep{index: -1, wildcard: true})
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("JSON path %q: [%s] is not an array index (EventBridge accepts dot notation, indices and *)", p, inner)
			}
			jp.steps = append(jp.steps, pathStep{index: n})
		default:
			return nil, fmt.Errorf("JSON path %q: unexpected %q after %q", p, rest[0], p[:len(p)-len(rest)])
		}
	}
	return jp, nil
}

// eval returns the value at the path and whether it exists. A path with a wildcard returns
// the array of every value it reaches.
func (jp *jsonPath) eval(doc any) (any, bool) {
	values := []any{doc}
	wild := false
	for _, st := range jp.steps {
		var next []any
		for _, v := range values {
			switch {
			case st.wildcard:
				wild = true
				switch c := v.(type) {
				case []any:
					next = append(next, c...)
				case map[string]any:
					for _, x := range c {
						next = append(next, x)
					}
				}
			case st.index >= 0:
				if arr, ok := v.([]any); ok && st.index < len(arr) {
					next = append(next, arr[st.index])
				}
			default:
				if obj, ok := v.(map[string]any); ok {
					if x, ok := obj[st.name]; ok {
						next = append(next, x)
					}
				}
			}
		}
		values = next
	}
	if wild {
		if values == nil {
			values = []any{}
		}
		return values, true
	}
	if len(values) == 0 {
		return nil, false
	}
	return values[0], true
}

// transformer applies a target's InputTransformer.
type transformer struct {
	paths    map[string]*jsonPath
	template string
	isJSON   bool
}

func newTransformer(it *InputTransformer) (*transformer, error) {
	if it.InputTemplate == "" {
		return nil, fmt.Errorf("InputTransformer.InputTemplate must be specified")
	}
	if len(it.InputPathsMap) > 100 {
		return nil, fmt.Errorf("InputPathsMap has %d entries; at most 100 are allowed", len(it.InputPathsMap))
	}
	t := &transformer{paths: map[string]*jsonPath{}, template: it.InputTemplate}
	for k, p := range it.InputPathsMap {
		if reservedVar(k) || strings.HasPrefix(strings.ToUpper(k), "AWS.") {
			return nil, fmt.Errorf("InputPathsMap key %q is reserved (keys cannot start with AWS.)", k)
		}
		jp, err := parseJSONPath(p)
		if err != nil {
			return nil, fmt.Errorf("InputPathsMap %q: %w", k, err)
		}
		t.paths[k] = jp
	}
	for _, m := range placeholderRE.FindAllStringSubmatch(it.InputTemplate, -1) {
		if _, ok := t.paths[m[1]]; !ok && !reservedVar(m[1]) {
			return nil, fmt.Errorf("contains invalid placeholder %s", m[1])
		}
	}
	trimmed := strings.TrimSpace(it.InputTemplate)
	t.isJSON = strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[")
	return t, nil
}

// transformContext is what a rendering needs besides the event.
type transformContext struct {
	ruleName, ruleARN string
	ingested          time.Time
}

// render fills the template, following the responses AWS was recorded giving (LocalStack's
// test_events_inputs.py, validated against AWS; DECISIONS.md in this package):
//   - in a template that is a JSON object or array, a string value is inserted as a JSON
//     string outside string literals and as is inside them (unquoted, unescaped: "EventBridge
//     doesn't escape values extracted by Input Path"); other values are inserted as their
//     JSON, inside string literals too;
//   - in any other template (a JSON string literal, plain text), a string is inserted as is and
//     other values in their unquoted form (unquotedJSON): {acc_id:0a787ecb-4015,sf_id:baz},
//     [ACTIVE,INACTIVE], true;
//   - a path that does not exist in the event yields an empty string ("" as a JSON value);
//   - aws.events.event is the event without detail (detail-type spelled detailType) and
//     aws.events.event.json the whole event, both always inserted as JSON.
//
// A JSON template whose result is not valid JSON is an error (*invalidInputError): AWS does not
// deliver it.
func (t *transformer) render(doc map[string]any, eventJSON []byte, tc transformContext) ([]byte, error) {
	var out bytes.Buffer
	tmpl := t.template
	inString := false
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case c == '\\' && inString && i+1 < len(tmpl):
			out.WriteByte(c)
			out.WriteByte(tmpl[i+1])
			i++
			continue
		case c == '"':
			inString = !inString
		case c == '<':
			if end := strings.IndexByte(tmpl[i+1:], '>'); end >= 0 {
				name := tmpl[i+1 : i+1+end]
				if !strings.ContainsRune(name, '<') {
					if v, ok := t.lookup(name, doc, eventJSON, tc); ok {
						out.Write(v.format(t.isJSON, inString))
						i += end + 1
						continue
					}
				}
			}
		}
		out.WriteByte(c)
	}
	if t.isJSON {
		var compact bytes.Buffer
		if err := json.Compact(&compact, out.Bytes()); err != nil {
			return nil, &invalidInputError{text: out.String(), err: err}
		}
		return compact.Bytes(), nil
	}
	return out.Bytes(), nil
}

// invalidInputError is a JSON input template whose result is not JSON, typically an object or
// array value placed inside a string literal ({"payload": "<payload>"}). AWS does not deliver
// such an input (LocalStack test_input_transformer_nested_keys_replacement_not_valid,
// validated 08-10-2025).
type invalidInputError struct {
	text string
	err  error
}

func (e *invalidInputError) Error() string {
	return fmt.Sprintf("the input template's result is not valid JSON (%v); an object or array value inside a JSON string makes it so, place the placeholder outside quotes: %s", e.err, truncate(e.text, 256))
}

// templateValue is a value to insert: a string (quoted or not by context) or raw JSON.
type templateValue struct {
	str      string
	raw      []byte
	isJSON   bool
	reserved bool // aws.events.event(.json): always JSON, as the guide says
}

// format writes the value for its place in the template (see render).
func (v templateValue) format(jsonTemplate, inString bool) []byte {
	switch {
	case v.isJSON && (jsonTemplate || v.reserved):
		return v.raw
	case v.isJSON:
		return unquotedJSON(v.raw)
	case jsonTemplate && !inString:
		b, _ := json.Marshal(v.str)
		return b
	}
	return []byte(v.str)
}

// unquotedJSON is AWS's form of an object or array value inserted as text: its JSON with every
// string written as is, without quotes or escapes. AWS was recorded writing
// {acc_id:0a787ecb-4015,sf_id:baz}, [HIGH] and [ACTIVE,INACTIVE]; nested values, numbers,
// booleans and null follow the same rule (DECISIONS.md).
func unquotedJSON(raw []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out bytes.Buffer
	// After a value inside an object or array, the next token needs a separator: ':' after a
	// key, ',' otherwise. stack holds, per open container, whether it is an object and how many
	// tokens it has seen.
	type level struct {
		object bool
		n      int
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			out.WriteRune(rune(d))
			stack = stack[:len(stack)-1]
			continue
		}
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.n > 0 {
				if top.object && top.n%2 == 1 {
					out.WriteByte(':')
				} else {
					out.WriteByte(',')
				}
			}
			top.n++
		}
		switch t := tok.(type) {
		case json.Delim:
			out.WriteRune(rune(t))
			stack = append(stack, level{object: t == '{'})
		case string:
			out.WriteString(t)
		case json.Number:
			out.WriteString(t.String())
		case bool:
			out.WriteString(strconv.FormatBool(t))
		case nil:
			out.WriteString("null")
		}
	}
	return out.Bytes()
}

func (t *transformer) lookup(name string, doc map[string]any, eventJSON []byte, tc transformContext) (templateValue, bool) {
	switch name {
	case varRuleARN:
		return templateValue{str: tc.ruleARN}, true
	case varRuleName:
		return templateValue{str: tc.ruleName}, true
	case varIngestionTime:
		return templateValue{str: tc.ingested.UTC().Format(time.RFC3339)}, true
	case varEventJSON:
		return templateValue{raw: eventJSON, isJSON: true, reserved: true}, true
	case varEvent:
		short := make(map[string]any, len(doc))
		for k, v := range doc {
			switch k {
			case "detail":
			case "detail-type":
				short["detailType"] = v
			default:
				short[k] = v
			}
		}
		b, _ := json.Marshal(short)
		return templateValue{raw: b, isJSON: true, reserved: true}, true
	}
	jp, ok := t.paths[name]
	if !ok {
		return templateValue{}, false
	}
	v, found := jp.eval(doc)
	if !found {
		return templateValue{str: ""}, true
	}
	if s, ok := v.(string); ok {
		return templateValue{str: s}, true
	}
	b, _ := json.Marshal(v)
	return templateValue{raw: b, isJSON: true}, true
}

// decodeEvent decodes event JSON for path evaluation, keeping numbers exact.
func decodeEvent(eventJSON []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(eventJSON))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, nil
}
