// Package backoff is Hydrant's one retry-delay policy: capped exponential backoff with a choice
// of jitter. The stream readers (through the SDK's retryer), the publisher, and the local
// EventBridge endpoint and event source mappings all space their retries with it.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Jitter is how a delay is drawn below its exponential ceiling.
type Jitter int

const (
	// Equal jitter draws from [ceiling/2, ceiling]: never retry at once into the same limit,
	// and spread the retries of concurrent callers.
	Equal Jitter = iota
	// Full jitter draws from (0, ceiling].
	Full
	// None waits the ceiling itself.
	None
)

// Exponential is capped exponential backoff: the ceiling of the n-th retry's delay (n ≥ 1) is
// Base·2^(n-1), at most Max.
type Exponential struct {
	Base   time.Duration
	Max    time.Duration
	Jitter Jitter
}

// Delay is the delay before the n-th retry (n ≥ 1).
func (e Exponential) Delay(n int) time.Duration {
	ceiling := e.Base
	for i := 1; i < n && ceiling < e.Max; i++ {
		if ceiling > e.Max/2 {
			ceiling = e.Max
			break
		}
		ceiling *= 2
	}
	ceiling = min(ceiling, e.Max)
	if ceiling <= 0 {
		return 0
	}
	switch e.Jitter {
	case Full:
		return 1 + rand.N(ceiling)
	case None:
		return ceiling
	default:
		return ceiling/2 + rand.N(ceiling-ceiling/2+1)
	}
}

// BackoffDelay implements the AWS SDK's retry.BackoffDelayer, so an Exponential is the
// backoff of an SDK retryer (attempt is the retry's number, from 1).
func (e Exponential) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	return e.Delay(attempt), nil
}
