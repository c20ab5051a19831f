package main

import (
	"strings"
	"testing"
)

// Bad input exits 2 and names what was wrong, before any AWS call.
func TestIntakeDLQBadInputExitsTwo(t *testing.T) {
	q := "https://sqs.us-east-1.amazonaws.com/123456789012/hydrant-intake-dlq"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "give a subcommand"},
		{[]string{"purge", "--dlq", q}, `unknown subcommand "purge"`},
		{[]string{"list"}, "--dlq URL is required"},
		{[]string{"list", "--dlq", "hydrant-intake-dlq"}, "a queue URL"},
		{[]string{"list", "--dlq", "arn:aws:sqs:us-east-1:123456789012:hydrant-intake-dlq"}, "not a name or an ARN"},
		{[]string{"list", "--dlq", q, "--max", "0"}, "--max 0"},
		{[]string{"move", "--dlq", q}, "--to URL is required"},
		{[]string{"move", "--dlq", q, "--to", q, "--rate", "501"}, "--rate 501"},
		{[]string{"move", "--dlq", q, "--to", q, "--poll", "0s"}, "--poll 0s"},
		{[]string{"take-refused", "--dlq", q}, "--out FILE is required"},
		{[]string{"status", "--dlq", q, "extra"}, `unexpected argument "extra"`},
	} {
		code, _, stderr := runCLI(t, "", append([]string{"intake-dlq"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("intake-dlq %q: exit %d, stderr %q; want exit 2 naming %q", tc.args, code, stderr, tc.want)
		}
	}
	if code, _, stderr := runCLI(t, "", "intake-dlq", "--help"); code != 0 || !strings.Contains(stderr, "take-refused") {
		t.Errorf("--help: exit %d, stderr %q", code, stderr)
	}
}
