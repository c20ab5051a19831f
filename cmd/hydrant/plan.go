package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hydrant-dev/hydrant/infra/lambdabuild"
	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/hydrant-dev/hydrant/infra/stack"
)

// Exit codes of `hydrant plan`.
const (
	planOK        = 0 // the plan was printed and passes every check
	planViolation = 1 // the plan was printed and breaks a check; each violation is on stderr
	planFailed    = 3 // the program failed for a reason other than its configuration
)

const planUsage = `usage: hydrant plan --stack NAME [--json] [--dir DIR]

Runs the Pulumi program (infra/) offline under Pulumi's mock resource monitor, with the
configuration of Pulumi.NAME.yaml from the project directory, and prints every resource it
would create: type, name and inputs, ordered by type and name. Nothing is built or deployed and
no AWS account is needed; secret values print as "[secret]", handler archives as the path
"pulumi up" would build them to. The plan is then checked: encrypted queues and buckets,
TLS-only policies, blocked public access, stream mappings with on-failure destination, bisect,
finite retries and record age, rule targets with retry policy and DLQ, IAM statements naming
their resources, functions on provided.al2023/arm64. Warnings (exit code unchanged) name what
the stack allows on purpose but a reader must know: accounts that may create rules on the bus
(router.ruleCreatorAccounts), each of which can see every stream.

Exit codes: 0 the plan passes every check, 1 it breaks a check (each printed on stderr),
2 bad input (flags, stack file, invalid configuration: the error names the key and the value),
3 the program failed otherwise.

flags:
`

func planCommand() command {
	return command{summary: "preview the Pulumi program offline for a stack, and check it", run: runPlan}
}

func runPlan(ctx context.Context, e env) int {
	fs := flag.NewFlagSet("hydrant plan", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, planUsage); fs.PrintDefaults() }
	stackName := fs.String("stack", "", "the stack `NAME`: reads Pulumi.NAME.yaml (required)")
	asJSON := fs.Bool("json", false, `print {"resources":[{"type":...,"name":...,"inputs":{...}}]}`)
	dir := fs.String("dir", "", "the project `DIR` holding Pulumi.yaml (default: the nearest one from the working directory up)")
	if code, ok := parseFlags(fs, e.args, e.stderr); !ok {
		return code
	}
	if *stackName == "" {
		fmt.Fprintln(e.stderr, "hydrant plan: --stack NAME is required")
		fs.Usage()
		return exitUsage
	}
	root := *dir
	if root == "" {
		found, err := lambdabuild.FindUp(".", "Pulumi.yaml")
		if err != nil {
			fmt.Fprintf(e.stderr, "hydrant plan: %v (use --dir)\n", err)
			return exitUsage
		}
		root = found
	}
	cfg, err := plan.LoadStackConfig(root, *stackName)
	if err != nil {
		fmt.Fprintf(e.stderr, "hydrant plan: %v\n", err)
		return exitUsage
	}
	// Archives are named relative to the project, where `pulumi up` builds them; nothing is built.
	code := stack.PlannedCode{Builder: lambdabuild.Builder{ModuleDir: root, OutDir: filepath.Join(".cache", "lambda")}}
	rec, err := plan.Run(cfg.Project, cfg.Stack, cfg.Values, cfg.SecretKeys, stack.Program(code))
	if err != nil {
		var ce *stack.ConfigError
		if errors.As(err, &ce) {
			fmt.Fprintf(e.stderr, "hydrant plan: stack %s: invalid configuration:\n  %s\n", *stackName, strings.ReplaceAll(err.Error(), "\n", "\n  "))
			return exitUsage
		}
		fmt.Fprintf(e.stderr, "hydrant plan: stack %s: %v\n", *stackName, err)
		return planFailed
	}
	p := rec.Plan()
	if *asJSON {
		out, err := p.JSON()
		if err != nil {
			fmt.Fprintf(e.stderr, "hydrant plan: %v\n", err)
			return planFailed
		}
		e.stdout.Write(out)
	} else if err := writePlanText(e, cfg, p); err != nil {
		fmt.Fprintf(e.stderr, "hydrant plan: %v\n", err)
		return planFailed
	}
	for _, w := range p.Warnings() {
		fmt.Fprintf(e.stderr, "hydrant plan: warning: %s\n", w)
	}
	violations := p.Check()
	for _, v := range violations {
		fmt.Fprintf(e.stderr, "hydrant plan: check: %s\n", v)
	}
	if len(violations) > 0 {
		fmt.Fprintf(e.stderr, "hydrant plan: stack %s breaks %d check(s)\n", *stackName, len(violations))
		return planViolation
	}
	return planOK
}

// writePlanText prints one block per resource: "TYPE NAME" (and its parent component), then
// its inputs as indented JSON with sorted keys.
func writePlanText(e env, cfg *plan.StackConfig, p plan.Plan) error {
	fmt.Fprintf(e.stdout, "# stack %s of project %s: %d resources\n", cfg.Stack, cfg.Project, len(p.Resources))
	for _, r := range p.Resources {
		head := r.Type + " " + r.Name
		if r.Parent != "" {
			head += " (in " + r.Parent + ")"
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("    ", "  ")
		if err := enc.Encode(r.Inputs); err != nil {
			return fmt.Errorf("%s: %w", head, err)
		}
		fmt.Fprintf(e.stdout, "\n%s\n    %s", head, b.String())
	}
	return nil
}
