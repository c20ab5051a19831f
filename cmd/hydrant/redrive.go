package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hydrant-dev/hydrant/internal/awsclient"
	"github.com/hydrant-dev/hydrant/internal/eventpattern"
	"github.com/hydrant-dev/hydrant/internal/redrive"
)

// Exit codes of `hydrant redrive`.
const (
	redriveOK          = 0 // every selected record was accepted by the destination
	redriveAWSFailed   = 1 // an AWS call kept failing; what was accepted before is journaled and deleted
	redriveFailedAgain = 3 // some records failed again; they stay in (or went back to) the source
)

const redriveUsage = `usage: hydrant redrive --from SOURCE --to DEST [--stream ARN] [--since TIME] [--until TIME]
                       [--pattern FILE] [--dry-run] [--rate N] [--json] [flags]

Sends hydrated records back to a fixed consumer. SOURCE is a queue URL that receives Hydrant
events (a team's queue, the catch-all queue, a target's DLQ) or s3://BUCKET/PREFIX (the
archive); DEST is function:NAME_OR_ARN (invoked with the Kinesis or DynamoDB Streams event its
event source mapping would have sent, in order per shard, in batches of the mapping's batch
size) or stream:ARN (put back on the Kinesis stream: every consumer of it sees them again).

A message leaves its queue only after the destination accepted its record; the eventId of every
accepted record is journaled first, so a redrive that was stopped can be run again without
sending twice what it sent. TIME is RFC 3339 (2026-12-06T10:00:00Z) or a duration before now
(24h).

Exit codes: 0 every selected record accepted, 3 some failed again (they stay in the source),
2 bad input, 1 an AWS call kept failing.

flags:
`

func redriveCommand() command {
	return command{summary: "send hydrated records from a queue or the archive back to the fixed consumer", run: runRedrive}
}

func runRedrive(ctx context.Context, e env) int {
	fs := flag.NewFlagSet("hydrant redrive", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, redriveUsage); fs.PrintDefaults() }
	from := fs.String("from", "", "`SOURCE`: a queue URL, or s3://BUCKET/PREFIX (required)")
	to := fs.String("to", "", "`DEST`: function:NAME_OR_ARN or stream:ARN (required)")
	stream := fs.String("stream", "", "redrive only the records of this stream `ARN`")
	since := fs.String("since", "", "redrive only events at or after `TIME`")
	until := fs.String("until", "", "redrive only events before `TIME`")
	patternFile := fs.String("pattern", "", "redrive only events this EventBridge pattern `FILE` matches")
	dryRun := fs.Bool("dry-run", false, "show what would be sent; send, delete and journal nothing")
	rate := fs.Float64("rate", 0, "at most `N` records per second (0: unbounded)")
	asJSON := fs.Bool("json", false, "print the report as JSON on stdout")
	batchSize := fs.Int("batch-size", 0, "records per invocation (default: the function's event source mapping's, else 100)")
	journal := fs.String("journal", "", "the journal `FILE` of accepted records (default: one per SOURCE and DEST in the user cache directory)")
	visibility := fs.Duration("visibility", 15*time.Minute, "how long received queue messages stay reserved for the run")
	verbose := fs.Bool("v", false, "log each step to stderr")
	if code, ok := parseFlags(fs, e.args, e.stderr); !ok {
		return code
	}
	bad := func(format string, args ...any) int {
		fmt.Fprintf(e.stderr, "hydrant redrive: "+format+"\n", args...)
		return exitUsage
	}
	if *from == "" || *to == "" {
		return bad("--from SOURCE and --to DEST are required")
	}
	if *rate < 0 {
		return bad("--rate %v: must be 0 (unbounded) or more", *rate)
	}
	if *batchSize < 0 || *batchSize > 10000 {
		return bad("--batch-size %d: must be between 1 and 10000", *batchSize)
	}
	now := time.Now()
	opts := redrive.Options{StreamARN: *stream, DryRun: *dryRun, Rate: *rate}
	var err error
	if opts.Since, err = parseWhen(*since, now); err != nil {
		return bad("--since: %v", err)
	}
	if opts.Until, err = parseWhen(*until, now); err != nil {
		return bad("--until: %v", err)
	}
	if !opts.Since.IsZero() && !opts.Until.IsZero() && !opts.Since.Before(opts.Until) {
		return bad("--since %s is not before --until %s", *since, *until)
	}
	if *stream != "" {
		if _, err := arn.Parse(*stream); err != nil {
			return bad("--stream %q is not an ARN: %v", *stream, err)
		}
	}
	if *patternFile != "" {
		b, err := os.ReadFile(*patternFile)
		if err != nil {
			return bad("--pattern: %v", err)
		}
		if opts.Pattern, err = eventpattern.Compile(b); err != nil {
			return bad("--pattern %s: %v", *patternFile, err)
		}
	}
	src, dst, err := parseEnds(*from, *to)
	if err != nil {
		return bad("%v", err)
	}

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	opts.Log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant redrive: %v\n", err)
		return redriveAWSFailed
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	opts.Offloads = s3c
	var source redrive.Source
	if src.queueURL != "" {
		source = redrive.NewQueueSource(awsclient.SQS(cfg), src.queueURL, *visibility)
	} else {
		source = redrive.NewArchiveSource(s3c, src.bucket, src.prefix)
	}
	var dest redrive.Destination
	if dst.function != "" {
		fd := redrive.NewFunctionDestination(lambda.NewFromConfig(cfg), dst.function)
		fd.BatchSize = *batchSize
		dest = fd
	} else {
		dest = redrive.NewStreamDestination(kinesis.NewFromConfig(cfg), dst.stream)
		if !*dryRun {
			fmt.Fprintf(e.stderr, "hydrant redrive: WARNING: the records go back onto %s: every consumer of that stream processes them again, not only the one that failed\n", dst.stream)
		}
	}

	if !*dryRun {
		path := *journal
		if path == "" {
			if path, err = defaultJournal(*from, *to); err != nil {
				return bad("no default journal (%v): give --journal FILE", err)
			}
		}
		j, err := redrive.OpenJournal(path)
		if err != nil {
			return bad("%v", err)
		}
		defer j.Close()
		opts.Journal = j
		fmt.Fprintf(e.stderr, "hydrant redrive: journal %s (%d records accepted before)\n", j.Path(), j.Len())
	}
	opts.Progress = func(p redrive.Progress) { fmt.Fprintln(e.stderr, p.String()) }

	report, err := redrive.Run(ctx, source, dest, opts)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(report)
	} else {
		_ = report.WriteText(e.stdout)
	}
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		fmt.Fprintln(e.stderr, "hydrant redrive: interrupted; run the same command again to resume (the journal keeps what was accepted)")
		return 130
	case err != nil:
		fmt.Fprintf(e.stderr, "hydrant redrive: %v\n", err)
		return redriveAWSFailed
	case !report.Complete():
		fmt.Fprintf(e.stderr, "hydrant redrive: %d records failed again and stay in the source\n", len(report.Failures))
		return redriveFailedAgain
	}
	return redriveOK
}

type redriveSource struct{ queueURL, bucket, prefix string }
type redriveDest struct{ function, stream string }

// parseEnds checks SOURCE and DEST.
func parseEnds(from, to string) (redriveSource, redriveDest, error) {
	var src redriveSource
	var dst redriveDest
	switch {
	case strings.HasPrefix(from, "s3://"):
		bucket, prefix, _ := strings.Cut(strings.TrimPrefix(from, "s3://"), "/")
		if bucket == "" {
			return src, dst, fmt.Errorf("--from %q: no bucket (s3://BUCKET/PREFIX)", from)
		}
		src.bucket, src.prefix = bucket, prefix
	case strings.HasPrefix(from, "https://") || strings.HasPrefix(from, "http://"):
		src.queueURL = from
	default:
		return src, dst, fmt.Errorf("--from %q: a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME) or s3://BUCKET/PREFIX", from)
	}
	kind, target, _ := strings.Cut(to, ":")
	switch kind {
	case "function":
		if target == "" {
			return src, dst, fmt.Errorf("--to %q: no function name", to)
		}
		dst.function = target
	case "stream":
		a, err := arn.Parse(target)
		if err != nil || a.Service != "kinesis" || !strings.HasPrefix(a.Resource, "stream/") {
			return src, dst, fmt.Errorf("--to %q: stream:ARN takes a Kinesis stream ARN (a DynamoDB stream cannot be written to)", to)
		}
		dst.stream = target
	default:
		return src, dst, fmt.Errorf("--to %q: function:NAME_OR_ARN or stream:ARN", to)
	}
	return src, dst, nil
}

// parseWhen reads RFC 3339 or a duration before now; "" is no bound.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2026-12-06T10:00:00Z) nor a positive duration (24h)", s)
}

// defaultJournal is one journal per SOURCE and DEST, so that re-running a command resumes it.
func defaultJournal(from, to string) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(from + "\x00" + to))
	return filepath.Join(dir, "hydrant", "redrive", hex.EncodeToString(sum[:8])+".journal"), nil
}
