package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/atomicfile"
)

func TestWriteLeavesNothingOnError(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "layer.tar")
	boom := errors.New("boom")
	err := atomicfile.Write(out, func(w io.Writer) error {
		if _, err := w.Write([]byte("partial")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write error = %v, want %v", err, boom)
	}
	assertEmpty(t, dir)
}

func TestWriteReplaces(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "f")
	for _, content := range []string{"one", "two"} {
		if err := atomicfile.Write(out, func(w io.Writer) error {
			_, err := io.WriteString(w, content)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != content {
			t.Errorf("content = %q, want %q", got, content)
		}
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", st.Mode().Perm())
	}
}

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "layout")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "stale"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := atomicfile.WriteDir(out, func(tmp string) error {
		return errors.Join(os.WriteFile(filepath.Join(tmp, "half"), nil, 0o644), boom)
	}); !errors.Is(err, boom) {
		t.Fatalf("WriteDir error = %v, want %v", err, boom)
	}
	if _, err := os.Stat(filepath.Join(out, "stale")); err != nil {
		t.Errorf("failed WriteDir touched the old directory: %v", err)
	}
	if err := atomicfile.WriteDir(out, func(tmp string) error {
		return os.WriteFile(filepath.Join(tmp, "new"), nil, 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "layout" {
		t.Errorf("parent holds %v, want only layout", entries)
	}
	if _, err := os.Stat(filepath.Join(out, "new")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(out, "stale")); err == nil {
		t.Error("old content survived the replacement")
	}
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("directory holds %d entries after a failed write, want none", len(entries))
	}
}
