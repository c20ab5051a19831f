package hydrantinfra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hydrant-dev/hydrant/hydrantevent"
)

// StreamMatch selects a stream by its exact ARN, or every stream whose ARN starts with a
// prefix.
type StreamMatch struct {
	ARN    string
	Prefix bool
}

// RulePattern is the event pattern of a team rule: Hydrant's source, RecordHydrated (and
// RecordHydrationFailed when includeFailures), detail.streamArn among the streams, and the
// optional extra detail pattern (a JSON object merged into "detail"; it may not constrain
// streamArn itself, which would widen or contradict the stream selection).
//
// The detail pattern filters records, which a RecordHydrationFailed does not carry (its
// data is gone): with both, the pattern is an $or whose second branch takes every failure of
// the streams, so a filter on record content never hides a loss from the team. Nor does an
// offloaded record carry its content (kinesis.data and dataJson, dynamodb.newImage and
// oldImage are in the claim-check object): a pattern that filters on them gets a branch that
// takes the streams' offloaded records the rest of the pattern selects, so a record too large
// for an event never misses its team (the team's consumer filters it after fetching it).
func RulePattern(source string, includeFailures bool, streams []StreamMatch, detailPattern string) (string, error) {
	if source == "" {
		source = hydrantevent.DefaultSource
	}
	if len(streams) == 0 {
		return "", errors.New("rule pattern: at least one stream is required")
	}
	detail := map[string]any{}
	if detailPattern != "" {
		dec := json.NewDecoder(bytes.NewReader([]byte(detailPattern)))
		dec.UseNumber()
		if err := dec.Decode(&detail); err != nil {
			return "", fmt.Errorf("rule pattern: detail pattern %q is not a JSON object: %w", detailPattern, err)
		}
		if dec.More() {
			return "", fmt.Errorf("rule pattern: detail pattern %q has trailing data", detailPattern)
		}
		if _, ok := detail["streamArn"]; ok {
			return "", fmt.Errorf("rule pattern: detail pattern %q may not name streamArn; list the streams instead", detailPattern)
		}
	}
	var arns []any
	for _, s := range streams {
		if s.ARN == "" {
			return "", errors.New("rule pattern: empty stream ARN")
		}
		if s.Prefix {
			arns = append(arns, map[string]string{"prefix": s.ARN})
		} else {
			arns = append(arns, s.ARN)
		}
	}
	offloaded, filtersContent := withoutContent(detail)
	detail["streamArn"] = arns
	pattern := map[string]any{"source": []string{source}}
	branches := []any{map[string]any{"detail-type": []string{hydrantevent.DetailTypeRecordHydrated}, "detail": detail}}
	if filtersContent {
		offloaded["streamArn"] = arns
		offloaded["offload"] = map[string]any{"sha256": []any{map[string]bool{"exists": true}}}
		branches = append(branches, map[string]any{"detail-type": []string{hydrantevent.DetailTypeRecordHydrated}, "detail": offloaded})
	}
	switch {
	case includeFailures && len(detail) == 1: // streamArn only
		pattern["detail-type"] = []string{hydrantevent.DetailTypeRecordHydrated, hydrantevent.DetailTypeRecordHydrationFailed}
		pattern["detail"] = detail
	case includeFailures:
		branches = append(branches, map[string]any{"detail-type": []string{hydrantevent.DetailTypeRecordHydrationFailed}, "detail": map[string]any{"streamArn": arns}})
		fallthrough
	case len(branches) > 1:
		pattern["$or"] = branches
	default:
		pattern["detail-type"] = []string{hydrantevent.DetailTypeRecordHydrated}
		pattern["detail"] = detail
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep ">" and "<" of numeric operators readable
	if err := enc.Encode(pattern); err != nil {
		return "", fmt.Errorf("rule pattern: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// offloadedContent are the detail fields an offloaded record's event leaves out
// (hydrantevent.RecordHydrated.SetOffload), by the object that holds them.
var offloadedContent = map[string][]string{"kinesis": {"data", "dataJson"}, "dynamodb": {"newImage", "oldImage"}}

// withoutContent returns a copy of the detail pattern without the fields an offloaded record
// does not carry, and whether the pattern had any.
func withoutContent(detail map[string]any) (map[string]any, bool) {
	out := make(map[string]any, len(detail))
	found := false
	for k, v := range detail {
		out[k] = v
		fields, ok := offloadedContent[k]
		obj, isObj := v.(map[string]any)
		if !ok || !isObj {
			continue
		}
		rest := make(map[string]any, len(obj))
		for f, fv := range obj {
			if slices.Contains(fields, f) {
				found = true
				continue
			}
			rest[f] = fv
		}
		if len(rest) == 0 {
			delete(out, k)
		} else {
			out[k] = rest
		}
	}
	return out, found
}
