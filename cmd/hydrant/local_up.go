package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
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

const localUpUsage = `usage: hydrant local up [--stack NAME] [--json] [--dir DIR] [--log-level LEVEL]

Deploys the Pulumi program (infra/) with the configuration of Pulumi.NAME.yaml onto the local
cloud: queues and topics on goaws, buckets on gofakes3 (behind an S3 proxy that sends bucket
notifications), streams on kinesis-local, tables on DynamoDB Local, the bus, rules, targets and
archives on a local EventBridge endpoint, functions in-process and event source mappings as
local pollers. For each team with an inbox (hydrant:teams[].inbox, a team in another account),
it then deploys the team's own stack: the inbox bus with a rule matching every event to a
queue, standing for the team's account. Emulators named by AWS_ENDPOINT_URL_<SERVICE> are
reused; otherwise it starts them (scripts/emulators) and stops them on exit.

Prints what you need to use it: the event buses, the queues with their URLs, the streams,
tables, buckets, functions and schemas, the team inboxes (account, streams, queues), then the
environment that points the AWS CLI, an SDK and hydrant hydrate at the local cloud (--json: all
of that and every resource, as one JSON object), and runs until interrupted (Ctrl-C, SIGTERM).

Exit codes: 0 stopped after an interrupt, 1 the emulators or the deployment failed, 2 bad input,
130 interrupted before the stack was deployed.

flags:
`

// localSession is a running local cloud with the stack deployed.
type localSession struct {
	cloud *localcloud.Cloud
	stack *plan.StackConfig
	emu   *emulators.Set // nil when the emulators were already running
	// inboxes are the team inboxes deployed beside the stack, each from the team's own stack.
	inboxes []localcloud.TeamInbox
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

// startLocal starts (or reuses) the emulators, starts the local cloud and deploys the stack,
// then the own stack of each team with an inbox (standing for the team's account).
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
	if s.inboxes, err = cloud.DeployTeamInboxes(ctx, cfg); err != nil {
		s.close(context.WithoutCancel(ctx))
		return nil, err
	}
	for _, in := range s.inboxes {
		fmt.Fprintf(progress, "deployed the stack of team %s (standing for account %s): inbox bus %s\n", in.Team, in.Account, in.Bus.Physical)
	}
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

// localItem is one resource of the summary: its logical name (the program's) and what a
// person types to reach it.
type localItem struct {
	Name     string `json:"name"`               // the program's (logical) name
	Physical string `json:"physical,omitempty"` // the name on the emulator
	ARN      string `json:"arn,omitempty"`
	URL      string `json:"url,omitempty"`  // queues
	Note     string `json:"note,omitempty"` // e.g. a table's stream
}

// localSummary is what `hydrant local up` prints: as text, the parts a person uses; as JSON,
// the same plus every resource.
type localSummary struct {
	Stack     string                `json:"stack"`
	Buses     []localItem           `json:"buses"`
	Queues    []localItem           `json:"queues"`
	Topics    []localItem           `json:"topics"`
	Streams   []localItem           `json:"streams"`
	Tables    []localItem           `json:"tables"`
	Buckets   []localItem           `json:"buckets"`
	Functions []localItem           `json:"functions"`
	Schemas   []string              `json:"schemas"`
	Inboxes   []localInbox          `json:"inboxes"`
	Env       []localEnvVar         `json:"env"`
	Resources []localcloud.Resource `json:"resources"`
}

// localInbox is a team inbox: the bus of the team's own stack, standing for the team's
// account, the streams Hydrant forwards to it, and the queues of that stack.
type localInbox struct {
	Team    string      `json:"team"`
	Account string      `json:"account"`
	Bus     localItem   `json:"bus"`
	Streams []string    `json:"streams"`
	Queues  []localItem `json:"queues"`
}

type localEnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// summarize groups the deployment's resources by what a person does with them; the team
// inboxes' resources (their own stacks') are listed under their inbox.
func summarize(stackName string, c *localcloud.Cloud, inboxes []localcloud.TeamInbox) localSummary {
	sum := localSummary{Stack: stackName, Resources: []localcloud.Resource{}, Inboxes: []localInbox{}}
	teamQueues := map[string][]localItem{}
	groups := map[string]*[]localItem{
		"aws:cloudwatch/eventBus:EventBus": &sum.Buses,
		"aws:sqs/queue:Queue":              &sum.Queues,
		"aws:sns/topic:Topic":              &sum.Topics,
		"aws:kinesis/stream:Stream":        &sum.Streams,
		"aws:dynamodb/table:Table":         &sum.Tables,
		"aws:s3/bucket:Bucket":             &sum.Buckets,
		"aws:lambda/function:Function":     &sum.Functions,
	}
	for _, g := range groups {
		*g = []localItem{}
	}
	for _, r := range c.Resources() {
		if r.Mode == localcloud.ModeComponent {
			continue
		}
		sum.Resources = append(sum.Resources, r)
		if r.Team != "" {
			if r.Type == "aws:sqs/queue:Queue" {
				teamQueues[r.Team] = append(teamQueues[r.Team], localItem{Name: r.Name, Physical: r.Physical, ARN: r.ARN, URL: r.ID})
			}
			continue
		}
		g, ok := groups[r.Type]
		if !ok {
			continue
		}
		it := localItem{Name: r.Name, Physical: r.Physical, ARN: r.ARN}
		switch r.Type {
		case "aws:sqs/queue:Queue":
			it.URL = r.ID // the local cloud's queue URL, on its own SQS endpoint
		case "aws:dynamodb/table:Table":
			// Its stream, which the note names first ("stream ARN; encryption accepted, ...").
			if arn, ok := strings.CutPrefix(r.Note, "stream "); ok {
				it.Note, _, _ = strings.Cut(arn, ";")
				it.Note = "stream " + it.Note
			}
		}
		*g = append(*g, it)
	}
	for _, in := range inboxes {
		li := localInbox{Team: in.Team, Account: in.Account, Streams: []string{}, Queues: teamQueues[in.Team],
			Bus: localItem{Name: in.Bus.Name, Physical: in.Bus.Physical, ARN: in.Bus.ARN, Note: "configured as " + in.InboxArn}}
		if li.Queues == nil {
			li.Queues = []localItem{}
		}
		for _, st := range in.Streams {
			if st.Prefix {
				li.Streams = append(li.Streams, st.ARN+"*")
			} else {
				li.Streams = append(li.Streams, st.ARN)
			}
		}
		sum.Inboxes = append(sum.Inboxes, li)
	}
	sum.Schemas = []string{}
	for _, s := range c.Schemas() {
		sum.Schemas = append(sum.Schemas, fmt.Sprintf("%s/%s (%s, version %s)", s.Registry, s.Name, s.Type, s.Version))
	}
	for _, kv := range c.Env() {
		sum.Env = append(sum.Env, localEnvVar{kv[0], kv[1]})
	}
	// hydrant hydrate --publish reads its bus from HYDRANT_EVENT_BUS, as the function does.
	if len(sum.Buses) == 1 {
		sum.Env = append(sum.Env, localEnvVar{"HYDRANT_EVENT_BUS", sum.Buses[0].Physical})
	}
	return sum
}

// writeText prints the summary for a person: one short line per resource they would use.
func (s localSummary) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "stack %s deployed on the local cloud: %d resources (all of them: hydrant local up --json)\n", s.Stack, len(s.Resources))
	section := func(title string, items []localItem, value func(localItem) string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(tw, "\n%s\n", title)
		for _, it := range items {
			fmt.Fprintf(tw, "  %s\t%s\n", it.Name, value(it))
		}
	}
	physical := func(it localItem) string { return it.Physical }
	section("event buses", s.Buses, physical)
	section("queues (URL)", s.Queues, func(it localItem) string { return it.URL })
	section("topics (ARN)", s.Topics, func(it localItem) string { return it.ARN })
	section("streams", s.Streams, physical)
	section("tables", s.Tables, func(it localItem) string {
		if it.Note == "" {
			return it.Physical
		}
		return it.Physical + "  (" + it.Note + ")"
	})
	section("buckets", s.Buckets, physical)
	section("functions (in-process)", s.Functions, physical)
	if len(s.Schemas) > 0 {
		fmt.Fprintln(tw, "\nschemas")
		for _, sc := range s.Schemas {
			fmt.Fprintf(tw, "  %s\n", sc)
		}
	}
	if len(s.Inboxes) > 0 {
		fmt.Fprintln(tw, "\nteam inboxes (each a bus standing for the team's own account, deployed from the team's own stack; its queues)")
		for _, in := range s.Inboxes {
			fmt.Fprintf(tw, "  %s: bus %s (account %s; streams %s)\n", in.Team, in.Bus.Physical, in.Account, strings.Join(in.Streams, ", "))
			for _, q := range in.Queues {
				fmt.Fprintf(tw, "    %s\t%s\n", q.Name, q.URL)
			}
		}
	}
	fmt.Fprintf(tw, "\n# point the AWS CLI, an SDK and hydrant hydrate at the local cloud (stack %s):\n", s.Stack)
	for _, kv := range s.Env {
		fmt.Fprintf(tw, "export %s=%s\n", kv.Name, kv.Value)
	}
	return tw.Flush()
}

func (s localSummary) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

func runLocalUp(ctx context.Context, e env) int {
	fs := flag.NewFlagSet("hydrant local up", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, localUpUsage); fs.PrintDefaults() }
	lf := addLocalFlags(fs, "info")
	asJSON := fs.Bool("json", false, "print the deployment as one JSON object (every resource, the queues' URLs, the environment)")
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
		if ctx.Err() != nil {
			return interrupted(e.stderr, "hydrant local up")
		}
		fmt.Fprintf(e.stderr, "hydrant local up: %v\n", err)
		return localUpFailed
	}
	sum := summarize(cfg.Stack, s.cloud, s.inboxes)
	write := sum.writeText
	if *asJSON {
		write = sum.writeJSON
	}
	if err := write(e.stdout); err != nil {
		fmt.Fprintf(e.stderr, "hydrant local up: write: %v\n", err)
	}
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
