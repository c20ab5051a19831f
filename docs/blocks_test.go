package docs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// block is one fenced code block of a page.
type block struct {
	file  string // relative to the repository root
	line  int    // of the opening fence
	lang  string
	lines []string
}

func (b block) String() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// first is the block's first line, the key the tables below use.
func (b block) first() string {
	if len(b.lines) == 0 {
		return ""
	}
	return b.lines[0]
}

// pages are the README and every page of docs/.
func pages(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob("*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("no pages in docs/: %v", err)
	}
	out := []string{"README.md"}
	for _, d := range docs {
		out = append(out, "docs/"+d)
	}
	return out
}

// blocks returns the fenced code blocks of a page (path relative to the repository root).
func blocks(t *testing.T, page string) []block {
	t.Helper()
	f, err := os.Open(filepath.Join("..", page))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []block
	var cur *block
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if strings.HasPrefix(l, "```") {
			if cur == nil {
				cur = &block{file: page, line: n, lang: strings.TrimSpace(strings.TrimPrefix(l, "```"))}
			} else {
				out = append(out, *cur)
				cur = nil
			}
			continue
		}
		if cur != nil {
			cur.lines = append(cur.lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("%s: code block at line %d is not closed", page, cur.line)
	}
	return out
}

// commands are the command lines of a sh or console block: comments and blank lines dropped,
// continuation lines joined, `$ ` prompts removed (console blocks: only prompted lines).
func (b block) commands() []string {
	var out []string
	pending := ""
	for _, l := range b.lines {
		if b.lang == "console" {
			if !strings.HasPrefix(l, "$ ") {
				continue
			}
			l = strings.TrimPrefix(l, "$ ")
		}
		if pending != "" {
			l = pending + " " + strings.TrimSpace(l)
			pending = ""
		}
		if s := strings.TrimSpace(l); s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			pending = strings.TrimSuffix(l, "\\")
			continue
		}
		out = append(out, normalize(l))
	}
	return out
}

var trailingComment = regexp.MustCompile(`\s+#\s.*$`)

// normalize drops a trailing comment and runs of spaces, so the tables below name a command
// as one types it.
func normalize(cmd string) string {
	return strings.Join(strings.Fields(trailingComment.ReplaceAllString(cmd, "")), " ")
}

// How a command block of the docs is exercised. Every sh and console block must be in this
// table, keyed by its page and first line; a new block fails TestEveryCommandIsExercised until
// it is added here, with a test that runs it.
type how int

const (
	// script: the integration test runs the whole block as one bash script (set -e).
	script how = iota
	// transcript: a console block; the integration test runs each `$ ` command and compares its
	// output (standard output and error) with the lines the page shows under it.
	transcript
	// each: every command of the block is listed in `commands`, which says how it is exercised.
	each
	// outside: a record of how a figure was made with code outside the repository (a
	// comparison against another project, never committed), which no test can run; its
	// `go test -bench` commands are still checked to select a benchmark.
	outside
)

var documentedBlocks = map[string]how{
	"README.md|make demo   # the whole router working locally, on embedded emulators: no AWS account, no Docker":  each,
	"README.md|make install   # builds hydrant (the binary make demo uses) and copies it to $(go env GOPATH)/bin": each,
	"README.md|pulumi stack init prod": each,
	"docs/cli.md|make install    # builds hydrant into .cache/bin (the binary make demo runs) and copies it to $(go env GOPATH)/bin":            each,
	"docs/cli.md|$ hydrant hydrate --failure failure.json | jq -c '{keys: .detail.dynamodb.keys, newImage: .detail.dynamodb.newImage}'":         transcript,
	"docs/cli.md|aws sqs receive-message --queue-url \"$INTAKE_DLQ_URL\" --query 'Messages[0].Body' --output text > failure.json":               each,
	"docs/cli.md|$ hydrant rules test --pattern orders-rule.json --event schemas/examples/recordhydrated-kinesis-json.json":                     transcript,
	"docs/cli.md|hydrant rules test --strict --pattern rules/orders.json --event testdata/orders-should-match.jsonl":                            script,
	"docs/cli.md|hydrant local up                 # the demo stack, until Ctrl-C":                                                               each,
	"docs/cli.md|hydrant local up --json > local.json & up=$!     # or, in a terminal of its own: hydrant local up":                             script,
	"docs/cli.md|make demo                          # in a clone of this repository":                                                            each,
	"docs/deployment.md|pulumi login                                   # or: pulumi login file://~/.pulumi-state":                               each,
	"docs/deployment.md|pulumi stack init demo && pulumi up            # uses Pulumi.demo.yaml":                                                 each,
	"docs/local-cloud.md|export AWS_ENDPOINT_URL_EVENTBRIDGE=http://127.0.0.1:4010   # or: aws --endpoint-url http://127.0.0.1:4010 events ...": script,
	"docs/local-cloud.md|eval \"$(scripts/emulators up)\"     # install on first use, start, export the endpoints":                              each,
	"docs/benchmarks.md|# in memory: the read loop, conversion and KPL de-aggregation, no network":                                              each,
	"docs/benchmarks.md|eval \"$(scripts/emulators up --state .cache/emulators/lc-dev)\"":                                                       each,
	"README.md|hydrant redrive --from \"$ORDERS_QUEUE_URL\" --to function:orders-consumer --dry-run   # what would be sent":                     each,
	"docs/cli.md|DLQ=$(pulumi stack output intakeDlqUrl); INTAKE=$(pulumi stack output intakeQueueUrl)":                                         each,
	"docs/benchmarks.md|make emulators-up   # or: eval \"$(scripts/emulators up)\"":                                                             each,
	"docs/benchmarks.md|# Hydrant": outside, // eventpattern.Set against Quamina, built in /tmp, never committed
	"docs/testing.md|go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 60s ./internal/failure": each,
}

// kind says how one command of an `each` block is exercised.
type kind int

const (
	// runByDocsTest: the integration test of this package runs the command as written.
	runByDocsTest kind = iota
	// runElsewhere: another test or CI runs it; verify checks that what it names exists.
	runElsewhere
	// needsAWS: it needs a real AWS account or the Pulumi CLI, which tests cannot have; its
	// local stand-in (named in why) is run instead.
	needsAWS
	// benchmark: a documented `go test -bench` command; verify checks that each named package
	// has a benchmark the -bench pattern selects (running them is `make bench`, not a test).
	benchmark
)

type exercise struct {
	kind kind
	why  string
}

var commands = map[string]exercise{
	"make demo":                           {runByDocsTest, "TestMakeDemo runs it and compares its output with docs/cli.md's sample"},
	"make test":                           {runElsewhere, ".ci/run runs it (and it runs this test)"},
	"make install":                        {runByDocsTest, "TestMakeInstall runs it with GOBIN set to a temporary directory"},
	"make demo ARGS=--json > report.json": {runByDocsTest, "TestMakeDemo runs it and parses report.json"},
	"cp Pulumi.example.yaml Pulumi.prod.yaml":        {runByDocsTest, "TestDeployLocally runs it in a copy of the project"},
	"hydrant plan --stack prod":                      {runByDocsTest, "TestDeployLocally runs it in a copy of the project"},
	"pulumi stack init prod":                         {needsAWS, "Pulumi CLI and backend; TestDeployLocally runs `hydrant plan --stack prod` on the same stack file"},
	"pulumi config set aws:region eu-west-1":         {needsAWS, "Pulumi CLI; the region is the AWS provider's"},
	"pulumi up":                                      {needsAWS, "deploys to AWS; the local cloud runs the same program (`hydrant local up`, docs/cli.md's script)"},
	"pulumi login":                                   {needsAWS, "Pulumi CLI and backend"},
	"pulumi config set --secret webhookApiKey '...'": {needsAWS, "Pulumi CLI; locally secrets are the placeholder [secret]"},
	"pulumi preview":                                 {needsAWS, "Pulumi CLI and AWS; `hydrant plan` is its offline twin"},
	"pulumi stack output busArn":                     {needsAWS, "Pulumi CLI; `hydrant local up --json` prints the local bus"},
	"pulumi stack init demo && pulumi up":            {needsAWS, "deploys the demo stack to AWS; `make demo` and `hydrant local up` deploy it locally"},
	"STREAM=$(pulumi stack output demoStreamName); TABLE=$(pulumi stack output demoTableName)":                                                  {needsAWS, "Pulumi CLI; locally: phys demo-orders / demo-users in docs/cli.md's script"},
	`aws kinesis put-record --stream-name "$STREAM" --partition-key p --cli-binary-format raw-in-base64-out --data '{"order":1,"poison":true}'`: {needsAWS, "AWS CLI v2 against AWS; docs/cli.md's script puts a poison record on the local stream"},
	`aws dynamodb put-item --table-name "$TABLE" --item '{"id":{"S":"42"},"poison":{"BOOL":true}}'`:                                             {needsAWS, "AWS; docs/cli.md's script puts a poison item on the local table"},
	"pulumi stack output teamQueueUrls":                                                                             {needsAWS, "Pulumi CLI; `hydrant local up` lists the team inboxes with their URLs"},
	"aws sqs receive-message --queue-url <url> --wait-time-seconds 20":                                              {needsAWS, "AWS; docs/cli.md's script receives from the local team inbox"},
	`aws sqs receive-message --queue-url "$INTAKE_DLQ_URL" --query 'Messages[0].Body' --output text > failure.json`: {needsAWS, "a production intake DLQ; docs/cli.md's script takes a failure record from the local failure bucket instead"},
	`DLQ=$(pulumi stack output intakeDlqUrl); INTAKE=$(pulumi stack output intakeQueueUrl)`:                         {needsAWS, "Pulumi CLI; cmd/hydrant's TestIntakeDLQListTakeRefusedMoveThenHydrated takes both URLs from `hydrant local up --json`"},
	`hydrant intake-dlq list --dlq "$DLQ"`:                                                                          {runElsewhere, "cmd/hydrant's TestIntakeDLQListTakeRefusedMoveThenHydrated runs it on the local cloud"},
	`hydrant intake-dlq take-refused --dlq "$DLQ" --out refused.jsonl`:                                              {runElsewhere, "cmd/hydrant's TestIntakeDLQListTakeRefusedMoveThenHydrated runs it on the local cloud"},
	`hydrant intake-dlq move --dlq "$DLQ" --to "$INTAKE"`:                                                           {runElsewhere, "cmd/hydrant's TestIntakeDLQListTakeRefusedMoveThenHydrated runs it on the local cloud"},
	`hydrant intake-dlq status --dlq "$DLQ"`:                                                                        {runElsewhere, "cmd/hydrant's TestIntakeDLQListTakeRefusedMoveThenHydrated runs it on the local cloud"},
	"hydrant local up":                                                                                              {runElsewhere, "cmd/hydrant TestLocalUpRunsUntilInterrupted runs `local up` with these defaults"},
	"hydrant local up --stack dev":                                                                                  {runElsewhere, "an example of --stack (checked to be a flag of local up); cmd/hydrant's tests run --stack demo"},
	"hydrant local up --json":                                                                                       {runByDocsTest, "docs/cli.md's script runs it (TestTryItWithTheAWSCLI)"},
	`eval "$(scripts/emulators up)"`:                                                                                {runElsewhere, "internal/testkit/emulators' script tests run scripts/emulators up and down"},
	"hydrant hydrate --failure failure.json":                                                                        {runByDocsTest, "docs/cli.md's script runs it against the local cloud (TestTryItWithTheAWSCLI)"},
	`hydrant redrive --from "$ORDERS_QUEUE_URL" --to function:orders-consumer --dry-run`:                            {needsAWS, "a team's deployed queue and consumer; internal/redrive's integration tests run the same redrive, dry run and real, on the local cloud"},
	`hydrant redrive --from "$ORDERS_QUEUE_URL" --to function:orders-consumer`:                                      {needsAWS, "a team's deployed queue and consumer; internal/redrive's integration tests run the same redrive on the local cloud"},
	"make emulators-up":                                                                                             {runElsewhere, "the Makefile's wrapper of scripts/emulators up, which internal/testkit/emulators' script tests run"},
	"scripts/emulators down":                                                                                        {runElsewhere, "internal/testkit/emulators' script tests run scripts/emulators up and down"},
	`eval "$(scripts/emulators up --state .cache/emulators/lc-dev)"`:                                                {runElsewhere, "internal/testkit/emulators' script tests run scripts/emulators up --state"},
	"go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 60s ./internal/failure":                                        {runByDocsTest, "TestFuzzCommand runs it, with a fuzz time of 100 inputs; the -fuzz pattern is checked to select one fuzz test"},
}

// TestEveryCommandIsExercised fails for a command block or a command of the docs that no test
// exercises: add it to documentedBlocks (and commands) with the test that runs it.
func TestEveryCommandIsExercised(t *testing.T) {
	seen := map[string]bool{}
	for _, page := range pages(t) {
		for _, b := range blocks(t, page) {
			switch b.lang {
			case "sh", "console":
			case "":
				t.Errorf("%s: code block without a language: label it sh or console (commands, run by the docs test) or text (output, synopses)", b)
				continue
			default:
				continue
			}
			key := b.file + "|" + b.first()
			h, ok := documentedBlocks[key]
			if !ok && allBenchmarks(b) {
				// A block of `go test -bench` commands needs no entry: each is checked to
				// select a benchmark in the packages it names.
				for _, c := range b.commands() {
					if err := verifyBenchmark(c); err != nil {
						t.Errorf("%s: %q: %v", b, c, err)
					}
				}
				continue
			}
			if !ok {
				t.Errorf("%s: %s block %q is run by no test: add it to documentedBlocks in docs/blocks_test.go", b, b.lang, b.first())
				continue
			}
			seen[key] = true
			if h != each && h != outside {
				continue
			}
			for _, c := range b.commands() {
				if isBenchmark(c) {
					if err := verifyBenchmark(c); err != nil {
						t.Errorf("%s: %q: %v", b, c, err)
					}
					continue
				}
				if h == outside {
					continue
				}
				e, ok := commands[c]
				if !ok {
					t.Errorf("%s: command %q is exercised by no test: add it to commands in docs/blocks_test.go", b, c)
					continue
				}
				if err := verify(c, e); err != nil {
					t.Errorf("%s: %q: %v", b, c, err)
				}
			}
		}
	}
	for key := range documentedBlocks {
		if !seen[key] {
			t.Errorf("documentedBlocks lists %q, which no page shows any more: remove it", key)
		}
	}
}

// isBenchmark says whether a command is a `go test -bench` run.
func isBenchmark(cmd string) bool {
	return strings.HasPrefix(cmd, "go test ") && strings.Contains(cmd, " -bench ")
}

// allBenchmarks says whether every command of a block is a `go test -bench` run.
func allBenchmarks(b block) bool {
	cs := b.commands()
	return len(cs) > 0 && !slices.ContainsFunc(cs, func(c string) bool { return !isBenchmark(c) })
}

// verify checks what a command that this package does not run refers to.
func verify(cmd string, e exercise) error {
	switch e.kind {
	case needsAWS:
		if !strings.HasPrefix(cmd, "pulumi ") && !strings.HasPrefix(cmd, "aws ") && !strings.Contains(cmd, "pulumi stack output") &&
			!strings.Contains(cmd, "--bus hydrant-prod") && !strings.Contains(cmd, `"$ORDERS_QUEUE_URL"`) {
			return fmt.Errorf("listed as needing AWS, but it is neither a pulumi nor an aws command nor one against the production bus")
		}
	case runElsewhere:
		switch {
		case cmd == "make test":
			ci, err := os.ReadFile("../.ci/run")
			if err != nil || !strings.Contains(string(ci), "make test") {
				return fmt.Errorf(".ci/run does not run make test (%v)", err)
			}
		case strings.HasPrefix(cmd, "make "):
			target := strings.Fields(cmd)[1]
			if !strings.Contains(mustRead("../Makefile"), "\n"+target+":") {
				return fmt.Errorf("the Makefile has no target %s", target)
			}
		case strings.Contains(cmd, "scripts/emulators"):
			if _, err := os.Stat("../scripts/emulators"); err != nil {
				return err
			}
		case strings.HasPrefix(cmd, "hydrant intake-dlq "):
			// The test runs the same subcommand with the same flags on the local cloud.
			f := strings.Fields(cmd)
			src := mustRead("../cmd/hydrant/intakedlq_integration_test.go")
			if !strings.Contains(src, `"intake-dlq", "`+f[2]+`"`) {
				return fmt.Errorf("cmd/hydrant/intakedlq_integration_test.go does not run intake-dlq %s", f[2])
			}
			for _, w := range f[3:] {
				if strings.HasPrefix(w, "--") && !strings.Contains(src, `"`+w+`"`) {
					return fmt.Errorf("cmd/hydrant/intakedlq_integration_test.go does not run intake-dlq %s with %s", f[2], w)
				}
			}
		case strings.HasPrefix(cmd, "hydrant local up"):
			src, err := os.ReadFile("../cmd/hydrant/local_up.go")
			if err != nil || !strings.Contains(string(src), `addLocalFlags(fs, "info")`) || !strings.Contains(string(src), `fs.String("stack"`) && !strings.Contains(mustRead("../cmd/hydrant/local_up.go"), `"stack"`) {
				return fmt.Errorf("hydrant local up has no --stack flag (%v)", err)
			}
		}
	case benchmark:
		return verifyBenchmark(cmd)
	case runByDocsTest:
		if strings.Contains(cmd, " -fuzz ") {
			return verifyFuzz(cmd)
		}
	}
	return nil
}

var fuzzFunc = regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)

// verifyFuzz checks that `go test ... -fuzz PATTERN ... PKG` selects exactly one fuzz test of
// the package: go test refuses to fuzz otherwise.
func verifyFuzz(cmd string) error {
	pattern, pkgs, err := goTestArgs(cmd, "-fuzz")
	if err != nil {
		return err
	}
	re, err := regexp.Compile(pattern)
	if err != nil || pattern == "" || len(pkgs) != 1 {
		return fmt.Errorf("no valid -fuzz pattern or no single package (%v)", err)
	}
	pkg := pkgs[0]
	files, _ := filepath.Glob(filepath.Join("..", pkg, "*_test.go"))
	var selected []string
	for _, file := range files {
		for _, m := range fuzzFunc.FindAllStringSubmatch(mustRead(file), -1) {
			if re.MatchString(m[1]) {
				selected = append(selected, m[1])
			}
		}
	}
	if len(selected) != 1 {
		return fmt.Errorf("-fuzz %q selects %v in %s: go test fuzzes only when it selects exactly one", pattern, selected, pkg)
	}
	return nil
}

func mustRead(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// goTestArgs returns the value of flag (quotes removed) and the ./ packages of a `go test`
// command.
func goTestArgs(cmd, flag string) (value string, pkgs []string, err error) {
	f := strings.Fields(strings.SplitN(cmd, "#", 2)[0])
	if len(f) < 2 || f[0] != "go" || f[1] != "test" {
		return "", nil, fmt.Errorf("not a go test command")
	}
	for i := 2; i < len(f); i++ {
		switch {
		case f[i] == flag && i+1 < len(f):
			value = strings.Trim(f[i+1], "'")
			i++
		case strings.HasPrefix(f[i], "./"):
			pkgs = append(pkgs, f[i])
		}
	}
	return value, pkgs, nil
}

var benchFunc = regexp.MustCompile(`(?m)^func (Benchmark\w+)\(`)

// verifyBenchmark checks that `go test ... -bench PATTERN ... PKG...` selects at least one
// benchmark in each package (go test matches the pattern against the name without
// "Benchmark" and with it; a sub-benchmark pattern is matched on its first element).
func verifyBenchmark(cmd string) error {
	pattern, pkgs, err := goTestArgs(cmd, "-bench")
	if err != nil {
		return err
	}
	if pattern == "" || len(pkgs) == 0 {
		return fmt.Errorf("no -bench pattern or package")
	}
	re, err := regexp.Compile(strings.SplitN(pattern, "/", 2)[0])
	if err != nil {
		return fmt.Errorf("-bench %q: %v", pattern, err)
	}
	for _, p := range pkgs {
		var files []string
		if dir, ok := strings.CutSuffix(p, "/..."); ok {
			_ = filepath.WalkDir(filepath.Join("..", dir), func(path string, d os.DirEntry, err error) error {
				if err == nil && strings.HasSuffix(path, "_test.go") {
					files = append(files, path)
				}
				return nil
			})
		} else {
			files, _ = filepath.Glob(filepath.Join("..", p, "*_test.go"))
		}
		var names []string
		for _, file := range files {
			for _, m := range benchFunc.FindAllStringSubmatch(mustRead(file), -1) {
				names = append(names, m[1])
			}
		}
		if !slices.ContainsFunc(names, re.MatchString) {
			return fmt.Errorf("package %s has no benchmark matching -bench %q (it has %v)", p, pattern, names)
		}
	}
	return nil
}

// A -fuzz pattern that selects two fuzz tests (go test then refuses to fuzz) is caught.
func TestVerifyFuzz(t *testing.T) {
	for _, tc := range []struct {
		cmd     string
		wantErr bool
	}{
		{"go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 60s ./internal/failure", false},
		{"go test -run '^$' -fuzz FuzzParse -fuzztime 60s ./internal/failure", true}, // also FuzzParseStreamARN
		{"go test -run '^$' -fuzz '^FuzzNone$' -fuzztime 60s ./internal/failure", true},
	} {
		if err := verifyFuzz(tc.cmd); (err != nil) != tc.wantErr {
			t.Errorf("%s: error %v, want an error: %v", tc.cmd, err, tc.wantErr)
		}
	}
}
