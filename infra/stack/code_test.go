package stack_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/lambdabuild"
	"github.com/hydrant-dev/hydrant/infra/stack"
)

// TestBuildCodeIsReproducible builds the demo consumer as `pulumi up` does, twice, into
// different directories: the archives must be byte-identical.
func TestBuildCodeIsReproducible(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var archives [][]byte
	for i := 0; i < 2; i++ {
		code := stack.BuildCode{Context: context.Background(), Builder: lambdabuild.Builder{ModuleDir: root, OutDir: t.TempDir()}}
		a, err := code.Archive(stack.DemoConsumerPackage)
		if err != nil {
			t.Fatal(err)
		}
		if a.Path() == "" {
			t.Fatalf("archive %v has no path", a)
		}
		b, err := os.ReadFile(a.Path())
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, b)
	}
	if !bytes.Equal(archives[0], archives[1]) {
		t.Error("two builds of the unchanged demo consumer differ")
	}
}

func TestPlannedCodeBuildsNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lambda")
	a, err := stack.PlannedCode{Builder: lambdabuild.Builder{OutDir: out}}.Archive(stack.HydratePackage)
	if err != nil {
		t.Fatal(err)
	}
	if a.Path() != filepath.Join(out, "hydrate.zip") {
		t.Errorf("path %s", a.Path())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("planned code created %s", out)
	}
}
