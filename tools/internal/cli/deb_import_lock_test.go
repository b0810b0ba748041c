package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/cli"
	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
)

func TestDebImportLock(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(debTestdata, "distroless", "bookworm-0.5.lock.json")
	out := filepath.Join(dir, "lock.json")
	run := func(args ...string) (string, error) {
		var o, e bytes.Buffer
		err := cli.RunEnv(append([]string{"deb", "import-lock"}, args...), &cli.Env{Stdout: &o, Stderr: &e})
		return o.String() + e.String(), err
	}
	msg, err := run("--from", "rules_distroless", "--out", out, in)
	if err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	if !strings.Contains(msg, "imported 9 packages for amd64") {
		t.Errorf("output %q", msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(debTestdata, "golden", "imported-0.5.lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("the CLI wrote other bytes than debresolve.ImportDistrolessLock's golden output")
	}
	if _, err := debresolve.DecodeLock(bytes.NewReader(got)); err != nil {
		t.Errorf("our reader refuses the imported lock: %v", err)
	}

	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"--out", out, in}, `--from "": the only lock format known is rules_distroless`, 2},
		{[]string{"--from", "rules_distroless", in}, "--out is required", 2},
		{[]string{"--from", "rules_distroless", "--out", out, filepath.Join(debTestdata, "distroless", "bookworm-0.4.lock.json")}, "architectures amd64, arm64: choose one", 1},
		{[]string{"--from", "rules_distroless", "--out", out, filepath.Join(dir, "missing.json")}, "missing.json", 1},
	} {
		msg, err := run(tc.args...)
		if err == nil || !strings.Contains(err.Error()+msg, tc.want) || cli.ExitCode(err) != tc.code {
			t.Errorf("%v: %v (exit %d)\n%s\nwant %q, exit %d", tc.args, err, cli.ExitCode(err), msg, tc.want, tc.code)
		}
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(after, got) {
		t.Error("a failed import changed the existing output")
	}
}
