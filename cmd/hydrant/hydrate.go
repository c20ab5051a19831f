package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/awsclient"
	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/hydrate"
	"github.com/hydrant-dev/hydrant/internal/intake"
	"github.com/hydrant-dev/hydrant/internal/publish"
)

// Exit codes of `hydrant hydrate`.
const (
	hydrateOK      = 0 // every record of the range was hydrated whole (and published, with --publish)
	hydrateFailed  = 1 // an AWS call failed: nothing can be said about the range
	hydrateMissing = 3 // some records were not hydrated whole (missing, or not decodable); each is reported on stderr as JSON
)

const hydrateUsage = `usage: hydrant hydrate --failure FILE [--publish --bus NAME [--bucket NAME]] [flags]

Reads one on-failure record (any shape: SQS body, SNS notification or envelope, S3 on-failure
object, S3 event notification, or the record itself; FILE may be - for stdin), reads the
failed records back with the SDK's standard configuration (AWS_ENDPOINT_URL_<SERVICE> included),
and prints one RecordHydrated event per record as a JSON line on stdout. With --publish it puts
the events on the bus instead, as the hydrate function does.

Exit codes: 0 every record hydrated whole, 3 some not (missing, or a corrupt KPL aggregate:
each RecordHydrationFailed on stderr as JSON with its reason), 2 bad input, 1 an AWS call failed.

flags:
`

func hydrateCommand() command {
	return command{summary: "hydrate one failure record: print its records' events, or --publish them", run: runHydrate}
}

func runHydrate(ctx context.Context, e env) int {
	fs := flag.NewFlagSet("hydrant hydrate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, hydrateUsage); fs.PrintDefaults() }
	file := fs.String("failure", "", "the failure record `FILE`, or - for stdin (required)")
	publishFlag := fs.Bool("publish", false, "put the events on the bus instead of printing them")
	bus := fs.String("bus", os.Getenv(intake.EnvEventBus), "event bus `NAME` or ARN for --publish (default $"+intake.EnvEventBus+")")
	bucket := fs.String("bucket", os.Getenv(intake.EnvClaimCheckBucket), "claim-check `BUCKET` for records too large for an event (default $"+intake.EnvClaimCheckBucket+")")
	source := fs.String("source", hydrantevent.DefaultSource, "the events' `source`")
	maxSize := fs.Int("max-entry-size", publish.DefaultMaxEntrySize, "EventBridge's maximum entry size for the account, in `bytes`")
	verbose := fs.Bool("v", false, "log progress to stderr")
	if code, ok := parseFlags(fs, e.args, e.stderr); !ok {
		return code
	}
	if *file == "" {
		fmt.Fprintln(e.stderr, "hydrant hydrate: --failure FILE is required")
		fs.Usage()
		return exitUsage
	}
	data, err := readInput(e.stdin, *file)
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant hydrate: %v\n", err)
		return exitUsage
	}
	msg, err := failure.Parse(data)
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant hydrate: %s: %v\n", *file, err)
		return exitUsage
	}
	if msg.TestEvent != nil {
		fmt.Fprintf(e.stderr, "hydrant hydrate: %s is an S3 test event (bucket %s): nothing to hydrate\n", *file, msg.TestEvent.Bucket)
		return hydrateOK
	}

	level := slog.LevelError // missing records are reported as JSON below; -v shows the progress
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	cfg := intake.Config{EventBus: *bus, Source: *source, ClaimCheckBucket: *bucket, MaxEntrySize: *maxSize, Concurrency: 4}
	if *publishFlag && cfg.EventBus == "" {
		fmt.Fprintln(e.stderr, "hydrant hydrate: --publish needs --bus (or $"+intake.EnvEventBus+")")
		return exitUsage
	}
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant hydrate: %v\n", err)
		return hydrateFailed
	}
	svc, err := intake.NewServices(awsCfg, cfg, log)
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant hydrate: %v\n", err)
		return exitUsage
	}

	var sink hydrate.Sink = &jsonLines{w: e.stdout}
	var busSink *hydrate.BusSink
	if *publishFlag {
		if busSink, err = svc.NewSink(); err != nil {
			fmt.Fprintf(e.stderr, "hydrant hydrate: %v\n", err)
			return exitUsage
		}
		sink = busSink
	}
	res, err := svc.Hydrator.Hydrate(ctx, msg, sink)
	if err == nil && busSink != nil {
		err = busSink.Flush(ctx)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant hydrate: %v\n", err)
		var entryErr *publish.EntryError
		if errors.As(err, &entryErr) {
			fmt.Fprintf(e.stderr, "hydrant hydrate: event %s was refused: %s\n", entryErr.ID, entryErr.Code)
		}
		return hydrateFailed
	}
	if busSink != nil {
		fmt.Fprintf(e.stderr, "hydrant hydrate: published %d events on %s in %d PutEvents calls (%d offloaded to S3)\n",
			busSink.Stats.Published, cfg.EventBus, busSink.Stats.Calls, busSink.Stats.Offloaded)
	}
	enc := json.NewEncoder(e.stderr)
	for _, m := range res.Missing {
		_ = enc.Encode(struct {
			Missing any `json:"missing"`
		}{m})
	}
	if !res.Complete() {
		return hydrateMissing
	}
	return hydrateOK
}

// jsonLines prints each event as one JSON line.
type jsonLines struct{ w io.Writer }

func (j *jsonLines) Emit(_ context.Context, ev hydrate.Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	_, err = j.w.Write(append(b, '\n'))
	return err
}
