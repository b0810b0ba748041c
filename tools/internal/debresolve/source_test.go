package debresolve_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
	"github.com/ulikunitz/xz"
)

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func xzBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, err := xz.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestOpenIndex(t *testing.T) {
	plain, err := os.ReadFile(indexA)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		content []byte
		wantErr string
	}{
		{name: "Packages", content: plain},
		{name: "Packages.gz", content: gzipBytes(t, plain)},
		{name: "Packages.xz", content: xzBytes(t, plain)},
		{name: "compressed-without-suffix", content: xzBytes(t, plain)},
		{name: "plain.gz", content: plain, wantErr: "is not compressed as its name says"},
		{name: "Packages.lz4", content: append([]byte{0x04, 0x22, 0x4d, 0x18}, plain...), wantErr: "lz4-compressed"},
		{name: "truncated.xz", content: xzBytes(t, plain)[:200], wantErr: "EOF"},
		{name: "corrupt.gz", content: func() []byte {
			b := gzipBytes(t, plain)
			b[len(b)-5] ^= 0xff // the CRC
			return b
		}(), wantErr: "checksum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			writeFile(t, path, tc.content)
			rc, err := debresolve.OpenIndex(context.Background(), path, nil)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(rc)
				if cerr := rc.Close(); err == nil {
					err = cerr
				}
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain) {
				t.Errorf("content differs from %s", indexA)
			}
		})
	}
}

// TestMirror serves the synthetic indexes in the Debian archive layout from
// a loopback HTTP server and reads them through --mirror style URLs.
func TestMirror(t *testing.T) {
	a, err := os.ReadFile(indexA)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(indexB)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"/debian/dists/syn/main/binary-amd64/Packages.xz":    xzBytes(t, a),
		"/debian/dists/syn/contrib/binary-amd64/Packages.xz": xzBytes(t, b),
		"/debian/plain/Packages":                             a,
		"/debian/gz/Packages.gz":                             gzipBytes(t, a),
	}
	var requests []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests = append(requests, r.URL.Path)
		data, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	defer srv.Close()
	base := srv.URL + "/debian/"

	if got, want := debresolve.MirrorIndex(base, "syn", "main", "amd64"), srv.URL+"/debian/dists/syn/main/binary-amd64/Packages.xz"; got != want {
		t.Errorf("MirrorIndex = %q, want %q", got, want)
	}
	sources := []string{
		debresolve.MirrorIndex(base, "syn", "main", "amd64"),
		debresolve.MirrorIndex(base, "syn", "contrib", "amd64"),
		srv.URL + "/debian/plain/Packages",
		srv.URL + "/debian/gz/Packages.gz",
	}
	ix, err := debresolve.ReadIndexes(context.Background(), "amd64", sources, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := debresolve.Resolve(ix, debresolve.Request{Roots: []string{"app-multi"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := versions(pkgs)["multi"]; got != "1:0.5" {
		t.Errorf("multi resolved to %q from the mirror, want 1:0.5 from the contrib index", got)
	}
	if len(requests) != len(sources) {
		t.Errorf("server saw %v", requests)
	}

	_, err = debresolve.ReadIndexes(context.Background(), "amd64", []string{base + "dists/nosuch/main/binary-amd64/Packages.xz"}, srv.Client())
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("got error %v, want a 404 naming the URL", err)
	}
}
