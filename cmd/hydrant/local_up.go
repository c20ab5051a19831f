package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/hydrant-dev/hydrant/infra/lambdabuild"
	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/hydrant-dev/hydrant/infra/stack"
	"github.com/hydrant-dev/hydrant/internal/localcloud"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// Exit codes of `hydrant local up` (and of `hydrant demo` when the deployment fails).
const (
	localUpOK     = 0 // ran until interrupted, then stopped everything it started
	localUpFailed = 1 // the emulators or the deployment failed
)

const localUpUsage = `usage: hydrant local up [--stack NAME] [--dir DIR] [--log-level LEVEL]

Deploys the Pulumi program (infra/) with the configuration of Pulumi.NAME.yaml onto the local
cloud: queues and topics on goaws, buckets on gofakes3 (behind an S3 proxy that sends bucket
notifications), streams on kinesis-local, tables on DynamoDB Local, the bus, rules, targets and
archives on a local EventBridge endpoint, functions in-process and event source mappings as
local pollers. Emulators named by AWS_ENDPOINT_URL_<SERVICE> are reused; otherwise it starts
them (scripts/emulators) and stops them on exit.

Prints the resources, then the environment that points the AWS CLI or an SDK at the local
cloud, and runs until interrupted (Ctrl-C, SIGTERM).

Exit codes: 0 stopped after an interrupt, 1 the emulators or the deployment failed, 2 bad input.

flags:
`

// localSession is a running local cloud with the stack deployed.
type localSession struct {
	cloud *localcloud.Cloud
	stack *plan.StackConfig
	emu   *emulators.Set // nil when the emulators were already running
}

type localFlags struct {
	stack, dir, logLevel *string
}

func addLocalFlags(fs *flag.FlagSet, defaultLevel string) localFlags {
	return localFlags{
		stack:    fs.String("stack", "demo", "the stack `NAME`: deploys with the configuration of Pulumi.NAME.yaml"),
		dir:      fs.String("dir", "", "the project `DIR` holding Pulumi.yaml (default: the nearest one from the working directory up)"),
		logLevel: fs.String("log-level", defaultLevel, "log `LEVEL` of the local cloud and its functions: debug, info, warn or error"),
	}
}

// open validates the flags (an error here is bad input) and returns the stack config, the
// project directory and the logger.
func (f localFlags) open(stderr io.Writer) (*plan.StackConfig, string, *slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(*f.logLevel)); err != nil {
		return nil, "", nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", *f.logLevel)
	}
	root := *f.dir
	if root == "" {
		found, err := lambdabuild.FindUp(".", "Pulumi.yaml")
		if err != nil {
			return nil, "", nil, fmt.Errorf("%v (use --dir)", err)
		}
		root = found
	}
	cfg, err := plan.LoadStackConfig(root, *f.stack)
	if err != nil {
		return nil, "", nil, err
	}
	return cfg, root, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})), nil
}

// startLocal starts (or reuses) the emulators, starts the local cloud and deploys the stack.
func startLocal(ctx context.Context, cfg *plan.StackConfig, root string, log *slog.Logger, progress io.Writer) (*localSession, error) {
	s := &localSession{stack: cfg}
	endpoints, ok := emulators.FromEnv()
	if ok {
		if err := endpoints.Validate(); err != nil {
			return nil, fmt.Errorf("emulator endpoints in the environment: %w", err)
		}
		fmt.Fprintln(progress, "using the emulators named by AWS_ENDPOINT_URL_*")
	} else {
		fmt.Fprintln(progress, "starting the emulators (scripts/emulators up)...")
		started := time.Now()
		set, err := emulators.Start(ctx, root)
		if err != nil {
			return nil, err
		}
		s.emu, endpoints = set, set.Endpoints
		fmt.Fprintf(progress, "emulators ready in %.1fs\n", time.Since(started).Seconds())
	}
	cloud, err := localcloud.Start(ctx, localcloud.Options{Endpoints: endpoints, Logger: log})
	if err != nil {
		s.close(context.WithoutCancel(ctx))
		return nil, err
	}
	s.cloud = cloud
	fmt.Fprintf(progress, "deploying stack %s locally...\n", cfg.Stack)
	started := time.Now()
	if err := cloud.Deploy(ctx, cfg, stack.Program(localcloud.SourceCode{})); err != nil {
		s.close(context.WithoutCancel(ctx))
		return nil, err
	}
	fmt.Fprintf(progress, "deployed %d resources in %.1fs\n", len(cloud.Resources()), time.Since(started).Seconds())
	return s, nil
}

// close stops the local cloud and the emulators this session started.
func (s *localSession) close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var errs []error
	if s.cloud != nil {
		if err := s.cloud.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop local cloud: %w", err))
		}
	}
	if s.emu != nil {
		if err := s.emu.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// printResources lists the deployment.
func printResources(w io.Writer, c *localcloud.Cloud) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tNAME\tMODE\tPHYSICAL\tNOTE")
	for _, r := range c.Resources() {
		if r.Mode == localcloud.ModeComponent {
			continue
		}
		phys := r.Physical
		if phys == "" {
			phys = r.ID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Type, r.Name, r.Mode, phys, r.Note)
	}
	tw.Flush()
	if ss := c.Schemas(); len(ss) > 0 {
		fmt.Fprintln(w, "\nschemas:")
		for _, s := range ss {
			fmt.Fprintf(w, "  %s/%s (%s, version %s)\n", s.Registry, s.Name, s.Type, s.Version)
		}
	}
}

// printEnv prints the export lines for the AWS CLI and SDKs.
func printEnv(w io.Writer, c *localcloud.Cloud) {
	for _, kv := range c.Env() {
		fmt.Fprintf(w, "export %s=%s\n", kv[0], kv[1])
	}
}

func runLocalUp(ctx context.Context, e env) int {
	fs := flag.NewFlagSet("hydrant local up", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, localUpUsage); fs.PrintDefaults() }
	lf := addLocalFlags(fs, "info")
	if code, ok := parseFlags(fs, e.args, e.stderr); !ok {
		return code
	}
	cfg, root, log, err := lf.open(e.stderr)
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant local up: %v\n", err)
		return exitUsage
	}
	s, err := startLocal(ctx, cfg, root, log, e.stderr)
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant local up: %v\n", err)
		return localUpFailed
	}
	printResources(e.stdout, s.cloud)
	fmt.Fprintf(e.stdout, "\n# point the AWS CLI or an SDK at the local cloud (stack %s):\n", cfg.Stack)
	printEnv(e.stdout, s.cloud)
	fmt.Fprintln(e.stderr, "\nlocal cloud running; Ctrl-C to stop")
	<-ctx.Done()
	fmt.Fprintln(e.stderr, "stopping...")
	if err := s.close(context.WithoutCancel(ctx)); err != nil {
		fmt.Fprintf(e.stderr, "hydrant local up: %v\n", err)
		return localUpFailed
	}
	fmt.Fprintln(e.stderr, "stopped")
	return localUpOK
}
