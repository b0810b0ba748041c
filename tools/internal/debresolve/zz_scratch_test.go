package debresolve_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
)

func TestScratchMany(t *testing.T) {
	roots := strings.Fields(os.Getenv("SCRATCH_ROOTS"))
	if len(roots) == 0 {
		t.Skip()
	}
	arch := nativeArch(t)
	ix, _ := realIndex(t, arch)
	status := filepath.Join(t.TempDir(), "status")
	os.WriteFile(status, nil, 0o644)
	for _, root := range roots {
		cmd := exec.Command("apt-get", "-o", "Dir::State::status="+status, "-s", "install", "--no-install-recommends", root)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("%s: apt fails: %v %s", root, err, lastLine(string(out)))
		}
		want := map[string]string{}
		for _, line := range strings.Split(string(out), "\n") {
			if m := instRe.FindStringSubmatch(line); m != nil {
				want[m[1]] = m[2]
			}
		}
		pkgs, rerr := debresolve.Resolve(ix, debresolve.Request{Roots: []string{root}})
		if rerr != nil {
			t.Logf("%s: ours fails: %v", root, rerr)
			continue
		}
		got := map[string]string{}
		for _, p := range pkgs {
			got[p.Name] = p.Version
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-apt +ours):\n%s", root, diff)
		} else {
			t.Logf("%s: %d same", root, len(got))
		}
	}
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return l[len(l)-1]
}
