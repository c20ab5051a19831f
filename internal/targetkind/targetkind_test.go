package targetkind_test

import (
	"errors"
	"testing"

	"github.com/hydrant-dev/hydrant/internal/targetkind"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		arn      string
		kind     targetkind.Kind
		resource string
		err      error
	}{
		{"arn:aws:sqs:us-east-1:123456789012:billing", targetkind.SQS, "billing", nil},
		{"arn:aws:sqs:us-east-1:123456789012:orders.fifo", targetkind.SQS, "orders.fifo", nil},
		{"arn:aws:sns:us-east-1:123456789012:alerts", targetkind.SNS, "alerts", nil},
		{"arn:aws:events:eu-west-1:444455556666:event-bus/central", targetkind.EventBus, "central", nil},
		{"arn:aws:lambda:us-east-1:123456789012:function:replay", targetkind.Lambda, "replay", nil},
		{"arn:aws:firehose:us-east-1:123456789012:deliverystream/archive", targetkind.Firehose, "archive", nil},
		{"arn:aws:events:us-east-1:123456789012:api-destination/hook/0f1e", targetkind.APIDestination, "hook/0f1e", nil},
		{"arn:aws:events:us-east-1:123456789012:rule/r", "", "", targetkind.ErrUnsupported},
		{"arn:aws:ecs:us-east-1:123456789012:cluster/c", "", "", targetkind.ErrUnsupported},
		{"arn:aws:sqs:us-east-1:123456789012:", "", "", targetkind.ErrNotARN},
		{"sqs:billing", "", "", targetkind.ErrNotARN},
	} {
		kind, resource, err := targetkind.Parse(tc.arn)
		if kind != tc.kind || resource != tc.resource || !errors.Is(err, tc.err) {
			t.Errorf("Parse(%q) = %q, %q, %v; want %q, %q, %v", tc.arn, kind, resource, err, tc.kind, tc.resource, tc.err)
		}
	}
}

// Every registered kind parses back from an ARN of its own shape, and no two kinds share one.
func TestEveryKindParsesFromItsARN(t *testing.T) {
	seen := map[targetkind.Kind]bool{}
	for _, s := range targetkind.All() {
		if seen[s.Kind] {
			t.Errorf("kind %s registered twice", s.Kind)
		}
		seen[s.Kind] = true
		arn := "arn:aws:" + s.Service + ":us-east-1:123456789012:" + s.Prefix + "name"
		if kind, name, err := targetkind.Parse(arn); kind != s.Kind || name != "name" || err != nil {
			t.Errorf("Parse(%q) = %q, %q, %v; want %s", arn, kind, name, err, s.Kind)
		}
	}
}
