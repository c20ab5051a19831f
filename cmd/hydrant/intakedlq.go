package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/hydrant-dev/hydrant/internal/awsclient"
	"github.com/hydrant-dev/hydrant/internal/intakedlq"
)

// Exit codes of `hydrant intake-dlq`.
const (
	intakeDLQOK        = 0 // listed; or every message moved
	intakeDLQAWSFailed = 1 // an AWS call failed, or the move task failed or was cancelled
	intakeDLQRefused   = 3 // move: the DLQ holds refused records and --include-refused was not given; nothing moved
)

const intakeDLQUsage = `usage: hydrant intake-dlq list         --dlq URL [--max N] [--json]
       hydrant intake-dlq take-refused --dlq URL --out FILE
       hydrant intake-dlq move         --dlq URL --to URL [--include-refused] [--rate N] [--dry-run]
       hydrant intake-dlq status       --dlq URL [--json]

What an operator does with the intake DLQ of a deployed stack (or of the local cloud).
URL is a queue URL: --dlq the intake DLQ (hydrant-intake-dlq-…), --to the intake queue
(pulumi stack output intakeQueueUrl).

list          shows each message without consuming it (each is received, then made visible
              again): its refusal reason (HydrantRefusal, HydrantRefusalDetail,
              HydrantSenderId) if the hydrate function refused it as untrusted, and the stream
              or objects its failure record names.
take-refused  takes the refused records out of the DLQ: each is appended to FILE as a JSON
              line (body and refusal attributes) and synced, and only then deleted.
move          moves the messages back to the intake queue with SQS's own message move task
              (StartMessageMoveTask), so the hydrate function hydrates them again with all its
              checks, and shows the task's progress until it ends; Ctrl-C cancels the task. A
              move task moves every message: when the DLQ holds refused records (evidence, not
              work to redo) it moves nothing and exits 3, unless --include-refused is given.
status        lists the DLQ's recent move tasks.

Exit codes: 0 done; 1 an AWS call failed, or the move task failed or was cancelled (what it did
not move stays in the DLQ); 2 bad input; 3 move: refused records in the DLQ, nothing moved;
130 interrupted (a running move task is cancelled).

flags:
`

func intakeDLQCommand() command {
	return command{summary: "list the intake DLQ's messages (with refusal reasons) and move them back to the intake queue", run: runIntakeDLQ}
}

// intakeDLQClient is the SQS client of the command. It speaks SQS's JSON protocol (the SDK's
// default), not awsclient.SQS's query protocol: the message move task operations are served
// by AWS on both, by the local cloud's SQS endpoint only on JSON (goaws, which speaks only
// query, has none).
func intakeDLQClient(ctx context.Context) (*sqs.Client, error) {
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		return nil, err
	}
	return sqs.NewFromConfig(cfg), nil
}

func runIntakeDLQ(ctx context.Context, e env) int {
	if len(e.args) == 0 || strings.HasPrefix(e.args[0], "-") {
		fmt.Fprint(e.stderr, intakeDLQUsage)
		if len(e.args) > 0 && (e.args[0] == "-h" || e.args[0] == "--help") {
			return 0
		}
		fmt.Fprintln(e.stderr, "hydrant intake-dlq: give a subcommand: list, take-refused, move or status")
		return exitUsage
	}
	sub, args := e.args[0], e.args[1:]
	fs := flag.NewFlagSet("hydrant intake-dlq "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, intakeDLQUsage); fs.PrintDefaults() }
	dlq := fs.String("dlq", "", "the intake DLQ's queue `URL` (required)")
	name := "hydrant intake-dlq " + sub
	bad := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, name+": "+format+"\n", a...)
		return exitUsage
	}
	switch sub {
	case "list":
		max := fs.Int("max", 1000, "list at most `N` messages")
		asJSON := fs.Bool("json", false, "print the messages (bodies included) and the summary as JSON")
		if code, ok := parseFlags(fs, args, e.stderr); !ok {
			return code
		}
		if err := checkQueueURL("--dlq", *dlq); err != nil {
			return bad("%v", err)
		}
		if *max < 1 {
			return bad("--max %d: must be 1 or more", *max)
		}
		return intakeDLQList(ctx, e, name, *dlq, *max, *asJSON)
	case "move":
		to := fs.String("to", "", "the intake queue's `URL` (required)")
		includeRefused := fs.Bool("include-refused", false, "move refused records back too (they are refused again and return to the DLQ)")
		rate := fs.Int("rate", 0, "at most `N` messages per second, 1 to 500 (0: as fast as SQS moves them)")
		dryRun := fs.Bool("dry-run", false, "say what would be moved; move nothing")
		poll := fs.Duration("poll", time.Second, "how often the task's progress is read")
		if code, ok := parseFlags(fs, args, e.stderr); !ok {
			return code
		}
		if err := checkQueueURL("--dlq", *dlq); err != nil {
			return bad("%v", err)
		}
		if err := checkQueueURL("--to", *to); err != nil {
			return bad("%v", err)
		}
		if *rate < 0 || *rate > 500 {
			return bad("--rate %d: must be between 1 and 500, or 0", *rate)
		}
		if *poll <= 0 {
			return bad("--poll %v: must be positive", *poll)
		}
		return intakeDLQMove(ctx, e, name, *dlq, *to, *includeRefused, *dryRun, intakedlq.MoveOptions{Rate: int32(*rate), Poll: *poll})
	case "take-refused":
		out := fs.String("out", "", "append the refused records to `FILE`, one JSON line each (required)")
		if code, ok := parseFlags(fs, args, e.stderr); !ok {
			return code
		}
		if err := checkQueueURL("--dlq", *dlq); err != nil {
			return bad("%v", err)
		}
		if *out == "" {
			return bad("--out FILE is required: the refused records are evidence and are kept there before they leave the DLQ")
		}
		return intakeDLQTakeRefused(ctx, e, name, *dlq, *out)
	case "status":
		asJSON := fs.Bool("json", false, "print the tasks as JSON")
		if code, ok := parseFlags(fs, args, e.stderr); !ok {
			return code
		}
		if err := checkQueueURL("--dlq", *dlq); err != nil {
			return bad("%v", err)
		}
		return intakeDLQStatus(ctx, e, name, *dlq, *asJSON)
	}
	fmt.Fprint(e.stderr, intakeDLQUsage)
	return bad("unknown subcommand %q: list, take-refused, move or status", sub)
}

// checkQueueURL refuses what is not a queue URL (a name or an ARN is a common slip).
func checkQueueURL(flagName, u string) error {
	if u == "" {
		return fmt.Errorf("%s URL is required", flagName)
	}
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return fmt.Errorf("%s %q: a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME), not a name or an ARN", flagName, u)
	}
	return nil
}

// awsFailed reports an AWS failure (or the interrupt) and returns the exit code.
func awsFailed(ctx context.Context, e env, name string, err error) int {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return interrupted(e.stderr, name)
	}
	var input *intakedlq.InputError
	if errors.As(err, &input) {
		fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
	return intakeDLQAWSFailed
}

func intakeDLQList(ctx context.Context, e env, name, dlq string, max int, asJSON bool) int {
	c, err := intakeDLQClient(ctx)
	if err != nil {
		return awsFailed(ctx, e, name, err)
	}
	// Checked first: receiving from another queue (the intake queue, say) would hide its
	// messages from their consumer.
	if err := intakedlq.CheckDLQ(ctx, c, dlq, ""); err != nil {
		return awsFailed(ctx, e, name, err)
	}
	msgs, err := intakedlq.Peek(ctx, c, dlq, max, peekVisibility)
	if err != nil {
		return awsFailed(ctx, e, name, err)
	}
	sum := intakedlq.Summarize(msgs)
	if asJSON {
		if msgs == nil {
			msgs = []intakedlq.Message{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			Queue    string              `json:"queue"`
			Messages []intakedlq.Message `json:"messages"`
			Summary  intakedlq.Summary   `json:"summary"`
		}{dlq, msgs, sum})
		return intakeDLQOK
	}
	writeMessages(e.stdout, msgs)
	fmt.Fprintln(e.stdout, sum.String())
	return intakeDLQOK
}

// peekVisibility is how long list and move hold the messages they read: the listing takes
// seconds, and a message must not stay hidden for long after it.
const peekVisibility = 30 * time.Second

// writeMessages prints one block per message.
func writeMessages(w io.Writer, msgs []intakedlq.Message) {
	for _, m := range msgs {
		state := "failed"
		if m.Refused() {
			state = "refused " + m.Refusal
		}
		fmt.Fprintf(w, "%s  sent %s  received %d times  %s\n", m.MessageID, m.SentAt.Format(time.RFC3339), m.ReceiveCount, state)
		if m.Refused() {
			fmt.Fprintf(w, "    %s\n", m.RefusalDetail)
			if m.RefusalSenderID != "" {
				fmt.Fprintf(w, "    sender %s\n", m.RefusalSenderID)
			}
		}
		for _, n := range m.Names {
			fmt.Fprintf(w, "    %s\n", n)
		}
		if m.ParseError != "" {
			fmt.Fprintf(w, "    not a failure record: %s\n", m.ParseError)
		}
	}
}

// clientAndARN is the command's client and the ARN of the queue at url.
func clientAndARN(ctx context.Context, url string) (*sqs.Client, string, error) {
	c, err := intakeDLQClient(ctx)
	if err != nil {
		return nil, "", err
	}
	a, err := intakedlq.QueueARN(ctx, c, url)
	return c, a, err
}

func intakeDLQMove(ctx context.Context, e env, name, dlq, to string, includeRefused, dryRun bool, o intakedlq.MoveOptions) int {
	c, dlqARN, err := clientAndARN(ctx, dlq)
	if err != nil {
		return awsFailed(ctx, e, name, err)
	}
	toARN, err := intakedlq.QueueARN(ctx, c, to)
	if err != nil {
		return awsFailed(ctx, e, name, err)
	}
	if err := intakedlq.CheckDLQ(ctx, c, dlq, to); err != nil {
		return awsFailed(ctx, e, name, err)
	}
	// A move task moves every message and cannot filter: count the refused ones first. A
	// message in flight (another reader's, or hidden by an interrupted list) cannot be seen,
	// so it cannot be counted: it might be a refused record the task would move back.
	if !includeRefused {
		n, err := intakedlq.InFlight(ctx, c, dlq)
		// A list (this command's own, or an interrupted one) hides what it reads for up to
		// peekVisibility: wait that long for them to be visible again before giving up.
		for deadline := time.Now().Add(peekVisibility + 5*time.Second); err == nil && n > 0 && time.Now().Before(deadline); {
			fmt.Fprintf(e.stderr, "%s: waiting for %d messages in flight to be visible again\n", name, n)
			select {
			case <-ctx.Done():
				fmt.Fprintf(e.stderr, "%s: interrupted: nothing moved\n", name)
				return exitInterrupted
			case <-time.After(2 * time.Second):
			}
			n, err = intakedlq.InFlight(ctx, c, dlq)
		}
		if err != nil {
			return awsFailed(ctx, e, name, err)
		}
		if n > 0 {
			fmt.Fprintf(e.stderr, "%s: %d messages of the DLQ are in flight (received by another reader, or hidden by an interrupted list for up to %s), so they cannot be checked for refused records; nothing moved.\n"+
				"  Move again once they are visible, or give --include-refused\n", name, n, peekVisibility)
			return intakeDLQRefused
		}
	}
	msgs, err := intakedlq.Peek(ctx, c, dlq, 100000, peekVisibility)
	if err != nil {
		return awsFailed(ctx, e, name, err)
	}
	sum := intakedlq.Summarize(msgs)
	fmt.Fprintf(e.stderr, "%s: %s\n", name, sum)
	switch {
	case sum.Total == 0:
		fmt.Fprintf(e.stderr, "%s: nothing to move\n", name)
		return intakeDLQOK
	case sum.Refused > 0 && !includeRefused:
		fmt.Fprintf(e.stderr, "%s: %d refused records would be moved back with the others (a move task cannot leave them out); nothing moved.\n"+
			"  Take them out as evidence first (hydrant intake-dlq take-refused --dlq URL --out FILE), then move again;\n"+
			"  or give --include-refused: they are refused again and return to the DLQ with a new refusal\n", name, sum.Refused)
		return intakeDLQRefused
	case dryRun:
		fmt.Fprintf(e.stderr, "%s: dry run: would move %d messages (%d refused) from %s to %s\n", name, sum.Total, sum.Refused, dlqARN, toARN)
		return intakeDLQOK
	}
	fmt.Fprintf(e.stderr, "%s: moving %s to %s\n", name, dlqARN, toARN)
	o.Progress = func(p intakedlq.Progress) { fmt.Fprintf(e.stderr, "%s: %s\n", name, p) }
	p, err := intakedlq.Move(ctx, c, dlqARN, toARN, o)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			fmt.Fprintf(e.stderr, "%s: interrupted: the move task is cancelled after moving %d messages; the rest stays in the DLQ\n", name, p.Moved)
			return exitInterrupted
		}
		return awsFailed(ctx, e, name, err)
	}
	fmt.Fprintf(e.stdout, "moved %d messages from %s to %s\n", p.Moved, dlqARN, toARN)
	return intakeDLQOK
}

func intakeDLQStatus(ctx context.Context, e env, name, dlq string, asJSON bool) int {
	c, dlqARN, err := clientAndARN(ctx, dlq)
	if err != nil {
		return awsFailed(ctx, e, name, err)
	}
	tasks, err := intakedlq.Tasks(ctx, c, dlqARN)
	if err != nil {
		return awsFailed(ctx, e, name, err)
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(tasks)
		return intakeDLQOK
	}
	if len(tasks) == 0 {
		fmt.Fprintf(e.stdout, "no move tasks on %s\n", dlqARN)
	}
	for _, t := range tasks {
		line := fmt.Sprintf("%s  %s  moved %d of %d", time.UnixMilli(t.StartedTimestamp).UTC().Format(time.RFC3339), aws.ToString(t.Status),
			t.ApproximateNumberOfMessagesMoved, aws.ToInt64(t.ApproximateNumberOfMessagesToMove))
		if t.DestinationArn != nil {
			line += "  to " + aws.ToString(t.DestinationArn)
		}
		if t.FailureReason != nil {
			line += "  failed: " + aws.ToString(t.FailureReason)
		}
		fmt.Fprintln(e.stdout, line)
	}
	return intakeDLQOK
}

func intakeDLQTakeRefused(ctx context.Context, e env, name, dlq, out string) int {
	f, err := os.OpenFile(out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: --out: %v\n", name, err)
		return exitUsage
	}
	defer f.Close()
	c, err := intakeDLQClient(ctx)
	if err != nil {
		return awsFailed(ctx, e, name, err)
	}
	if err := intakedlq.CheckDLQ(ctx, c, dlq, ""); err != nil {
		return awsFailed(ctx, e, name, err)
	}
	enc := json.NewEncoder(f)
	n, err := intakedlq.TakeRefused(ctx, c, dlq, peekVisibility, func(m intakedlq.Message) error {
		if err := enc.Encode(m); err != nil {
			return err
		}
		return f.Sync() // on disk before the message leaves the DLQ
	})
	fmt.Fprintf(e.stdout, "took %d refused records out of %s into %s\n", n, dlq, out)
	if err != nil {
		return awsFailed(ctx, e, name, err)
	}
	return intakeDLQOK
}
