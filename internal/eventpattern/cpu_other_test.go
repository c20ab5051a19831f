//go:build !unix

package eventpattern

import "testing"

type cpuClock struct{}

func startCPU(*testing.B) *cpuClock { return &cpuClock{} }
func (*cpuClock) report(*testing.B) {}
