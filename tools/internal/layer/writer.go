package layer

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"

	"github.com/rules-odp/rules_odp/tools/internal/atomicfile"
)

// Compression of the layer blob.
type Compression uint8

const (
	// Uncompressed writes a plain tar (media type ...layer.v1.tar).
	Uncompressed Compression = iota
	// Gzip writes a single-member gzip stream with a zeroed header (no
	// name, no time, OS byte 255) compressed by the pinned implementation
	// in compress.go.
	Gzip
)

// Media types of the layers we write (OCI image spec).
const (
	MediaTypeTar     = "application/vnd.oci.image.layer.v1.tar"
	MediaTypeTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// ParseCompression reads the one compression vocabulary of rules_odp, the
// same in every verb and in Starlark: "none" (a plain tar) or "gzip" (the
// pinned gzip of compress.go).
func ParseCompression(s string) (Compression, error) {
	switch s {
	case "none":
		return Uncompressed, nil
	case "gzip":
		return Gzip, nil
	}
	return 0, fmt.Errorf("unknown compression %q (want none or gzip)", s)
}

func (c Compression) String() string {
	switch c {
	case Uncompressed:
		return "none"
	case Gzip:
		return "gzip"
	}
	return fmt.Sprintf("Compression(%d)", uint8(c))
}

// Extension is the file name ending of a layer of this compression.
func (c Compression) Extension() string {
	if c == Gzip {
		return ".tar.gz"
	}
	return ".tar"
}

// CheckName refuses an output name whose ending says another compression
// than c (a layer.tar.gz holding a plain tar, or the reverse), so that a
// name never lies about its bytes.
func (c Compression) CheckName(name string) error {
	gzName := strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, ".tgz")
	tarName := strings.HasSuffix(name, ".tar")
	switch {
	case c == Gzip && tarName:
		return fmt.Errorf("output %q ends in .tar but --compression is gzip: name it *.tar.gz", name)
	case c == Uncompressed && gzName:
		return fmt.Errorf("output %q ends in .gz but --compression is none: name it *.tar, or give --compression gzip", name)
	}
	return nil
}

// Options control how a layer is written. The zero value is the default:
// mtime 0, uncompressed, special mode bits dropped.
type Options struct {
	// MTime is the modification time of every entry, in seconds since the
	// Unix epoch (package sde).
	MTime int64
	// Compression of the written blob.
	Compression Compression
	// GzipLevel is 1 (fastest) to 9 (smallest); 0 means DefaultGzipLevel.
	GzipLevel int
	// KeepSpecialBits keeps setuid, setgid and sticky bits. Off by default:
	// they are dropped, so a package cannot smuggle a setuid binary into an
	// image by accident.
	KeepSpecialBits bool
}

// Result describes the written blob. Digests are "sha256:<hex>".
type Result struct {
	// Digest and Size are of the blob as written (compressed if asked).
	Digest string
	Size   int64
	// DiffID is the digest of the uncompressed tar (the image config's
	// rootfs.diff_ids entry) and UncompressedSize its length.
	DiffID           string
	UncompressedSize int64
	MediaType        string
	// Entries is the number of tar entries written, parents included.
	Entries int
}

// maxTarTime is the largest mtime a USTAR header holds (11 octal digits).
const maxTarTime = 1<<33 - 1

// Write writes the layer made of entries to w and returns its digests,
// all computed in the same single pass over the bytes.
func Write(w io.Writer, entries []Entry, opts Options) (Result, error) {
	if opts.MTime < 0 || opts.MTime > maxTarTime {
		return Result{}, fmt.Errorf("mtime %d is out of range [0, %d]", opts.MTime, maxTarTime)
	}
	planned, err := plan(entries, opts)
	if err != nil {
		return Result{}, err
	}
	blob := newDigester(w)
	var res Result
	var uncompressed *digester
	var zw io.WriteCloser
	switch opts.Compression {
	case Uncompressed:
		uncompressed = blob
		res.MediaType = MediaTypeTar
	case Gzip:
		zw, err = NewGzipWriter(blob, opts.GzipLevel)
		if err != nil {
			return Result{}, err
		}
		uncompressed = newDigester(zw)
		res.MediaType = MediaTypeTarGzip
	default:
		return Result{}, fmt.Errorf("unknown compression %d", opts.Compression)
	}
	tw := tar.NewWriter(uncompressed)
	mtime := unixTime(opts.MTime)
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	for i := range planned {
		if err := writeEntry(tw, &planned[i], mtime, *buf); err != nil {
			return Result{}, err
		}
	}
	if err := tw.Close(); err != nil {
		return Result{}, fmt.Errorf("finishing tar: %w", err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return Result{}, fmt.Errorf("finishing gzip: %w", err)
		}
	}
	res.Digest, res.Size = blob.digest(), blob.n
	res.DiffID, res.UncompressedSize = uncompressed.digest(), uncompressed.n
	res.Entries = len(planned)
	return res, nil
}

// WriteFile writes the layer to path atomically: on any error no file is
// left at path (nor a temporary one next to it).
func WriteFile(path string, entries []Entry, opts Options) (Result, error) {
	var res Result
	err := atomicfile.Write(path, func(w io.Writer) error {
		var err error
		res, err = Write(w, entries, opts)
		return err
	})
	return res, err
}

func writeEntry(tw *tar.Writer, e *Entry, mtime timeValue, buf []byte) error {
	if err := tw.WriteHeader(header(e, mtime)); err != nil {
		return fmt.Errorf("writing header of %q: %w", e.Path, err)
	}
	if e.Type != TypeFile || e.Size == 0 {
		if e.Type == TypeFile && e.Open != nil {
			return checkEmpty(e)
		}
		return nil
	}
	rc, err := e.Open()
	if err != nil {
		return fmt.Errorf("opening content of %q: %w", e.Path, err)
	}
	n, err := io.CopyBuffer(tw, io.LimitReader(rc, e.Size), buf)
	if err == nil && n < e.Size {
		err = fmt.Errorf("content is %d bytes, want %d (did the file change while the layer was written?)", n, e.Size)
	}
	if err == nil {
		// One more byte means the source is larger than declared.
		var one [1]byte
		if m, _ := io.ReadFull(rc, one[:]); m > 0 {
			err = fmt.Errorf("content is longer than the declared %d bytes (did the file change while the layer was written?)", e.Size)
		}
	}
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing content of %q: %w", e.Path, err)
	}
	return nil
}

// checkEmpty verifies that a file declared empty really is.
func checkEmpty(e *Entry) error {
	rc, err := e.Open()
	if err != nil {
		return fmt.Errorf("opening content of %q: %w", e.Path, err)
	}
	var one [1]byte
	m, _ := io.ReadFull(rc, one[:])
	if cerr := rc.Close(); cerr != nil {
		return fmt.Errorf("reading content of %q: %w", e.Path, cerr)
	}
	if m > 0 {
		return fmt.Errorf("writing content of %q: content is longer than the declared 0 bytes", e.Path)
	}
	return nil
}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// digester counts and hashes what passes through it on the way to w.
type digester struct {
	w io.Writer
	h hash.Hash
	n int64
}

func newDigester(w io.Writer) *digester { return &digester{w: w, h: sha256.New()} }

func (d *digester) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	d.h.Write(p[:n])
	d.n += int64(n)
	return n, err
}

func (d *digester) digest() string { return "sha256:" + hex.EncodeToString(d.h.Sum(nil)) }
