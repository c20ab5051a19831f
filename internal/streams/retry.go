package streams

import (
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/hydrant-dev/hydrant/internal/backoff"
)

// throttleCodes are the codes the error classification (classify.go) retries as throttling.
// A Kinesis shard serves 5 reads/s and 2 MB/s shared by every consumer, the failed ESM
// included; a DynamoDB Streams shard throttles beyond 2 concurrent readers.
var throttleCodes = codesHandled(RetryThrottled)

// DefaultBackoff is the delay policy for throttled reads: equal jitter over an exponential
// ceiling starting at 200 ms, one slot of a shard's 5 reads/s, and capped at 5 s, the time
// Kinesis throttles reads after a 10 MiB response.
func DefaultBackoff() backoff.Exponential {
	return backoff.Exponential{Base: 200 * time.Millisecond, Max: 5 * time.Second, Jitter: backoff.Equal}
}

// DefaultMaxAttempts is how many times a read is tried before its throttling
// error is returned: with DefaultBackoff(), about half a minute of waiting.
const DefaultMaxAttempts = 10

// NewRetryer returns the SDK standard retryer configured for reading shards
// that other consumers share: the throttling codes above are retryable, with
// backoff b, up to maxAttempts attempts, and no client-side retry quota
// (sustained throttling is expected here, and must slow the read, not fail it).
func NewRetryer(b backoff.Exponential, maxAttempts int) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = b.Max
		o.Backoff = b
		o.RateLimiter = ratelimit.None
		o.Retryables = append([]retry.IsErrorRetryable{retry.RetryableErrorCode{Codes: throttleCodes}}, o.Retryables...)
		o.Throttles = append(o.Throttles, retry.ThrottleErrorCode{Codes: throttleCodes})
	})
}

// IsThrottle reports whether err is a read throttled by the stream (a code NewRetryer retries).
func IsThrottle(err error) bool {
	return retry.ThrottleErrorCode{Codes: throttleCodes}.IsErrorThrottle(err) == aws.TrueTernary
}

// CountThrottles wraps a retryer so that every throttled read it retries adds one to n: the
// hydrate function reports them as a metric, since throttling means the consumer's ESM and
// Hydrant are competing for the shard's reads.
func CountThrottles(r aws.Retryer, n *atomic.Int64) aws.Retryer {
	return throttleCounter{Retryer: r, n: n}
}

type throttleCounter struct {
	aws.Retryer
	n *atomic.Int64
}

func (t throttleCounter) RetryDelay(attempt int, err error) (time.Duration, error) {
	if IsThrottle(err) {
		t.n.Add(1)
	}
	return t.Retryer.RetryDelay(attempt, err)
}
