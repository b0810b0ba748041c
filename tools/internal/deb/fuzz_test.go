package deb_test

import (
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/deb"
)

// FuzzOpen checks that no input makes Open, the data reader or Close panic,
// and that what is accepted has the fields a package must have.
func FuzzOpen(f *testing.F) {
	// Small uncompressed seeds let mutations reach the ar, tar and control
	// parsers; compressed ones exercise the decompressors' error paths.
	ctl := rawTar(f, file{name: "./control", body: "Package: a\nVersion: 1\nArchitecture: all\n"}, file{name: "./md5sums", body: "x  y\n"})
	data := rawTar(f, file{name: "./a", body: "b"})
	db := member{"debian-binary", []byte("2.0\n")}
	f.Add(arArchive(db, member{"control.tar", ctl}, member{"data.tar", data}))
	f.Add(arArchive(db, member{"_x", nil}, member{"control.tar", ctl}, member{"data.tar", data}, member{"z", nil}))
	for _, suffix := range []string{".gz", ".xz", ".zst"} {
		f.Add(arArchive(db, member{"control.tar" + suffix, compress(f, suffix, ctl)}, member{"data.tar" + suffix, compress(f, suffix, data)}))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, err := readPackage(data, "fuzz.deb", deb.Options{MaxDataSize: 1 << 20, MaxControlSize: 1 << 20})
		if err != nil {
			return
		}
		if p.Control.Package == "" || p.Control.Version == "" || p.Control.Architecture == "" {
			t.Fatalf("accepted a package with control fields %+v", p.Control)
		}
		if p.ControlMember == "" || p.DataMember == "" {
			t.Fatalf("accepted a package with members %q, %q", p.ControlMember, p.DataMember)
		}
	})
}
