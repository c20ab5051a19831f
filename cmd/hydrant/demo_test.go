package main

import (
	"testing"
)

func TestDemoBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--no-such-flag"},
		{"demo", "extra"},
		{"demo", "--timeout", "0s"},
		{"demo", "--stack", "no-such-stack"},
		{"demo", "--log-level", "loud"},
	} {
		code, _, stderr := runCLI(t, "", args...)
		if code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want %d with a message", args, code, stderr, exitUsage)
		}
	}
}
