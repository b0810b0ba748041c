package layer_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"

	"github.com/rules-odp/rules_odp/tools/internal/golden"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

func content(s string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

func file(p, s string, mode uint32) layer.Entry {
	return layer.Entry{Path: p, Type: layer.TypeFile, Mode: mode, Size: int64(len(s)), Open: content(s)}
}

// sample covers every entry type, a long path (PAX), a hard link that
// sorts before its target, a missing parent and special mode bits.
func sample() []layer.Entry {
	long := strings.Repeat("d", 120) + "/" + strings.Repeat("f", 120)
	return []layer.Entry{
		file("usr/bin/perl5.36.0", "#!perl\n", 0o755),
		{Path: "usr/bin/perl", Type: layer.TypeHardlink, Link: "usr/bin/perl5.36.0"},
		{Path: "usr", Type: layer.TypeDir, Mode: 0o755},
		{Path: "etc/alternatives/java", Type: layer.TypeSymlink, Link: "/usr/lib/jvm/java-17/bin/java"},
		file("app/service_application.jar", "PK\x03\x04jar", 0o644),
		file("usr/bin/su", "setuid", 0o4755),
		{Path: "tmp", Type: layer.TypeDir, Mode: 0o1777},
		file("empty", "", 0o600),
		{Path: "opt/owned", Type: layer.TypeDir, Mode: 0o750, UID: 65532, GID: 65532},
		file(long, "long", 0o644),
	}
}

func TestGoldenDigests(t *testing.T) {
	var got bytes.Buffer
	for _, tc := range []struct {
		name string
		opts layer.Options
	}{
		{"tar", layer.Options{}},
		{"tar.gz", layer.Options{Compression: layer.Gzip}},
		{"tar.gz-level9", layer.Options{Compression: layer.Gzip, GzipLevel: 9}},
		{"tar-mtime-keep-special", layer.Options{MTime: 1700000000, KeepSpecialBits: true}},
	} {
		res, err := layer.Write(io.Discard, sample(), tc.opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		fmt.Fprintf(&got, "%s digest=%s diff_id=%s size=%d\n", tc.name, res.Digest, res.DiffID, res.Size)
	}
	res, err := layer.Write(io.Discard, large(), layer.Options{Compression: layer.Gzip})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&got, "large.tar.gz digest=%s diff_id=%s size=%d\n", res.Digest, res.DiffID, res.Size)
	golden.Check(t, "testdata/golden_digests.txt", got.Bytes())
}

func TestGoldenListing(t *testing.T) {
	var buf bytes.Buffer
	if _, err := layer.Write(&buf, sample(), layer.Options{}); err != nil {
		t.Fatal(err)
	}
	listing, err := layer.ReadListing(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, l := range listing {
		fmt.Fprintln(&got, l)
	}
	golden.Check(t, "testdata/sample.listing", []byte(got.String()))
}

func TestOrderAndEnvironmentIndependence(t *testing.T) {
	want := write(t, sample(), layer.Options{Compression: layer.Gzip})
	for seed := int64(1); seed <= 5; seed++ {
		entries := sample()
		rand.New(rand.NewSource(seed)).Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
		t.Setenv("TZ", "Pacific/Kiritimati")
		t.Setenv("LC_ALL", "tr_TR.UTF-8")
		if got := write(t, entries, layer.Options{Compression: layer.Gzip}); !bytes.Equal(got, want) {
			t.Fatalf("shuffle %d: layer bytes differ", seed)
		}
	}
}

// large spans several gzip blocks: half incompressible, half text.
func large() []layer.Entry {
	rnd := rand.New(rand.NewSource(42))
	noise := make([]byte, 3<<20)
	rnd.Read(noise)
	text := strings.Repeat("the quick brown fox jumps over the lazy dog\n", 60000)
	return []layer.Entry{file("noise.bin", string(noise), 0o644), file("text.txt", text, 0o644)}
}

// The parallel compressor's bytes must not depend on the number of CPUs.
func TestGzipIndependentOfCPUs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var want []byte
	for _, procs := range []int{1, 2, 7} {
		runtime.GOMAXPROCS(procs)
		got := write(t, large(), layer.Options{Compression: layer.Gzip})
		if want == nil {
			want = got
		} else if !bytes.Equal(got, want) {
			t.Errorf("GOMAXPROCS=%d changed the gzip bytes", procs)
		}
	}
}

func TestHeaders(t *testing.T) {
	raw := write(t, sample(), layer.Options{MTime: 1234})
	tr := tar.NewReader(bytes.NewReader(raw))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner names %q/%q, want empty", h.Name, h.Uname, h.Gname)
		}
		if h.ModTime.Unix() != 1234 || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Errorf("%s: times %v/%v/%v", h.Name, h.ModTime, h.AccessTime, h.ChangeTime)
		}
		for k := range h.PAXRecords {
			if k != "path" {
				t.Errorf("%s: unexpected PAX record %q", h.Name, k)
			}
		}
		if h.Mode&0o7000 != 0 {
			t.Errorf("%s: special bits %o survived the default options", h.Name, h.Mode)
		}
		if h.Devmajor != 0 || h.Devminor != 0 {
			t.Errorf("%s: device numbers set", h.Name)
		}
	}
	want := []string{
		"app/", "app/service_application.jar",
		strings.Repeat("d", 120) + "/", strings.Repeat("d", 120) + "/" + strings.Repeat("f", 120),
		"empty",
		"etc/", "etc/alternatives/", "etc/alternatives/java",
		"opt/", "opt/owned/",
		"tmp/",
		"usr/", "usr/bin/", "usr/bin/perl", "usr/bin/perl5.36.0", "usr/bin/su",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("entry order (-want +got):\n%s", diff)
	}
	// With world-write on /tmp but no sticky bit allowed, o+w is dropped too.
	listing := listOf(t, raw)
	if m := listing["tmp"].Mode; m != 0o775 {
		t.Errorf("tmp mode = %o, want 775 (sticky and world-write dropped)", m)
	}
	if l := listing["usr/bin/perl"]; l.Type != "file" || l.Size != 7 {
		t.Errorf("usr/bin/perl = %+v, want the regular file (it sorts first)", l)
	}
	if l := listing["usr/bin/perl5.36.0"]; l.Type != "hardlink" || l.Link != "usr/bin/perl" {
		t.Errorf("usr/bin/perl5.36.0 = %+v, want a hard link to usr/bin/perl", l)
	}
	kept := listOf(t, write(t, sample(), layer.Options{KeepSpecialBits: true}))
	if m := kept["tmp"].Mode; m != 0o1777 {
		t.Errorf("with KeepSpecialBits, tmp mode = %o, want 1777", m)
	}
	if m := kept["usr/bin/su"].Mode; m != 0o4755 {
		t.Errorf("with KeepSpecialBits, su mode = %o, want 4755", m)
	}
}

func TestGzipIsZeroedSingleMember(t *testing.T) {
	raw := write(t, sample(), layer.Options{Compression: layer.Gzip})
	if raw[0] != 0x1f || raw[1] != 0x8b || raw[2] != 8 {
		t.Fatalf("not a deflate gzip stream: % x", raw[:3])
	}
	if flags := raw[3]; flags != 0 {
		t.Errorf("gzip flags = %#x, want 0 (no name, comment or extra)", flags)
	}
	if !bytes.Equal(raw[4:8], []byte{0, 0, 0, 0}) {
		t.Errorf("gzip mtime = % x, want zero", raw[4:8])
	}
	if raw[9] != 255 {
		t.Errorf("gzip OS byte = %d, want 255", raw[9])
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	if _, err := io.Copy(io.Discard, zr); err != nil {
		t.Fatal(err)
	}
	if err := zr.Reset(bytes.NewReader(nil)); err != io.EOF {
		t.Log("reset:", err)
	}
}

func TestDigestsMatchBytes(t *testing.T) {
	for _, c := range []layer.Compression{layer.Uncompressed, layer.Gzip} {
		var buf bytes.Buffer
		res, err := layer.Write(&buf, sample(), layer.Options{Compression: c})
		if err != nil {
			t.Fatal(err)
		}
		if got := sha(buf.Bytes()); got != res.Digest || int64(buf.Len()) != res.Size {
			t.Errorf("compression %d: blob digest %s size %d, result says %s %d", c, got, buf.Len(), res.Digest, res.Size)
		}
		plain := buf.Bytes()
		if c == layer.Gzip {
			zr, err := gzip.NewReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			plain, err = io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := sha(plain); got != res.DiffID || int64(len(plain)) != res.UncompressedSize {
			t.Errorf("compression %d: diff_id %s, result says %s", c, got, res.DiffID)
		}
	}
}

func TestRejects(t *testing.T) {
	dir := layer.Entry{Path: "d", Type: layer.TypeDir, Mode: 0o755}
	for _, tc := range []struct {
		name    string
		entries []layer.Entry
		opts    layer.Options
		want    string
	}{
		{"traversal", []layer.Entry{file("a/../../x", "", 0o644)}, layer.Options{}, `"a/../../x" has a ".." element`},
		{"dotdot", []layer.Entry{file("../x", "", 0o644)}, layer.Options{}, `".." element`},
		{"absolute", []layer.Entry{file("/etc/passwd", "", 0o644)}, layer.Options{}, "is absolute"},
		{"backslash", []layer.Entry{file(`a\b`, "", 0o644)}, layer.Options{}, "backslash"},
		{"nul", []layer.Entry{file("a\x00b", "", 0o644)}, layer.Options{}, "NUL"},
		{"whiteout", []layer.Entry{file("etc/.wh.passwd", "", 0o644)}, layer.Options{}, "whiteout"},
		{"opaque whiteout", []layer.Entry{file("etc/.wh..wh..opq", "", 0o644)}, layer.Options{}, "whiteout"},
		{"unclean", []layer.Entry{file("a//b", "", 0o644)}, layer.Options{}, "not clean"},
		{"duplicate", []layer.Entry{file("x", "1", 0o644), file("x", "2", 0o644)}, layer.Options{}, `duplicate path "x"`},
		{"dir vs file", []layer.Entry{dir, file("d", "", 0o644)}, layer.Options{}, `duplicate path "d"`},
		{"through symlink", []layer.Entry{{Path: "lib", Type: layer.TypeSymlink, Link: "/etc"}, file("lib/passwd", "x", 0o644)}, layer.Options{}, `"lib/passwd" would be written through symlink "lib"`},
		{"through file", []layer.Entry{file("f", "x", 0o644), file("f/g", "x", 0o644)}, layer.Options{}, "through file"},
		{"dangling hardlink", []layer.Entry{{Path: "l", Type: layer.TypeHardlink, Link: "etc/shadow"}}, layer.Options{}, `points to "etc/shadow", which is not in the layer`},
		{"hardlink outside", []layer.Entry{{Path: "l", Type: layer.TypeHardlink, Link: "../x"}}, layer.Options{}, `hard link target: path "../x"`},
		{"hardlink to dir", []layer.Entry{dir, {Path: "l", Type: layer.TypeHardlink, Link: "d"}}, layer.Options{}, "which is a dir"},
		{"hardlink cycle", []layer.Entry{{Path: "a", Type: layer.TypeHardlink, Link: "b"}, {Path: "b", Type: layer.TypeHardlink, Link: "a"}}, layer.Options{}, "cycle"},
		{"empty symlink", []layer.Entry{{Path: "s", Type: layer.TypeSymlink}}, layer.Options{}, "empty target"},
		{"short content", []layer.Entry{{Path: "f", Type: layer.TypeFile, Size: 10, Open: content("abc")}}, layer.Options{}, "content is 3 bytes, want 10"},
		{"long content", []layer.Entry{{Path: "f", Type: layer.TypeFile, Size: 2, Open: content("abc")}}, layer.Options{}, "longer than the declared 2"},
		{"bad type", []layer.Entry{{Path: "dev/null", Type: 99}}, layer.Options{}, "unsupported entry type"},
		{"uid beyond USTAR", []layer.Entry{{Path: "d", Type: layer.TypeDir, Mode: 0o755, UID: 1 << 21}}, layer.Options{}, `"d": owner 2097152:0 is beyond 2097151, the largest a USTAR header holds`},
		{"gid beyond USTAR", []layer.Entry{{Path: "d", Type: layer.TypeDir, Mode: 0o755, GID: 1 << 30}}, layer.Options{}, "is beyond 2097151"},
		{"negative mtime", []layer.Entry{dir}, layer.Options{MTime: -1}, "out of range"},
		{"bad level", []layer.Entry{dir}, layer.Options{Compression: layer.Gzip, GzipLevel: 11}, "gzip level 11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "layer.tar")
			_, err := layer.WriteFile(out, tc.entries, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
				t.Errorf("a failed write left %d files behind", len(entries))
			}
		})
	}
}

func write(t *testing.T, entries []layer.Entry, opts layer.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := layer.Write(&buf, entries, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func listOf(t *testing.T, raw []byte) map[string]layer.Listed {
	t.Helper()
	l, err := layer.ReadListing(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]layer.Listed{}
	for _, e := range l {
		m[strings.TrimSuffix(e.Path, "/")] = e
	}
	return m
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}
