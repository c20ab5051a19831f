package streams

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Option configures a reader.
type Option func(*options)

type options struct {
	retryer aws.Retryer
	log     *slog.Logger
	limit   int
}

// WithRetryer replaces the retryer the reader's calls use (default:
// NewRetryer(DefaultBackoff(), DefaultMaxAttempts)).
func WithRetryer(r aws.Retryer) Option { return func(o *options) { o.retryer = r } }

// WithLogger sets the logger (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithPageLimit caps the GetRecords Limit. The reader otherwise asks for
// what is left of the batch, up to the service maximum.
func WithPageLimit(n int) Option { return func(o *options) { o.limit = n } }

func newOptions(opts []Option) options {
	o := options{log: slog.Default()}
	for _, fn := range opts {
		fn(&o)
	}
	if o.retryer == nil {
		o.retryer = NewRetryer(DefaultBackoff(), DefaultMaxAttempts)
	}
	return o
}
