// Package firehose is the local cloud's Amazon Data Firehose: delivery streams that buffer
// records and write them to S3 as Firehose names its objects, and custom S3 prefixes with dynamic
// partitioning, evaluated per record.
package firehose

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/itchyny/gojq"
)

// Prefix evaluates a Firehose custom S3 prefix for one record: the
// !{partitionKeyFromQuery:KEY} expressions of dynamic partitioning (with the delivery stream's
// MetadataExtractionQuery, jq, run by gojq), !{timestamp:FORMAT} and !{firehose:random-string}.
type Prefix struct {
	parts []prefixPart
	query *gojq.Code // nil without partitionKeyFromQuery expressions
	now   func() time.Time
}

type prefixPart struct {
	literal   string
	namespace string // "" for a literal
	value     string
}

var prefixExpr = regexp.MustCompile(`!\{([A-Za-z]+):([^}]*)\}`)

// ParsePrefix parses a prefix; query is the MetadataExtractionQuery ("" for none). errorPrefix
// allows !{firehose:error-output-type}.
func ParsePrefix(prefix, query string, errorPrefix bool) (*Prefix, error) {
	p := &Prefix{now: time.Now}
	at := 0
	usesQuery := false
	for _, m := range prefixExpr.FindAllStringSubmatchIndex(prefix, -1) {
		if m[0] > at {
			p.parts = append(p.parts, prefixPart{literal: prefix[at:m[0]]})
		}
		ns, v := prefix[m[2]:m[3]], prefix[m[4]:m[5]]
		switch {
		case ns == "partitionKeyFromQuery":
			usesQuery = true
		case ns == "timestamp":
			if _, err := javaTimeLayout(v); err != nil {
				return nil, fmt.Errorf("prefix %q: %w", prefix, err)
			}
		case ns == "firehose" && (v == "random-string" || (errorPrefix && v == "error-output-type")):
		case ns == "partitionKeyFromLambda":
			return nil, fmt.Errorf("prefix %q: partitionKeyFromLambda is not supported locally (no Lambda processors)", prefix)
		default:
			return nil, fmt.Errorf("prefix %q: expression !{%s:%s} is not one Firehose evaluates here", prefix, ns, v)
		}
		p.parts = append(p.parts, prefixPart{namespace: ns, value: v})
		at = m[1]
	}
	if at < len(prefix) {
		p.parts = append(p.parts, prefixPart{literal: prefix[at:]})
	}
	for _, part := range p.parts {
		if strings.Contains(part.literal, "!{") {
			return nil, fmt.Errorf("prefix %q: malformed expression (want !{namespace:value})", prefix)
		}
	}
	if usesQuery {
		if query == "" {
			return nil, fmt.Errorf("prefix %q uses partitionKeyFromQuery but no MetadataExtraction processor gives a query", prefix)
		}
		q, err := gojq.Parse(query)
		if err != nil {
			return nil, fmt.Errorf("metadata extraction query %q: %w", query, err)
		}
		if p.query, err = gojq.Compile(q); err != nil {
			return nil, fmt.Errorf("metadata extraction query %q: %w", query, err)
		}
	}
	return p, nil
}

// Static is the prefix's literal start, up to its first expression.
func (p *Prefix) Static() string {
	if len(p.parts) > 0 && p.parts[0].namespace == "" {
		return p.parts[0].literal
	}
	return ""
}

// Eval evaluates the prefix for a record (a JSON document when the prefix has query keys).
func (p *Prefix) Eval(record []byte) (string, error) {
	var keys map[string]any
	if p.query != nil {
		var in any
		if err := json.Unmarshal(record, &in); err != nil {
			return "", fmt.Errorf("record is not JSON: %w", err)
		}
		v, ok := p.query.Run(in).Next()
		if !ok {
			return "", fmt.Errorf("metadata extraction query produced nothing")
		}
		if err, isErr := v.(error); isErr {
			return "", fmt.Errorf("metadata extraction query: %w", err)
		}
		if keys, ok = v.(map[string]any); !ok {
			return "", fmt.Errorf("metadata extraction query produced %T, want an object of partition keys", v)
		}
	}
	now := p.now().UTC()
	var b strings.Builder
	for _, part := range p.parts {
		switch part.namespace {
		case "":
			b.WriteString(part.literal)
		case "partitionKeyFromQuery":
			v, ok := keys[part.value]
			if !ok || v == nil {
				return "", fmt.Errorf("partition key %q missing from the query's result", part.value)
			}
			switch t := v.(type) {
			case string:
				b.WriteString(t)
			case float64, int, bool:
				fmt.Fprint(&b, t)
			default:
				return "", fmt.Errorf("partition key %q is a %T, not a scalar", part.value, v)
			}
		case "timestamp":
			layout, _ := javaTimeLayout(part.value)
			b.WriteString(now.Format(layout))
		case "firehose":
			if part.value == "error-output-type" {
				b.WriteString("processing-failed")
			} else {
				b.WriteString(randomHex(6)[:11])
			}
		}
	}
	return b.String(), nil
}

// javaTimeLayout turns the Java DateTimeFormatter patterns Firehose prefixes use (yyyy, MM,
// dd, HH, mm, ss, and literal separators) into a Go layout.
func javaTimeLayout(f string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(f); {
		matched := false
		for _, t := range []struct{ java, goLayout string }{{"yyyy", "2006"}, {"MM", "01"}, {"dd", "02"}, {"HH", "15"}, {"mm", "04"}, {"ss", "05"}} {
			if strings.HasPrefix(f[i:], t.java) {
				b.WriteString(t.goLayout)
				i += len(t.java)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		c := f[i]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			return "", fmt.Errorf("timestamp format %q: pattern letter %q is not supported locally (yyyy MM dd HH mm ss are)", f, c)
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
