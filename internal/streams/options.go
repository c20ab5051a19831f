package streams

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Options configure a reader. Zero values take the defaults.
type Options struct {
	// Retryer is what the reader's calls retry with (default:
	// NewRetryer(DefaultBackoff(), DefaultMaxAttempts)).
	Retryer aws.Retryer
	// Logger gets the reader's logs (default slog.Default()).
	Logger *slog.Logger
	// PageLimit caps the GetRecords Limit. The reader otherwise asks for what
	// is left of the batch, up to the service maximum.
	PageLimit int
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Retryer == nil {
		o.Retryer = NewRetryer(DefaultBackoff(), DefaultMaxAttempts)
	}
	return o
}
