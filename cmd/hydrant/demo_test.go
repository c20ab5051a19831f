package main

import (
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
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

// scripts/demo checks the flags before it builds hydrant, from a list of its own: it must be
// the command's.
func TestDemoScriptKnowsTheFlags(t *testing.T) {
	src, err := os.ReadFile("../../scripts/demo")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^flags=\(([^)]*)\)$`).FindSubmatch(src)
	if m == nil {
		t.Fatal("scripts/demo has no flags=(...) line")
	}
	script := strings.Fields(string(m[1]))
	code, _, help := runCLI(t, "", "demo", "-h")
	if code != 0 {
		t.Fatalf("demo -h: exit %d", code)
	}
	var cmd []string
	for _, f := range regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(help, -1) {
		cmd = append(cmd, f[1])
	}
	sort.Strings(cmd)
	if !slices.Equal(script, cmd) {
		t.Errorf("scripts/demo knows the flags %v, hydrant demo has %v", script, cmd)
	}
}
