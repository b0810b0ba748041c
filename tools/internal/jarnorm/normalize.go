package jarnorm

import (
	"archive/zip"
	"bytes"
	"cmp"
	"fmt"
	"hash/crc32"
	"io"
	"path"
	"slices"
	"strings"

	kflate "github.com/klauspost/compress/flate"

	"github.com/rules-odp/rules_odp/tools/internal/atomicfile"
	"github.com/rules-odp/rules_odp/tools/internal/budget"
)

const (
	// deflateLevel is part of the output format: changing it changes the
	// bytes of every rewritten deflated entry.
	deflateLevel = 9
	// maxNesting bounds jars inside jars inside jars.
	maxNesting = budget.JarNesting

	zipVersion20 = 20
	flagUTF8     = 0x800
)

// NormalizeFile normalises the jar at in and writes the result atomically
// to out.
func NormalizeFile(out, in string, opts Options) error {
	f, err := budget.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return atomicfile.Write(out, func(w io.Writer) error {
		if err := Normalize(w, f, fi.Size(), opts); err != nil {
			return fmt.Errorf("normalizing %q: %w", in, err)
		}
		return nil
	})
}

// Normalize reads the jar r of size bytes and writes its normalised form
// (see the package documentation) to w.
func Normalize(w io.Writer, r io.ReaderAt, size int64, opts Options) error {
	date, tim, err := dosTime(opts.Modified)
	if err != nil {
		return err
	}
	n := &normalizer{opts: opts, date: date, time: tim}
	// Everything inflated, at every nesting level, counts against the
	// size of the jar given.
	n.exp.AddCompressed(size)
	return n.jar(w, r, size, 0)
}

type normalizer struct {
	opts       Options
	date, time uint16
	// The budget (package budget): bytes inflated over the whole jar,
	// entries of all nested jars, bytes held in memory for rewriting.
	exp     budget.Expansion
	entries int64
	held    int64
}

func (n *normalizer) jar(w io.Writer, r io.ReaderAt, size int64, depth int) error {
	files, err := readArchive(r, size)
	if err != nil {
		return err
	}
	n.entries += int64(len(files))
	if n.entries > budget.JarEntries {
		return &budget.Error{Budget: "entries of a jar and its nested jars", Limit: budget.JarEntries, Got: n.entries}
	}
	files = orderEntries(files, n.opts.SortEntries)
	signed := isSigned(files)
	zw := zip.NewWriter(w)
	for _, f := range files {
		if err := n.entry(zw, f, signed, depth); err != nil {
			return err
		}
	}
	return zw.Close()
}

// manifestRank places the two entries java.util.jar.JarInputStream looks
// for first: "META-INF/" (rank 0), then "META-INF/MANIFEST.MF" (rank 1),
// matched case-insensitively as Java does. Other META-INF/ entries rank 2,
// everything else 3; only SortEntries distinguishes those two.
func manifestRank(name string) int {
	switch {
	case strings.EqualFold(name, "META-INF/"):
		return 0
	case strings.EqualFold(name, "META-INF/MANIFEST.MF"):
		return 1
	case len(name) > len("META-INF/") && strings.EqualFold(name[:len("META-INF/")], "META-INF/"):
		return 2
	}
	return 3
}

// orderEntries returns the entries in the order described in the package
// documentation: the input's (central directory) order with "META-INF/"
// and the manifest moved to the front, or, with sort, grouped by
// manifestRank and sorted by name within each group.
func orderEntries(files []*zip.File, sort bool) []*zip.File {
	out := make([]*zip.File, len(files))
	copy(out, files)
	if sort {
		slices.SortStableFunc(out, func(a, b *zip.File) int {
			if ra, rb := manifestRank(a.Name), manifestRank(b.Name); ra != rb {
				return cmp.Compare(ra, rb)
			}
			return strings.Compare(a.Name, b.Name)
		})
		return out
	}
	slices.SortStableFunc(out, func(a, b *zip.File) int {
		return cmp.Compare(min(manifestRank(a.Name), 2), min(manifestRank(b.Name), 2))
	})
	return out
}

// isSigned reports whether the jar has a signature file, whose digests
// cover the manifest's bytes.
func isSigned(files []*zip.File) bool {
	for _, f := range files {
		dir, base := path.Split(f.Name)
		if strings.EqualFold(dir, "META-INF/") && strings.HasSuffix(strings.ToUpper(base), ".SF") {
			return true
		}
	}
	return false
}

func isManifest(name string) bool { return strings.EqualFold(name, "META-INF/MANIFEST.MF") }

func isNestedJar(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".jar") }

func (n *normalizer) entry(zw *zip.Writer, f *zip.File, signed bool, depth int) error {
	if strings.HasSuffix(f.Name, "/") {
		if _, err := verify(f, false, &n.exp); err != nil {
			return err
		}
		_, err := zw.CreateRaw(n.header(f.Name, zip.Store, 0, 0, 0))
		return err
	}
	rewrite := (isManifest(f.Name) && !signed) ||
		(isNestedJar(f.Name) && !n.opts.SkipNested) ||
		(n.opts.Recompress && f.Method == zip.Deflate)
	if !rewrite {
		return n.copyRaw(zw, f)
	}
	if isManifest(f.Name) && !signed && f.UncompressedSize64 > budget.JarManifestBytes {
		return fmt.Errorf("entry %q: %w", f.Name, &budget.Error{Budget: "bytes of a jar manifest", Limit: budget.JarManifestBytes, Got: int64(f.UncompressedSize64)})
	}
	// The content and its rewritten copy are held in memory until the
	// entry is written, on top of what the enclosing jars hold.
	hold := 2 * int64(f.UncompressedSize64)
	if n.held+hold > budget.JarHeldBytes {
		return fmt.Errorf("entry %q (%d bytes) must be held in memory to be rewritten, with %d bytes held already: %w", f.Name, f.UncompressedSize64, n.held,
			&budget.Error{Budget: "bytes of jar entries held in memory to be rewritten", Limit: budget.JarHeldBytes, Got: n.held + hold})
	}
	n.held += hold
	defer func() { n.held -= hold }()
	content, err := verify(f, true, &n.exp)
	if err != nil {
		return err
	}
	switch {
	case isManifest(f.Name) && !signed:
		if content, err = NormalizeManifest(content, n.opts); err != nil {
			return fmt.Errorf("entry %q: %w", f.Name, err)
		}
	case isNestedJar(f.Name) && !n.opts.SkipNested:
		if depth+1 >= maxNesting {
			return fmt.Errorf("entry %q: jars nested more than %d deep", f.Name, maxNesting)
		}
		var buf bytes.Buffer
		if err := n.jar(&buf, bytes.NewReader(content), int64(len(content)), depth+1); err != nil {
			return fmt.Errorf("nested jar %q: %w", f.Name, err)
		}
		content = buf.Bytes()
	}
	return n.write(zw, f.Name, f.Method, content)
}

// copyRaw copies the entry's compressed bytes once they were checked.
func (n *normalizer) copyRaw(zw *zip.Writer, f *zip.File) error {
	if _, err := verify(f, false, &n.exp); err != nil {
		return err
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return fmt.Errorf("entry %q: %w", f.Name, err)
	}
	w, err := zw.CreateRaw(n.header(f.Name, f.Method, f.CRC32, f.CompressedSize64, f.UncompressedSize64))
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, raw); err != nil {
		return fmt.Errorf("entry %q: %w", f.Name, err)
	}
	return nil
}

// write stores content with method, compressing it with the pinned
// deflater if needed.
func (n *normalizer) write(zw *zip.Writer, name string, method uint16, content []byte) error {
	data := content
	if method == zip.Deflate {
		var buf bytes.Buffer
		fw, err := kflate.NewWriter(&buf, deflateLevel)
		if err != nil {
			return err
		}
		if _, err := fw.Write(content); err != nil {
			return err
		}
		if err := fw.Close(); err != nil {
			return err
		}
		data = buf.Bytes()
	}
	if uint64(len(data)) >= uint32max || uint64(len(content)) >= uint32max {
		return fmt.Errorf("entry %q would be 4 GiB or larger (zip64), which is not supported", name)
	}
	w, err := zw.CreateRaw(n.header(name, method, crc32.ChecksumIEEE(content), uint64(len(data)), uint64(len(content))))
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// header is the one place the fixed per-entry metadata is decided.
func (n *normalizer) header(name string, method uint16, crc uint32, csize, usize uint64) *zip.FileHeader {
	fh := &zip.FileHeader{
		Name:               name,
		Method:             method,
		CreatorVersion:     zipVersion20, // high byte 0: MS-DOS, no unix mode
		ReaderVersion:      zipVersion20,
		Flags:              flagUTF8,
		CRC32:              crc,
		CompressedSize64:   csize,
		UncompressedSize64: usize,
	}
	// Not Modified: it would add an extended-timestamp extra field.
	//lint:ignore SA1019 the raw DOS fields are exactly what we want
	fh.ModifiedDate, fh.ModifiedTime = n.date, n.time
	return fh
}
