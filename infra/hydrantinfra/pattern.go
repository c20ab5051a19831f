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
	types := []string{hydrantevent.DetailTypeRecordHydrated}
	if includeFailures {
		types = append(types, hydrantevent.DetailTypeRecordHydrationFailed)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep ">" and "<" of numeric operators readable
	if err := enc.Encode(map[string]any{
		"source":      []string{source},
		"detail-type": types,
		"detail":      detail,
	}); err != nil {
		return "", fmt.Errorf("rule pattern: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
