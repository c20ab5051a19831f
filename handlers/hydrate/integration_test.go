//go:build integration

package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
)

func TestMain(m *testing.M) { emulators.Main(m) }

func freePort(t *testing.T) string { t.Helper(); return freePortTB(t) }

func freePortTB(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestRunsUnderTheRuntimeInterfaceEmulator runs the real binary (for this machine's
// architecture: the arm64 one cannot execute here) under aws-lambda-rie, as Lambda would,
// with its configuration from the environment, and feeds it an intake batch.
func TestRunsUnderTheRuntimeInterfaceEmulator(t *testing.T) {
	ep := emulators.Get(t)
	root, err := emulators.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	rie := filepath.Join(emulators.InstallDir(root), "bin", "aws-lambda-rie")
	if _, err := os.Stat(rie); err != nil {
		t.Fatalf("aws-lambda-rie is not installed (scripts/emulators up installs it): %v", err)
	}
	bin := build(t, runtime.GOARCH)
	bus := failuretest.NewBus(t, ep)
	b := failuretest.PutKinesis(t, ep, [][]byte{[]byte(`{"id":1}`), []byte(`{"id":2,"poison":true}`), []byte(`{"id":3}`)})

	addr, apiAddr := freePort(t), freePort(t)
	var logs syncBuffer
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, bin)
	cmd.Env = append(os.Environ(),
		"AWS_LAMBDA_FUNCTION_NAME=hydrate", "AWS_LAMBDA_FUNCTION_TIMEOUT=30",
		"AWS_ENDPOINT_URL_EVENTBRIDGE="+bus.URL,
		"HYDRANT_EVENT_BUS="+bus.Name, "HYDRANT_CLAIM_CHECK_BUCKET="+bus.Bucket)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	// The emulator starts the function as its child: stop the whole process group, and do not
	// wait on pipes an orphaned child might hold.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })

	batch := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m-good", Body: b.FailureJSON(0, 2), EventSource: "aws:sqs"},
		{MessageId: "m-bad", Body: `{"KinesisBatchInfo":{}}`, EventSource: "aws:sqs"},
	}}
	payload, _ := json.Marshal(batch)
	var resp events.SQSEventResponse
	invokeURL := "http://" + addr + "/2015-03-31/functions/function/invocations"
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, err := http.Post(invokeURL, "application/json", bytes.NewReader(payload))
		if err == nil {
			body, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if err := json.Unmarshal(body, &resp); err != nil || bytes.Contains(body, []byte("errorMessage")) {
				t.Fatalf("invocation answered %s (%v)\nlogs:\n%s", body, err, logs.String())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("aws-lambda-rie never answered: %v\nlogs:\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m-bad" {
		t.Fatalf("batchItemFailures %+v, want only m-bad\nlogs:\n%s", resp.BatchItemFailures, logs.String())
	}
	evs := failuretest.ForStream(bus.Drain(), b.StreamARN)
	if len(evs) != 3 {
		t.Fatalf("%d events on the bus, want 3\nlogs:\n%s", len(evs), logs.String())
	}
	for _, e := range evs {
		if e.DetailType != hydrantevent.DetailTypeRecordHydrated || e.Source != hydrantevent.DefaultSource {
			t.Errorf("unexpected event %s from %s", e.DetailType, e.Source)
		}
	}
	// The function logs JSON (request id, message id) and writes one EMF metrics record.
	out := logs.String()
	for _, want := range []string{`"messageId":"m-bad"`, `"_aws":{"CloudWatchMetrics"`, `"RecordsHydrated":3`} {
		if !strings.Contains(out, want) {
			t.Errorf("function output lacks %s:\n%s", want, out)
		}
	}
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
