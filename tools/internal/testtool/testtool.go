// Package testtool finds the host tools tests use as referees (cosign,
// syft, ...). A test that needs one is skipped only with -short or under
// Bazel (TEST_SRCDIR set), where host tools are not part of the sandbox;
// in a plain `go test` run a missing tool fails the test, naming the
// script that installs it.
package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Require returns the path of tool, looked up in $PATH and then in Go's
// install directory ($GOBIN, else $GOPATH/bin, else ~/go/bin), where
// scripts/setup.sh puts the Go tools.
func Require(t testing.TB, tool string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: not running %s", tool)
	}
	if os.Getenv("TEST_SRCDIR") != "" {
		t.Skipf("under Bazel: host tool %s is not available in the sandbox", tool)
	}
	if p, err := exec.LookPath(tool); err == nil {
		return p
	}
	for _, dir := range goBinDirs() {
		p := filepath.Join(dir, tool)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	t.Fatalf("%s is required and not installed: run scripts/setup.sh (or use -short to skip referee tests)", tool)
	return ""
}

func goBinDirs() []string {
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		for _, p := range filepath.SplitList(gp) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	return dirs
}
