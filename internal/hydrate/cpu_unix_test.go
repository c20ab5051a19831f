//go:build unix

package hydrate_test

import (
	"syscall"
	"time"
)

// processCPU is the process's CPU time (user + system): on a shared machine, time spent waiting
// for a core inflates wall-clock figures but not this one.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
