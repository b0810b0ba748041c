package debver_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/debver"
)

// TestCompareMatchesDpkg checks Compare against dpkg itself, on the
// hand-picked pairs and on a few hundred pairs of versions taken from the
// machine's apt indexes.
func TestCompareMatchesDpkg(t *testing.T) {
	needTool(t, "dpkg")
	type pair struct{ a, b string }
	var pairs []pair
	for _, tc := range tricky {
		pairs = append(pairs, pair{tc.a, tc.b})
	}
	versions := indexVersions(t)
	if len(versions) < 1000 {
		t.Fatalf("found only %d distinct versions in the apt indexes", len(versions))
	}
	// Neighbours in string order share prefixes and differ in the
	// interesting places ("~deb12u1" against "+deb12u1", "-1" against
	// "-1.1"); pairs far apart exercise epochs and number lengths.
	step := len(versions) / 150
	for i := 0; i+step < len(versions); i += step {
		pairs = append(pairs, pair{versions[i], versions[i+1]}, pair{versions[i], versions[len(versions)-1-i]})
	}
	if len(pairs) < 300 {
		t.Fatalf("only %d pairs", len(pairs))
	}
	for _, p := range pairs {
		a, err := debver.Parse(p.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := debver.Parse(p.b)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := debver.Compare(a, b), dpkgCompare(t, p.a, p.b); got != want {
			t.Errorf("Compare(%q, %q) = %d, dpkg says %d", p.a, p.b, got, want)
		}
	}
	t.Logf("compared %d pairs with dpkg", len(pairs))
}

// TestParseIndexVersions checks that every version in the real indexes
// parses and prints back unchanged, except for an explicit epoch 0 (which
// some packages in Debian have, such as "0:2009.10.04-2+b1").
func TestParseIndexVersions(t *testing.T) {
	for _, s := range indexVersions(t) {
		v, err := debver.Parse(s)
		if err != nil {
			t.Error(err)
			continue
		}
		if v.String() != s && "0:"+v.String() != s {
			t.Errorf("Parse(%q).String() = %q", s, v.String())
		}
	}
}

func dpkgCompare(t *testing.T, a, b string) int {
	t.Helper()
	for _, c := range []struct {
		op  string
		res int
	}{{"lt", -1}, {"eq", 0}, {"gt", 1}} {
		err := exec.Command("dpkg", "--compare-versions", a, c.op, b).Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return c.res
		case errors.As(err, &ee) && ee.ExitCode() == 1:
		default:
			t.Fatalf("dpkg --compare-versions %s %s %s: %v", a, c.op, b, err)
		}
	}
	t.Fatalf("dpkg finds %q neither lower, equal nor greater than %q", a, b)
	return 0
}

// indexVersions returns the sorted distinct Version values of the apt
// indexes under /var/lib/apt/lists.
func indexVersions(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range aptPackagesFiles(t) {
		data := catFile(t, f)
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "Version: "); ok {
				seen[v] = true
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("reading %s: %v", f, err)
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// aptPackagesFiles returns the Packages indexes apt downloaded, running
// `apt-get update` first in CI when there are none.
func aptPackagesFiles(t *testing.T) []string {
	t.Helper()
	const glob = "/var/lib/apt/lists/*_Packages*"
	files, _ := filepath.Glob(glob)
	if len(files) == 0 {
		if os.Getenv("CI") != "true" {
			t.Skipf("no apt indexes match %s (run apt-get update)", glob)
		}
		if out, err := exec.Command("apt-get", "update").CombinedOutput(); err != nil {
			t.Fatalf("apt-get update: %v\n%s", err, out)
		}
		files, _ = filepath.Glob(glob)
		if len(files) == 0 {
			t.Fatalf("no apt indexes match %s after apt-get update", glob)
		}
	}
	return files
}

// catFile decompresses an apt list file whatever its compression.
func catFile(t *testing.T, path string) []byte {
	t.Helper()
	const helper = "/usr/lib/apt/apt-helper"
	if _, err := os.Stat(helper); err != nil {
		needTool(t, helper)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(helper, "cat-file", path)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s cat-file %s: %v\n%s", helper, path, err, stderr.Bytes())
	}
	return out
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		msg := fmt.Sprintf("%s is needed for this test: %v", name, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}
