package schemas_test

import (
	"slices"
	"testing"

	"github.com/hydrant-dev/hydrant/internal/eventpattern"
	"github.com/hydrant-dev/hydrant/schemas"
)

// TestREADMERulesMatchTheExamples runs the rules README.md shows against the example events
// with the project's EventBridge pattern matcher: the event shape serves the rules it promises.
func TestREADMERulesMatchTheExamples(t *testing.T) {
	examples, err := schemas.Examples()
	if err != nil || len(examples) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	tests := []struct {
		name    string
		pattern string
		want    []string // the examples that match; all others must not
	}{
		{"team rule by stream", `{"detail-type":["RecordHydrated"],"detail":{"streamArn":["arn:aws:kinesis:eu-west-1:123456789012:stream/orders"]}}`, []string{
			"recordhydrated-kinesis-json.json", "recordhydrated-kinesis-kpl.json", "recordhydrated-kinesis-offloaded.json", "recordhydrated-kinesis-plain.json",
		}},
		{"by resources", `{"resources":["arn:aws:dynamodb:eu-west-1:123456789012:table/customers/stream/2026-11-20T09:15:02.123"]}`, []string{
			"recordhydrated-dynamodb-insert.json", "recordhydrated-dynamodb-modify.json", "recordhydrated-dynamodb-offloaded.json", "recordhydrated-dynamodb-remove.json",
			"recordhydrationfailed-dynamodb-stream-not-found.json",
		}},
		{"inside the JSON data", `{"detail":{"kinesis":{"dataJson":{"currency":["EUR"]}}}}`, []string{"recordhydrated-kinesis-json.json"}},
		{"schema major version 1", `{"detail":{"schemaVersion":[{"prefix":"1."}]}}`, nil}, // nil: every example
		{"failures by reason", `{"detail-type":["RecordHydrationFailed"],"detail":{"reason":["trimmed","corrupt-aggregate"]}}`, []string{
			"recordhydrationfailed-corrupt-aggregate.json", "recordhydrationfailed-trimmed.json",
		}},
		{"DynamoDB deletes", `{"detail":{"dynamodb":{"eventName":["REMOVE"]}}}`, []string{"recordhydrated-dynamodb-remove.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := eventpattern.Compile([]byte(tt.pattern))
			if err != nil {
				t.Fatal(err)
			}
			for f, b := range examples {
				got, err := p.MatchJSON(b)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				want := tt.want == nil || slices.Contains(tt.want, f)
				if got != want {
					t.Errorf("%s: match = %v, want %v", f, got, want)
				}
			}
		})
	}
}
