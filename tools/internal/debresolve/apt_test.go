package debresolve_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
)

// refereeRoots are the packages on which apt's own solver referees the
// resolver: the runtimes rules_odp images need, then two whose closures
// go through virtual packages ("default-mta | mail-transport-agent",
// "cron | cron-daemon | ..."), versioned alternatives and ":any"
// (perl:any, python3:any), which the first three barely touch.
var refereeRoots = []string{
	"openjdk-17-jre-headless", "python3.11-minimal", "libc++1-16",
	"bsd-mailx", "python3-pip",
}

// TestMatchesApt resolves each referee package from the machine's apt
// indexes and compares the closure with what
// `apt-get -s install --no-install-recommends` would install on a system
// whose dpkg status is empty.
func TestMatchesApt(t *testing.T) {
	needTool(t, "apt-get")
	needTool(t, "dpkg")
	arch := nativeArch(t)
	ix, _ := realIndex(t, arch)
	status := filepath.Join(t.TempDir(), "status")
	if err := os.WriteFile(status, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, root := range refereeRoots {
		t.Run(root, func(t *testing.T) {
			want := aptClosure(t, status, root)
			if len(want) < 3 {
				t.Fatalf("apt installs only %v for %s", want, root)
			}
			pkgs, err := debresolve.Resolve(ix, debresolve.Request{Roots: []string{root}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, p := range pkgs {
				got[p.Name] = p.Version
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("closure of %s differs from apt's (-apt +ours):\n%s", root, diff)
			}
			t.Logf("%s: %d packages, same as apt", root, len(got))
		})
	}
}

var instRe = regexp.MustCompile(`^Inst (\S+) \((\S+) `)

// aptClosure runs apt's solver in simulation against an empty dpkg status.
func aptClosure(t *testing.T, status, root string) map[string]string {
	t.Helper()
	cmd := exec.Command("apt-get", "-o", "Dir::State::status="+status,
		"-o", "Debug::NoLocking=true", "-s", "install", "--no-install-recommends", root)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	got := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if m := instRe.FindStringSubmatch(line); m != nil {
			got[strings.TrimSuffix(m[1], ":"+nativeArchCached)] = m[2]
		}
	}
	return got
}

var nativeArchCached string

func nativeArch(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		t.Fatalf("dpkg --print-architecture: %v", err)
	}
	nativeArchCached = strings.TrimSpace(string(out))
	return nativeArchCached
}

var realIndexCache struct {
	ix      *debresolve.Index
	sources []string
}

// listsDir holds the decompressed apt indexes for the whole test binary;
// TestMain removes it.
var listsDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if listsDir != "" {
		os.RemoveAll(listsDir)
	}
	os.Exit(code)
}

// realIndex reads the machine's apt indexes, decompressed into a temporary
// directory (apt may keep them lz4-compressed, which --index does not
// read). It is read once per test binary.
func realIndex(t testing.TB, arch string) (*debresolve.Index, []string) {
	t.Helper()
	if realIndexCache.ix != nil {
		return realIndexCache.ix, realIndexCache.sources
	}
	dir, err := os.MkdirTemp("", "debresolve-lists-")
	if err != nil {
		t.Fatal(err)
	}
	listsDir = dir
	var sources []string
	for _, f := range aptPackagesFiles(t) {
		dst := filepath.Join(dir, strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f), ".lz4"), ".xz"), ".gz"))
		catFileTo(t, f, dst)
		sources = append(sources, dst)
	}
	ix, err := debresolve.ReadIndexes(context.Background(), arch, sources, nil)
	if err != nil {
		t.Fatal(err)
	}
	realIndexCache.ix, realIndexCache.sources = ix, sources
	return ix, sources
}

// aptPackagesFiles returns the Packages indexes apt downloaded, running
// `apt-get update` first in CI when there are none.
func aptPackagesFiles(t testing.TB) []string {
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

// catFileTo decompresses an apt list file, whatever its compression.
func catFileTo(t testing.TB, src, dst string) {
	t.Helper()
	const helper = "/usr/lib/apt/apt-helper"
	if _, err := os.Stat(helper); err != nil {
		needTool(t, helper)
	}
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(helper, "cat-file", src)
	cmd.Stdout = f
	out, err := func() ([]byte, error) {
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		return []byte(stderr.String()), err
	}()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("%s cat-file %s: %v\n%s", helper, src, err, out)
	}
}

func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		msg := fmt.Sprintf("%s is needed for this test: %v", name, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}
