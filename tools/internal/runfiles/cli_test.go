package runfiles_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/cli"
	"github.com/rules-odp/rules_odp/tools/internal/runfiles"
)

// TestCLI drives `odptool layer runfiles` in-process (the command lives in
// package cli; its logic is this package's).
func TestCLI(t *testing.T) {
	dir := t.TempDir()
	s := workspaceSpec(t, dir)
	specData, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "spec.json")
	mkfile(t, spec, string(specData), 0o644)
	var manifest bytes.Buffer
	for _, f := range s.Files {
		manifest.WriteString(runfiles.ManifestLine(f.RPath, f.Src))
	}
	manifestPath := filepath.Join(dir, "task_builder.runfiles_manifest")
	mkfile(t, manifestPath, manifest.String(), 0o644)

	outArgs := func(sub, ext string) []string {
		d := filepath.Join(dir, sub)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		compression := "none"
		if ext == ".tar.gz" {
			compression = "gzip"
		}
		return []string{"--compression", compression, "--interpreter-out", filepath.Join(d, "i"+ext), "--packages-out", filepath.Join(d, "p"+ext), "--app-out", filepath.Join(d, "a"+ext)}
	}
	runCLI := func(args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		err := cli.RunEnv(append([]string{"layer", "runfiles"}, args...), &cli.Env{Stdout: &stdout, Stderr: &stderr})
		return stdout.String(), stderr.String(), err
	}
	line := regexp.MustCompile(`^\S+ digest=sha256:[0-9a-f]{64} diff_id=sha256:[0-9a-f]{64} size=\d+$`)

	t.Run("spec", func(t *testing.T) {
		out, stderr, err := runCLI(append([]string{"--spec", spec, "--explain"}, outArgs("spec", ".tar.gz")...)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		for _, want := range []string{"interpreter python_x86_64-unknown-linux-gnu\n", "packages    pypi_python_dateutil\n", "app         (root-level files)\n", "forbidden   " + filepath.Join(dir, "src", "com_example") + "\n"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("--explain printed %q, want a line %q", stderr, want)
			}
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 3 {
			t.Fatalf("printed %q, want one line per layer", out)
		}
		for i, l := range lines {
			if !line.MatchString(l) || !strings.HasPrefix(l, filepath.Join(dir, "spec", []string{"i", "p", "a"}[i])+".tar.gz ") {
				t.Errorf("line %d = %q", i, l)
			}
		}
		if got := readListing(t, filepath.Join(dir, "spec", "i.tar.gz")); len(got) == 0 {
			t.Error("empty interpreter layer")
		}
	})

	t.Run("manifest gives the same layers", func(t *testing.T) {
		out, stderr, err := runCLI(append([]string{"--manifest", manifestPath, "--launcher", s.Launcher, "--workspace", "com_example", "--service", "task_builder"}, outArgs("manifest", ".tar.gz")...)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		for _, name := range []string{"i", "p", "a"} {
			a, _ := os.ReadFile(filepath.Join(dir, "spec", name+".tar.gz"))
			b, _ := os.ReadFile(filepath.Join(dir, "manifest", name+".tar.gz"))
			if len(a) == 0 || !bytes.Equal(a, b) {
				t.Errorf("%s: --manifest and --spec layers differ", name)
			}
		}
		if n := strings.Count(out, "\n"); n != 3 {
			t.Errorf("printed %d lines, want 3", n)
		}
	})

	for _, tc := range []struct {
		name     string
		args     []string
		usage    bool
		wantErr  string
		noOutput bool
	}{
		{"no outputs", []string{"--spec", spec}, true, "--interpreter-out is required", true},
		{"spec and manifest", append([]string{"--spec", spec, "--manifest", manifestPath}, outArgs("e1", ".tar")...), true, "not both", true},
		{"manifest without workspace", append([]string{"--manifest", manifestPath, "--launcher", s.Launcher, "--service", "x"}, outArgs("e2", ".tar")...), true, "--manifest needs", true},
		{"conflicting service", append([]string{"--spec", spec, "--service", "other"}, outArgs("e3", ".tar")...), false, `the spec's service is "task_builder" but the flag says "other"`, true},
		{"output name says gzip", append([]string{"--spec", spec}, append(outArgs("e4", ".tar")[:7], filepath.Join(dir, "e4", "a.tar.gz"))...), false, `ends in .gz but --compression is none`, true},
		{"same output twice", []string{"--spec", spec, "--interpreter-out", filepath.Join(dir, "x.tar"), "--packages-out", filepath.Join(dir, "x.tar"), "--app-out", filepath.Join(dir, "y.tar")}, false, "would both be written to", true},
		{"bad rewrite", append([]string{"--spec", spec, "--rewrite", "relative=/x"}, outArgs("e5", ".tar")...), false, "both sides must be clean absolute paths", true},
		{"forbidden prefix found", append([]string{"--spec", spec, "--forbid-prefix", "/usr/bin"}, outArgs("e6", ".tar")...), false, `the launcher contains the build-machine path "/usr/bin"`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runCLI(tc.args...)
			if err == nil {
				t.Fatal("succeeded")
			}
			if tc.usage != errors.Is(err, cli.ErrUsage) {
				t.Errorf("error %v: usage error %v, want %v", err, errors.Is(err, cli.ErrUsage), tc.usage)
			}
			if msg := fmt.Sprint(err) + stderr; !strings.Contains(msg, tc.wantErr) {
				t.Errorf("error %q (stderr %q), want %q", err, stderr, tc.wantErr)
			}
			if tc.noOutput {
				for _, sub := range []string{"e1", "e2", "e3", "e4", "e5", "e6"} {
					if left, _ := os.ReadDir(filepath.Join(dir, sub)); len(left) != 0 {
						t.Errorf("%s: left behind %v", sub, left)
					}
				}
			}
		})
	}
}
