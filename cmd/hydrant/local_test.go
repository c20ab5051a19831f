package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

func TestLocalUsageErrors(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no service", []string{"local"}, exitUsage, "usage: hydrant local"},
		{"unknown service", []string{"local", "kinesis-proxy"}, exitUsage, `unknown service "kinesis-proxy"`},
		{"help", []string{"local", "--help"}, 0, ""},
		{"no addr", []string{"local", "eventbridge"}, exitUsage, "--addr HOST:PORT is required"},
		{"bad flag", []string{"local", "eventbridge", "--addr", "127.0.0.1:0", "--nope"}, exitUsage, "flag provided but not defined"},
		{"bad firehose", []string{"local", "eventbridge", "--addr", "127.0.0.1:0", "--firehose", "nobucket"}, exitUsage, "NAME=BUCKET[/PREFIX]"},
		{"bad log level", []string{"local", "eventbridge", "--addr", "127.0.0.1:0", "--log-level", "loud"}, exitUsage, "--log-level"},
		{"stray argument", []string{"local", "eventbridge", "--addr", "127.0.0.1:0", "extra"}, exitUsage, `unexpected argument "extra"`},
		{"address in use or invalid", []string{"local", "eventbridge", "--addr", "256.0.0.1:1"}, 1, "listen on 256.0.0.1:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", c.args...)
			if code != c.code || !strings.Contains(stderr, c.stderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr, c.code, c.stderr)
			}
		})
	}
}

// TestLocalEventBridgeServes starts the command, drives it with the SDK client and stops it by
// cancelling its context, as an interrupt does.
func TestLocalEventBridgeServes(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	errOut := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, env{args: []string{"local", "eventbridge", "--addr", "127.0.0.1:0", "--log-level", "warn"}, stdin: strings.NewReader(""), stdout: outW, stderr: errOut})
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line: %v (exit %v)", err, errOut.String())
	}
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("first line %q", line)
	}
	eb := eventbridge.New(eventbridge.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	bus, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("cli")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(bus.EventBusArn); got != "arn:aws:events:eu-west-1:000000000000:event-bus/cli" {
		t.Fatalf("bus ARN %s: the region comes from the SDK configuration", got)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventBusName: aws.String("cli"), EventPattern: aws.String(`{"source":["a"]}`)}); err != nil {
		t.Fatal(err)
	}
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{EventBusName: aws.String("cli"), Source: aws.String("a"), DetailType: aws.String("t"), Detail: aws.String(`{}`)},
	}})
	if err != nil || out.FailedEntryCount != 0 || aws.ToString(out.Entries[0].EventId) == "" {
		t.Fatalf("put events: %+v, %v", out, err)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after interrupt; stderr %s", code, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the command did not stop after its context was cancelled")
	}
	_, err = eb.ListEventBuses(context.Background(), &eventbridge.ListEventBusesInput{})
	if err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("the endpoint still answers after shutdown: %v", err)
	}
}

// lockedBuffer is a stderr the command writes while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
