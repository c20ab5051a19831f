// Package intake is the hydrate function's logic: it consumes a batch of intake-queue
// messages (SQS, with partial batch responses), hydrates each failure record onto the bus,
// and reports the messages it could not handle so that SQS redelivers them and, after the
// queue's maxReceiveCount, moves them to the intake DLQ: a failure record is never lost.
package intake

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/publish"
	"github.com/hydrant-dev/hydrant/internal/trust"
)

// Config is the hydrate function's configuration, read from its environment.
type Config struct {
	EventBus         string     // HYDRANT_EVENT_BUS (required): name or ARN of the bus
	Source           string     // HYDRANT_EVENT_SOURCE: the events' source
	ClaimCheckBucket string     // HYDRANT_CLAIM_CHECK_BUCKET: where records too large for an event go
	MaxEntrySize     int        // HYDRANT_MAX_ENTRY_SIZE: bytes, EventBridge's limit for the account
	Concurrency      int        // HYDRANT_PUBLISH_CONCURRENCY: PutEvents calls in flight
	LogLevel         slog.Level // HYDRANT_LOG_LEVEL: debug, info, warn or error
	// MessageConcurrency (HYDRANT_MESSAGE_CONCURRENCY): intake messages handled at once.
	MessageConcurrency int
	// DeadlineMargin (HYDRANT_DEADLINE_MARGIN, a Go duration such as 10s): no message is
	// started with less time than this left before the invocation's deadline.
	DeadlineMargin time.Duration
	// Trust is the allow-list of HYDRANT_TRUSTED_STREAMS (see package trust); nil when the
	// variable is unset, which admits every stream (the Router always sets it).
	Trust *trust.Policy
	// IntakeDLQURL (HYDRANT_INTAKE_DLQ_URL) is where refused failure records are moved, with
	// their reason; empty: a refused message is failed back to SQS, whose redrive policy moves
	// it to the DLQ after maxReceiveCount receives.
	IntakeDLQURL string
}

// HandlerOptions are the handler options the configuration asks for: a margin configured
// as 0 means none.
func (c Config) HandlerOptions() HandlerOptions {
	o := HandlerOptions{MessageConcurrency: c.MessageConcurrency, DeadlineMargin: c.DeadlineMargin}
	if o.DeadlineMargin == 0 {
		o.DeadlineMargin = NoDeadlineMargin
	}
	return o
}

// Environment variable names, documented in docs/deployment.md.
const (
	EnvEventBus           = "HYDRANT_EVENT_BUS"
	EnvSource             = "HYDRANT_EVENT_SOURCE"
	EnvClaimCheckBucket   = "HYDRANT_CLAIM_CHECK_BUCKET"
	EnvMaxEntrySize       = "HYDRANT_MAX_ENTRY_SIZE"
	EnvConcurrency        = "HYDRANT_PUBLISH_CONCURRENCY"
	EnvLogLevel           = "HYDRANT_LOG_LEVEL"
	EnvMessageConcurrency = "HYDRANT_MESSAGE_CONCURRENCY"
	EnvDeadlineMargin     = "HYDRANT_DEADLINE_MARGIN"
	EnvTrustedStreams     = "HYDRANT_TRUSTED_STREAMS"
	EnvIntakeDLQURL       = "HYDRANT_INTAKE_DLQ_URL"
)

// maxEventSize is the largest event EventBridge accepts in any account (1 MiB).
const maxEventSize = 1024 * 1024

// ConfigFromEnv reads and validates the configuration; getenv is os.Getenv in the function.
// Every problem is reported at once, each naming its variable and value.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		EventBus:           strings.TrimSpace(getenv(EnvEventBus)),
		Source:             strings.TrimSpace(getenv(EnvSource)),
		ClaimCheckBucket:   strings.TrimSpace(getenv(EnvClaimCheckBucket)),
		MaxEntrySize:       publish.DefaultMaxEntrySize,
		Concurrency:        4,
		LogLevel:           slog.LevelInfo,
		MessageConcurrency: DefaultMessageConcurrency,
		DeadlineMargin:     DefaultDeadlineMargin,
	}
	var problems []string
	if cfg.EventBus == "" {
		problems = append(problems, EnvEventBus+" is required (the event bus name or ARN)")
	}
	if cfg.Source == "" {
		cfg.Source = hydrantevent.DefaultSource
	} else if strings.HasPrefix(cfg.Source, "aws.") {
		problems = append(problems, fmt.Sprintf("%s=%q: EventBridge reserves sources starting with \"aws.\"", EnvSource, cfg.Source))
	}
	if v := getenv(EnvMaxEntrySize); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1024 || n > maxEventSize {
			problems = append(problems, fmt.Sprintf("%s=%q: want a number of bytes between 1024 and %d", EnvMaxEntrySize, v, maxEventSize))
		} else {
			cfg.MaxEntrySize = n
		}
	}
	if v := getenv(EnvConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 64 {
			problems = append(problems, fmt.Sprintf("%s=%q: want a whole number from 1 to 64", EnvConcurrency, v))
		} else {
			cfg.Concurrency = n
		}
	}
	if v := getenv(EnvMessageConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10 {
			problems = append(problems, fmt.Sprintf("%s=%q: want a whole number from 1 to 10 (an SQS batch holds at most 10 messages)", EnvMessageConcurrency, v))
		} else {
			cfg.MessageConcurrency = n
		}
	}
	if v := getenv(EnvDeadlineMargin); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > 15*time.Minute {
			problems = append(problems, fmt.Sprintf("%s=%q: want a duration such as 10s, from 0 to 15m", EnvDeadlineMargin, v))
		} else {
			cfg.DeadlineMargin = d
		}
	}
	if v := strings.TrimSpace(getenv(EnvTrustedStreams)); v != "" {
		p, err := trust.Parse(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", EnvTrustedStreams, err))
		}
		cfg.Trust = p
	}
	cfg.IntakeDLQURL = strings.TrimSpace(getenv(EnvIntakeDLQURL))
	if v := getenv(EnvLogLevel); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			problems = append(problems, fmt.Sprintf("%s=%q: want debug, info, warn or error", EnvLogLevel, v))
		}
	}
	if len(problems) > 0 {
		return Config{}, fmt.Errorf("hydrate configuration: %s", strings.Join(problems, "; "))
	}
	return cfg, nil
}
