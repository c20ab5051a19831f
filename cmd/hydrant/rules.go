package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hydrant-dev/hydrant/internal/eventpattern"
)

// Exit codes of `hydrant rules test`, a stable interface for CI: every event did what --expect
// says (match, by default), at least one did not, or the input was bad (exitUsage).
const (
	exitMatch   = 0
	exitNoMatch = 1
)

const rulesUsage = `usage: hydrant rules test --pattern FILE --event FILE [--expect match|no-match] [--explain] [--strict] [--max-size N]

Tests an EventBridge event pattern against one event, or against several events given as
JSON lines (one event per line), offline and with EventBridge's matching rules.

  --pattern FILE   the event pattern (JSON object); - reads standard input
  --event FILE     one JSON event, or JSON lines; - reads standard input (not both)
  --expect WHAT    what every event should do: match (default) or no-match
  --explain        for each event that does not match, say why on standard error
  --strict         refuse the events aws events test-event-pattern refuses: those without
                   id, account, source, time, region or detail-type
  --max-size N     largest pattern accepted, in characters (default 2048, at most 4096)

Prints "match" or "no match" (one line per event, prefixed with the event's line number
when there are several). Exit status: 0 every event did what --expect says (by default:
matched), 1 at least one did not, 2 the pattern, an event, a flag or a file is invalid (the
reason is on standard error).
`

func rulesCommand() command {
	return command{summary: "test EventBridge event patterns offline (rules test)", run: runRules}
}

func runRules(ctx context.Context, e env) int {
	if len(e.args) == 0 {
		fmt.Fprint(e.stderr, rulesUsage)
		return exitUsage
	}
	switch e.args[0] {
	case "test":
		return runRulesTest(ctx, env{args: e.args[1:], stdin: e.stdin, stdout: e.stdout, stderr: e.stderr})
	case "-h", "--help", "help":
		fmt.Fprint(e.stdout, rulesUsage)
		return 0
	default:
		fmt.Fprintf(e.stderr, "hydrant rules: unknown sub-command %q\n\n%s", e.args[0], rulesUsage)
		return exitUsage
	}
}

func runRulesTest(_ context.Context, e env) int {
	fs := flag.NewFlagSet("hydrant rules test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	patternFile := fs.String("pattern", "", "")
	eventFile := fs.String("event", "", "")
	expect := fs.String("expect", "match", "")
	explain := fs.Bool("explain", false, "")
	strict := fs.Bool("strict", false, "")
	maxSize := fs.Int("max-size", eventpattern.DefaultMaxSize, "")
	if err := fs.Parse(e.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(e.stdout, rulesUsage)
			return 0
		}
		fmt.Fprintf(e.stderr, "hydrant rules test: %v\n\n%s", err, rulesUsage)
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(e.stderr, "hydrant rules test: unexpected argument %q\n\n%s", fs.Arg(0), rulesUsage)
		return exitUsage
	case *patternFile == "" || *eventFile == "":
		fmt.Fprintf(e.stderr, "hydrant rules test: both --pattern and --event are required\n\n%s", rulesUsage)
		return exitUsage
	case *patternFile == "-" && *eventFile == "-":
		fmt.Fprintln(e.stderr, "hydrant rules test: only one of --pattern and --event can read standard input (-)")
		return exitUsage
	case *expect != "match" && *expect != "no-match":
		fmt.Fprintf(e.stderr, "hydrant rules test: --expect %q: must be match or no-match\n", *expect)
		return exitUsage
	case *maxSize < 1 || *maxSize > eventpattern.HardMaxSize:
		fmt.Fprintf(e.stderr, "hydrant rules test: --max-size %d: must be between 1 and %d\n", *maxSize, eventpattern.HardMaxSize)
		return exitUsage
	}

	patternText, err := readInput(e.stdin, *patternFile)
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant rules test: read pattern: %v\n", err)
		return exitUsage
	}
	pattern, err := eventpattern.CompileOptions(bytes.TrimSpace(patternText), eventpattern.Options{MaxSize: *maxSize})
	if err == nil {
		err = eventpattern.CheckComplexity(bytes.TrimSpace(patternText)) // as PutRule and TestEventPattern refuse it
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant rules test: pattern %s: %v\n", inputName(*patternFile), err)
		return exitUsage
	}
	eventText, err := readInput(e.stdin, *eventFile)
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant rules test: read event: %v\n", err)
		return exitUsage
	}
	events, err := splitEvents(eventText)
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant rules test: event %s: %v\n", inputName(*eventFile), err)
		return exitUsage
	}

	// The Set reads each event in one pass and only at the paths the pattern names, which
	// keeps a file of many events cheap; the Explain path parses the whole event.
	set := eventpattern.NewSet()
	set.AddPattern("pattern", pattern)
	code := exitMatch
	invalid := false
	for _, ev := range events {
		label := ""
		where := "event " + inputName(*eventFile)
		if len(events) > 1 {
			label = fmt.Sprintf("%d: ", ev.line)
			where = fmt.Sprintf("event %s line %d", inputName(*eventFile), ev.line)
		}
		names, err := set.MatchJSON(ev.text)
		if err == nil && *strict {
			if err = eventpattern.CheckEnvelope(ev.text); err != nil {
				err = fmt.Errorf("--strict: %w (aws events test-event-pattern answers ValidationException: Parameter Event is not valid.)", err)
			}
		}
		if err != nil {
			fmt.Fprintf(e.stdout, "%sinvalid\n", label)
			fmt.Fprintf(e.stderr, "hydrant rules test: %s: %v\n", where, err)
			invalid = true
			continue
		}
		matched := len(names) > 0
		if matched {
			fmt.Fprintf(e.stdout, "%smatch\n", label)
		} else {
			fmt.Fprintf(e.stdout, "%sno match\n", label)
			if *explain {
				parsed, err := eventpattern.ParseEvent(ev.text)
				if err != nil { // unreachable: the Set accepted the event
					fmt.Fprintf(e.stderr, "hydrant rules test: %s: %v\n", where, err)
					invalid = true
					continue
				}
				writeExplanation(e.stderr, where, pattern.Explain(parsed))
			}
		}
		if matched != (*expect == "match") {
			code = exitNoMatch
		}
	}
	if invalid {
		return exitUsage
	}
	return code
}

// writeExplanation lists, per alternative of the pattern, the fields the event failed.
func writeExplanation(w io.Writer, where string, alts [][]eventpattern.Mismatch) {
	fmt.Fprintf(w, "%s: no match\n", where)
	for i, ms := range alts {
		indent := "  "
		if len(alts) > 1 {
			fmt.Fprintf(w, "  alternative %d ($or branch):\n", i+1)
			indent = "    "
		}
		for _, m := range ms {
			if m.Path == "" {
				fmt.Fprintf(w, "%s%s\n", indent, m.Reason)
			} else {
				fmt.Fprintf(w, "%s%s: %s\n", indent, m.Path, m.Reason)
			}
		}
	}
}

// inputName names a --pattern or --event argument in messages.
func inputName(name string) string {
	if name == "-" {
		return "(standard input)"
	}
	return name
}

func readInput(stdin io.Reader, name string) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("standard input: %w", err)
		}
		return b, nil
	}
	return os.ReadFile(name)
}

type lineEvent struct {
	line int // 1-based line the event starts on
	text []byte
}

// splitEvents reads one JSON document (which may span lines) or JSON lines. A document that
// is valid JSON as a whole is one event; otherwise, when its first line is a JSON value on its
// own, every non-blank line is an event; otherwise the whole document is reported as invalid.
func splitEvents(data []byte) ([]lineEvent, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("no event: the input is empty")
	}
	if json.Valid(trimmed) {
		line := 1 + bytes.Count(data[:bytes.Index(data, trimmed[:1])], []byte("\n"))
		return []lineEvent{{line: line, text: trimmed}}, nil
	}
	var out []lineEvent
	for i, l := range bytes.Split(data, []byte("\n")) {
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		if len(out) == 0 && !json.Valid(l) {
			// Not JSON lines: report the whole document's syntax error.
			var v any
			err := json.Unmarshal(trimmed, &v)
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		out = append(out, lineEvent{line: i + 1, text: l})
	}
	return out, nil
}
