package main

import (
	"strings"
	"testing"
)

func TestHydrateBadInputExitsTwoNamingTheField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"no flag", []string{"hydrate"}, "", "--failure FILE is required"},
		{"missing file", []string{"hydrate", "--failure", "/nonexistent/f.json"}, "", "no such file"},
		{"not JSON", []string{"hydrate", "--failure", "-"}, "shard 7 failed", "JSON"},
		{"bad sequence number", []string{"hydrate", "--failure", "-"},
			`{"requestContext":{"requestId":"r","functionArn":"f","condition":"RetryAttemptsExhausted","approximateInvokeCount":1},"version":"1.0","timestamp":"2026-11-28T10:00:00Z","KinesisBatchInfo":{"shardId":"shardId-000000000000","startSequenceNumber":"12x","endSequenceNumber":"13","batchSize":1,"streamArn":"arn:aws:kinesis:us-east-1:000000000000:stream/s"}}`,
			"KinesisBatchInfo.startSequenceNumber"},
		{"publish without a bus", []string{"hydrate", "--failure", "-", "--publish", "--bus", ""},
			`{"requestContext":{"requestId":"r","functionArn":"f","condition":"RetryAttemptsExhausted","approximateInvokeCount":1},"version":"1.0","timestamp":"2026-11-28T10:00:00Z","KinesisBatchInfo":{"shardId":"shardId-000000000000","startSequenceNumber":"12","endSequenceNumber":"13","batchSize":1,"streamArn":"arn:aws:kinesis:us-east-1:000000000000:stream/s"}}`,
			"--publish needs --bus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.stdin, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

func TestEveryCommandAnswersHelpWithZeroAndBadFlagsWithTwo(t *testing.T) {
	for _, args := range [][]string{{"hydrate"}, {"rules", "test"}, {"plan"}, {"local", "eventbridge"}, {"local", "up"}, {"demo"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if code, stdout, stderr := runCLI(t, "", append(args, "-h")...); code != 0 || !strings.Contains(stdout+stderr, "usage") {
				t.Errorf("-h: exit %d, output %q; want 0 and the usage", code, stdout+stderr)
			}
			if code, _, stderr := runCLI(t, "", append(args, "--no-such-flag")...); code != 2 {
				t.Errorf("--no-such-flag: exit %d (stderr %q), want 2", code, stderr)
			}
		})
	}
}
