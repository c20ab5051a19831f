//go:build integration

package docs

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The commands of the docs, run as a reader runs them: with bash, `hydrant` on the PATH (the
// checkout's one binary, scripts/build-hydrant), in a directory of their own.

var (
	buildOnce sync.Once
	hydrant   string
	buildErr  error
)

// root is the repository's root directory.
func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// hydrantPath builds hydrant once (the binary make demo and make install use) and returns the
// PATH that finds it first.
func hydrantPath(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		out, err := exec.Command(filepath.Join(root(t), "scripts", "build-hydrant")).Output()
		hydrant, buildErr = strings.TrimSpace(string(out)), err
	})
	if buildErr != nil {
		t.Fatalf("scripts/build-hydrant: %v", buildErr)
	}
	return filepath.Dir(hydrant) + string(os.PathListSeparator) + os.Getenv("PATH")
}

// need fails the test (never skips it) when a tool the docs use is missing.
func need(t *testing.T, tool, how string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s is not on the PATH, and the docs use it: %s", tool, how)
	}
}

// readerEnv is the environment of a reader running the page's commands from a shell: the
// machine user's AWS profile is not the page's, and the make variables of `make test` (which
// runs these tests) would make an inner `make demo` print "Entering directory" on stdout.
func readerEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		for _, p := range []string{"AWS_PROFILE=", "MAKELEVEL=", "MAKEFLAGS=", "MFLAGS="} {
			if strings.HasPrefix(kv, p) {
				return true
			}
		}
		return false
	})
}

// shell runs a bash script in dir with hydrant on the PATH; it returns the combined output
// (one file, so the order is the order the commands wrote in) and the exit code. Whatever the
// script left running in the background is ended with it (runGroup).
func shell(ctx context.Context, t *testing.T, dir, script string, env ...string) (string, int) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(readerEnv(), "PATH="+hydrantPath(t))
	cmd.Env = append(cmd.Env, env...)
	out := outputFile(t)
	cmd.Stdout, cmd.Stderr = out.File, out.File
	err := runGroup(cmd)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	default:
		t.Fatalf("bash: %v\n%s", err, out)
		return "", -1
	}
}

// pageBlock returns the block of page whose first line is first.
func pageBlock(t *testing.T, page, first string) block {
	t.Helper()
	for _, b := range blocks(t, page) {
		if b.first() == first {
			return b
		}
	}
	t.Fatalf("%s has no block starting %q", page, first)
	return block{}
}

// step is one command of a console transcript and the output the page shows for it.
type step struct {
	cmd  string
	want []string
}

func transcriptSteps(b block) []step {
	var steps []step
	for _, l := range b.lines {
		switch {
		case strings.HasPrefix(l, "$ "):
			steps = append(steps, step{cmd: strings.TrimPrefix(l, "$ ")})
		case l == "":
		case len(steps) > 0:
			steps[len(steps)-1].want = append(steps[len(steps)-1].want, l)
		}
	}
	return steps
}

// variable masks what changes from run to run: physical-name suffixes, ids, numbers, times.
var variable = []*regexp.Regexp{
	regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`),
	regexp.MustCompile(`\d{4}-\d\d-\d\d[T -][\d:.-]+`),
	regexp.MustCompile(`-[0-9a-f]{7}\b`),
	regexp.MustCompile(`\b[0-9a-f]{10}\b`),
	regexp.MustCompile(`\d+(\.\d+)?`),
}

func mask(s string) string {
	for _, re := range variable {
		s = re.ReplaceAllString(s, "…")
	}
	return s
}

// TestRulesTestExamples runs docs/cli.md's `hydrant rules test` transcript in a directory
// holding the files it names (docs/testdata/rules) and compares every output line.
func TestRulesTestExamples(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/rules")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root(t), "schemas"), filepath.Join(dir, "schemas")); err != nil {
		t.Fatal(err)
	}
	// The pattern file is the one the page shows.
	page := pageBlock(t, "docs/cli.md", "{")
	for _, f := range []string{"orders-rule.json", "rules/orders.json"} {
		got, _ := os.ReadFile(filepath.Join(dir, f))
		if strings.TrimSpace(string(got)) != strings.TrimSpace(strings.Join(page.lines, "\n")) {
			t.Errorf("testdata/rules/%s is not the pattern docs/cli.md shows:\n%s", f, got)
		}
	}
	need(t, "jq", "apt-get install jq")
	ctx := context.Background()
	b := pageBlock(t, "docs/cli.md", "$ hydrant rules test --pattern orders-rule.json --event schemas/examples/recordhydrated-kinesis-json.json")
	last := 0
	for _, s := range transcriptSteps(b) {
		var out string
		if s.cmd == "echo $?" {
			out = strconv.Itoa(last) + "\n"
		} else {
			out, last = shell(ctx, t, dir, s.cmd)
		}
		if got, want := strings.TrimRight(out, "\n"), strings.Join(s.want, "\n"); got != want {
			t.Errorf("$ %s\ngot:\n%s\nthe page shows:\n%s", s.cmd, got, want)
		}
	}

	// The CI example: each line exits 0.
	ci := pageBlock(t, "docs/cli.md", "hydrant rules test --strict --pattern rules/orders.json --event testdata/orders-should-match.jsonl")
	if out, code := shell(ctx, t, dir, "set -e\n"+strings.Join(ci.lines, "\n")); code != 0 {
		t.Errorf("docs/cli.md's CI example exits %d:\n%s", code, out)
	}
}

// TestTryItWithTheAWSCLI runs docs/cli.md's script against `hydrant local up` as it stands,
// then checks the `hydrant hydrate` transcript beside it against what the script printed.
func TestTryItWithTheAWSCLI(t *testing.T) {
	need(t, "jq", "apt-get install jq")
	need(t, "aws", "an AWS CLI that reads AWS_ENDPOINT_URL_<SERVICE>: v1 from 1.29 (pip install awscli) or v2 from 2.13")
	b := pageBlock(t, "docs/cli.md", "hydrant local up --json > local.json & up=$!     # or, in a terminal of its own: hydrant local up")
	// A directory inside the clone, as the page says (git-ignored .cache).
	if err := os.MkdirAll(filepath.Join(root(t), ".cache"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(filepath.Join(root(t), ".cache"), "docs-try-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, code := shell(ctx, t, dir, "set -euo pipefail\n"+strings.Join(b.lines, "\n"), noAWSProfile(dir)...)
	if code != 0 {
		t.Fatalf("docs/cli.md's script exits %d:\n%s", code, out)
	}
	for _, want := range []string{`"RecordHydrated"`, `cli-1`, "events/stream=demo-orders-", "download: s3://hydrant-failures-"} {
		if !strings.Contains(out, want) {
			t.Errorf("the script's output lacks %q:\n%s", want, out)
		}
	}
	// The hydrate transcript shows what this script printed (names masked).
	tb := pageBlock(t, "docs/cli.md", "$ hydrant hydrate --failure failure.json | jq -c '{keys: .detail.dynamodb.keys, newImage: .detail.dynamodb.newImage}'")
	for _, s := range transcriptSteps(tb) {
		if !slices.Contains(b.commands(), normalize(s.cmd)) {
			t.Errorf("the transcript's command %q is not in the script", s.cmd)
		}
		for _, w := range s.want {
			if !strings.Contains(mask(out), mask(w)) {
				t.Errorf("the transcript shows %q; the script printed:\n%s", w, out)
			}
		}
	}
}

// noAWSProfile keeps the machine user's AWS CLI configuration (~/.aws: profile, region,
// credentials) out of a docs command: the page's environment is all it gets.
func noAWSProfile(dir string) []string {
	return []string{"AWS_CONFIG_FILE=" + filepath.Join(dir, "no-aws-config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "no-aws-credentials")}
}

// freePort is a port nothing listens on, for the docs' example endpoint.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// TestLocalEventBridgeExample runs docs/local-cloud.md's AWS CLI example against
// `hydrant local eventbridge`, started as the page says, on a free port instead of 4010.
func TestLocalEventBridgeExample(t *testing.T) {
	need(t, "aws", "an AWS CLI that reads AWS_ENDPOINT_URL_<SERVICE>: v1 from 1.29 or v2 from 2.13")
	b := pageBlock(t, "docs/local-cloud.md", "export AWS_ENDPOINT_URL_EVENTBRIDGE=http://127.0.0.1:4010   # or: aws --endpoint-url http://127.0.0.1:4010 events ...")
	port := freePort(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	script := "set -euo pipefail\nhydrant local eventbridge --addr 127.0.0.1:" + port + " & eb=$!\ntrap 'kill $eb; wait $eb' EXIT\n" +
		"until (exec 3<>/dev/tcp/127.0.0.1/" + port + ") 2>/dev/null; do sleep 0.2; done\n" +
		strings.ReplaceAll(strings.Join(b.lines, "\n"), "4010", port)
	out, code := shell(ctx, t, dir, script, append(noAWSProfile(dir), "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")...)
	if code != 0 {
		t.Fatalf("docs/local-cloud.md's example exits %d:\n%s", code, out)
	}
	if !strings.Contains(out, `"FailedEntryCount": 0`) {
		t.Errorf("put-events did not succeed:\n%s", out)
	}
}

// TestMakeDemo runs `make demo` and `make demo ARGS=--json > report.json` in the checkout, as
// the README and docs/cli.md show them, and compares the text report with the page's sample.
func TestMakeDemo(t *testing.T) {
	r := root(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "demo")
	cmd.Dir = r
	cmd.Env = readerEnv()
	stdout, stderr := outputFile(t), outputFile(t)
	cmd.Stdout, cmd.Stderr = stdout.File, stderr.File
	if err := runGroup(cmd); err != nil {
		t.Fatalf("make demo: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	// Every line of the page's standard-output sample appears, names and numbers masked.
	sample := pageBlock(t, "docs/cli.md", `$ hydrant demo      # with emulators exported (eval "$(scripts/emulators up)"); standard error:`)
	got := map[string]bool{}
	for _, l := range strings.Split(stdout.String(), "\n") {
		got[mask(l)] = true
	}
	inStdout := false
	for _, l := range sample.lines {
		if l == "# standard output:" {
			inStdout = true
			continue
		}
		if inStdout && l != "" && !got[mask(l)] {
			t.Errorf("docs/cli.md's sample shows %q; make demo printed no such line:\n%s", l, stdout.String())
		}
	}
	if !inStdout {
		t.Error("docs/cli.md's sample has no '# standard output:' part")
	}

	// --json: standard output is the report alone.
	t.Cleanup(func() { os.Remove(filepath.Join(r, "report.json")) })
	if out, code := shell(ctx, t, r, "make demo ARGS=--json > report.json"); code != 0 {
		t.Fatalf("make demo ARGS=--json exits %d:\n%s", code, out)
	}
	var rep struct {
		OK      bool   `json:"ok"`
		Verdict string `json:"verdict"`
	}
	data, _ := os.ReadFile(filepath.Join(r, "report.json"))
	if err := json.Unmarshal(data, &rep); err != nil || !rep.OK {
		t.Errorf("report.json is not a passing JSON report (%v):\n%s", err, data)
	}
}

// TestMakeInstall runs `make install` into a temporary GOBIN: it installs the binary make
// demo runs, without compiling it again.
func TestMakeInstall(t *testing.T) {
	hydrantPath(t) // built once, as make demo builds it
	gobin := t.TempDir()
	out, code := shell(context.Background(), t, root(t), "make install", "GOBIN="+gobin)
	if code != 0 {
		t.Fatalf("make install exits %d:\n%s", code, out)
	}
	if strings.Contains(out, "compiled") {
		t.Errorf("make install compiled packages although hydrant was built:\n%s", out)
	}
	if !strings.Contains(out, "installed "+filepath.Join(gobin, "hydrant")) {
		t.Errorf("make install does not say where it installed:\n%s", out)
	}
	if out, err := exec.Command(filepath.Join(gobin, "hydrant"), "-h").CombinedOutput(); err != nil {
		t.Errorf("the installed hydrant -h: %v\n%s", err, out)
	}
}

// TestDeployLocally runs the README's deployment commands that need no AWS account, in a copy
// of the project: the example stack file copied as the prod stack, and `hydrant plan`.
func TestDeployLocally(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "Pulumi.example.yaml"} {
		data, err := os.ReadFile(filepath.Join(root(t), f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := pageBlock(t, "README.md", "pulumi stack init prod")
	var local []string
	for _, c := range b.commands() {
		if commands[c].kind == runByDocsTest {
			local = append(local, c)
		}
	}
	if len(local) != 2 {
		t.Fatalf("the README's deployment block runs %v locally, want the copy and the plan", local)
	}
	if out, code := shell(context.Background(), t, dir, "set -e\n"+strings.Join(local, "\n")); code != 0 {
		t.Errorf("%s: exit %d\n%s", strings.Join(local, "; "), code, out)
	}
}

// TestFuzzCommand runs docs/testing.md's fuzz command as written, with a fuzz time of 100
// inputs instead of 60 s: the pattern selects one fuzz test and the fuzzing runs.
func TestFuzzCommand(t *testing.T) {
	c := pageBlock(t, "docs/testing.md", "go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 60s ./internal/failure").commands()
	if len(c) != 1 || !strings.Contains(c[0], "-fuzztime 60s") {
		t.Fatalf("docs/testing.md's fuzz block is %q, want one command with -fuzztime 60s", c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, code := shell(ctx, t, root(t), strings.Replace(c[0], "-fuzztime 60s", "-fuzztime 100x", 1))
	if code != 0 || !strings.Contains(out, "fuzz: elapsed") {
		t.Errorf("the fuzz command exits %d:\n%s", code, out)
	}
}
