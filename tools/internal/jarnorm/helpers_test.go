package jarnorm_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/jarnorm"
)

// needTool returns the path of an external tool, failing under CI=true and
// skipping otherwise when it is missing.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required when CI=true: %v", name, err)
		}
		t.Skipf("%s not found: %v", name, err)
	}
	return p
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func normalize(t *testing.T, in []byte, opts jarnorm.Options) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := jarnorm.Normalize(&out, bytes.NewReader(in), int64(len(in)), opts); err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	return out.Bytes()
}

func deflate(t testing.TB, content []byte, level int) []byte {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawEntry is one entry of a zip built byte by byte, so that tests can make
// the local header, the central directory and the data descriptor disagree.
type rawEntry struct {
	name, localName      string
	method               uint16
	flags, localFlags    uint16
	crc, csize, usize    uint32 // central directory
	lcrc, lcsize, lusize uint32 // local header
	data, descriptor     []byte
	extra, localExtra    []byte
	creator, date, time  uint16
	external             uint32
	comment              string
}

// storedDeflate encodes content as deflate stored blocks (RFC 1951
// 3.2.4): unlike a real compressor's output, these bytes are fixed by the
// specification, so golden digests of test jars never move with the Go
// release.
func storedDeflate(content []byte) []byte {
	var out []byte
	for {
		n := min(len(content), 0xffff)
		final := byte(0)
		if n == len(content) {
			final = 1
		}
		out = append(out, final, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		out = append(out, content[:n]...)
		content = content[n:]
		if final == 1 {
			return out
		}
	}
}

// entry is a consistent entry with the given content.
func entry(t testing.TB, name string, method uint16, content []byte) *rawEntry {
	data := content
	if method == zip.Deflate {
		data = storedDeflate(content)
	}
	crc := crc32.ChecksumIEEE(content)
	return &rawEntry{
		name: name, localName: name, method: method,
		crc: crc, csize: uint32(len(data)), usize: uint32(len(content)),
		lcrc: crc, lcsize: uint32(len(data)), lusize: uint32(len(content)),
		data: data, date: 0x5b2e, time: 0x7a1f,
	}
}

// withDescriptor moves CRC and sizes to a data descriptor, as streaming
// writers (the jar tool, Go's zip.Writer) do.
func (e *rawEntry) withDescriptor() *rawEntry {
	e.flags |= 0x8
	e.localFlags |= 0x8
	e.lcrc, e.lcsize, e.lusize = 0, 0, 0
	e.descriptor = binary.LittleEndian.AppendUint32(nil, 0x08074b50)
	e.descriptor = binary.LittleEndian.AppendUint32(e.descriptor, e.crc)
	e.descriptor = binary.LittleEndian.AppendUint32(e.descriptor, e.csize)
	e.descriptor = binary.LittleEndian.AppendUint32(e.descriptor, e.usize)
	return e
}

// unixish adds what Info-ZIP and Gradle leave behind: a unix "version made
// by", a mode, an extended timestamp and a uid/gid extra field.
func (e *rawEntry) unixish(mode uint32, mtime int64) *rawEntry {
	e.creator = 3<<8 | 30
	e.external = mode << 16
	ts := []byte{0x55, 0x54, 5, 0, 1}
	ts = binary.LittleEndian.AppendUint32(ts, uint32(mtime))
	ux := []byte{0x75, 0x78, 11, 0, 1, 4}
	ux = binary.LittleEndian.AppendUint32(ux, 1000)
	ux = append(ux, 4)
	ux = binary.LittleEndian.AppendUint32(ux, 1000)
	e.localExtra = append(append([]byte{}, ts...), ux...)
	e.extra = ts
	return e
}

type rawZip struct {
	prefix    []byte // before the first local header
	entries   []*rawEntry
	between   []byte // after the first entry
	beforeDir []byte // between the last entry and the central directory
	comment   string
	trailing  []byte // after the end record
	// dirOrder, if set, lists the central directory's entries by their
	// index in entries (the local headers are always in entries' order).
	dirOrder []int
}

func (z *rawZip) bytes() []byte {
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.Write(z.prefix)
	offsets := make([]uint32, len(z.entries))
	for i, e := range z.entries {
		offsets[i] = uint32(b.Len())
		le(uint32(0x04034b50))
		le(uint16(20))
		le(e.localFlags)
		le(e.method)
		le(e.time)
		le(e.date)
		le(e.lcrc)
		le(e.lcsize)
		le(e.lusize)
		le(uint16(len(e.localName)))
		le(uint16(len(e.localExtra)))
		b.WriteString(e.localName)
		b.Write(e.localExtra)
		b.Write(e.data)
		b.Write(e.descriptor)
		if i == 0 {
			b.Write(z.between)
		}
	}
	b.Write(z.beforeDir)
	dirStart := b.Len()
	order := z.dirOrder
	if order == nil {
		for i := range z.entries {
			order = append(order, i)
		}
	}
	for _, i := range order {
		e := z.entries[i]
		le(uint32(0x02014b50))
		le(e.creator)
		le(uint16(20))
		le(e.flags)
		le(e.method)
		le(e.time)
		le(e.date)
		le(e.crc)
		le(e.csize)
		le(e.usize)
		le(uint16(len(e.name)))
		le(uint16(len(e.extra)))
		le(uint16(len(e.comment)))
		le(uint16(0))
		le(uint16(0))
		le(e.external)
		le(offsets[i])
		b.WriteString(e.name)
		b.Write(e.extra)
		b.WriteString(e.comment)
	}
	dirEnd := b.Len()
	le(uint32(0x06054b50))
	le(uint16(0))
	le(uint16(0))
	le(uint16(len(order)))
	le(uint16(len(order)))
	le(uint32(dirEnd - dirStart))
	le(uint32(dirStart))
	le(uint16(len(z.comment)))
	b.WriteString(z.comment)
	b.Write(z.trailing)
	return b.Bytes()
}

// listing describes every header field a normaliser controls, recursing
// into nested jars, so that golden files show what changed.
func listing(t *testing.T, jar []byte, indent string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(jar), int64(len(jar)))
	if err != nil {
		t.Fatalf("reading normalised jar: %v", err)
	}
	var b strings.Builder
	if zr.Comment != "" {
		fmt.Fprintf(&b, "%scomment %q\n", indent, zr.Comment)
	}
	for _, f := range zr.File {
		fmt.Fprintf(&b, "%s%s method=%d flags=%#x crc=%08x csize=%d usize=%d date=%#x time=%#x made-by=%#x needs=%d extra=%d external=%#x comment=%q\n",
			indent, f.Name, f.Method, f.Flags, f.CRC32, f.CompressedSize64, f.UncompressedSize64,
			f.ModifiedDate, f.ModifiedTime, f.CreatorVersion, f.ReaderVersion, len(f.Extra), f.ExternalAttrs, f.Comment)
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		content := readEntry(t, f)
		switch {
		case strings.HasSuffix(f.Name, ".jar"):
			b.WriteString(listing(t, content, indent+"    "))
		case strings.HasSuffix(f.Name, ".MF"):
			fmt.Fprintf(&b, "%s    %q\n", indent, content)
		}
	}
	return b.String()
}

// readEntry reads an entry through archive/zip, which checks its CRC.
func readEntry(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatalf("opening %q: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %q: %v", f.Name, err)
	}
	return b
}

func names(t *testing.T, jar []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(jar), int64(len(jar)))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range zr.File {
		out = append(out, f.Name)
	}
	return out
}

func entryByName(t *testing.T, jar []byte, name string) *zip.File {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(jar), int64(len(jar)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no entry %q in %v", name, names(t, jar))
	return nil
}
