package main_test

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// build compiles this package as Lambda builds it for provided.al2023.
func build(t *testing.T, goarch string) string { t.Helper(); return buildTB(t, goarch) }

func buildTB(t testing.TB, goarch string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w", "-o", out, ".")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build for linux/%s: %v\n%s", goarch, err, b)
	}
	return out
}

func TestBuildsForLambdaOnArm64(t *testing.T) {
	bin := build(t, "arm64")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		t.Fatalf("bootstrap is %v/%v, want a linux arm64 executable", f.Machine, f.OSABI)
	}
	if _, err := f.DynamicSymbols(); err == nil {
		t.Errorf("bootstrap is dynamically linked; provided.al2023 needs a static binary (CGO_ENABLED=0)")
	}
	st, _ := os.Stat(bin)
	t.Logf("linux/arm64 bootstrap: %d bytes", st.Size())
}

func TestInvalidConfigurationFailsAtStartNamingTheVariable(t *testing.T) {
	bin := build(t, runtime.GOARCH)
	cmd := exec.CommandContext(context.Background(), bin)
	cmd.Env = append(os.Environ(), "HYDRANT_EVENT_BUS=", "HYDRANT_MAX_ENTRY_SIZE=huge")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the function started with an invalid configuration:\n%s", out)
	}
	for _, want := range []string{"HYDRANT_EVENT_BUS is required", `HYDRANT_MAX_ENTRY_SIZE=\"huge\"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("start-up error does not say %s:\n%s", want, out)
		}
	}
}
