package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/hydrant-dev/hydrant/internal/awsclient"
	"github.com/hydrant-dev/hydrant/internal/localcloud/eventbus"
	"github.com/hydrant-dev/hydrant/internal/localcloud/firehose"
)

// localCommand runs the pieces of the local cloud; each sub-command serves until interrupted.
func localCommand() command {
	return command{summary: "run the local cloud (local up) or one of its services (local eventbridge)", run: runLocal}
}

// localSubcommands is the table of `hydrant local` sub-commands; later services add a line.
func localSubcommands() map[string]command {
	return map[string]command{
		"eventbridge": {summary: "serve the local EventBridge endpoint until interrupted", run: runLocalEventBridge},
		"up":          {summary: "deploy a stack onto the local cloud and run it until interrupted", run: runLocalUp},
	}
}

func localUsage(w io.Writer) {
	subs := localSubcommands()
	names := make([]string, 0, len(subs))
	for n := range subs {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: hydrant local <service> [flags]\n\nservices:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, subs[n].summary)
	}
}

func runLocal(ctx context.Context, e env) int {
	if len(e.args) == 0 {
		localUsage(e.stderr)
		return exitUsage
	}
	switch e.args[0] {
	case "-h", "--help", "help":
		localUsage(e.stdout)
		return 0
	}
	sub, ok := localSubcommands()[e.args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "hydrant local: unknown service %q\n\n", e.args[0])
		localUsage(e.stderr)
		return exitUsage
	}
	return sub.run(ctx, env{args: e.args[1:], stdin: e.stdin, stdout: e.stdout, stderr: e.stderr})
}

const localEventBridgeUsage = `usage: hydrant local eventbridge --addr HOST:PORT [flags]

Serves a local EventBridge endpoint (AWS JSON 1.1) until interrupted: point clients at it with
AWS_ENDPOINT_URL_EVENTBRIDGE=http://HOST:PORT. Targets are reached through the SDK's standard
configuration, so AWS_ENDPOINT_URL_SQS, _SNS and _S3 send them to the local emulators.
Prints "listening on http://HOST:PORT" on standard output once it accepts connections.

`

// firehoseFlags collects repeated --firehose NAME=BUCKET[/PREFIX] flags.
type firehoseFlags map[string]firehose.Config

func (f firehoseFlags) String() string { return fmt.Sprint(map[string]firehose.Config(f)) }

func (f firehoseFlags) Set(v string) error {
	name, dest, ok := strings.Cut(v, "=")
	dest = strings.TrimPrefix(dest, "s3://")
	bucket, prefix, _ := strings.Cut(dest, "/")
	if !ok || name == "" || bucket == "" {
		return fmt.Errorf("want NAME=BUCKET[/PREFIX], got %q", v)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	f[name] = firehose.Config{Bucket: bucket, Prefix: prefix}
	return nil
}

func runLocalEventBridge(ctx context.Context, e env) int {
	fs := flag.NewFlagSet("hydrant local eventbridge", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprint(e.stderr, localEventBridgeUsage)
		fs.PrintDefaults()
	}
	addr := fs.String("addr", "", "address to listen on, HOST:PORT (port 0 picks a free one) (required)")
	region := fs.String("region", "", "region in ARNs and events (default: the SDK configuration's, else us-east-1)")
	account := fs.String("account", "000000000000", "account id in ARNs and events (goaws uses 000000000000)")
	maxEntry := fs.Int("max-entry-size", eventbus.DefaultMaxEntrySize, "PutEvents size limit in bytes (AWS: 262144; 1048576 since 2026)")
	workers := fs.Int("workers", 8, "delivery workers")
	retryBase := fs.Duration("retry-base-delay", time.Second, "first retry backoff ceiling; doubles per retry, with jitter")
	firehoseBuffer := fs.Duration("firehose-interval", 60*time.Second, "Firehose buffer interval")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	streams := firehoseFlags{}
	fs.Var(streams, "firehose", "a Firehose delivery stream, NAME=BUCKET[/PREFIX] (repeatable)")
	if code, ok := parseFlags(fs, e.args, e.stderr); !ok {
		return code
	}
	if *addr == "" {
		fmt.Fprintln(e.stderr, "hydrant local eventbridge: --addr HOST:PORT is required")
		return exitUsage
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(e.stderr, "hydrant local eventbridge: --log-level %q: %v\n", *logLevel, err)
		return exitUsage
	}
	if *maxEntry <= 0 || *workers <= 0 || *retryBase <= 0 || *firehoseBuffer <= 0 {
		fmt.Fprintln(e.stderr, "hydrant local eventbridge: --max-entry-size, --workers, --retry-base-delay and --firehose-interval must be positive")
		return exitUsage
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))

	cfg, err := awsclient.Load(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant local eventbridge: %v\n", err)
		return 1
	}
	if *region == "" {
		*region = cfg.Region
	}
	if *region == "" {
		*region = "us-east-1"
	}
	// gofakes3 (and any endpoint override) needs path-style bucket addressing.
	pathStyle := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	srv := eventbus.New(eventbus.Options{
		Region: *region, AccountID: *account, MaxEntrySize: *maxEntry, Workers: *workers, RetryBaseDelay: *retryBase,
		SQS:    awsclient.SQS(cfg),
		SNS:    sns.NewFromConfig(cfg),
		S3:     s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }),
		Logger: logger,
	})
	for name, ds := range streams {
		ds.BufferInterval = *firehoseBuffer
		if err := srv.AddDeliveryStream(name, ds); err != nil {
			fmt.Fprintf(e.stderr, "hydrant local eventbridge: %v\n", err)
			return exitUsage
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant local eventbridge: listen on %s: %v\n", *addr, err)
		return 1
	}
	httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	fmt.Fprintf(e.stdout, "listening on http://%s\n", ln.Addr())
	logger.Info("local EventBridge endpoint started", "addr", ln.Addr().String(), "region", *region, "account", *account)

	code := 0
	select {
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintf(e.stderr, "hydrant local eventbridge: serve: %v\n", err)
		code = 1
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("HTTP shutdown", "error", err)
	}
	if err := srv.Close(shutdownCtx); err != nil {
		fmt.Fprintf(e.stderr, "hydrant local eventbridge: close: %v\n", err)
		code = 1
	}
	logger.Info("local EventBridge endpoint stopped")
	return code
}
