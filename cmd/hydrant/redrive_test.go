package main

import (
	"strings"
	"testing"
	"time"
)

// Bad input exits 2 and names what was wrong, before any AWS call.
func TestRedriveBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	badPattern := writeFile(t, dir, "bad.json", `{"detail":{"x":"not an array"}}`)
	q := "https://sqs.us-east-1.amazonaws.com/123456789012/orders-team"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "--from SOURCE and --to DEST are required"},
		{[]string{"--from", q}, "--from SOURCE and --to DEST are required"},
		{[]string{"--from", "orders-team", "--to", "function:f"}, `--from "orders-team": a queue URL`},
		{[]string{"--from", "s3://", "--to", "function:f"}, "no bucket"},
		{[]string{"--from", q, "--to", "lambda:f"}, "function:NAME_OR_ARN or stream:ARN"},
		{[]string{"--from", q, "--to", "function:"}, "no function name"},
		{[]string{"--from", q, "--to", "stream:arn:aws:dynamodb:us-east-1:1:table/t/stream/x"}, "a DynamoDB stream cannot be written to"},
		{[]string{"--from", q, "--to", "function:f", "--since", "yesterday"}, `--since: "yesterday" is neither RFC 3339`},
		{[]string{"--from", q, "--to", "function:f", "--since", "1h", "--until", "2h"}, "is not before --until"},
		{[]string{"--from", q, "--to", "function:f", "--rate", "-1"}, "--rate -1"},
		{[]string{"--from", q, "--to", "function:f", "--stream", "orders"}, `--stream "orders" is not an ARN`},
		{[]string{"--from", q, "--to", "function:f", "--pattern", badPattern}, "--pattern " + badPattern},
		{[]string{"--from", q, "--to", "function:f", "--pattern", dir + "/missing.json"}, "--pattern: open"},
	} {
		code, _, stderr := runCLI(t, "", append([]string{"redrive"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("redrive %q: exit %d, stderr %q; want exit 2 naming %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestRedriveTimes(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     {},
		"2026-12-05T10:00:00Z": time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC),
		"24h":                  now.Add(-24 * time.Hour),
		"90m":                  now.Add(-90 * time.Minute),
	} {
		got, err := parseWhen(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"-1h", "0s", "2026-12-05", "soon"} {
		if _, err := parseWhen(bad, now); err == nil {
			t.Errorf("parseWhen(%q): no error", bad)
		}
	}
}

func TestRedriveEnds(t *testing.T) {
	src, dst, err := parseEnds("s3://archive-bucket/events/stream=orders/", "stream:arn:aws:kinesis:eu-west-1:123456789012:stream/orders")
	if err != nil || src.bucket != "archive-bucket" || src.prefix != "events/stream=orders/" || dst.stream != "arn:aws:kinesis:eu-west-1:123456789012:stream/orders" {
		t.Errorf("parseEnds = %+v %+v %v", src, dst, err)
	}
	src, dst, err = parseEnds("http://127.0.0.1:4100/000000000000/q", "function:arn:aws:lambda:eu-west-1:123456789012:function:orders-consumer")
	if err != nil || src.queueURL != "http://127.0.0.1:4100/000000000000/q" || dst.function != "arn:aws:lambda:eu-west-1:123456789012:function:orders-consumer" {
		t.Errorf("parseEnds = %+v %+v %v", src, dst, err)
	}
}
