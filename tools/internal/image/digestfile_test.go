package image_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/image"
)

func TestDigestFiles(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	digestFile, idFile := filepath.Join(dir, "image.digest"), filepath.Join(dir, "image.id")
	res := mustAssemble(t, image.AssembleOptions{Out: out, Base: td("base-oci"), Layers: []string{td("layers", "app.tar")},
		DigestFile: digestFile, ImageIDFile: idFile})
	info, err := image.Inspect(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ path, want string }{{digestFile, info.ManifestDigest}, {idFile, info.ImageID}} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		// Exactly what rules_oci's .digest holds: no newline, no spaces.
		if string(b) != f.want || len(b) != len("sha256:")+64 {
			t.Errorf("%s = %q, want %q", filepath.Base(f.path), b, f.want)
		}
		fi, _ := os.Stat(f.path)
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644", filepath.Base(f.path), fi.Mode().Perm())
		}
	}
	if info.ManifestDigest != res.ManifestDigest || info.ImageID != res.ConfigDigest {
		t.Errorf("Inspect %+v disagrees with Assemble %+v", info, res)
	}
}

func TestDigestFilesFailures(t *testing.T) {
	tests := []struct {
		name    string
		opts    func(dir string) image.AssembleOptions
		wantErr string
	}{
		{"layer refused", func(dir string) image.AssembleOptions {
			bad := filepath.Join(t.TempDir(), "bad.tar")
			os.WriteFile(bad, []byte("not a tar, not at all, not even close to one"), 0o644)
			return image.AssembleOptions{Out: filepath.Join(dir, "out"), Layers: []string{bad},
				DigestFile: filepath.Join(dir, "d"), ImageIDFile: filepath.Join(dir, "i")}
		}, "not a valid tar"},
		{"digest file unwritable", func(dir string) image.AssembleOptions {
			return image.AssembleOptions{Out: filepath.Join(dir, "out"), Layers: []string{td("layers", "app.tar")},
				ImageIDFile: filepath.Join(dir, "i"), DigestFile: filepath.Join(dir, "missing", "d")}
		}, "missing"},
		{"image id file unwritable", func(dir string) image.AssembleOptions {
			return image.AssembleOptions{Out: filepath.Join(dir, "out"), Layers: []string{td("layers", "app.tar")},
				DigestFile: filepath.Join(dir, "d"), ImageIDFile: filepath.Join(dir, "missing", "i")}
		}, "missing"},
		{"same path twice", func(dir string) image.AssembleOptions {
			return image.AssembleOptions{Out: filepath.Join(dir, "out"), Layers: []string{td("layers", "app.tar")},
				DigestFile: filepath.Join(dir, "d"), ImageIDFile: filepath.Join(dir, ".", "d")}
		}, "digest file and the image id file are both"},
		{"digest file is the layout", func(dir string) image.AssembleOptions {
			return image.AssembleOptions{Out: filepath.Join(dir, "out"), DigestFile: filepath.Join(dir, "out/")}
		}, "output layout and the digest file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := image.Assemble(tc.opts(dir))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Assemble = %v, want an error containing %q", err, tc.wantErr)
			}
			if got := leftovers(t, dir, "missing"); len(got) != 0 {
				t.Errorf("left behind: %v", got)
			}
		})
	}
}
