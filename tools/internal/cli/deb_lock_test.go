package cli_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/cli"
	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
	"github.com/ulikunitz/xz"
)

var debTestdata = filepath.Join("..", "debresolve", "testdata")

func runDebLock(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = cli.RunEnv(append([]string{"deb", "lock"}, args...), &cli.Env{Stdout: &o, Stderr: &e})
	return o.String(), e.String(), err
}

func TestDebLock(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(debTestdata, "a.Packages"), filepath.Join(debTestdata, "b.Packages")
	out := filepath.Join(dir, "lock.json")
	args := []string{"--index", a, "--index", b, "--exclude", "base-thing", "--out", out, "app-alt", "app-excl"}
	stdout, stderr, err := runDebLock(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "locked 8 packages") {
		t.Errorf("stdout = %q", stdout)
	}
	first, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	l, err := debresolve.DecodeLock(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(l.Roots, " ") + " / " + strings.Join(l.Exclude, " ") + " / " + strings.Join(l.Indexes, " "); got != "app-alt app-excl / base-thing / "+a+" "+b {
		t.Errorf("lock records roots / exclude / indexes as %q", got)
	}
	if len(l.Packages) != 8 || l.Arch != "amd64" {
		t.Errorf("lock has %d packages for %q", len(l.Packages), l.Arch)
	}

	// Same inputs, same bytes.
	if _, stderr, err := runDebLock(t, args...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	second, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("a second run wrote different bytes")
	}
}

func TestDebLockFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "lock.json")
	if err := os.WriteFile(out, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := runDebLock(t, "--index", filepath.Join(debTestdata, "a.Packages"), "--out", out, "app-missing")
	if err == nil || !strings.Contains(err.Error(), "app-missing -> mid -> needs-missing") {
		t.Fatalf("got error %v, want one naming the chain", err)
	}
	if cli.ExitCode(err) != 1 {
		t.Errorf("exit code %d, want 1", cli.ExitCode(err))
	}
	if data, err := os.ReadFile(out); err != nil || string(data) != "old\n" {
		t.Errorf("existing lock changed: %q, %v", data, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failure, want only the old lock", len(entries))
	}
}

func TestDebLockMirror(t *testing.T) {
	a, err := os.ReadFile(filepath.Join(debTestdata, "a.Packages"))
	if err != nil {
		t.Fatal(err)
	}
	var xzA bytes.Buffer
	zw, err := xz.NewWriter(&xzA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(a); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/debian/dists/syn/main/binary-amd64/Packages.xz":
			w.Write(xzA.Bytes())
		case "/debian/dists/syn/plain/binary-amd64/Packages.xz":
			w.Write(a)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()

	out := filepath.Join(dir, "lock.json")
	if _, stderr, err := runDebLock(t, "--mirror", srv.URL+"/debian/", "--dist", "syn", "--out", out, "app-alt-version"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	l, err := debresolve.DecodeLock(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	wantIndex := srv.URL + "/debian/dists/syn/main/binary-amd64/Packages.xz"
	if len(l.Indexes) != 1 || l.Indexes[0] != wantIndex || len(l.Packages) != 2 || l.Packages[0].Index != wantIndex {
		t.Errorf("lock from the mirror: indexes %v, %d packages", l.Indexes, len(l.Packages))
	}

	out2 := filepath.Join(dir, "lock2.json")
	_, _, err = runDebLock(t, "--mirror", srv.URL+"/debian", "--dist", "syn", "--component", "main", "--component", "plain", "--out", out2, "gamma")
	if err == nil || !strings.Contains(err.Error(), "is not compressed as its name says") {
		t.Fatalf("got error %v, want the mismatch between name and content reported", err)
	}
	if _, err := os.Stat(out2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock written despite the error: %v", err)
	}
}

func TestDebLockUsage(t *testing.T) {
	idx := filepath.Join(debTestdata, "a.Packages")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--index", idx, "gamma"}, "--out is required"},
		{[]string{"--index", idx, "--out", "x.json"}, "no packages given"},
		{[]string{"--out", "x.json", "gamma"}, "no index given"},
		{[]string{"--dist", "bookworm", "--out", "x.json", "gamma"}, "need --mirror"},
		{[]string{"--mirror", "http://127.0.0.1:1/debian", "--out", "x.json", "gamma"}, "--mirror needs --dist"},
		{[]string{"--index", idx, "--arch", "all", "--out", "x.json", "gamma"}, "--arch must name an architecture"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, stderr, err := runDebLock(t, tc.args...)
			if !errors.Is(err, cli.ErrUsage) || cli.ExitCode(err) != 2 {
				t.Fatalf("got %v, want a usage error", err)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.want)
			}
		})
	}
}

// baseLayout assembles, through the CLI, a scratch image of one layer
// holding dpkg status records (the shape our repacker and distroless use).
func baseLayout(t *testing.T, dir string, records map[string]string) string {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	names := make([]string, 0, len(records))
	for n := range records {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, d := range []string{"var/", "var/lib/", "var/lib/dpkg/", "var/lib/dpkg/status.d/"} {
		tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755})
	}
	for _, n := range names {
		body := records[n]
		tw.WriteHeader(&tar.Header{Name: "var/lib/dpkg/status.d/" + n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))})
		tw.Write([]byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	layerPath := filepath.Join(dir, "dpkg.tar")
	if err := os.WriteFile(layerPath, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "base")
	var stderr bytes.Buffer
	if err := cli.RunEnv([]string{"image", "assemble", "--out", out, layerPath}, &cli.Env{Stdout: io.Discard, Stderr: &stderr}); err != nil {
		t.Fatalf("assembling the base: %v\n%s", err, stderr.String())
	}
	return out
}

func TestDebLockExcludeInstalled(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(debTestdata, "a.Packages"), filepath.Join(debTestdata, "b.Packages")
	record := func(name, version, arch string) string {
		return "Package: " + name + "\nStatus: install ok installed\nVersion: " + version + "\nArchitecture: " + arch + "\n"
	}
	base := baseLayout(t, dir, map[string]string{
		"libc":     record("libc", "2.36-8", "amd64"),
		"libgcc":   record("libgcc", "12.2.0-14", "amd64"),
		"gcc-base": record("gcc-base", "12.2.0-14", "arm64"), // another architecture: not counted
	})
	out := filepath.Join(dir, "lock.json")
	stdout, stderr, err := runDebLock(t, "--index", a, "--index", b, "--exclude-installed", base, "--out", out, "app-alt", "app-pre")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "locked 5 packages") {
		t.Errorf("stdout = %q", stdout)
	}
	if want := "dropped libc (amd64): the base has 2.36-8, the lock would take 2.36-9; needed by app-pre, beta\n"; stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	l, err := debresolve.DecodeLock(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range l.Packages {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "app-alt app-pre beta gamma pre-thing" {
		t.Errorf("locked %s", got)
	}
	want := []debresolve.DroppedPackage{{Name: "libc", Arch: "amd64", BaseVersion: "2.36-8", IndexVersion: "2.36-9", RequiredBy: []string{"app-pre", "beta"}}}
	if diff := cmp.Diff(want, l.Dropped); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}

	// A base too old for a dependency is refused, naming both versions.
	old := baseLayout(t, filepath.Join(dir, "old"), map[string]string{"libc": record("libc", "2.29", "amd64")})
	_, _, err = runDebLock(t, "--index", a, "--exclude-installed", old, "--out", out, "app-alt")
	if err == nil || !strings.Contains(err.Error(), "the base image has libc 2.29, which does not satisfy libc (>= 2.30)") {
		t.Errorf("too old a base: %v", err)
	}
	// Two bases: only what both have counts (libgcc is only in the first).
	_, stderr, err = runDebLock(t, "--index", a, "--exclude-installed", base, "--exclude-installed", old, "--out", out, "libgcc")
	if err == nil || !strings.Contains(err.Error(), "the base image has libc 2.36-8, 2.29") {
		t.Errorf("two bases: %v\n%s", err, stderr)
	}
	// Not a layout.
	if _, _, err := runDebLock(t, "--index", a, "--exclude-installed", dir, "--out", out, "gamma"); err == nil || !strings.Contains(err.Error(), "--exclude-installed") {
		t.Errorf("not a layout: %v", err)
	}
}
