// Package lambdabuild compiles a Go Lambda handler for provided.al2023 on arm64 and packs it
// into a deployment zip reproducibly: the same source gives the same bytes, so Pulumi sees an
// unchanged archive and does not redeploy an unchanged function.
package lambdabuild

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Flags are the go build flags: no cgo, no paths or build IDs in the binary, and the
// lambda.norpc tag (provided.al2023 speaks the Runtime API, not the Go1.x RPC protocol).
var buildFlags = []string{"build", "-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w -buildid=", "-o"}

// ModTime is the modification time written for every zip entry; a fixed time keeps the archive's
// bytes independent of when it was built.
var modTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// File is one entry of a deployment archive.
type File struct {
	Name string // path inside the archive, slash-separated
	Mode os.FileMode
	Data []byte
}

// WriteZip writes files as a zip archive with entries sorted by name, a fixed modification time
// and fixed permissions, so equal inputs give equal bytes.
func WriteZip(w io.Writer, files []File) error {
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	zw := zip.NewWriter(w)
	for i, f := range sorted {
		if f.Name == "" || strings.HasPrefix(f.Name, "/") || strings.Contains(f.Name, "..") {
			return fmt.Errorf("zip entry %d: invalid name %q", i, f.Name)
		}
		if i > 0 && sorted[i-1].Name == f.Name {
			return fmt.Errorf("zip entry %q: duplicate name", f.Name)
		}
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: modTime}
		mode := f.Mode.Perm()
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		ew, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("zip entry %q: %w", f.Name, err)
		}
		if _, err := ew.Write(f.Data); err != nil {
			return fmt.Errorf("zip entry %q: %w", f.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("close zip: %w", err)
	}
	return nil
}

// Builder compiles handler packages of the Go module rooted at ModuleDir into OutDir.
type Builder struct {
	// ModuleDir is the directory holding go.mod; package paths are relative to it.
	ModuleDir string
	// OutDir receives <name>.zip for each handler (created if missing).
	OutDir string
	// GoBin is the go command; "go" (from PATH) when empty.
	GoBin string
	// Env is added to the go command's environment (after os.Environ()).
	Env []string
}

// Build compiles the handler package pkg (a path relative to the module such as
// "./handlers/hydrate") into a "bootstrap" executable for linux/arm64 and writes
// OutDir/<last path element>.zip holding only that executable. It returns the zip's path.
func (b Builder) Build(ctx context.Context, pkg string) (string, error) {
	name, err := ArchiveName(pkg)
	if err != nil {
		return "", err
	}
	if b.ModuleDir == "" || b.OutDir == "" {
		return "", errors.New("lambdabuild: ModuleDir and OutDir are required")
	}
	if err := os.MkdirAll(b.OutDir, 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	tmp, err := os.MkdirTemp(b.OutDir, ".build-"+name+"-")
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	defer os.RemoveAll(tmp)

	bin := filepath.Join(tmp, "bootstrap")
	goBin := b.GoBin
	if goBin == "" {
		goBin = "go"
	}
	args := append(append([]string(nil), buildFlags...), bin, pkg)
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = b.ModuleDir
	// VCS stamping would make the binary depend on the checkout's state, not only the source.
	goflags := strings.TrimSpace(os.Getenv("GOFLAGS") + " -buildvcs=false")
	cmd.Env = append(append(os.Environ(), b.Env...), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOFLAGS="+goflags)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	var zipped bytes.Buffer
	if err := WriteZip(&zipped, []File{{Name: "bootstrap", Mode: 0o755, Data: data}}); err != nil {
		return "", fmt.Errorf("zip %s: %w", pkg, err)
	}
	out := filepath.Join(b.OutDir, name+".zip")
	// Write through a temporary file so a reader never sees a half-written archive.
	part := filepath.Join(tmp, name+".zip")
	if err := os.WriteFile(part, zipped.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", out, err)
	}
	if err := os.Rename(part, out); err != nil {
		return "", fmt.Errorf("write %s: %w", out, err)
	}
	return out, nil
}

// ArchivePath is where Build writes the archive of pkg, without building it: plans and tests
// reference the path while the file need not exist.
func (b Builder) ArchivePath(pkg string) (string, error) {
	name, err := ArchiveName(pkg)
	if err != nil {
		return "", err
	}
	return filepath.Join(b.OutDir, name+".zip"), nil
}

// ArchiveName is the archive's base name for a handler package: its last path element.
func ArchiveName(pkg string) (string, error) {
	clean := path.Clean(filepath.ToSlash(pkg))
	name := path.Base(clean)
	if pkg == "" || name == "." || name == "/" || name == ".." {
		return "", fmt.Errorf("lambdabuild: invalid handler package %q", pkg)
	}
	return name, nil
}

// FindUp returns the first directory from dir upwards that holds a file named name (go.mod for
// the module root, Pulumi.yaml for the project root).
func FindUp(dir, name string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no %s in %s or any parent directory", name, abs)
		}
	}
}
