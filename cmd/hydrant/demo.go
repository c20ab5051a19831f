package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/hydrant-dev/hydrant/internal/localcloud/demo"
)

// Exit codes of `hydrant demo`.
const (
	demoPass   = 0 // every poison record reached every destination the rules promise, no good record did, and (second act) each was redriven once
	demoFail   = 1 // the verdict failed (a report is printed), or the local cloud could not run
	demoBroken = 3 // the report could not be written
	// exitInterrupted (130): Ctrl-C or SIGTERM before the report
)

const demoUsage = `usage: hydrant demo [--json] [--redrive=false] [--stack NAME] [--timeout DURATION]

Runs the whole router locally: deploys the demo stack onto the local cloud (as hydrant local up
does), puts good and poison records on its Kinesis stream and DynamoDB table, waits while the
event source mappings retry, bisect and send the poison records to their failure destinations
and Hydrant hydrates and routes them, then prints for every poison record where it ended up
(catch-all queue, S3 archive object, the subscribed team's queue) with its recovered payload.
Then, unless --redrive=false, a second act: it fixes the consumers (DEMO_CONSUMER_FIXED=true),
redrives the team queues and the S3 archive to them through the local Lambda API with one
journal, and checks that each poison record was processed exactly once, in order, with the
payload the consumer failed on. A one-line verdict covers both acts. Progress goes to standard
error. Emulators it started are stopped.

Exit codes: 0 every poison record reached every destination the rules promise, no good record
did, and (second act) each was redriven and processed exactly once; 1 it did not (or the local
cloud could not run), 2 bad input, 3 the report could not be written, 130 interrupted (Ctrl-C,
SIGTERM).

flags:
`

func demoCommand() command {
	return command{summary: "run the router locally on good and poison records and report where each went", run: runDemo}
}

func runDemo(ctx context.Context, e env) int {
	fs := flag.NewFlagSet("hydrant demo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, demoUsage); fs.PrintDefaults() }
	lf := addLocalFlags(fs, "error")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	timeout := fs.Duration("timeout", 100*time.Second, "how long to wait for the poison records")
	redriveAct := fs.Bool("redrive", true, "after the poison records are delivered, fix the consumers and redrive them (the second act)")
	if code, ok := parseFlags(fs, e.args, e.stderr); !ok {
		return code
	}
	if *timeout <= 0 {
		fmt.Fprintln(e.stderr, "hydrant demo: --timeout must be positive")
		return exitUsage
	}
	cfg, root, log, err := lf.open(e.stderr)
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant demo: %v\n", err)
		return exitUsage
	}
	// The second act checks what the consumers processed from their log.
	consumerLog := demo.NewConsumerLog(log.Handler())
	log = slog.New(consumerLog)
	s, err := startLocal(ctx, cfg, root, log, e.stderr)
	if err != nil {
		if ctx.Err() != nil {
			return interrupted(e.stderr, "hydrant demo")
		}
		fmt.Fprintf(e.stderr, "hydrant demo: %v\n", err)
		return demoFail
	}
	rep, runErr := demo.Run(ctx, s.cloud, demo.Options{Timeout: *timeout, Progress: e.stderr, Redrive: *redriveAct, ConsumerLog: consumerLog, Inboxes: s.inboxes})
	if err := s.close(context.WithoutCancel(ctx)); err != nil {
		fmt.Fprintf(e.stderr, "hydrant demo: %v\n", err)
	}
	if ctx.Err() != nil {
		return interrupted(e.stderr, "hydrant demo")
	}
	if runErr != nil {
		fmt.Fprintf(e.stderr, "hydrant demo: %v\n", runErr)
		return demoFail
	}
	write := rep.WriteText
	if *asJSON {
		write = rep.WriteJSON
	}
	if err := write(e.stdout); err != nil {
		fmt.Fprintf(e.stderr, "hydrant demo: write report: %v\n", err)
		return demoBroken
	}
	if !rep.OK {
		return demoFail
	}
	return demoPass
}
