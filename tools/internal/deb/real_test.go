package deb_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/deb"
	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

// dpkgDeb runs the real dpkg-deb, the referee for what a .deb contains.
func dpkgDeb(t testing.TB, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("dpkg-deb")
	if err != nil {
		testdeb.Unavailable(t, "dpkg-deb is not installed")
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dpkg-deb %q: %v\n%s", args, err, stderr.Bytes())
	}
	return out
}

type listing struct {
	Name, Link string
	Type       byte
	Size       int64
	Mode       int64
}

func list(t testing.TB, tr *tar.Reader) []listing {
	t.Helper()
	var l []listing
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return l
		}
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, tr)
		if err != nil {
			t.Fatal(err)
		}
		l = append(l, listing{h.Name, h.Linkname, h.Typeflag, n, h.Mode})
	}
}

// controlFile extracts one file of control.tar with dpkg-deb, nil if absent.
func controlFile(t testing.TB, path, name string) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(dpkgDeb(t, "--ctrl-tarfile", path)))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "./") == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}

// checkAgainstDpkg opens path and compares everything with dpkg-deb's view.
func checkAgainstDpkg(t *testing.T, path string) *deb.Package {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := deb.Open(bufio.NewReader(f), filepath.Base(path))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := p.Data()
	if err != nil {
		t.Fatal(err)
	}
	got := list(t, tr)
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	want := list(t, tar.NewReader(bytes.NewReader(dpkgDeb(t, "--fsys-tarfile", path))))
	if len(want) == 0 {
		t.Fatal("dpkg-deb lists no files")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("data.tar (-dpkg-deb +ours):\n%s", diff)
	}

	// dpkg-deb -f prints the control fields as dpkg formats them.
	wantControl := string(dpkgDeb(t, "-f", path))
	gotControl, err := p.Control.Paragraph.Format()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantControl, string(gotControl)); diff != "" {
		t.Errorf("control paragraph (-dpkg-deb +ours):\n%s", diff)
	}
	for field, got := range map[string]string{"Package": p.Control.Package, "Version": p.Control.Version, "Architecture": p.Control.Architecture, "Depends": p.Control.Depends, "Pre-Depends": p.Control.PreDepends, "Provides": p.Control.Provides} {
		want := strings.TrimSpace(string(dpkgDeb(t, "-f", path, field)))
		if got != want {
			t.Errorf("Control.%s = %q, dpkg-deb says %q", field, got, want)
		}
	}
	if diff := cmp.Diff(controlFile(t, path, "md5sums"), p.MD5Sums); diff != "" {
		t.Errorf("md5sums (-dpkg-deb +ours):\n%s", diff)
	}
	if diff := cmp.Diff(controlFile(t, path, "conffiles"), p.Conffiles); diff != "" {
		t.Errorf("conffiles (-dpkg-deb +ours):\n%s", diff)
	}
	return p
}

func TestRealPackages(t *testing.T) {
	for _, tc := range []struct {
		pkg, data      string
		wantMD5, wantC bool
	}{
		{"libc6", "data.tar.xz", true, true},
		{"libc++1-16", "data.tar.xz", true, false},
		{"perl-base", "data.tar.xz", true, false},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			path := testdeb.Fetch(t, tc.pkg)
			p := checkAgainstDpkg(t, path)
			if p.Control.Package != tc.pkg || p.DataMember != tc.data || (p.MD5Sums != nil) != tc.wantMD5 || (p.Conffiles != nil) != tc.wantC {
				t.Errorf("Package %q, DataMember %q, md5sums %v, conffiles %v", p.Control.Package, p.DataMember, p.MD5Sums != nil, p.Conffiles != nil)
			}
		})
	}
}

// TestDpkgDebBuilt reads packages that the real dpkg-deb builds with each
// compression it can write.
func TestDpkgDebBuilt(t *testing.T) {
	root := t.TempDir()
	for name, body := range map[string]string{
		"DEBIAN/control":                "Package: odp-test\nVersion: 1.0-1\nArchitecture: all\nMaintainer: Nobody <nobody@example.com>\nDescription: test package\n with a long\n .\n description\n",
		"DEBIAN/conffiles":              "/etc/odp-test.conf\n",
		"DEBIAN/md5sums":                "0123456789abcdef0123456789abcdef  usr/share/doc/odp-test/README\n",
		"etc/odp-test.conf":             "a=b\n",
		"usr/share/doc/odp-test/README": strings.Repeat("readme\n", 1000),
	} {
		if err := os.MkdirAll(filepath.Join(root, "pkg", filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "pkg", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("README", filepath.Join(root, "pkg/usr/share/doc/odp-test/LINK")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ z, control, data string }{
		{"gzip", "control.tar.gz", "data.tar.gz"},
		{"xz", "control.tar.xz", "data.tar.xz"},
		{"zstd", "control.tar.zst", "data.tar.zst"},
		{"none", "control.tar", "data.tar"},
	} {
		t.Run(tc.z, func(t *testing.T) {
			out := filepath.Join(root, tc.z+".deb")
			dpkgDeb(t, "--root-owner-group", "-Z"+tc.z, "--build", filepath.Join(root, "pkg"), out)
			p := checkAgainstDpkg(t, out)
			if p.ControlMember != tc.control || p.DataMember != tc.data {
				t.Errorf("members %q, %q; want %q, %q", p.ControlMember, p.DataMember, tc.control, tc.data)
			}
		})
	}

	// dpkg-deb no longer writes bzip2 or lzma but still reads them: assemble
	// such packages with GNU ar from the parts of the gzip one.
	arBin, err := exec.LookPath("ar")
	if err != nil {
		testdeb.Unavailable(t, "GNU ar is not installed (binutils)")
	}
	for _, tc := range []struct{ suffix, tool string }{{".bz2", "bzip2"}, {".lzma", "xz"}} {
		t.Run(tc.suffix, func(t *testing.T) {
			dir := t.TempDir()
			gz := filepath.Join(root, "gzip.deb")
			if _, err := os.Stat(gz); err != nil {
				dpkgDeb(t, "--root-owner-group", "-Zgzip", "--build", filepath.Join(root, "pkg"), gz)
			}
			data := dpkgDeb(t, "--fsys-tarfile", gz)
			args := []string{"-c"}
			if tc.tool == "xz" {
				args = append(args, "--format=lzma")
			}
			parts := map[string][]byte{
				"debian-binary":        []byte("2.0\n"),
				"control.tar.gz":       compress(t, ".gz", dpkgDeb(t, "--ctrl-tarfile", gz)),
				"data.tar" + tc.suffix: filter(t, data, tc.tool, args...),
			}
			for name, b := range parts {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(arBin, "rcD", "out.deb", "debian-binary", "control.tar.gz", "data.tar"+tc.suffix)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ar: %v\n%s", err, out)
			}
			p := checkAgainstDpkg(t, filepath.Join(dir, "out.deb"))
			if p.DataMember != "data.tar"+tc.suffix {
				t.Errorf("DataMember = %q", p.DataMember)
			}
		})
	}
}
