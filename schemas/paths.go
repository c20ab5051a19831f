package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// PatternProblem is a field path of an event pattern that no Hydrant event can carry, so the
// condition on it can never hold (or, under "exists": false, always holds).
type PatternProblem struct {
	Path        string   // dotted, from the event's top level: "detail.kinesis.partitionKey"
	DetailTypes []string // the detail types the path was looked up in
}

func (p PatternProblem) String() string {
	return fmt.Sprintf("path %s is in no %s event (schemas/)", p.Path, strings.Join(p.DetailTypes, " or "))
}

// CheckPattern finds the field paths of an EventBridge event pattern that no event of the
// detail types the pattern admits can carry, according to the schema files. A pattern that
// names no detail type is checked against every schema; an $or branch against the detail
// types it and its enclosing pattern admit. Arrays are transparent, as in EventBridge
// matching; an object the schema leaves open (keys, images, dataJson) admits any path below.
// A pattern whose detail-type admits none of Hydrant's is reported as such.
func CheckPattern(pattern []byte) ([]PatternProblem, error) {
	dec := json.NewDecoder(bytes.NewReader(pattern))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("event pattern is not a JSON object: %w", err)
	}
	docs := map[string]map[string]any{}
	var types []string
	for _, s := range all {
		b, err := s.Content()
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("schema %s: %w", s.File, err)
		}
		docs[s.DetailType] = doc
		types = append(types, s.DetailType)
	}
	c := checker{docs: docs}
	c.walk(root, nil, types)
	sort.Slice(c.problems, func(i, j int) bool { return c.problems[i].Path < c.problems[j].Path })
	return c.problems, nil
}

type checker struct {
	docs     map[string]map[string]any
	problems []PatternProblem
}

// walk checks one (sub)pattern at prefix for the detail types admitted so far.
func (c *checker) walk(pattern map[string]any, prefix []string, types []string) {
	if len(prefix) == 0 {
		types = narrow(types, pattern["detail-type"])
		if len(types) == 0 {
			c.problems = append(c.problems, PatternProblem{Path: "detail-type", DetailTypes: []string{"Hydrant"}})
			return
		}
	}
	keys := make([]string, 0, len(pattern))
	for k := range pattern {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := pattern[k]
		if k == "$or" {
			branches, _ := v.([]any)
			for _, b := range branches {
				if bm, ok := b.(map[string]any); ok {
					c.walk(bm, prefix, types)
				}
			}
			continue
		}
		path := append(slices.Clone(prefix), k)
		if sub, ok := v.(map[string]any); ok {
			c.walk(sub, path, types)
			continue
		}
		if onlyExistsFalse(v) {
			continue // a path required to be absent is no mistake
		}
		found := false
		for _, t := range types {
			found = found || c.has(c.docs[t], c.docs[t], path)
		}
		if !found {
			c.problems = append(c.problems, PatternProblem{Path: strings.Join(path, "."), DetailTypes: types})
		}
	}
}

// narrow keeps the detail types a top-level detail-type matcher list can match; matchers
// other than exact strings (prefix, anything-but, ...) keep every type.
func narrow(types []string, matcher any) []string {
	list, ok := matcher.([]any)
	if !ok {
		return types
	}
	var out []string
	for _, m := range list {
		s, ok := m.(string)
		if !ok {
			return types
		}
		if slices.Contains(types, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func onlyExistsFalse(v any) bool {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return false
	}
	for _, m := range list {
		mm, ok := m.(map[string]any)
		if !ok || mm["exists"] != false {
			return false
		}
	}
	return true
}

// has reports whether a schema node admits the path below it.
func (c *checker) has(doc map[string]any, node map[string]any, path []string) bool {
	if ref, ok := node["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/definitions/")
		defs, _ := doc["definitions"].(map[string]any)
		def, _ := defs[name].(map[string]any)
		if !found || def == nil {
			return false
		}
		node = def
	}
	if len(path) == 0 {
		return true
	}
	for _, comb := range []string{"anyOf", "oneOf", "allOf"} {
		alts, _ := node[comb].([]any)
		for _, a := range alts {
			if am, ok := a.(map[string]any); ok && c.has(doc, am, path) {
				return true
			}
		}
	}
	if items, ok := node["items"].(map[string]any); ok && c.has(doc, items, path) {
		return true // arrays are transparent to patterns
	}
	props, hasProps := node["properties"].(map[string]any)
	if p, ok := props[path[0]].(map[string]any); ok {
		return c.has(doc, p, path[1:])
	}
	// An object with no declared properties (keys, images, dataJson) holds anything.
	return !hasProps && admitsObject(node)
}

func admitsObject(node map[string]any) bool {
	switch t := node["type"].(type) {
	case string:
		return t == "object"
	case []any:
		return slices.Contains(t, any("object"))
	}
	return false
}
