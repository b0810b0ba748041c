// Package testdeb gives tests real Debian packages. Packages are downloaded
// once with `apt-get download` into a cache outside the repository and
// reused from there by later tests and test processes.
package testdeb

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// CacheDir returns the directory downloaded packages are kept in:
// $ODP_DEB_CACHE if set, else $HOME/.cache/rules_odp/debs.
func CacheDir() (string, error) {
	if d := os.Getenv("ODP_DEB_CACHE"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the package cache: set ODP_DEB_CACHE: %w", err)
	}
	return filepath.Join(home, ".cache", "rules_odp", "debs"), nil
}

// Fetch returns the path of a .deb of package pkg (a plain binary package
// name, no version or architecture). It returns the newest version in the
// cache if there is one, and downloads the archive's current version
// otherwise. If the download is impossible the test fails when CI=true and
// is skipped otherwise (see Unavailable).
//
// Several test processes may fetch the same package at once: each downloads
// into a directory of its own and renames the file into the cache, so the
// cache only ever holds complete files.
func Fetch(t testing.TB, pkg string) string {
	t.Helper()
	if !validName(pkg) {
		t.Fatalf("testdeb.Fetch: %q is not a Debian package name", pkg)
	}
	cache, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatalf("creating package cache: %v", err)
	}
	if p, err := newest(cache, pkg); err != nil {
		t.Fatal(err)
	} else if p != "" {
		return p
	}

	aptGet, err := exec.LookPath("apt-get")
	if err != nil {
		Unavailable(t, "cannot download package %s: apt-get is not installed", pkg)
	}
	tmp, err := os.MkdirTemp(cache, ".download-"+pkg+"-")
	if err != nil {
		t.Fatalf("creating download directory: %v", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(aptGet, "download", "--quiet", pkg)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		Unavailable(t, "apt-get download %s failed (is `apt-get update` done?): %v\n%s", pkg, err, out)
	}
	got, err := filepath.Glob(filepath.Join(tmp, pkg+"_*.deb"))
	if err != nil || len(got) != 1 {
		t.Fatalf("apt-get download %s: want one %s_*.deb in %s, found %q", pkg, pkg, tmp, got)
	}
	final := filepath.Join(cache, filepath.Base(got[0]))
	if err := os.Rename(got[0], final); err != nil {
		t.Fatalf("moving %s into the cache: %v", got[0], err)
	}
	return final
}

// newest returns the cached .deb of pkg with the highest version, or "".
func newest(dir, pkg string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("reading package cache: %w", err)
	}
	var best, bestVersion string
	for _, e := range entries {
		name, version, ok := parseFileName(e.Name())
		if !ok || name != pkg || !e.Type().IsRegular() {
			continue
		}
		if best == "" || compareVersions(version, bestVersion) > 0 {
			best, bestVersion = e.Name(), version
		}
	}
	if best == "" {
		return "", nil
	}
	return filepath.Join(dir, best), nil
}

// parseFileName splits NAME_VERSION_ARCH.deb, the name apt-get download
// gives files, with ':' of the version escaped as "%3a".
func parseFileName(file string) (name, version string, ok bool) {
	base, found := strings.CutSuffix(file, ".deb")
	if !found {
		return "", "", false
	}
	parts := strings.Split(base, "_")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[0], strings.ReplaceAll(parts[1], "%3a", ":"), true
}

// validName follows Policy §5.6.1: lower-case letters, digits, '+', '-' and
// '.', at least two characters, starting with a letter or digit.
func validName(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '+' && c != '-' && c != '.') {
			return false
		}
	}
	return true
}
