//go:build unix

package eventpattern

import (
	"syscall"
	"testing"
	"time"
)

// cpuClock reports CPU time (user + system, whole process) per op beside the wall-clock
// ns/op: on a machine shared with other work, time spent waiting for a core inflates ns/op but
// not cpu-ns/op.
type cpuClock struct{ start time.Duration }

func startCPU(b *testing.B) *cpuClock {
	b.Helper()
	return &cpuClock{start: processCPU()}
}

func (c *cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-c.start)/float64(b.N), "cpu-ns/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
