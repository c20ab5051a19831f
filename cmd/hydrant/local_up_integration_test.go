//go:build integration

package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// local up deploys the demo stack, prints its resources and the environment for the AWS CLI,
// and on interrupt stops and exits 0.
func TestLocalUpRunsUntilInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, env{args: []string{"local", "up", "--log-level", "warn"}, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	}()
	deadline := time.After(60 * time.Second)
	for !strings.Contains(stdout.String(), "export AWS_SECRET_ACCESS_KEY=") {
		select {
		case code := <-done:
			t.Fatalf("local up exited %d before printing its environment\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		case <-deadline:
			t.Fatalf("no environment printed within 60 s\nstderr:\n%s", stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != localUpOK {
			t.Errorf("exit %d after interrupt, want %d\nstderr:\n%s", code, localUpOK, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("local up did not stop within 30 s of the interrupt")
	}
	out := stdout.String()
	for _, want := range []string{
		"aws:lambda/function:Function", "aws:lambda/eventSourceMapping:EventSourceMapping", "aws:kinesis/stream:Stream",
		"aws:iam/role:Role", "accepted", "running", "hydrant@RecordHydrated",
		"export AWS_ENDPOINT_URL_EVENTBRIDGE=http://127.0.0.1:", "export AWS_ENDPOINT_URL_S3=http://127.0.0.1:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}
