package main_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goModVersion is the version go.mod requires of a module.
func goModVersion(t *testing.T, module string) string {
	t.Helper()
	b, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(module) + `\s+(v\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("go.mod does not require %s", module)
	}
	return string(m[1])
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(odptool, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("odptool version: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`^odptool devel \(go1\.\d+[^,]*, linux/amd64\)\n`).Match(out) {
		t.Errorf("first line of %q", out)
	}
	for _, module := range []string{"github.com/klauspost/compress", "github.com/klauspost/pgzip", "github.com/google/go-containerregistry"} {
		want := "  " + module + " " + goModVersion(t, module) + " h1:"
		if !strings.Contains(string(out), want) {
			t.Errorf("odptool version does not list %q:\n%s", want, out)
		}
	}
	out, err = exec.Command(odptool, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Version string
		Modules []struct{ Path, Version string }
	}
	if err := json.Unmarshal(out, &info); err != nil || info.Version != "devel" || len(info.Modules) < 5 {
		t.Errorf("odptool version --json: %v %+v", err, info)
	}
}

func TestSelfcheck(t *testing.T) {
	out, err := exec.Command(odptool, "selfcheck").CombinedOutput()
	if err != nil {
		t.Fatalf("odptool selfcheck: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "\nok ") + strings.Count(string(out)[:3], "ok "); n != 6 {
		t.Errorf("want 6 probes ok, got %d:\n%s", n, out)
	}
}

// An odptool built with another gzip level or implementation, or another
// deflate level for jars, must refuse to write bytes: the fingerprint guard
// names the build's compressor versions. The builds swap one source file
// with `go build -overlay`, as a bumped dependency or an edit would.
func TestFingerprintGuard(t *testing.T) {
	if testing.Short() {
		t.Skip("builds odptool three more times")
	}
	compress, err := os.ReadFile("../../internal/layer/compress.go")
	if err != nil {
		t.Fatal(err)
	}
	normalize, err := os.ReadFile("../../internal/jarnorm/normalize.go")
	if err != nil {
		t.Fatal(err)
	}
	replace := func(src []byte, old, new string) string {
		t.Helper()
		if !strings.Contains(string(src), old) {
			t.Fatalf("source no longer contains %q; update this test", old)
		}
		return strings.Replace(string(src), old, new, 1)
	}
	stdGzip := replace(compress, `zw, err := pgzip.NewWriterLevel(w, level)`, `zw, err := newStdGzip(w, level)`) + `
type stdGzip struct {
	*gzip.Writer
	ModTime time.Time
	OS      byte
}

func (s *stdGzip) SetConcurrency(int, int) error { return nil }

func newStdGzip(w io.Writer, level int) (*stdGzip, error) {
	zw, err := gzip.NewWriterLevel(w, level)
	return &stdGzip{Writer: zw}, err
}

var _ = pgzip.NewWriter
`
	stdGzip = strings.Replace(stdGzip, "import (\n", "import (\n\t\"compress/gzip\"\n", 1)
	for _, tc := range []struct {
		name, file, content string
		probe               string
		verb                []string // a verb that must refuse, with OUT for its output
	}{
		{"gzip level 9", "../../internal/layer/compress.go", replace(compress, "const DefaultGzipLevel = 6", "const DefaultGzipLevel = 9"), "gzip layer", []string{"layer", "files", "--compression", "gzip", "--out", "OUT.tar.gz", "--file", "/a=SRC"}},
		{"compress/gzip instead of pgzip", "../../internal/layer/compress.go", stdGzip, "gzip layer", []string{"layer", "files", "--compression", "gzip", "--out", "OUT.tar.gz", "--file", "/a=SRC"}},
		{"jar deflate level 6", "../../internal/jarnorm/normalize.go", replace(normalize, "deflateLevel = 9", "deflateLevel = 6"), "jar re-deflate", []string{"jar", "normalize", "--out", "OUT.jar", "SRC"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			replacement := filepath.Join(dir, "replacement.go")
			if err := os.WriteFile(replacement, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			abs, _ := filepath.Abs(tc.file)
			overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{abs: replacement}})
			overlayFile := filepath.Join(dir, "overlay.json")
			if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
				t.Fatal(err)
			}
			bin := filepath.Join(dir, "odptool")
			if out, err := exec.Command("go", "build", "-overlay", overlayFile, "-o", bin, ".").CombinedOutput(); err != nil {
				t.Fatalf("building the altered odptool: %v\n%s", err, out)
			}
			out, err := exec.Command(bin, "selfcheck").CombinedOutput()
			if code := exitCode(err); code != 1 {
				t.Fatalf("selfcheck exit %d, want 1:\n%s", code, out)
			}
			for _, want := range []string{"MISMATCH", tc.probe, "github.com/klauspost/compress " + goModVersion(t, "github.com/klauspost/compress"), "go.mod"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("selfcheck output lacks %q:\n%s", want, out)
				}
			}

			// The verb that would write the other bytes refuses, and leaves
			// nothing behind.
			src := filepath.Join(dir, "src")
			writeTestJar(t, src)
			outBase := filepath.Join(dir, "out")
			var args []string
			for _, a := range tc.verb {
				a = strings.Replace(a, "OUT", outBase, 1)
				a = strings.Replace(a, "SRC", src, 1)
				args = append(args, a)
			}
			out, err = exec.Command(bin, args...).CombinedOutput()
			if exitCode(err) != 1 || !strings.Contains(string(out), tc.probe) {
				t.Errorf("odptool %s: %v, want a refusal naming %q:\n%s", strings.Join(tc.verb[:2], " "), err, tc.probe, out)
			}
			if m, _ := filepath.Glob(outBase + "*"); len(m) != 0 {
				t.Errorf("left behind: %v", m)
			}
		})
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// writeTestJar writes a small jar with deflated entries.
func writeTestJar(t *testing.T, path string) {
	t.Helper()
	cmd := exec.Command("go", "run", "./testdata/mkjar.go", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("writing a test jar: %v\n%s", err, out)
	}
}
