package hydrantinfra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
// the streams, so a filter on record content never hides a loss from the team.
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
	detail["streamArn"] = arns
	pattern := map[string]any{"source": []string{source}}
	switch {
	case !includeFailures:
		pattern["detail-type"] = []string{hydrantevent.DetailTypeRecordHydrated}
		pattern["detail"] = detail
	case len(detail) == 1: // streamArn only
		pattern["detail-type"] = []string{hydrantevent.DetailTypeRecordHydrated, hydrantevent.DetailTypeRecordHydrationFailed}
		pattern["detail"] = detail
	default:
		pattern["$or"] = []any{
			map[string]any{"detail-type": []string{hydrantevent.DetailTypeRecordHydrated}, "detail": detail},
			map[string]any{"detail-type": []string{hydrantevent.DetailTypeRecordHydrationFailed}, "detail": map[string]any{"streamArn": arns}},
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep ">" and "<" of numeric operators readable
	if err := enc.Encode(pattern); err != nil {
		return "", fmt.Errorf("rule pattern: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
