package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/gzip"
	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

// Compression says what assemble does with an uncompressed tar layer.
type Compression int

const (
	// KeepAsIs never rewrites a layer: a tar stays a tar (media type
	// ...layer.v1.tar), a gzip stays the same gzip.
	KeepAsIs Compression = iota
	// Gzip compresses uncompressed tar layers with the pinned gzip of
	// package layer at its default level; gzip layers stay as they are.
	Gzip
)

// addedLayer is a layer file as it goes into the output layout.
type addedLayer struct {
	src    string // file whose bytes are the blob
	temp   bool   // src is a temporary file we made (move, do not link)
	desc   Descriptor
	diffID string
	// entries are its headers, for the masking check.
	entries []tarEntry
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	xzMagic   = []byte{0xfd, '7', 'z', 'X', 'Z', 0}
	bz2Magic  = []byte{'B', 'Z', 'h'}
)

// readLayer reads a layer file once: it checks that it is a tar or a
// single-member gzip of a tar (the format is told by the bytes, not the
// file name) whose entries pass layer.InputChecker within the budget (run
// counts every layer of the image), and computes the blob digest and the
// diff_id. With Gzip, a plain tar is compressed on the way into a
// temporary file in tmpDir.
func readLayer(path string, comp Compression, tmpDir string, run *budget.Run, kept *budget.Kept) (*addedLayer, error) {
	check := layer.NewInputChecker(run).Check
	f, err := budget.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening layer: %w", err)
	}
	defer f.Close()
	blobHash := sha256.New()
	var size int64
	counted := &countingWriter{n: &size}
	br := bufio.NewReaderSize(io.TeeReader(f, io.MultiWriter(blobHash, counted)), 1<<20)
	magic, _ := br.Peek(6)
	switch {
	case len(magic) == 0:
		return nil, fmt.Errorf("layer %q is empty", path)
	case bytes.HasPrefix(magic, gzipMagic):
		diffID, entries, err := checkGzipTar(br, check, kept)
		if err != nil {
			return nil, fmt.Errorf("layer %q: %w", path, err)
		}
		return &addedLayer{src: path, diffID: diffID, entries: entries, desc: Descriptor{
			MediaType: MediaTypeLayerGzip, Digest: hashDigest(blobHash), Size: size}}, nil
	case bytes.HasPrefix(magic, zstdMagic), bytes.HasPrefix(magic, xzMagic), bytes.HasPrefix(magic, bz2Magic):
		return nil, fmt.Errorf("layer %q: unsupported compression (want a tar or a gzip-compressed tar)", path)
	}
	if comp == KeepAsIs {
		entries, err := checkTar(br, check, kept)
		if err != nil {
			return nil, fmt.Errorf("layer %q: %w", path, err)
		}
		d := hashDigest(blobHash)
		return &addedLayer{src: path, diffID: d, entries: entries, desc: Descriptor{MediaType: MediaTypeLayerTar, Digest: d, Size: size}}, nil
	}
	return gzipLayer(path, br, blobHash, tmpDir, check, kept)
}

type countingWriter struct{ n *int64 }

func (c *countingWriter) Write(p []byte) (int, error) { *c.n += int64(len(p)); return len(p), nil }

// checkTar reads a whole tar stream: every header must parse, and after
// the end-of-archive marker only zero padding may follow (tar writers pad
// to a record size; anything else is data a runtime would never see). It
// returns the headers for the masking check.
func checkTar(r io.Reader, check func(*tar.Header) error, kept *budget.Kept) ([]tarEntry, error) {
	entries, err := scanTar(r, check, kept)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			if b != 0 {
				return nil, errors.New("data after the end of the tar archive")
			}
		}
		if err == io.EOF {
			return entries, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// checkGzipTar checks a single-member gzip of a tar and returns the
// digest of the decompressed tar (the diff_id) and its headers. The
// decompression is bounded by the budget's ratio.
func checkGzipTar(br *bufio.Reader, check func(*tar.Header) error, kept *budget.Kept) (string, []tarEntry, error) {
	var exp budget.Expansion
	zr, err := gzip.NewReader(exp.Compressed(br))
	if err != nil {
		return "", nil, fmt.Errorf("reading gzip: %w", err)
	}
	// A second member would be concatenated by some readers and ignored
	// by others: refuse it so every runtime sees the same files.
	zr.Multistream(false)
	diff := sha256.New()
	entries, err := checkTar(exp.Expanded(io.TeeReader(zr, diff)), check, kept)
	if err != nil {
		return "", nil, fmt.Errorf("gzip content: %w", err)
	}
	if err := zr.Close(); err != nil {
		return "", nil, fmt.Errorf("reading gzip: %w", err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		if err == nil {
			return "", nil, errors.New("data after the first gzip member (multi-member gzip or trailing garbage)")
		}
		return "", nil, err
	}
	return hashDigest(diff), entries, nil
}

// gzipLayer compresses a tar, already started in br, into a temporary blob.
func gzipLayer(path string, br *bufio.Reader, tarHash interface {
	io.Writer
	Sum([]byte) []byte
}, tmpDir string, check func(*tar.Header) error, kept *budget.Kept) (_ *addedLayer, err error) {
	tmp, err := os.CreateTemp(tmpDir, ".layer-*")
	if err != nil {
		return nil, fmt.Errorf("creating temporary layer: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	blobHash := sha256.New()
	var size int64
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, blobHash, &countingWriter{n: &size}), 1<<20)
	zw, err := layer.NewGzipWriter(bw, layer.DefaultGzipLevel)
	if err != nil {
		return nil, err
	}
	entries, err := checkTar(io.TeeReader(br, zw), check, kept)
	if err != nil {
		return nil, fmt.Errorf("layer %q: %w", path, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing layer %q: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("writing compressed layer: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("writing compressed layer: %w", err)
	}
	return &addedLayer{src: filepath.Clean(tmp.Name()), temp: true, entries: entries, diffID: "sha256:" + fmt.Sprintf("%x", tarHash.Sum(nil)),
		desc: Descriptor{MediaType: MediaTypeLayerGzip, Digest: hashDigest(blobHash), Size: size}}, nil
}
