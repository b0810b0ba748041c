package debrepack_test

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/deb"
	"github.com/rules-odp/rules_odp/tools/internal/debrepack"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

// TestInputOrderIndependence rebuilds a real package with its data.tar
// entries in reverse order: the layer must not change by a byte.
func TestInputOrderIndependence(t *testing.T) {
	path := testdeb.Fetch(t, "libc6")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pkg, err := deb.Open(f, path)
	if err != nil {
		t.Fatal(err)
	}
	control, err := pkg.Control.Paragraph.Format()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := pkg.Data()
	if err != nil {
		t.Fatal(err)
	}
	var entries []tarEntry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeLink {
			t.Fatalf("%s has hard links; reversing would put links before targets", path)
		}
		entries = append(entries, tarEntry{*h, string(data)})
	}
	reversed := make([]tarEntry, len(entries))
	for i, e := range entries {
		reversed[len(entries)-1-i] = e
	}
	repack := func(es []tarEntry) []byte {
		d := buildDeb(t, member("debian-binary", []byte("2.0\n")), member("control.tar.gz", controlTarGz(t, string(control))), member("data.tar", dataTar(t, es...)))
		got, _, err := debrepack.Entries(bytes.NewReader(d), "libc6.deb", debrepack.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := layer.Write(&buf, got, layer.Options{Compression: layer.Gzip}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	if !bytes.Equal(repack(entries), repack(reversed)) {
		t.Error("reversing data.tar changed the layer")
	}
}
