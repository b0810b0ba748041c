package filespec_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/filespec"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ name, json, want string }{
		{"unknown field", `[{"path":"/a","src":"x","mdoe":"0644"}]`, `unknown field "mdoe"`},
		{"duplicate key", `[{"path":"/a","src":"x","src":"y"}]`, `key "src" appears twice`},
		{"trailing data", `[] []`, "trailing data"},
		{"invalid UTF-8", "[{\"path\":\"/\xff\",\"src\":\"x\"}]", "invalid UTF-8"},
	} {
		if _, err := filespec.Parse([]byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Parse = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestSourceDirectoryLinks: a symlink inside a source directory is copied
// (as the file it names) only if it stays inside the directory.
func TestSourceDirectoryLinks(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "a.txt"), []byte("a"), 0o644)
	os.Symlink("a.txt", filepath.Join(src, "b.txt"))
	os.Symlink("../a.txt", filepath.Join(src, "sub", "c.txt"))
	entries, err := filespec.Entries([]filespec.Item{{Path: "/app", Src: src}})
	if err != nil {
		t.Fatalf("links inside the directory: %v", err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Path)
	}
	if want := "app app/a.txt app/b.txt app/sub app/sub/c.txt"; strings.Join(got, " ") != want {
		t.Errorf("entries %v, want %s", got, want)
	}

	secret := filepath.Join(dir, "id_rsa")
	os.WriteFile(secret, []byte("secret"), 0o600)
	for name, setup := range map[string]func(d string) string{
		"absolute link out": func(d string) string { os.Symlink(secret, filepath.Join(d, "key")); return "key" },
		"relative link out": func(d string) string {
			os.WriteFile(filepath.Join(filepath.Dir(d), "id_rsa"), []byte("secret"), 0o600)
			os.Symlink("../id_rsa", filepath.Join(d, "key"))
			return "key"
		},
		"link to a directory out": func(d string) string {
			os.Symlink(dir, filepath.Join(d, "all"))
			return "all"
		},
	} {
		t.Run(name, func(t *testing.T) {
			d := filepath.Join(t.TempDir(), "src")
			os.MkdirAll(d, 0o755)
			link := setup(d)
			_, err := filespec.Entries([]filespec.Item{{Path: "/app", Src: d}})
			if err == nil || !strings.Contains(err.Error(), `item "/app"`) || !strings.Contains(err.Error(), filepath.Join(d, link)) || !strings.Contains(err.Error(), "outside the source directory") {
				t.Errorf("Entries = %v, want a refusal naming the item and the link", err)
			}
		})
	}
	t.Run("loop", func(t *testing.T) {
		d := filepath.Join(t.TempDir(), "src")
		os.MkdirAll(filepath.Join(d, "x"), 0o755)
		os.Symlink("..", filepath.Join(d, "x", "up"))
		if _, err := filespec.Entries([]filespec.Item{{Path: "/app", Src: d}}); err == nil || !strings.Contains(err.Error(), "symlink loop") {
			t.Errorf("Entries = %v, want a loop error", err)
		}
	})
	t.Run("fifo", func(t *testing.T) {
		d := filepath.Join(t.TempDir(), "src")
		os.MkdirAll(d, 0o755)
		syscall.Mkfifo(filepath.Join(d, "pipe"), 0o644)
		if _, err := filespec.Entries([]filespec.Item{{Path: "/app", Src: d}}); err == nil || !strings.Contains(err.Error(), "is a named pipe (FIFO)") {
			t.Errorf("Entries = %v, want a FIFO refusal", err)
		}
		if _, err := filespec.Entries([]filespec.Item{{Path: "/app", Src: filepath.Join(d, "pipe")}}); err == nil || !strings.Contains(err.Error(), "is a named pipe (FIFO)") {
			t.Errorf("Entries(fifo) = %v, want a FIFO refusal", err)
		}
	})
}

// Owners beyond the USTAR range are refused (never a PAX uid/gid record):
// by the spec, naming the item, and by the layer writer whatever the
// entries' origin.
func TestOwnerRange(t *testing.T) {
	for _, it := range []filespec.Item{{Path: "/d", Type: "dir", UID: 1 << 21}, {Path: "/d", Type: "dir", GID: 1 << 30}, {Path: "/d", Type: "dir", UID: -1}} {
		if _, err := filespec.Entries([]filespec.Item{it}); err == nil || !strings.Contains(err.Error(), `item "/d": owner`) {
			t.Errorf("Entries(%+v) = %v, want the owner refused", it, err)
		}
	}
	if _, err := filespec.Entries([]filespec.Item{{Path: "/d", Type: "dir", UID: layer.MaxOwnerID, GID: layer.MaxOwnerID}}); err != nil {
		t.Errorf("the largest USTAR owner: %v", err)
	}
	out := filepath.Join(t.TempDir(), "l.tar")
	entries := []layer.Entry{{Path: "d", Type: layer.TypeDir, Mode: 0o755, UID: layer.MaxOwnerID + 1}}
	if _, err := layer.WriteFile(out, entries, layer.Options{}); err == nil || !strings.Contains(err.Error(), "beyond 2097151") {
		t.Errorf("WriteFile = %v, want the USTAR owner range refused", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused layer was written")
	}
}
