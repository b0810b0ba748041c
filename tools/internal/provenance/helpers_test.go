package provenance_test

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/cli"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

// buildLayout makes an image layout with the real layer writer and
// assembler; its digest is pinned by package image's golden tests, so it
// may appear in golden statements.
func buildLayout(t testing.TB, dir, name, body string) string {
	t.Helper()
	l := filepath.Join(dir, name+".tar")
	entries := []layer.Entry{{
		Path: "app/hello.txt", Type: layer.TypeFile, Mode: 0o644, Size: int64(len(body)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil },
	}}
	if _, err := layer.WriteFile(l, entries, layer.Options{}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	if _, err := image.Assemble(image.AssembleOptions{Out: out, Layers: []string{l}}); err != nil {
		t.Fatal(err)
	}
	return out
}

// run runs `odptool provenance write` in process; the error text is
// appended to stderr as main prints it.
func run(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := cli.RunEnv(append([]string{"provenance", "write"}, args...), &cli.Env{Stdout: &stdout, Stderr: &stderr})
	if err != nil && err != cli.ErrUsage {
		stderr.WriteString("odptool: " + err.Error() + "\n")
	}
	return stdout.String(), stderr.String(), cli.ExitCode(err)
}
