//go:build integration

package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// startLocalUp runs `hydrant local up ARGS` until it has printed what marks the end of its
// output, and returns its stdout, a stop function (the interrupt) and its exit channel.
func startLocalUp(t *testing.T, ready string, args ...string) (*lockedBuffer, *lockedBuffer, context.CancelFunc, chan int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, env{args: append([]string{"local", "up", "--log-level", "warn"}, args...), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	}()
	deadline := time.After(60 * time.Second)
	for !strings.Contains(stdout.String(), ready) {
		select {
		case code := <-done:
			t.Fatalf("local up exited %d before printing %q\nstdout:\n%s\nstderr:\n%s", code, ready, stdout.String(), stderr.String())
		case <-deadline:
			t.Fatalf("no %q within 60 s\nstderr:\n%s", ready, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return &stdout, &stderr, cancel, done
}

// stopLocalUp interrupts local up and checks that it stops with exit 0.
func stopLocalUp(t *testing.T, stderr *lockedBuffer, cancel context.CancelFunc, done chan int) {
	t.Helper()
	cancel()
	select {
	case code := <-done:
		if code != localUpOK {
			t.Errorf("exit %d after interrupt, want %d\nstderr:\n%s", code, localUpOK, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("local up did not stop within 30 s of the interrupt")
	}
}

// local up deploys the demo stack, prints what a person uses (queues with their URLs, streams,
// the environment for the AWS CLI and hydrant hydrate) in a screenful, and on interrupt stops
// and exits 0.
func TestLocalUpRunsUntilInterrupted(t *testing.T) {
	stdout, stderr, cancel, done := startLocalUp(t, "export HYDRANT_EVENT_BUS=")
	stopLocalUp(t, stderr, cancel, done)
	out := stdout.String()
	t.Logf("stdout:\n%s", out)
	for _, want := range []string{
		"stack demo deployed on the local cloud: ", "event buses\n  hydrant-bus ", "queues (URL)\n",
		"  hydrant-intake-dlq ", "/000000000000/hydrant-intake-", "  orders-failures-inbox-queue ", "streams\n  demo-orders ",
		"tables\n  demo-users ", "(stream arn:aws:dynamodb:ddblocal:", "buckets\n", "hydrant@RecordHydrated",
		"export AWS_ENDPOINT_URL_EVENTBRIDGE=http://127.0.0.1:", "export AWS_ENDPOINT_URL_S3=http://127.0.0.1:",
		"export AWS_ENDPOINT_URL_SQS=http://127.0.0.1:", "export HYDRANT_EVENT_BUS=hydrant-bus-",
		// The payments team's inbox, from its own stack: the bus in its account, and its queue.
		"team inboxes (", "\n  payments: bus demo-payments-inbox (account 222233334444; streams arn:aws:kinesis:us-east-1:000000000000:stream/demo-orders-",
		"\n    payments-inbox-queue ", "/000000000000/payments-inbox-queue-",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	// The queue URLs name the SQS endpoint the environment exports, so they can be dialled.
	sqsEndpoint := between(out, "export AWS_ENDPOINT_URL_SQS=", "\n")
	if sqsEndpoint == "" || !strings.Contains(out, sqsEndpoint+"/000000000000/hydrant-intake-") {
		t.Errorf("the intake queue's URL is not on the exported SQS endpoint %s:\n%s", sqsEndpoint, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) > 70 {
		t.Errorf("%d lines, want a screenful (at most 70):\n%s", len(lines), out)
	}
	for _, l := range lines {
		if len([]rune(l)) > 160 {
			t.Errorf("line of %d characters (at most 160): %s", len([]rune(l)), l)
		}
	}
}

// --json prints every resource, the queues' URLs and the environment as one JSON object.
func TestLocalUpJSON(t *testing.T) {
	stdout, stderr, cancel, done := startLocalUp(t, "\n}\n", "--json")
	stopLocalUp(t, stderr, cancel, done)
	var sum struct {
		Stack   string `json:"stack"`
		Buses   []struct{ Name, Physical string }
		Queues  []struct{ Name, Physical, URL string }
		Inboxes []struct {
			Team, Account string
			Bus           struct{ Name, Physical, ARN, Note string }
			Streams       []string
			Queues        []struct{ Name, Physical, URL string }
		}
		Streams   []struct{ Name, Physical string }
		Env       []struct{ Name, Value string }
		Resources []struct{ Type, Mode string }
	}
	if err := json.Unmarshal([]byte(stdout.String()), &sum); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	types := map[string]bool{}
	for _, r := range sum.Resources {
		types[r.Type], types[r.Mode] = true, true
	}
	for _, want := range []string{"aws:lambda/function:Function", "aws:lambda/eventSourceMapping:EventSourceMapping",
		"aws:kinesis/stream:Stream", "aws:iam/role:Role", "accepted", "running", "created"} {
		if !types[want] {
			t.Errorf("resources lack %q", want)
		}
	}
	if sum.Stack != "demo" || len(sum.Queues) == 0 || len(sum.Streams) == 0 {
		t.Errorf("stack %q, %d queues, %d streams", sum.Stack, len(sum.Queues), len(sum.Streams))
	}
	env := map[string]string{}
	for _, v := range sum.Env {
		env[v.Name] = v.Value
	}
	for _, q := range sum.Queues {
		if want := env["AWS_ENDPOINT_URL_SQS"] + "/000000000000/" + q.Physical; q.URL != want || !strings.HasPrefix(q.Physical, q.Name+"-") {
			t.Errorf("queue %s (%s): URL %q, want %q", q.Name, q.Physical, q.URL, want)
		}
	}
	for _, k := range []string{"AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_EVENTBRIDGE", "AWS_REGION", "AWS_DEFAULT_REGION", "HYDRANT_EVENT_BUS"} {
		if env[k] == "" {
			t.Errorf("env lacks %s: %v", k, sum.Env)
		}
	}
	// The team inbox is listed on its own, not among Hydrant's buses and queues.
	if len(sum.Buses) != 1 || sum.Buses[0].Name != "hydrant-bus" || env["HYDRANT_EVENT_BUS"] != sum.Buses[0].Physical {
		t.Errorf("buses %+v, HYDRANT_EVENT_BUS %q: want Hydrant's bus only", sum.Buses, env["HYDRANT_EVENT_BUS"])
	}
	if len(sum.Inboxes) != 1 {
		t.Fatalf("inboxes %+v, want the payments team's", sum.Inboxes)
	}
	in := sum.Inboxes[0]
	if in.Team != "payments" || in.Account != "222233334444" || in.Bus.Physical != "demo-payments-inbox" ||
		in.Bus.Note != "configured as arn:aws:events:us-east-1:222233334444:event-bus/demo-payments-inbox" ||
		len(in.Streams) != 1 || !strings.HasPrefix(in.Streams[0], "arn:aws:kinesis:us-east-1:000000000000:stream/demo-orders-") {
		t.Errorf("inbox %+v", in)
	}
	inboxQueue := false
	teamQueues := map[string]bool{}
	for _, q := range in.Queues {
		inboxQueue = inboxQueue || q.Name == "payments-inbox-queue" && q.URL == env["AWS_ENDPOINT_URL_SQS"]+"/000000000000/"+q.Physical
		teamQueues[q.Name] = true
	}
	for _, q := range sum.Queues {
		if teamQueues[q.Name] {
			t.Errorf("the team's queue %s is listed among Hydrant's", q.Name)
		}
	}
	if !inboxQueue {
		t.Errorf("inbox queues %+v: want payments-inbox-queue with its URL", in.Queues)
	}
}

// Interrupted while it deploys, local up says so in one line, stops what it started and
// exits 130, without the internal errors the cancellation causes.
func TestLocalUpInterruptedDuringStartUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, env{args: []string{"local", "up", "--log-level", "error"}, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	}()
	deadline := time.After(60 * time.Second)
	for !strings.Contains(stderr.String(), "deploying stack demo locally") {
		select {
		case code := <-done:
			t.Fatalf("local up exited %d before deploying\nstderr:\n%s", code, stderr.String())
		case <-deadline:
			t.Fatalf("not deploying within 60 s\nstderr:\n%s", stderr.String())
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	select {
	case code := <-done:
		errOut := stderr.String()
		if code != exitInterrupted && !(code == localUpOK && strings.Contains(errOut, "local cloud running")) {
			t.Errorf("exit %d, want %d\nstderr:\n%s", code, exitInterrupted, errOut)
		}
		if code == exitInterrupted && (!strings.HasSuffix(errOut, "hydrant local up: interrupted\n") || strings.Contains(errOut, "context canceled")) {
			t.Errorf("stderr should end with one line saying interrupted, without internal errors:\n%s", errOut)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("local up did not stop within 30 s of the interrupt")
	}
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return v
}
