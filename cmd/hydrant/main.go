// Command hydrant is Hydrant's command-line tool: it hydrates failure records by hand, tests
// EventBridge rules offline, previews the Pulumi program and runs the local cloud.
//
// Exit codes are an interface other tools rely on; each command documents its own, and every
// command exits 2 on bad input (an unknown command, a bad flag, an unreadable file).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// env is what a command gets from the process: its arguments and standard streams. Tests
// build one with buffers instead of the process's files.
type env struct {
	args   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command runs one sub-command and returns the process exit code.
type command struct {
	summary string
	run     func(ctx context.Context, e env) int
}

// exitUsage is the exit code for bad input of any kind.
const exitUsage = 2

// exitInterrupted is the exit code of a command that Ctrl-C or SIGTERM stopped before it had
// done its work: 128 + SIGINT, what a shell reports for a process killed by Ctrl-C.
const exitInterrupted = 130

// interrupted reports an interrupted command in one line (the errors the cancellation caused
// inside, such as a killed child process, say nothing more) and returns exitInterrupted. The
// caller has already stopped what it started.
func interrupted(stderr io.Writer, name string) int {
	fmt.Fprintf(stderr, "%s: interrupted\n", name)
	return exitInterrupted
}

func commands() map[string]command {
	return map[string]command{
		// Each sub-command's file adds its entry here.
		"rules":   rulesCommand(),
		"hydrate": hydrateCommand(),
		"local":   localCommand(),
		"plan":    planCommand(),
		"demo":    demoCommand(),
		"redrive": redriveCommand(),
		// intake-dlq: the intake DLQ's messages, listed and moved back (intakedlq.go).
		"intake-dlq": intakeDLQCommand(),
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, env{args: os.Args[1:], stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

func run(ctx context.Context, e env) int {
	cmds := commands()
	if len(e.args) == 0 || e.args[0] == "-h" || e.args[0] == "--help" || e.args[0] == "help" {
		usage(e.stderr, cmds)
		if len(e.args) == 0 {
			return exitUsage
		}
		return 0
	}
	c, ok := cmds[e.args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "hydrant: unknown command %q\n", e.args[0])
		usage(e.stderr, cmds)
		return exitUsage
	}
	return c.run(ctx, env{args: e.args[1:], stdin: e.stdin, stdout: e.stdout, stderr: e.stderr})
}

// parseFlags parses a command's flags and refuses stray arguments. When the command must stop
// it returns false with the exit code: 0 after -h (the flag package printed the usage), exitUsage
// for a bad flag or an argument (named on stderr).
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage, false
	}
	return 0, true
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: hydrant <command> [flags]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
}
