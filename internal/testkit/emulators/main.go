package emulators

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startTimeout bounds `scripts/emulators up`, which on a fresh clone also installs the emulators.
const startTimeout = 10 * time.Minute

// Main runs a package's tests against emulators; call it from TestMain, in a test file built
// only with the integration tag so that plain `go test ./...` runs the package's pure unit tests
// without Java or Node:
//
//	//go:build integration
//
//	func TestMain(m *testing.M) { emulators.Main(m) }
//
// When the environment already names running emulators (scripts/test exports them for every
// test binary), they are reused. Otherwise Main starts a set for this test binary alone through
// scripts/emulators, exports its endpoints to the process (so Get and awsclient.Load both see
// them), and stops it when the tests end. It exits the process with the tests' exit code; when
// the emulators cannot be started it exits 1 saying why, it never lets tests run without them.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if e, ok := FromEnv(); ok {
		if err := e.Validate(); err != nil {
			fmt.Fprintf(os.Stderr, "emulators: bad emulator endpoints in the environment: %v\n", err)
			return 1
		}
		return m.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	root, err := RepoRoot()
	if err != nil {
		fmt.Fprintf(os.Stderr, "emulators: %v\n", err)
		return 1
	}
	set, err := Start(ctx, root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "emulators: %v\n", err)
		return 1
	}
	for _, kv := range set.Env {
		if err := os.Setenv(kv[0], kv[1]); err != nil {
			fmt.Fprintf(os.Stderr, "emulators: set %s: %v\n", kv[0], err)
			_ = set.Stop(context.Background())
			return 1
		}
	}
	code := m.Run()
	if err := set.Stop(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "emulators: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Set is one running set of emulators started by Start.
type Set struct {
	Endpoints Endpoints
	// Env holds the variables scripts/emulators printed, in order, as name/value pairs.
	Env      [][2]string
	root     string
	stateDir string
}

// Start starts a set of emulators of its own through scripts/emulators in a fresh state
// directory under root/.cache/emulators. The set stops itself if this process dies without
// calling Stop (scripts/emulators --owner).
func Start(ctx context.Context, root string) (*Set, error) {
	base := filepath.Join(root, ".cache", "emulators")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, fmt.Errorf("start emulators: %w", err)
	}
	state, err := os.MkdirTemp(base, "set-")
	if err != nil {
		return nil, fmt.Errorf("start emulators: state directory: %w", err)
	}
	script := filepath.Join(root, "scripts", "emulators")
	cmd := exec.CommandContext(ctx, script, "up", "--state", state, "--owner", strconv.Itoa(os.Getpid()))
	cmd.Dir = root
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr // install progress and, on failure, the emulator's log tail
	set := &Set{root: root, stateDir: state}
	if err := cmd.Run(); err != nil {
		// A partial start is stopped by the script itself; this is belt and braces.
		_ = set.Stop(context.Background())
		return nil, fmt.Errorf("start emulators: %s up --state %s: %w", script, state, err)
	}
	env, err := ParseExports(stdout.Bytes())
	if err != nil {
		_ = set.Stop(context.Background())
		return nil, fmt.Errorf("start emulators: output of %s up: %w", script, err)
	}
	set.Env = env
	set.Endpoints = endpointsFrom(env)
	if err := set.Endpoints.Validate(); err != nil {
		_ = set.Stop(context.Background())
		return nil, fmt.Errorf("start emulators: %w", err)
	}
	return set, nil
}

// Stop stops the set (scripts/emulators down) and removes its state directory.
func (s *Set) Stop(ctx context.Context) error {
	script := filepath.Join(s.root, "scripts", "emulators")
	cmd := exec.CommandContext(ctx, script, "down", "--state", s.stateDir)
	cmd.Dir = s.root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("stop emulators: %s down --state %s: %w: %s", script, s.stateDir, err, bytes.TrimSpace(out))
	}
	if err := os.RemoveAll(s.stateDir); err != nil {
		return fmt.Errorf("stop emulators: remove %s: %w", s.stateDir, err)
	}
	return nil
}

// ParseExports reads the `export NAME=VALUE` lines that scripts/emulators up prints.
func ParseExports(out []byte) ([][2]string, error) {
	var env [][2]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		rest, ok := strings.CutPrefix(line, "export ")
		if !ok {
			return nil, fmt.Errorf("line %d: %q is not an export line", n, line)
		}
		name, value, ok := strings.Cut(rest, "=")
		if !ok || name == "" || strings.ContainsAny(name, " \t'\"$") {
			return nil, fmt.Errorf("line %d: %q is not NAME=VALUE", n, line)
		}
		env = append(env, [2]string{name, value})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(env) == 0 {
		return nil, errors.New("no export lines")
	}
	return env, nil
}

// endpointsFrom builds Endpoints from exported variables, as FromEnv does from the process.
func endpointsFrom(env [][2]string) Endpoints {
	get := func(name string) string {
		for _, kv := range env {
			if kv[0] == name {
				return kv[1]
			}
		}
		return ""
	}
	e := Endpoints{Region: get("AWS_REGION")}
	if e.Region == "" {
		e.Region = DefaultRegion
	}
	for _, v := range endpointVars() {
		*v.field(&e) = get(v.name)
	}
	return e
}

// InstallDir is where scripts/emulators installs the emulators (and aws-lambda-rie, under bin):
// $EMULATORS_CACHE when set, as the script reads it, else .cache/emulators under root.
func InstallDir(root string) string {
	if d := os.Getenv("EMULATORS_CACHE"); d != "" {
		return d
	}
	return filepath.Join(root, ".cache", "emulators")
}

// RepoRoot finds the repository root by walking up from the working directory (a test's
// package directory) to the first directory holding both go.mod and scripts/emulators.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	return repoRootFrom(wd)
}

func repoRootFrom(dir string) (string, error) {
	for d := dir; ; {
		if isFile(filepath.Join(d, "go.mod")) && isFile(filepath.Join(d, "scripts", "emulators")) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("find repository root: no directory above %s holds go.mod and scripts/emulators", dir)
		}
		d = parent
	}
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
