package layer_test

import (
	"archive/tar"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

func hdr(name string, typ byte, link string) *tar.Header {
	return &tar.Header{Name: name, Typeflag: typ, Linkname: link}
}

func TestInputChecker(t *testing.T) {
	reg := func(name string) *tar.Header { return hdr(name, tar.TypeReg, "") }

	for _, tc := range []struct {
		name    string
		headers []*tar.Header
		want    string // "" means accepted
	}{
		{"plain", []*tar.Header{dir("./"), dir("./usr/"), reg("./usr/a"), hdr("./usr/l", tar.TypeSymlink, "a"), hdr("./usr/h", tar.TypeLink, "./usr/a"), hdr("usr/h2", tar.TypeLink, "usr/h")}, ""},
		{"absolute symlink target is fine", []*tar.Header{hdr("lib", tar.TypeSymlink, "/usr/lib")}, ""},
		{"directory named again", []*tar.Header{dir("a/"), reg("a/x"), dir("a/")}, ""},
		{"directory after its contents", []*tar.Header{reg("a/b/x"), dir("a/b/"), dir("a/")}, ""},
		{"xattrs pass", []*tar.Header{{Name: "bin/ping", Typeflag: tar.TypeReg, PAXRecords: map[string]string{"SCHILY.xattr.security.capability": "x"}}}, ""},
		{"parent traversal", []*tar.Header{reg("../etc/passwd")}, `entry "../etc/passwd": path "../etc/passwd" has a ".." element`},
		{"inner traversal", []*tar.Header{reg("usr/../../x")}, `".." element`},
		{"absolute", []*tar.Header{reg("/etc/passwd")}, `entry "/etc/passwd": path "/etc/passwd" is absolute`},
		{"backslash", []*tar.Header{reg(`a\b`)}, "backslash"},
		{"NUL", []*tar.Header{reg("a\x00b")}, "NUL byte"},
		{"unclean", []*tar.Header{reg("a//b")}, "not clean"},
		{"whiteout", []*tar.Header{reg("usr/.wh.lib")}, `entry "usr/.wh.lib": path "usr/.wh.lib" has a whiteout name`},
		{"opaque whiteout", []*tar.Header{reg("etc/.wh..wh..opq")}, "whiteout name"},
		{"char device", []*tar.Header{hdr("dev/null", tar.TypeChar, "")}, `entry "dev/null": is a device node`},
		{"block device", []*tar.Header{hdr("dev/sda", tar.TypeBlock, "")}, "is a device node"},
		{"fifo", []*tar.Header{hdr("run/p", tar.TypeFifo, "")}, "is a FIFO"},
		{"global header", []*tar.Header{hdr("pax_global_header", tar.TypeXGlobalHeader, "")}, "PAX global header"},
		{"sparse", []*tar.Header{{Name: "f", Typeflag: tar.TypeReg, PAXRecords: map[string]string{"GNU.sparse.map": "0,1"}}}, "sparse"},
		{"root not a dir", []*tar.Header{reg("./")}, "names the root"},
		{"through own symlink", []*tar.Header{hdr("usr/evil", tar.TypeSymlink, "/etc"), reg("usr/evil/passwd")}, `entry "usr/evil/passwd": would be written through the symlink "usr/evil" of the same layer`},
		{"through own file", []*tar.Header{reg("f"), reg("f/g")}, `would be written through the regular file "f"`},
		{"symlink over a directory already used", []*tar.Header{reg("usr/lib/x"), hdr("usr/lib", tar.TypeSymlink, "/etc")}, `entry "usr/lib": is a symlink, but earlier entries of the layer were written below "usr/lib"`},
		{"duplicate file", []*tar.Header{reg("x"), reg("./x")}, `path "x" appears twice in the layer (regular file, then regular file)`},
		{"file then dir", []*tar.Header{reg("x"), dir("x/")}, "appears twice"},
		{"hard link to a later entry", []*tar.Header{hdr("a", tar.TypeLink, "b"), reg("b")}, `entry "a": is a hard link to "b", which is not an earlier entry of the layer`},
		{"hard link outside", []*tar.Header{hdr("a", tar.TypeLink, "../../etc/shadow")}, `hard link target: path "../../etc/shadow"`},
		{"hard link to a symlink", []*tar.Header{hdr("s", tar.TypeSymlink, "x"), hdr("a", tar.TypeLink, "s")}, "which is a symlink, not a regular file"},
		{"empty symlink", []*tar.Header{hdr("s", tar.TypeSymlink, "")}, "empty target"},
		{"long name", []*tar.Header{reg(strings.Repeat("a", budget.TarNameBytes+1))}, "over the budget for bytes of a tar entry name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := layer.NewInputChecker(nil)
			var err error
			for _, h := range tc.headers {
				if err = c.Check(h); err != nil {
					break
				}
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// FuzzInputChecker feeds arbitrary tar streams: no panic, and an accepted
// stream names only clean relative paths.
func FuzzInputChecker(f *testing.F) {
	var b strings.Builder
	tw := tar.NewWriter(&b)
	for _, h := range []*tar.Header{dir("./"), dir("usr/"), {Name: "usr/a", Typeflag: tar.TypeReg, Size: 1}, hdr("usr/l", tar.TypeSymlink, "a"), hdr("usr/h", tar.TypeLink, "usr/a")} {
		tw.WriteHeader(h)
		if h.Size > 0 {
			tw.Write([]byte("x"))
		}
	}
	tw.Close()
	f.Add([]byte(b.String()))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := tar.NewReader(strings.NewReader(string(data)))
		c := layer.NewInputChecker(nil)
		for {
			h, err := tr.Next()
			if err != nil {
				return
			}
			if err := c.Check(h); err != nil {
				return
			}
			if h.Name != "./" && h.Name != "." && h.Name != "/" {
				if _, err := layer.CleanPath(h.Name); err != nil {
					t.Fatalf("accepted %q: %v", h.Name, err)
				}
			}
		}
	})
}

func dir(name string) *tar.Header { return hdr(name, tar.TypeDir, "") }
