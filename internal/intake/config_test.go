package intake

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr []string // each must appear in the error
	}{
		{
			name: "defaults",
			env:  map[string]string{EnvEventBus: "hydrant"},
			want: Config{EventBus: "hydrant", Source: "hydrant", MaxEntrySize: 262144, Concurrency: 4, LogLevel: slog.LevelInfo,
				MessageConcurrency: 4, DeadlineMargin: 10 * time.Second},
		},
		{
			name: "everything set",
			env: map[string]string{EnvEventBus: "arn:aws:events:us-east-1:123456789012:event-bus/h", EnvSource: "acme.hydrant",
				EnvClaimCheckBucket: "claims", EnvMaxEntrySize: "1048576", EnvConcurrency: "8", EnvLogLevel: "debug",
				EnvMessageConcurrency: "2", EnvDeadlineMargin: "1m30s"},
			want: Config{EventBus: "arn:aws:events:us-east-1:123456789012:event-bus/h", Source: "acme.hydrant", ClaimCheckBucket: "claims",
				MaxEntrySize: 1048576, Concurrency: 8, LogLevel: slog.LevelDebug, MessageConcurrency: 2, DeadlineMargin: 90 * time.Second},
		},
		{name: "bus missing", env: map[string]string{}, wantErr: []string{"HYDRANT_EVENT_BUS is required"}},
		{name: "aws source", env: map[string]string{EnvEventBus: "b", EnvSource: "aws.kinesis"}, wantErr: []string{`HYDRANT_EVENT_SOURCE="aws.kinesis"`}},
		{name: "size not a number", env: map[string]string{EnvEventBus: "b", EnvMaxEntrySize: "big"}, wantErr: []string{`HYDRANT_MAX_ENTRY_SIZE="big"`}},
		{name: "size over 1 MiB", env: map[string]string{EnvEventBus: "b", EnvMaxEntrySize: "2000000"}, wantErr: []string{`HYDRANT_MAX_ENTRY_SIZE="2000000"`}},
		{name: "concurrency zero", env: map[string]string{EnvEventBus: "b", EnvConcurrency: "0"}, wantErr: []string{`HYDRANT_PUBLISH_CONCURRENCY="0"`}},
		{name: "message concurrency over a batch", env: map[string]string{EnvEventBus: "b", EnvMessageConcurrency: "11"}, wantErr: []string{`HYDRANT_MESSAGE_CONCURRENCY="11"`}},
		{name: "margin not a duration", env: map[string]string{EnvEventBus: "b", EnvDeadlineMargin: "10"}, wantErr: []string{`HYDRANT_DEADLINE_MARGIN="10"`}},
		{name: "log level", env: map[string]string{EnvEventBus: "b", EnvLogLevel: "loud"}, wantErr: []string{`HYDRANT_LOG_LEVEL="loud"`}},
		{name: "all problems at once", env: map[string]string{EnvConcurrency: "x", EnvLogLevel: "loud"},
			wantErr: []string{"HYDRANT_EVENT_BUS is required", "HYDRANT_PUBLISH_CONCURRENCY", "HYDRANT_LOG_LEVEL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("want an error, got config %+v", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// The handler options carry the configured values; a margin configured as 0s stays none
// rather than becoming the options' zero-value default.
func TestConfigHandlerOptions(t *testing.T) {
	for _, tt := range []struct {
		margin string
		want   HandlerOptions
	}{
		{margin: "", want: HandlerOptions{MessageConcurrency: 3, DeadlineMargin: DefaultDeadlineMargin}},
		{margin: "2s", want: HandlerOptions{MessageConcurrency: 3, DeadlineMargin: 2 * time.Second}},
		{margin: "0s", want: HandlerOptions{MessageConcurrency: 3, DeadlineMargin: NoDeadlineMargin}},
	} {
		env := map[string]string{EnvEventBus: "b", EnvMessageConcurrency: "3", EnvDeadlineMargin: tt.margin}
		cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.HandlerOptions(); got != tt.want {
			t.Errorf("margin %q: got %+v, want %+v", tt.margin, got, tt.want)
		}
	}
}

// Zero handler options take the defaults; NoDeadlineMargin is no margin at all.
func TestNewHandlerOptions(t *testing.T) {
	for _, tt := range []struct {
		opts        HandlerOptions
		concurrency int
		margin      time.Duration
	}{
		{HandlerOptions{}, DefaultMessageConcurrency, DefaultDeadlineMargin},
		{HandlerOptions{MessageConcurrency: 2, DeadlineMargin: time.Second}, 2, time.Second},
		{HandlerOptions{DeadlineMargin: NoDeadlineMargin}, DefaultMessageConcurrency, 0},
	} {
		h := NewHandler(nil, nil, nil, nil, tt.opts)
		if h.concurrency != tt.concurrency || h.margin != tt.margin {
			t.Errorf("%+v: concurrency %d, margin %v; want %d, %v", tt.opts, h.concurrency, h.margin, tt.concurrency, tt.margin)
		}
	}
}
