package lambdabuild

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteZipIsDeterministicAndSorted(t *testing.T) {
	files := []File{
		{Name: "z.txt", Data: []byte("last")},
		{Name: "bootstrap", Mode: 0o755, Data: []byte("binary")},
		{Name: "a/b.txt", Data: []byte("nested")},
	}
	var first, second bytes.Buffer
	if err := WriteZip(&first, files); err != nil {
		t.Fatal(err)
	}
	// Reverse the input order: the bytes must not change.
	rev := []File{files[2], files[1], files[0]}
	if err := WriteZip(&second, rev); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Fatal("same files in another order gave different archives")
	}
	zr, err := zip.NewReader(bytes.NewReader(first.Bytes()), int64(first.Len()))
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"a/b.txt", "bootstrap", "z.txt"}
	for i, f := range zr.File {
		if f.Name != wantNames[i] {
			t.Errorf("entry %d = %q, want %q", i, f.Name, wantNames[i])
		}
		if !f.Modified.Equal(modTime) {
			t.Errorf("entry %q modified %v, want %v", f.Name, f.Modified, modTime)
		}
	}
	if got := zr.File[1].Mode().Perm(); got != 0o755 {
		t.Errorf("bootstrap mode = %v, want 0755", got)
	}
	if got := zr.File[0].Mode().Perm(); got != 0o644 {
		t.Errorf("default mode = %v, want 0644", got)
	}
}

func TestWriteZipRejectsBadNames(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []File
	}{
		{"empty", []File{{Name: ""}}},
		{"absolute", []File{{Name: "/etc/passwd"}}},
		{"parent", []File{{Name: "../x"}}},
		{"duplicate", []File{{Name: "a"}, {Name: "a"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := WriteZip(io.Discard, tc.files); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestArchiveName(t *testing.T) {
	for _, tc := range []struct {
		pkg, want string
		ok        bool
	}{
		{"./handlers/hydrate", "hydrate", true},
		{"handlers/democonsumer/", "democonsumer", true},
		{"", "", false},
		{".", "", false},
		{"..", "", false},
	} {
		got, err := ArchiveName(tc.pkg)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ArchiveName(%q) = %q, %v; want %q, ok=%v", tc.pkg, got, err, tc.want, tc.ok)
		}
	}
}

// TestBuildIsReproducible compiles a real package twice into different directories: an
// unchanged handler must give a byte-identical archive holding one arm64 Linux "bootstrap".
func TestBuildIsReproducible(t *testing.T) {
	moduleDir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const pkg = "./infra/lambdabuild/testdata/hello"
	var archives [][]byte
	for i := 0; i < 2; i++ {
		b := Builder{ModuleDir: moduleDir, OutDir: t.TempDir()}
		out, err := b.Build(ctx, pkg)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := b.ArchivePath(pkg)
		if out != want {
			t.Errorf("Build wrote %s, ArchivePath says %s", out, want)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, data)
	}
	if !bytes.Equal(archives[0], archives[1]) {
		t.Fatal("two builds of the same package gave different archives")
	}
	zr, err := zip.NewReader(bytes.NewReader(archives[0]), int64(len(archives[0])))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode().Perm() != 0o755 {
		t.Fatalf("archive entries = %v, want one executable bootstrap", zr.File)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("bootstrap is not an ELF executable: %v", err)
	}
	if ef.Machine != elf.EM_AARCH64 || ef.OSABI != elf.ELFOSABI_NONE && ef.OSABI != elf.ELFOSABI_LINUX {
		t.Errorf("bootstrap machine %v OS ABI %v, want aarch64 linux", ef.Machine, ef.OSABI)
	}
}

func TestBuildReportsCompileErrors(t *testing.T) {
	moduleDir, _ := filepath.Abs("../..")
	b := Builder{ModuleDir: moduleDir, OutDir: t.TempDir()}
	_, err := b.Build(context.Background(), "./infra/lambdabuild/testdata/missing")
	if err == nil {
		t.Fatal("want an error for a package that does not exist")
	}
	if !bytes.Contains([]byte(err.Error()), []byte("./infra/lambdabuild/testdata/missing")) {
		t.Errorf("error %q does not name the package", err)
	}
}

func TestFindUp(t *testing.T) {
	root, err := FindUp(".", "go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.Abs("../..")
	if root != want {
		t.Errorf("FindUp = %s, want %s", root, want)
	}
	if _, err := FindUp(t.TempDir(), "no-such-file-anywhere.txt"); err == nil {
		t.Error("want an error when no directory holds the file")
	}
}
