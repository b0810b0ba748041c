package cacerts_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/cacerts"
	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

// TestRealPackageAgainstUpdateCACertificates makes the bundle from the
// real bookworm ca-certificates package and compares it byte for byte
// with what that same package's update-ca-certificates writes, run for
// real on the package unpacked by dpkg-deb into a scratch directory (its
// --certsconf/--certsdir/--etccertsdir options point it there).
//
// /etc/ca-certificates.conf is made the way a fresh install's postinst
// makes it with all certificates enabled (the default): the package's
// *.crt regular files, found by `find` and sorted by `sort` in the C
// locale. That step is the only part of the reference not run from the
// package itself (the postinst needs debconf and writes to /etc).
func TestRealPackageAgainstUpdateCACertificates(t *testing.T) {
	for _, tool := range []string{"dpkg-deb", "sh", "find", "sort", "sed", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			testdeb.Unavailable(t, "%s not found: %v", tool, err)
		}
	}
	deb := testdeb.Fetch(t, "ca-certificates")
	got, err := cacerts.ReadFile(deb)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	run(t, nil, "dpkg-deb", "-x", deb, root)
	certsDir := filepath.Join(root, cacerts.CertsDir)
	conf := run(t, nil, "sh", "-c", `cd "$1" && find . -type f -name '*.crt' -print | sed -e 's/^\.\///' | LC_ALL=C sort`, "sh", certsDir)
	confPath := filepath.Join(dir, "ca-certificates.conf")
	if err := os.WriteFile(confPath, append([]byte("# made by the test like a fresh install's postinst\n"), conf...), 0o644); err != nil {
		t.Fatal(err)
	}
	etc := filepath.Join(dir, "etc-ssl-certs")
	tmp := filepath.Join(dir, "tmp")
	for _, d := range []string{etc, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run(t, []string{"TMPDIR=" + tmp, "LC_ALL=C"}, "sh", filepath.Join(root, "usr/sbin/update-ca-certificates"),
		"--certsconf", confPath,
		"--certsdir", certsDir,
		"--localcertsdir", filepath.Join(dir, "no-local-certs"),
		"--etccertsdir", etc,
		"--hooksdir", filepath.Join(dir, "no-hooks"))
	want, err := os.ReadFile(filepath.Join(etc, "ca-certificates.crt"))
	if err != nil {
		t.Fatal(err)
	}

	lines := strings.Split(strings.TrimSuffix(string(conf), "\n"), "\n")
	var paths []string
	for _, c := range got.Certificates {
		paths = append(paths, c.Path)
	}
	if diff := cmp.Diff(lines, paths); diff != "" {
		t.Errorf("certificates of %s (-ca-certificates.conf +ours):\n%s", filepath.Base(deb), diff)
	}
	if len(paths) < 100 {
		t.Errorf("only %d certificates in %s", len(paths), filepath.Base(deb))
	}
	if !bytes.Equal(want, got.Data) {
		t.Errorf("bundle of %s differs from update-ca-certificates' (%d bytes, ours %d):\n%s",
			filepath.Base(deb), len(want), len(got.Data), cmp.Diff(string(want), string(got.Data)))
	}
	t.Logf("%s %s: %d certificates, %d bytes, equal to update-ca-certificates' bundle", got.Package, got.Version, len(paths), len(got.Data))
}

func run(t *testing.T, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, stderr.Bytes())
	}
	return out
}
