package debrepack_test

import (
	"archive/tar"
	"bytes"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/debrepack"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

// FuzzRepackDataTar feeds arbitrary data.tar bytes through a repack. It
// must never panic, and whatever it accepts must come out as a layer whose
// every path is clean and relative, with no whiteouts and no devices.
func FuzzRepackDataTar(f *testing.F) {
	t := &testing.T{}
	f.Add(dataTar(t, dir("./"), dir("./usr/"), reg("./usr/a", "a"), hardlink("./usr/b", "./usr/a"), symlink("./usr/c", "/etc")))
	f.Add(dataTar(t, dir("./lib/"), reg("./lib/x", "x"), dir("./usr/lib/"), reg("./usr/lib/y", "y")))
	f.Add(dataTar(t, reg("./../x", "x")))
	f.Add(dataTar(t, tarEntry{tar.Header{Name: "./usr/" + strings.Repeat("a", 200), Typeflag: tar.TypeReg, Size: 1, Format: tar.FormatPAX}, "x"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		deb := debWith(t, data)
		limits := debrepack.Limits{MaxEntries: 1000, MaxFileSize: 1 << 20, MaxTotalSize: 4 << 20}
		opts := debrepack.DefaultOptions()
		opts.Limits = limits
		entries, _, err := debrepack.Entries(bytes.NewReader(deb), "fuzz.deb", opts)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if _, err := layer.Write(&out, entries, opts.Layer); err != nil {
			return // e.g. a hard link the layer cannot order: refused, fine
		}
		listing, err := layer.ReadListing(&out)
		if err != nil {
			t.Fatalf("our own layer does not read back: %v", err)
		}
		for _, l := range listing {
			p := strings.TrimSuffix(l.Path, "/")
			if err := layer.CheckPath(p); err != nil {
				t.Fatalf("accepted a bad path: %v", err)
			}
			switch l.Type {
			case "dir", "file", "symlink", "hardlink":
			default:
				t.Fatalf("%q: type %s in a layer", l.Path, l.Type)
			}
		}
	})
}
