package debrepack_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/debrepack"
	"github.com/rules-odp/rules_odp/tools/internal/golden"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

// tarEntry is a raw data.tar entry for hand-made packages.
type tarEntry struct {
	hdr  tar.Header
	data string
}

func reg(name, data string) tarEntry {
	return tarEntry{tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}, data}
}
func dir(name string) tarEntry {
	return tarEntry{hdr: tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755}}
}
func symlink(name, target string) tarEntry {
	return tarEntry{hdr: tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}}
}
func hardlink(name, target string) tarEntry {
	return tarEntry{hdr: tar.Header{Name: name, Typeflag: tar.TypeLink, Linkname: target, Mode: 0o644}}
}

func dataTar(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		if h.Format == tar.FormatUnknown {
			h.Format = tar.FormatGNU
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("test package %q: %v", h.Name, err)
		}
		if _, err := tw.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const testControl = "Package: hostile\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: Test <t@example.org>\nDescription: test package\n"

func controlTarGz(t *testing.T, control string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []struct{ name, data string }{{"./control", control}, {"./md5sums", "d41d8cd98f00b204e9800998ecf8427e  usr/share/doc/hostile/copyright\n"}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f.data)), Format: tar.FormatGNU}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(f.data))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// buildDeb assembles a .deb (ar archive) by hand, as dpkg-deb would.
func buildDeb(t *testing.T, members ...[2][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("!<arch>\n")
	for _, m := range members {
		fmt.Fprintf(&buf, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", string(m[0]), 0, 0, 0, "100644", len(m[1]))
		buf.Write(m[1])
		if len(m[1])%2 == 1 {
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes()
}

func member(name string, data []byte) [2][]byte { return [2][]byte{[]byte(name), data} }

func debWith(t *testing.T, data []byte) []byte {
	return buildDeb(t, member("debian-binary", []byte("2.0\n")), member("control.tar.gz", controlTarGz(t, testControl)), member("data.tar", data))
}

func TestHostilePackages(t *testing.T) {
	// A header declaring 1 TiB followed by nothing: Go's writer cannot be
	// asked to finish such an archive, so take the header block as written.
	var bomb bytes.Buffer
	if err := tar.NewWriter(&bomb).WriteHeader(&tar.Header{Name: "./usr/bomb", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1 << 40, Format: tar.FormatGNU}); err != nil {
		t.Fatal(err)
	}
	bomb.Write(make([]byte, 4096))
	var truncated []byte
	{
		full := dataTar(t, dir("./usr/"), reg("./usr/file", strings.Repeat("x", 5000)))
		truncated = full[:2048]
	}
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	deep := "./" + strings.Repeat("d/", 300) + "f"
	cases := []struct {
		name  string
		deb   []byte
		want  []string // substrings of the error, in addition to the package name
		limit debrepack.Limits
	}{
		{"traversal", debWith(t, dataTar(t, reg("./../etc/passwd", "x"))), []string{`"./../etc/passwd"`, `".." element`}, debrepack.Limits{}},
		{"inner traversal", debWith(t, dataTar(t, reg("./usr/../../x", "x"))), []string{`"./usr/../../x"`, `".." element`}, debrepack.Limits{}},
		{"absolute", debWith(t, dataTar(t, reg("/etc/passwd", "x"))), []string{`"/etc/passwd"`, "absolute"}, debrepack.Limits{}},
		{"backslash", debWith(t, dataTar(t, reg(`./usr\..\x`, "x"))), []string{"backslash"}, debrepack.Limits{}},
		{"write through symlink", debWith(t, dataTar(t, dir("./usr/"), symlink("./usr/evil", "/etc"), reg("./usr/evil/passwd", "root::0:0"))), []string{`"usr/evil/passwd" would be written through symlink "usr/evil"`}, debrepack.Limits{}},
		{"hardlink outside", debWith(t, dataTar(t, hardlink("./usr/shadow", "../../etc/shadow"))), []string{`"./usr/shadow"`, "hard link target", `".." element`}, debrepack.Limits{}},
		{"hardlink to later entry", debWith(t, dataTar(t, hardlink("./usr/a", "./usr/b"), reg("./usr/b", "x"))), []string{`"./usr/a"`, "not an earlier entry"}, debrepack.Limits{}},
		{"char device", debWith(t, dataTar(t, tarEntry{hdr: tar.Header{Name: "./dev/null", Typeflag: tar.TypeChar, Mode: 0o666, Devmajor: 1, Devminor: 3}})), []string{`"./dev/null"`, "device node"}, debrepack.Limits{}},
		{"block device", debWith(t, dataTar(t, tarEntry{hdr: tar.Header{Name: "./dev/sda", Typeflag: tar.TypeBlock, Mode: 0o660, Devmajor: 8}})), []string{`"./dev/sda"`, "device node"}, debrepack.Limits{}},
		{"fifo", debWith(t, dataTar(t, tarEntry{hdr: tar.Header{Name: "./run/pipe", Typeflag: tar.TypeFifo, Mode: 0o644}})), []string{`"./run/pipe"`, "FIFO"}, debrepack.Limits{}},
		{"whiteout", debWith(t, dataTar(t, reg("./usr/.wh.lib", ""))), []string{`"./usr/.wh.lib"`, "whiteout"}, debrepack.Limits{}},
		{"opaque whiteout", debWith(t, dataTar(t, reg("./etc/.wh..wh..opq", ""))), []string{"whiteout"}, debrepack.Limits{}},
		{"duplicate path", debWith(t, dataTar(t, reg("./usr/x", "1"), reg("./usr/x", "2"))), []string{`"./usr/x"`, "appears twice"}, debrepack.Limits{}},
		{"duplicate after merged usr", debWith(t, dataTar(t, reg("./lib/x", "1"), reg("./usr/lib/x", "2"))), []string{`"./usr/lib/x"`, "appears twice"}, debrepack.Limits{}},
		{"top-level lib is a file", debWith(t, dataTar(t, reg("./lib", "x"))), []string{`"./lib"`, "merged-/usr"}, debrepack.Limits{}},
		{"truncated data", debWith(t, truncated), []string{"hostile"}, debrepack.Limits{}},
		{"size bomb", debWith(t, bomb.Bytes()), []string{`"./usr/bomb"`, "over the limit"}, debrepack.Limits{MaxEntries: 10, MaxFileSize: 1 << 20, MaxTotalSize: 1 << 20}},
		{"too many entries", debWith(t, dataTar(t, dir("./a/"), dir("./b/"), dir("./c/"))), []string{"more than 2 entries"}, debrepack.Limits{MaxEntries: 2, MaxFileSize: 1, MaxTotalSize: 1}},
		{"deep path", debWith(t, dataTar(t, reg(deep, "x"))), []string{"deeper than"}, debrepack.Limits{}},
		{"xattr capability", debWith(t, dataTar(t, tarEntry{tar.Header{Name: "./usr/bin/ping", Typeflag: tar.TypeReg, Mode: 0o755, Size: 1, Format: tar.FormatPAX, PAXRecords: map[string]string{"SCHILY.xattr.security.capability": "\x01\x00\x00\x02"}}, "x"})), []string{`"./usr/bin/ping"`, `PAX record "SCHILY.xattr.security.capability"`}, debrepack.Limits{}},
		// A path too long for USTAR goes into a PAX record; the USTAR name
		// field holds a harmless-looking truncation. The PAX path wins.
		{"pax path override", debWith(t, dataTar(t, tarEntry{tar.Header{Name: "./usr/" + strings.Repeat("a", 300) + "/../../../../etc/cron.d/x", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1, Format: tar.FormatPAX}, "x"})), []string{`".." element`}, debrepack.Limits{}},
		{"bad compression", buildDeb(t, member("debian-binary", []byte("2.0\n")), member("control.tar.gz", controlTarGz(t, testControl)), member("data.tar.xz", []byte("this is not xz at all"))), []string{"data.tar.xz"}, debrepack.Limits{}},
		{"multi-member gzip", buildDeb(t, member("debian-binary", []byte("2.0\n")), member("control.tar.gz", controlTarGz(t, testControl)), member("data.tar.gz", append(gz(dataTar(t, reg("./usr/a", "a"))), gz(dataTar(t, reg("./usr/b", "b")))...))), []string{"data.tar.gz"}, debrepack.Limits{}},
		{"not a deb", []byte("!<arch>\nnonsense"), nil, debrepack.Limits{}},
	}
	if len(cases) < 12 {
		t.Fatalf("hostile corpus has %d cases, want at least 12", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "hostile_1.0-1_amd64.deb")
			if err := os.WriteFile(in, tc.deb, 0o644); err != nil {
				t.Fatal(err)
			}
			outDir := filepath.Join(dir, "out")
			if err := os.Mkdir(outDir, 0o755); err != nil {
				t.Fatal(err)
			}
			opts := debrepack.DefaultOptions()
			if tc.limit != (debrepack.Limits{}) {
				opts.Limits = tc.limit
			}
			_, _, err := debrepack.RepackFile(in, filepath.Join(outDir, "layer.tar"), opts)
			if err == nil {
				t.Fatal("repack succeeded, want an error")
			}
			for _, want := range append([]string{"hostile_1.0-1_amd64.deb"}, tc.want...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if left, _ := os.ReadDir(outDir); len(left) != 0 {
				t.Errorf("failed repack left %d files behind", len(left))
			}
		})
	}
}

// Documented normalisations: what a package may contain that we rewrite
// instead of refusing.
func TestNormalisations(t *testing.T) {
	setuid := reg("./usr/bin/su", "su")
	setuid.hdr.Mode = 0o4755
	setuid.hdr.Uid, setuid.hdr.Gid, setuid.hdr.Uname, setuid.hdr.Gname = 0, 42, "root", "shadow"
	worldWritable := reg("./usr/share/ww", "w")
	worldWritable.hdr.Mode = 0o666
	deb := debWith(t, dataTar(t,
		dir("./"), dir("./lib/"), dir("./lib/x86_64-linux-gnu/"), reg("./lib/x86_64-linux-gnu/libc.so.6", "libc"),
		dir("./lib64/"), symlink("./lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
		dir("./usr/"), dir("./usr/lib/"), dir("./usr/lib/x86_64-linux-gnu/"), reg("./usr/lib/x86_64-linux-gnu/libm.so.6", "libm"),
		dir("./usr/bin/"), setuid, hardlink("./usr/bin/su2", "./usr/bin/su"),
		dir("./usr/share/"), worldWritable,
		hardlink("./lib/x86_64-linux-gnu/libc-link.so", "./lib/x86_64-linux-gnu/libc.so.6"),
	))
	in := filepath.Join(t.TempDir(), "hostile_1.0-1_amd64.deb")
	if err := os.WriteFile(in, deb, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, merged := range []bool{true, false} {
		t.Run(fmt.Sprintf("merged=%v", merged), func(t *testing.T) {
			opts := debrepack.DefaultOptions()
			opts.MergedUsr = merged
			out := filepath.Join(t.TempDir(), "l.tar")
			if _, _, err := debrepack.RepackFile(in, out, opts); err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			listing, err := layer.ReadListing(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range listing {
				fmt.Fprintln(&got, l)
			}
			golden.Check(t, fmt.Sprintf("testdata/normalisations_merged_%v.listing", merged), []byte(got.String()))
		})
	}
}
