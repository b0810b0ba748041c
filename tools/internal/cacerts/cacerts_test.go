package cacerts_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/cacerts"
	"github.com/rules-odp/rules_odp/tools/internal/golden"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

func TestBundleOrderAndNewlines(t *testing.T) {
	a, b, c, d := testCert(t, 1), testCert(t, 2), testCert(t, 3), testCert(t, 4)
	noNL := bytes.TrimRight(c, "\n")
	crlf := bytes.ReplaceAll(d, []byte("\n"), []byte("\r\n"))
	pkg := buildDeb(t,
		dir("./"), dir("./usr/"), dir("./usr/share/"), dir("./usr/share/ca-certificates/"),
		dir("./usr/share/ca-certificates/mozilla/"),
		reg("./usr/share/ca-certificates/mozilla/b.crt", b),
		reg("./usr/share/ca-certificates/mozilla/B_upper.crt", noNL),
		reg("./usr/share/ca-certificates/mozilla/README", []byte("not a certificate")),
		reg("./usr/share/ca-certificates/Z.crt", crlf),
		reg("./usr/share/ca-certificates/mozilla/a-b.crt", a),
		reg("./usr/share/ca-certificates/mozilla/N\u0151.crt", a),
		reg("./usr/share/doc/ca-certificates/x.crt", []byte("outside the certificate directory")),
	)
	got, err := cacerts.Read(bytes.NewReader(pkg), "test.deb")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, c := range got.Certificates {
		paths = append(paths, c.Path)
	}
	// C-locale (bytewise) order: "Z" < "m" and upper case before lower case.
	want := []string{"Z.crt", "mozilla/B_upper.crt", "mozilla/N\u0151.crt", "mozilla/a-b.crt", "mozilla/b.crt"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("bundle order (-want +got):\n%s", diff)
	}
	wantData := bytes.Join([][]byte{crlf, noNL, []byte("\n"), a, a, b}, nil)
	if !bytes.Equal(got.Data, wantData) {
		t.Errorf("bundle bytes differ:\n%s", cmp.Diff(string(wantData), string(got.Data)))
	}
	if got.Package != "ca-certificates" || got.Version != "1-test" {
		t.Errorf("package %q %q", got.Package, got.Version)
	}
	if cn := got.Certificates[0].Cert.Subject.CommonName; cn != "Test Root 4" {
		t.Errorf("first certificate is %q, want Test Root 4", cn)
	}
}

func TestLayer(t *testing.T) {
	pkg := buildDeb(t,
		reg("./usr/share/ca-certificates/mozilla/a.crt", testCert(t, 1)),
		reg("./usr/share/ca-certificates/mozilla/b.crt", testCert(t, 2)),
	)
	path := filepath.Join(t.TempDir(), "ca.deb")
	if err := os.WriteFile(path, pkg, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts layer.Options
	}{
		{"tar", layer.Options{}},
		{"tar.gz", layer.Options{Compression: layer.Gzip, MTime: 1700000000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var blobs [2][]byte
			var res layer.Result
			for i := range blobs {
				b, err := cacerts.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				out := filepath.Join(t.TempDir(), "layer."+tc.name)
				res, err = b.WriteLayerFile(out, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				if res.Entries != 4 {
					t.Errorf("layer has %d entries, want 4 (etc, etc/ssl, etc/ssl/certs, the bundle)", res.Entries)
				}
				if blobs[i], err = os.ReadFile(out); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(blobs[0], blobs[1]) {
				t.Fatal("two runs wrote different layers")
			}
			listed, err := layer.ReadListing(bytes.NewReader(blobs[0]))
			if err != nil {
				t.Fatal(err)
			}
			// The digests pin the bytes, the listing says what changed.
			lines := []string{"digest " + res.Digest, "diff_id " + res.DiffID}
			for _, l := range listed {
				if l.MTime != tc.opts.MTime {
					t.Errorf("%s has mtime %d, want %d", l.Path, l.MTime, tc.opts.MTime)
				}
				lines = append(lines, l.String())
			}
			golden.Check(t, filepath.Join("testdata", "layer_"+tc.name+".golden"), []byte(strings.Join(lines, "\n")+"\n"))
		})
	}
}

func TestRejects(t *testing.T) {
	good := testCert(t, 1)
	const d = "./usr/share/ca-certificates/"
	cases := []struct {
		name string
		deb  []byte
		want []string // substrings of the error
	}{
		{"no certificates", buildDeb(t, reg("./usr/share/doc/ca-certificates/copyright", []byte("x"))), []string{"test.deb", "no certificate files"}},
		{"only a directory", buildDeb(t, dir("./usr/share/ca-certificates/mozilla/")), []string{"no certificate files"}},
		{"malformed", buildDeb(t, reg(d+"a.crt", good), reg(d+"mozilla/bad.crt", []byte("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"))), []string{"test.deb", "usr/share/ca-certificates/mozilla/bad.crt", "parsing the certificate"}},
		{"not PEM", buildDeb(t, reg(d+"der.crt", []byte{0x30, 0x82, 0x01})), []string{"usr/share/ca-certificates/der.crt", "not PEM"}},
		{"empty", buildDeb(t, reg(d+"empty.crt", nil)), []string{"usr/share/ca-certificates/empty.crt", "empty"}},
		{"two certificates", buildDeb(t, reg(d+"two.crt", append(append([]byte{}, good...), testCert(t, 2)...))), []string{"two.crt", "exactly one PEM block"}},
		{"symlink", buildDeb(t, reg(d+"a.crt", good), symlink(d+"b.crt", "a.crt")), []string{"usr/share/ca-certificates/b.crt", "not a regular file"}},
		{"duplicate", buildDeb(t, reg(d+"a.crt", good), reg(d+"a.crt", good)), []string{"usr/share/ca-certificates/a.crt", "twice"}},
		{"space in name", buildDeb(t, reg(d+"a b.crt", good)), []string{"a b.crt", "byte ' '"}},
		{"comment name", buildDeb(t, reg(d+"#a.crt", good)), []string{"#a.crt", "comment"}},
		{"glob name", buildDeb(t, reg(d+"a*.crt", good)), []string{"a*.crt", "byte '*'"}},
		{"too large", buildDeb(t, reg(d+"big.crt", make([]byte, cacerts.MaxCertSize+1))), []string{"big.crt", "bytes"}},
		{"traversal", buildDeb(t, reg(d+"../../../etc/x.crt", good)), []string{`".." element`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := cacerts.Read(bytes.NewReader(tc.deb), "test.deb")
			if err == nil {
				t.Fatalf("got a bundle of %d certificates, want an error", len(b.Certificates))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
