package main

import (
	"testing"
)

func TestLocalUpBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"local", "up", "--no-such-flag"},
		{"local", "up", "extra"},
		{"local", "up", "--stack", "no-such-stack"},
		{"local", "up", "--stack", "../demo"},
	} {
		code, _, stderr := runCLI(t, "", args...)
		if code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want %d with a message", args, code, stderr, exitUsage)
		}
	}
}
