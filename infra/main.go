package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hydrant-dev/hydrant/infra/lambdabuild"
	"github.com/hydrant-dev/hydrant/infra/stack"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	// The engine runs the program from infra/; handlers are built from the module root into
	// .cache/lambda (ignored by git), the same bytes for the same source.
	root, err := lambdabuild.FindUp(".", "go.mod")
	if err != nil {
		fmt.Fprintln(os.Stderr, "hydrant infra:", err)
		os.Exit(1)
	}
	code := stack.BuildCode{
		Context: context.Background(),
		Builder: lambdabuild.Builder{ModuleDir: root, OutDir: filepath.Join(root, ".cache", "lambda")},
	}
	pulumi.Run(stack.Program(code))
}
