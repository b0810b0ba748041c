package imagediff_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/cli"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/imagediff"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

// file is one regular file of a test layer.
type file struct {
	path, body string
	mode       uint32 // 0 means 0644
}

// writeLayer writes a layer with the real layer writer.
func writeLayer(t testing.TB, dir, name string, opts layer.Options, files ...file) string {
	t.Helper()
	var entries []layer.Entry
	for _, f := range files {
		body := f.body
		mode := f.mode
		if mode == 0 {
			mode = 0o644
		}
		entries = append(entries, layer.Entry{
			Path: f.path, Type: layer.TypeFile, Mode: mode, Size: int64(len(body)),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil },
		})
	}
	p := filepath.Join(dir, name)
	if _, err := layer.WriteFile(p, entries, opts); err != nil {
		t.Fatalf("writing layer %s: %v", name, err)
	}
	return p
}

// assemble builds a layout with the real assembler.
func assemble(t testing.TB, out string, opts image.AssembleOptions, layers ...string) string {
	t.Helper()
	opts.Out = out
	opts.Layers = layers
	if _, err := image.Assemble(opts); err != nil {
		t.Fatalf("assembling %s: %v", out, err)
	}
	return out
}

func labels(kv ...string) *image.ConfigOverride {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &image.ConfigOverride{Labels: &m}
}

// runDiff runs `odptool image diff` in process and returns its stdout,
// stderr and exit code.
func runDiff(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := cli.RunEnv(append([]string{"image", "diff"}, args...), &cli.Env{Stdout: &stdout, Stderr: &stderr})
	if err != nil && err != cli.ErrUsage {
		// What main prints.
		stderr.WriteString("odptool: " + err.Error() + "\n")
	}
	return stdout.String(), stderr.String(), cli.ExitCode(err)
}

// named is what a difference names: where it is and which field.
func named(d imagediff.Difference) string {
	s := d.Scope
	if d.Scope == "layer" {
		s += " " + itoa(d.Layer)
	}
	if d.Path != "" {
		s += " " + d.Path
	}
	return s + ": " + d.Field
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// diffJSON runs the diff with --json and returns the sorted list of what
// it named, and the exit code.
func diffJSON(t testing.TB, args ...string) ([]string, int, *imagediff.Report) {
	t.Helper()
	stdout, stderr, code := runDiff(t, append([]string{"--json"}, args...)...)
	if code == 2 {
		return nil, code, nil
	}
	var rep imagediff.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("parsing --json output: %v\n%s\nstderr: %s", err, stdout, stderr)
	}
	var got []string
	for _, d := range rep.Differences {
		got = append(got, named(d))
	}
	sort.Strings(got)
	if rep.Same != (code == 0) || rep.Same != (len(rep.Differences) == 0) {
		t.Errorf("same=%v with exit code %d and %d differences", rep.Same, code, len(rep.Differences))
	}
	return got, code, &rep
}

// copyTree copies a directory of regular files.
func copyTree(t testing.TB, src, dst string) string {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// layerBlob is the path of the blob of layer n (1-based) of a layout.
func layerBlob(t testing.TB, layout string, n int) string {
	t.Helper()
	info, err := image.Inspect(layout)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(layout, "blobs", "sha256", strings.TrimPrefix(info.Layers[n-1].Digest, "sha256:"))
}
