package cli_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/cli"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
)

var imageTestdata = filepath.Join("..", "image", "testdata")

func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = cli.RunEnv(args, &cli.Env{Stdout: &o, Stderr: &e})
	return o.String(), e.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, err := runCLI(t, args...)
	if err != nil {
		t.Fatalf("odptool %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return stdout
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestImageArchiveDeterministic: the same layout gives the same archive
// bytes from another working directory, and a docker archive names the
// image by every --repo-tag, with or without a registry.
func TestImageArchiveDeterministic(t *testing.T) {
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	mustRun(t, "image", "assemble", "--out", layout,
		"--base", filepath.Join(imageTestdata, "base-oci"),
		filepath.Join(imageTestdata, "layers", "app.tar"))
	tags := []string{"aggregator_image:latest", "localhost/odp-archive-test:v1"}
	for _, format := range []string{"docker", "oci"} {
		t.Run(format, func(t *testing.T) {
			var got [2]string
			for i := range got {
				out := filepath.Join(dir, fmt.Sprintf("%s-%d.tar", format, i))
				args := []string{"image", "archive", "--format", format, "--out", out}
				if format == "docker" {
					for _, tag := range tags {
						args = append(args, "--repo-tag", tag)
					}
				}
				mustRun(t, append(args, layout)...)
				got[i] = readString(t, out)
				fi, _ := os.Stat(out)
				if fi.Mode().Perm() != 0o644 {
					t.Errorf("archive mode %v, want 0644", fi.Mode().Perm())
				}
			}
			if got[0] != got[1] {
				t.Errorf("two archives of one layout differ")
			}
			if format == "docker" {
				manifest := tarMember(t, []byte(got[0]), "manifest.json")
				want := `"RepoTags":["aggregator_image:latest","localhost/odp-archive-test:v1"]`
				if !strings.Contains(string(manifest), want) {
					t.Errorf("manifest.json %s lacks %s", manifest, want)
				}
			}
		})
	}
}

// tarMember returns the content of one member of a tarball.
func tarMember(t *testing.T, tarball []byte, name string) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(tarball))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in the tarball: %v", name, err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}

// TestImageArchivePodmanLoad is the referee: podman loads the docker
// archive under its tag, with the config digest as image ID.
func TestImageArchivePodmanLoad(t *testing.T) {
	podman := testregistry.Require(t, "podman")
	if os.Geteuid() != 0 {
		t.Skip("podman's storage is set up for root here")
	}
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	mustRun(t, "image", "assemble", "--out", layout, "--image-id-file", filepath.Join(dir, "id"),
		"--base", filepath.Join(imageTestdata, "base-oci"), filepath.Join(imageTestdata, "layers", "app.tar"))
	id := readString(t, filepath.Join(dir, "id"))
	const tag = "localhost/odp-archive-test:podman"
	archive := filepath.Join(dir, "docker.tar")
	mustRun(t, "image", "archive", "--format", "docker", "--repo-tag", tag, "--out", archive, layout)
	t.Cleanup(func() { exec.Command(podman, "rmi", "-f", tag).Run() })
	if out, err := exec.Command(podman, "load", "-i", archive).CombinedOutput(); err != nil {
		t.Fatalf("podman load: %v\n%s", err, out)
	}
	out, err := exec.Command(podman, "image", "inspect", "--format", "{{.Id}}", tag).CombinedOutput()
	if err != nil {
		t.Fatalf("podman image inspect: %v\n%s", err, out)
	}
	if got := "sha256:" + strings.TrimSpace(string(out)); got != id {
		t.Errorf("podman loaded %s as image %s; --image-id-file says %s", tag, got, id)
	}
}

func TestImageArchiveUsage(t *testing.T) {
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	mustRun(t, "image", "assemble", "--out", layout, filepath.Join(imageTestdata, "layers", "app.tar"))
	out := filepath.Join(dir, "out.tar")
	tests := []struct {
		name    string
		args    []string
		usage   bool
		wantErr string
	}{
		{"no layout", []string{"--format", "oci", "--out", out}, true, "exactly one LAYOUT"},
		{"no out", []string{"--format", "oci", layout}, true, "--out is required"},
		{"no format", []string{"--out", out, layout}, true, "--format is required"},
		{"bad format", []string{"--format", "tar", "--out", out, layout}, true, `--format "tar"`},
		{"docker without tag", []string{"--format", "docker", "--out", out, layout}, true, "needs --repo-tag"},
		{"oci with tag", []string{"--format", "oci", "--repo-tag", "localhost/x:y", "--out", out, layout}, true, "only for --format docker"},
		{"bad tag", []string{"--format", "docker", "--repo-tag", "Not A Tag", "--out", out, layout}, false, "Not A Tag"},
		{"tag without tag", []string{"--format", "docker", "--repo-tag", "localhost/x", "--out", out, layout}, false, "the tag is required"},
		{"digest", []string{"--format", "docker", "--repo-tag", "x:y@sha256:" + strings.Repeat("0", 64), "--out", out, layout}, false, "a digest is not allowed"},
		{"not a layout", []string{"--format", "oci", "--out", out, dir}, false, "not an OCI image layout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runCLI(t, append([]string{"image", "archive"}, tc.args...)...)
			if err == nil {
				t.Fatal("succeeded")
			}
			if got := errors.Is(err, cli.ErrUsage); got != tc.usage {
				t.Errorf("usage error = %v, want %v (%v)", got, tc.usage, err)
			}
			if msg := err.Error() + stderr; !strings.Contains(msg, tc.wantErr) {
				t.Errorf("error %v\n%s\nlacks %q", err, stderr, tc.wantErr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a failed archive left its output behind")
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 1 {
				t.Errorf("left behind: %v", ents)
			}
		})
	}
}
