package emulators

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runScript runs scripts/emulators with args and returns its stdout, stderr and exit code.
func runScript(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runScriptEnv(t, nil, args...)
}

// runScriptEnv is runScript with extra environment variables.
func runScriptEnv(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "scripts", "emulators"), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &exit):
		return stdout.String(), stderr.String(), exit.ExitCode()
	}
	t.Fatalf("run scripts/emulators %v: %v", args, err)
	return "", "", -1
}

// TestScriptUsage covers the script's answers that need no emulator: bad input exits 2 naming
// what was wrong, `down` of nothing succeeds, `env` of nothing fails saying how to start.
func TestScriptUsage(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"no command", nil, 2, "scripts/emulators up"},
		{"unknown command", []string{"start"}, 2, "unknown command 'start'"},
		{"unknown flag", []string{"up", "--fast"}, 2, "unknown argument '--fast'"},
		{"state without dir", []string{"up", "--state"}, 2, "--state needs a directory"},
		{"empty state", []string{"down", "--state="}, 2, "--state needs a directory"},
		{"owner not a number", []string{"up", "--owner", "me"}, 2, "--owner needs a process id"},
		{"owner gone", []string{"up", "--owner", "999999999"}, 2, "--owner 999999999: no such process"},
		{"down of a missing dir", []string{"down", "--state", filepath.Join(empty, "nope")}, 0, "nothing to stop"},
		{"down of an empty dir", []string{"down", "--state", empty}, 0, "down"},
		{"env of nothing", []string{"env", "--state", empty}, 1, "no running emulators recorded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runScript(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantStderr) || stdout != "" {
				t.Errorf("scripts/emulators %v: exit %d, stdout %q, stderr %q; want exit %d, no stdout, stderr containing %q",
					tt.args, code, stdout, stderr, tt.wantCode, tt.wantStderr)
			}
		})
	}
}
