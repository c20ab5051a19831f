package backoff_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/hydrant-dev/hydrant/internal/backoff"
)

var _ retry.BackoffDelayer = backoff.Exponential{}

func TestDelayStaysUnderItsCeiling(t *testing.T) {
	ceilings := map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 7: time.Second, 100: time.Second}
	for _, tc := range []struct {
		jitter backoff.Jitter
		low    func(ceiling time.Duration) time.Duration
	}{
		{backoff.Equal, func(c time.Duration) time.Duration { return c / 2 }},
		{backoff.Full, func(time.Duration) time.Duration { return 1 }},
		{backoff.None, func(c time.Duration) time.Duration { return c }},
	} {
		e := backoff.Exponential{Base: 100 * time.Millisecond, Max: time.Second, Jitter: tc.jitter}
		for n, ceiling := range ceilings {
			for range 50 {
				if d := e.Delay(n); d < tc.low(ceiling) || d > ceiling {
					t.Fatalf("jitter %d, retry %d: delay %v, want within [%v, %v]", tc.jitter, n, d, tc.low(ceiling), ceiling)
				}
			}
		}
	}
}

func TestDelayIsZeroWithoutABase(t *testing.T) {
	if d := (backoff.Exponential{Max: time.Second}).Delay(3); d != 0 {
		t.Fatalf("delay %v, want 0", d)
	}
}

// Huge bases and retry counts neither overflow nor exceed Max.
func TestDelayDoesNotOverflow(t *testing.T) {
	e := backoff.Exponential{Base: time.Hour, Max: 1 << 62, Jitter: backoff.None}
	if d := e.Delay(1000); d != 1<<62 {
		t.Fatalf("delay %v, want Max", d)
	}
}
