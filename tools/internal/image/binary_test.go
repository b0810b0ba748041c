package image_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// worldDir makes a temporary directory other users can enter, for runs of
// the binary as nobody (t.TempDir is private to its owner).
func worldDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "odp-image-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o777); err != nil {
		t.Fatal(err)
	}
	return d
}

// buildOdptool builds the real binary (GOFLAGS of the test run apply).
func buildOdptool(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "odptool")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/rules-odp/rules_odp/tools/cmd/odptool")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building odptool: %v\n%s", err, out)
	}
	return bin
}

// TestBinaryDeterminism runs the built odptool twice on the same inputs:
// under different working directories (and relative vs absolute paths),
// time zones, locales, umasks and users. Digests and every file of the
// layouts must be identical.
func TestBinaryDeterminism(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	root := worldDir(t)
	bin := buildOdptool(t, root)
	in := filepath.Join(root, "in")
	copyDir(t, td(), in)
	cfg := filepath.Join(in, "config.json")
	pol := filepath.Join(in, "policy.json")
	os.WriteFile(cfg, []byte(`{"Entrypoint":["/app/hello"],"Env":["A=1"],"Labels":{"x":"y"}}`), 0o644)
	os.WriteFile(pol, []byte(`{"allow_env_override":["FCP_OPTS"],"log_redirect":"always"}`), 0o644)
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			if fi.IsDir() {
				os.Chmod(p, 0o777)
			} else if p != bin {
				os.Chmod(p, 0o644)
			}
		}
		return err
	})

	type runSpec struct {
		name, cwd, tz, lang, umask string
		asNobody, relative         bool
	}
	runs := []runSpec{
		{name: "a", cwd: filepath.Join(root, "a"), tz: "UTC", lang: "C", umask: "022"},
		{name: "b", cwd: filepath.Join(root, "b", "deep", "er"), tz: "Asia/Kathmandu", lang: "de_DE.UTF-8", umask: "077", relative: true},
	}
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("setpriv"); err == nil {
			runs[1].asNobody = true
		} else {
			t.Log("setpriv not found: the second run keeps the current user")
		}
	} else {
		t.Log("not root: cannot switch to nobody; the second run keeps the current user")
	}

	var digests []string
	var trees []map[string]string
	for _, r := range runs {
		if err := os.MkdirAll(r.cwd, 0o777); err != nil {
			t.Fatal(err)
		}
		os.Chmod(r.cwd, 0o777)
		p := func(abs string) string {
			if !r.relative {
				return abs
			}
			rel, err := filepath.Rel(r.cwd, abs)
			if err != nil {
				t.Fatal(err)
			}
			return rel
		}
		args := []string{"image", "assemble", "--out", "out", "--base", p(filepath.Join(in, "base-oci")),
			"--config", p(cfg), "--launch-policy", p(pol),
			p(filepath.Join(in, "layers", "app.tar")), p(filepath.Join(in, "layers", "data.tar.gz"))}
		shell := `umask ` + r.umask + ` && exec "$0" "$@"`
		argv := append([]string{"sh", "-c", shell, bin}, args...)
		if r.asNobody {
			argv = append([]string{"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"}, argv...)
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = r.cwd
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TZ=" + r.tz, "LANG=" + r.lang, "LC_ALL=" + r.lang, "HOME=" + r.cwd}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("run %s: %v\n%s", r.name, err, stderr.String())
		}
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		digests = append(digests, lines[len(lines)-1])
		trees = append(trees, treeDigests(t, filepath.Join(r.cwd, "out")))
		if r.asNobody {
			fi, err := os.Stat(filepath.Join(r.cwd, "out"))
			if err != nil {
				t.Fatal(err)
			}
			if uid := fi.Sys().(*syscall.Stat_t).Uid; uid == 0 {
				t.Errorf("run %s was meant to run as nobody, but its output is owned by uid %d", r.name, uid)
			}
		}
	}
	if digests[0] != digests[1] || !strings.HasPrefix(digests[0], "sha256:") {
		t.Errorf("manifest digests differ: %q vs %q", digests[0], digests[1])
	}
	if diff := cmp.Diff(trees[0], trees[1]); diff != "" {
		t.Errorf("layouts differ (-run a +run b):\n%s", diff)
	}
	if len(trees[0]) != 2+6 { // oci-layout, index.json, 4 layers, config, manifest
		t.Errorf("layout has %d files, want 8: %v", len(trees[0]), trees[0])
	}
}

// TestBinaryCLI checks the commands' output contracts on the real binary.
func TestBinaryCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildOdptool(t, dir)
	out := filepath.Join(dir, "out")
	cfg := filepath.Join(dir, "cfg.json")
	os.WriteFile(cfg, []byte(`{"Entrypoint":["/app/hello"]}`), 0o644)
	assembled := strings.TrimSpace(run(t, bin, "image", "assemble", "--out", out, "--config", cfg, "--source-date-epoch", "1700000000", td("layers", "app.tar")))
	digest := run(t, bin, "image", "digest", out)
	lines := strings.Split(strings.TrimSpace(digest), "\n")
	if last := lines[len(lines)-1]; last != assembled || !strings.HasPrefix(last, "sha256:") {
		t.Errorf("image digest printed %q, assemble %q", digest, assembled)
	}
	text := run(t, bin, "image", "inspect", out)
	for _, want := range []string{"manifest digest:", assembled, "image id:", "application/vnd.oci.image.layer.v1.tar"} {
		if !strings.Contains(text, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, text)
		}
	}
	js := run(t, bin, "image", "inspect", "--json", out)
	if !strings.Contains(js, `"manifest_digest": "`+assembled+`"`) || !strings.Contains(js, `"diff_id"`) {
		t.Errorf("inspect --json:\n%s", js)
	}
	cfgBlob := filepath.Join(out, "blobs", "sha256")
	ents, _ := os.ReadDir(cfgBlob)
	found := false
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(cfgBlob, e.Name()))
		if bytes.Contains(b, []byte(`"created":"2023-11-14T22:13:20Z"`)) {
			found = true
		}
	}
	if !found {
		t.Error("--source-date-epoch 1700000000 did not set created to 2023-11-14T22:13:20Z")
	}

	// Usage errors exit 2 and leave nothing behind.
	for _, args := range [][]string{
		{"image", "assemble", td("layers", "app.tar")},
		{"image", "assemble", "--out", filepath.Join(dir, "x"), "--source-date-epoch", "yesterday"},
		{"image", "assemble", "--out", filepath.Join(dir, "x"), "--source-date-epoch", "-1"},
		{"image", "assemble", "--out", filepath.Join(dir, "x"), "--inherit-launch-policy", "--launch-policy", filepath.Join(dir, "p.json")},
		{"image", "assemble", "--out", filepath.Join(dir, "x"), "--compression", "xz"},
		{"image", "digest"},
		{"image", "push", out},
	} {
		cmd := exec.Command(bin, args...)
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("odptool %v: %v, want exit status 2", args, err)
		}
	}
	if fileExists(filepath.Join(dir, "x")) || fileExists(filepath.Join(dir, "x.tar")) {
		t.Error("a failed command left output behind")
	}
}
