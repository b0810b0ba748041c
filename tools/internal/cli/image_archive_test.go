package cli_test

import (
	"bytes"
	"errors"
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

// TestImageArchiveMatchesAssemble: archiving a layout later gives the very
// bytes assemble wrote next to it, so Bazel rules may split the two steps.
func TestImageArchiveMatchesAssemble(t *testing.T) {
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	const tag = "localhost/odp-archive-test:v1"
	printed := mustRun(t, "image", "assemble", "--out", layout,
		"--base", filepath.Join(imageTestdata, "base-oci"),
		"--docker-archive", filepath.Join(dir, "assembled-docker.tar"), "--tag", tag,
		"--oci-archive", filepath.Join(dir, "assembled-oci.tar"),
		"--digest-file", filepath.Join(dir, "digest"), "--image-id-file", filepath.Join(dir, "id"),
		filepath.Join(imageTestdata, "layers", "app.tar"))
	digest := readString(t, filepath.Join(dir, "digest"))
	if strings.TrimSpace(printed) != digest || !strings.HasPrefix(digest, "sha256:") || strings.HasSuffix(digest, "\n") {
		t.Errorf("assemble printed %q, --digest-file holds %q", printed, digest)
	}
	for _, format := range []string{"docker", "oci"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(dir, "archived-"+format+".tar")
			args := []string{"image", "archive", "--format", format, "--out", out}
			if format == "docker" {
				args = append(args, "--tag", tag)
			}
			mustRun(t, append(args, layout)...)
			want := readString(t, filepath.Join(dir, "assembled-"+format+".tar"))
			if got := readString(t, out); got != want {
				t.Errorf("image archive wrote %d bytes that differ from assemble's %d", len(got), len(want))
			}
			fi, _ := os.Stat(out)
			if fi.Mode().Perm() != 0o644 {
				t.Errorf("archive mode %v, want 0644", fi.Mode().Perm())
			}
		})
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
	mustRun(t, "image", "archive", "--format", "docker", "--tag", tag, "--out", archive, layout)
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
		{"docker without tag", []string{"--format", "docker", "--out", out, layout}, true, "needs --tag"},
		{"oci with tag", []string{"--format", "oci", "--tag", "localhost/x:y", "--out", out, layout}, true, "only for --format docker"},
		{"bad tag", []string{"--format", "docker", "--tag", "Not A Tag", "--out", out, layout}, false, "Not A Tag"},
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
