//go:build integration

package main_test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// BenchmarkColdStart starts the function under aws-lambda-rie once per iteration and invokes
// it with an empty batch, so that every invocation is a cold start; it reports the init
// duration the emulator measures (process start to the runtime's first /next call: Go
// runtime, configuration, SDK clients) and the size of the arm64 deployment binary.
func BenchmarkColdStart(b *testing.B) {
	root, err := emulators.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	rie := filepath.Join(emulators.InstallDir(root), "bin", "aws-lambda-rie")
	if _, err := os.Stat(rie); err != nil {
		b.Fatalf("aws-lambda-rie is not installed (scripts/emulators up installs it): %v", err)
	}
	arm := buildTB(b, "arm64")
	st, err := os.Stat(arm)
	if err != nil {
		b.Fatal(err)
	}
	bin := buildTB(b, runtime.GOARCH)
	var total float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		addr, api := freePortTB(b), freePortTB(b)
		var logs bytes.Buffer
		cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, bin)
		cmd.Env = append(os.Environ(), "AWS_LAMBDA_FUNCTION_NAME=hydrate", "HYDRANT_EVENT_BUS=bench")
		cmd.Stdout, cmd.Stderr = &logs, &logs
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.WaitDelay = time.Second
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); ; {
			r, err := http.Post("http://"+addr+"/2015-03-31/functions/function/invocations", "application/json", bytes.NewReader([]byte(`{"Records":[]}`)))
			if err == nil {
				r.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("no answer: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		m := initReport.FindSubmatch(logs.Bytes())
		if m == nil {
			b.Fatalf("no INIT REPORT in:\n%s", logs.String())
		}
		ms, _ := strconv.ParseFloat(string(m[1]), 64)
		total += ms
	}
	b.ReportMetric(total/float64(b.N), "init-ms")
	b.ReportMetric(float64(st.Size())/(1<<20), "arm64-binary-MiB")
}
