package imagediff_test

import (
	"archive/tar"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/imagediff"
)

// Attributes package layer cannot write (xattrs, owner names, duplicate
// paths, other spellings) come from hand-made tars.
func TestFileAttributes(t *testing.T) {
	reg := func(name string, size int64) *tar.Header {
		return &tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	}
	with := func(h *tar.Header, f func(*tar.Header)) *tar.Header { f(h); return h }
	tests := []struct {
		name             string
		a, b             []*tar.Header
		strict, semantic []string
	}{
		{
			name:   "mode",
			a:      []*tar.Header{reg("bin/x", 1)},
			b:      []*tar.Header{with(reg("bin/x", 1), func(h *tar.Header) { h.Mode = 0o755 })},
			strict: []string{"/bin/x: mode"}, semantic: []string{"/bin/x: mode"},
		},
		{
			name:   "numeric owner and owner names",
			a:      []*tar.Header{reg("x", 1), with(reg("y", 1), func(h *tar.Header) { h.Uname = "root" })},
			b:      []*tar.Header{with(reg("x", 1), func(h *tar.Header) { h.Uid, h.Gid = 1000, 1000 }), with(reg("y", 1), func(h *tar.Header) { h.Uname = "admin" })},
			strict: []string{"/x: owner", "/y: uname"}, semantic: []string{"/x: owner"},
		},
		{
			name:   "symlink target, and the mode of a symlink",
			a:      []*tar.Header{{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "a", Mode: 0o777}, {Name: "m", Typeflag: tar.TypeSymlink, Linkname: "a", Mode: 0o777}},
			b:      []*tar.Header{{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "b", Mode: 0o777}, {Name: "m", Typeflag: tar.TypeSymlink, Linkname: "a", Mode: 0o755}},
			strict: []string{"/l: link", "/m: mode"}, semantic: []string{"/l: link"},
		},
		{
			name:   "type",
			a:      []*tar.Header{reg("x", 1)},
			b:      []*tar.Header{{Name: "x", Typeflag: tar.TypeSymlink, Linkname: "y"}},
			strict: []string{"/x: type"}, semantic: []string{"/x: type"},
		},
		{
			name: "file capability",
			a:    []*tar.Header{reg("ping", 1)},
			b: []*tar.Header{with(reg("ping", 1), func(h *tar.Header) {
				h.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": "\x01\x00\x00\x02"}
			})},
			strict: []string{`/ping: xattr["security.capability"]`}, semantic: []string{`/ping: xattr["security.capability"]`},
		},
		{
			name:   "spelling of a name",
			a:      []*tar.Header{reg("./etc/x", 1)},
			b:      []*tar.Header{reg("etc/x", 1)},
			strict: []string{"/etc/x: name"},
		},
		{
			name:   "sub-second mtime",
			a:      []*tar.Header{reg("x", 1)},
			b:      []*tar.Header{with(reg("x", 1), func(h *tar.Header) { h.ModTime = time.Unix(0, 5e8) })},
			strict: []string{"/x: mtime"},
		},
		{
			// Only the last entry of a path reaches the file system.
			name:   "a path written twice",
			a:      []*tar.Header{reg("x", 1), reg("x", 2)},
			b:      []*tar.Header{reg("x", 2)},
			strict: []string{"/x#1: content", "/x#2: entry"},
		},
		{
			name:   "hard link target",
			a:      []*tar.Header{reg("a", 1), reg("b", 1), {Name: "h", Typeflag: tar.TypeLink, Linkname: "a"}},
			b:      []*tar.Header{reg("a", 1), reg("b", 1), {Name: "h", Typeflag: tar.TypeLink, Linkname: "./b"}},
			strict: []string{"/h: link"}, semantic: []string{"/h: link"},
		},
		{
			name:   "device numbers",
			a:      []*tar.Header{{Name: "dev/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3, Mode: 0o666}},
			b:      []*tar.Header{{Name: "dev/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 5, Mode: 0o666}},
			strict: []string{"/dev/null: device"}, semantic: []string{"/dev/null: device"},
		},
		{
			// One entry moved to the front: one line, not one per entry
			// it jumped over.
			name:   "one entry moved",
			a:      []*tar.Header{reg("a", 1), reg("b", 1), reg("c", 1), reg("d", 1)},
			b:      []*tar.Header{reg("d", 1), reg("a", 1), reg("b", 1), reg("c", 1)},
			strict: []string{"/d: order"},
		},
		{
			name: "PAX global header is not an entry",
			a:    []*tar.Header{reg("x", 1)},
			b:    []*tar.Header{{Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "hi"}}, reg("x", 1)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tarOf(t, tc.a...), tarOf(t, tc.b...)
			for _, semantic := range []bool{false, true} {
				want := tc.strict
				if semantic {
					want = tc.semantic
				}
				ds, err := imagediff.DiffTars(a, b, semantic)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, d := range ds {
					p := d.Path
					if d.Occurrence > 0 {
						p += "#" + itoa(d.Occurrence)
					}
					got = append(got, p+": "+d.Field)
				}
				sort.Strings(got)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("semantic=%v (-want +got):\n%s", semantic, diff)
				}
			}
		})
	}
}
