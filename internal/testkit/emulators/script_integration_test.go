//go:build integration

package emulators

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestScriptStartFailure: when an emulator dies before answering, up says which one, shows its
// log, stops the others and exits 1 with nothing on stdout.
func TestScriptStartFailure(t *testing.T) {
	bin := t.TempDir()
	fake := "#!/bin/sh\necho 'Error: this java is a stand-in that always fails' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "java"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	stdout, stderr, code := runScriptEnv(t, []string{"PATH=" + bin + ":" + os.Getenv("PATH")}, "up", "--state", state)
	for _, want := range []string{"dynamodb exited before answering", "this java is a stand-in", "did not start: dynamodb"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != 1 || stdout != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing", code, stdout)
	}
	if _, err := os.Stat(filepath.Join(state, "pids")); !os.IsNotExist(err) {
		t.Errorf("pids file left after a failed up (stat: %v)", err)
	}
	// goaws's command line names the state dir's config: it must have been stopped too.
	if out, err := exec.Command("pgrep", "-f", state).Output(); err == nil {
		t.Errorf("processes of the failed set still running: %s", out)
	}
}
