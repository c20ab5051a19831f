package firehose

import (
	"strings"
	"testing"
	"time"
)

// Hydrant's archive prefix, with the query the program sets (infra/hydrantinfra/router.go).
func TestFirehosePrefixOfTheArchive(t *testing.T) {
	p, err := ParsePrefix("events/stream=!{partitionKeyFromQuery:stream}/date=!{partitionKeyFromQuery:date}/",
		`{stream: (.detail.streamArn | split("/") | .[1]), date: (.time | .[0:10])}`, false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		record, want, err string
	}{
		{`{"time":"2026-11-28T21:05:00Z","detail":{"streamArn":"arn:aws:kinesis:us-east-1:000000000000:stream/orders"}}`, "events/stream=orders/date=2026-11-28/", ""},
		{`{"time":"2026-11-28T21:05:00Z","detail":{"streamArn":"arn:aws:dynamodb:ddblocal:000000000000:table/users/stream/2026-11-28T20:00:00.000"}}`, "events/stream=users/date=2026-11-28/", ""},
		{`{"time":"2026-11-28T21:05:00Z","detail":{}}`, "", "split"},
		{`not json`, "", "not JSON"},
	}
	for _, tt := range tests {
		got, err := p.Eval([]byte(tt.record))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %q, %v; want an error about %s", tt.record, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.record, got, err, tt.want)
		}
	}
	if p.Static() != "events/stream=" {
		t.Errorf("static part %q", p.Static())
	}
}

func TestFirehoseErrorPrefixAndTimestamps(t *testing.T) {
	p, err := ParsePrefix("errors/!{firehose:error-output-type}/date=!{timestamp:yyyy-MM-dd}/", "", true)
	if err != nil {
		t.Fatal(err)
	}
	p.now = func() time.Time { return time.Date(2026, 11, 28, 23, 59, 0, 0, time.UTC) }
	if got, err := p.Eval(nil); err != nil || got != "errors/processing-failed/date=2026-11-28/" {
		t.Errorf("error prefix %q, %v", got, err)
	}
	for _, bad := range []string{
		"x/!{partitionKeyFromLambda:k}/", "x/!{timestamp:yyyy-QQ}/", "x/!{firehose:error-output-type}/", "x/!{partitionKeyFromQuery:k}/", "x/!{nope:v}/", "x/!{timestamp:yyyy/",
	} {
		if _, err := ParsePrefix(bad, "", false); err == nil {
			t.Errorf("prefix %q accepted", bad)
		}
	}
}
