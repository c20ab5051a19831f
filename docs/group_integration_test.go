//go:build integration

package docs

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// groupGrace is how long what a script left running gets after SIGTERM (`hydrant local up`
// stops its emulators on it) before it is killed.
const groupGrace = 5 * time.Second

// runGroup runs cmd in a process group of its own and, once cmd has exited (or its context
// ended it), ends whatever is left of the group: a script that fails before its own `kill`, or
// times out, must not leave a background `hydrant local up` running. cmd's output must go to
// files, not to a pipe or buffer: Wait then returns when the script exits, not when its last
// background process closes the pipe.
func runGroup(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	if err := cmd.Start(); err != nil {
		return err
	}
	err := cmd.Wait()
	endGroup(cmd.Process.Pid)
	return err
}

// endGroup sends SIGTERM to process group pgid, and SIGKILL to what is still there after
// groupGrace.
func endGroup(pgid int) {
	if syscall.Kill(-pgid, syscall.SIGTERM) != nil {
		return // ESRCH: nothing left
	}
	for deadline := time.Now().Add(groupGrace); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if syscall.Kill(-pgid, 0) != nil || !groupRunning(pgid) {
			return
		}
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	// SIGKILL is delivered asynchronously: wait until the kernel has ended them, so a caller
	// that checks right after (as TestShellLeavesNoProcessBehind does) sees them gone.
	deadline := time.Now().Add(killWait)
	for groupRunning(pgid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

// killWait bounds the wait for SIGKILLed processes to end (they end within milliseconds; a
// loaded machine can take longer to schedule the exit).
const killWait = 30 * time.Second

// groupRunning says whether a process of group pgid is running (a zombie, killed and waiting
// for its new parent to reap it, is not).
func groupRunning(pgid int) bool {
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		if state, group, ok := procStat(p); ok && group == pgid && state != "Z" {
			return true
		}
	}
	return false
}

// procStat reads the state and process group of /proc/PID/stat.
func procStat(path string) (state string, pgid int, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", 0, false
	}
	// pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return "", 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 3 {
		return "", 0, false
	}
	pgid, err = strconv.Atoi(f[2])
	return f[0], pgid, err == nil
}

// running says whether process pid is running (not gone, not a zombie).
func running(pid int) bool {
	state, _, ok := procStat("/proc/" + strconv.Itoa(pid) + "/stat")
	return ok && state != "Z"
}

// output is a file a command writes to (give exec the *os.File itself, or it copies through a
// pipe); String is what was written.
type output struct{ *os.File }

func outputFile(t *testing.T) output {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "output-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return output{f}
}

func (o output) String() string {
	data, _ := os.ReadFile(o.Name())
	return string(data)
}

// A script that fails, or runs out of time, with processes in the background leaves none of
// them running: shell ends the script's process group, with SIGKILL for one that ignores
// SIGTERM.
func TestShellLeavesNoProcessBehind(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		timeout      time.Duration
		wantCode     int
	}{
		{name: "script fails", script: "sleep 300 & echo $! > pids\nsleep 300 & echo $! >> pids\nexit 3", timeout: time.Minute, wantCode: 3},
		{name: "set -e stops it", script: "set -e\nsleep 300 & echo $! > pids\nfalse\nkill %1", timeout: time.Minute, wantCode: 1},
		{name: "background ignores SIGTERM", script: "(trap '' TERM; sleep 300) & echo $! > pids\nexit 1", timeout: time.Minute, wantCode: 1},
		{name: "timeout", script: "sleep 300 & echo $! > pids\nsleep 300", timeout: 2 * time.Second, wantCode: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			out, code := shell(ctx, t, dir, tc.script)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d:\n%s", code, tc.wantCode, out)
			}
			data, err := os.ReadFile(filepath.Join(dir, "pids"))
			if err != nil {
				t.Fatal(err)
			}
			pids := strings.Fields(string(data))
			if len(pids) == 0 {
				t.Fatal("the script wrote no process ids")
			}
			for _, p := range pids {
				pid, err := strconv.Atoi(p)
				if err != nil {
					t.Fatal(err)
				}
				if running(pid) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
					t.Errorf("background process %d is still running after shell returned", pid)
				}
			}
		})
	}
}
