package debresolve

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/ulikunitz/xz"
)

// IsURL reports whether an index source is fetched over HTTP rather than
// read from a file.
func IsURL(src string) bool {
	return strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://")
}

// MirrorIndex is the URL (or path, for a local mirror) of the xz-compressed
// Packages index of one suite, component and architecture under a Debian
// mirror base, following the archive layout.
func MirrorIndex(base, dist, component, arch string) string {
	return strings.TrimSuffix(base, "/") + "/dists/" + dist + "/" + component + "/binary-" + arch + "/Packages.xz"
}

// OpenIndex opens a Packages index given as a file path or an http(s) URL
// and returns its uncompressed content. The compression (none, gzip or xz)
// is recognised by content, so that apt's list files, which carry no
// suffix once decompressed, work as they are; a name ending in .gz or .xz
// that holds something else is an error. client is used for URLs (nil
// means http.DefaultClient). The caller closes the result.
func OpenIndex(ctx context.Context, src string, client *http.Client) (io.ReadCloser, error) {
	var raw io.ReadCloser
	if IsURL(src) {
		if client == nil {
			client = http.DefaultClient
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, fmt.Errorf("fetching index %q: %w", src, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("fetching index %q: %w", src, err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("fetching index %q: %s", src, resp.Status)
		}
		raw = resp.Body
	} else {
		f, err := budget.Open(src)
		if err != nil {
			return nil, fmt.Errorf("opening index: %w", err)
		}
		raw = f
	}
	rc, err := decompress(raw, src)
	if err != nil {
		raw.Close()
		return nil, err
	}
	return rc, nil
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	xzMagic   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	// Formats apt may leave in its lists directory that we do not read.
	otherMagic = map[string][]byte{
		"lz4":   {0x04, 0x22, 0x4d, 0x18},
		"bzip2": []byte("BZh"),
		"zstd":  {0x28, 0xb5, 0x2f, 0xfd},
	}
)

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

func decompress(raw io.ReadCloser, src string) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(raw, 1<<20)
	head, err := br.Peek(len(xzMagic))
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("reading index %q: %w", src, err)
	}
	name := src
	if i := strings.IndexAny(name, "?#"); i >= 0 && IsURL(src) {
		name = name[:i]
	}
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("reading gzip index %q: %w", src, err)
		}
		return readCloser{zr, func() error { zr.Close(); return raw.Close() }}, nil
	case bytes.HasPrefix(head, xzMagic):
		zr, err := xz.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("reading xz index %q: %w", src, err)
		}
		return readCloser{zr, raw.Close}, nil
	case strings.HasSuffix(name, ".gz"), strings.HasSuffix(name, ".xz"):
		return nil, fmt.Errorf("index %q is not compressed as its name says", src)
	}
	for format, magic := range otherMagic {
		if bytes.HasPrefix(head, magic) {
			return nil, fmt.Errorf("index %q is %s-compressed; decompress it first (for example with /usr/lib/apt/apt-helper cat-file)", src, format)
		}
	}
	return readCloser{br, raw.Close}, nil
}

// ReadIndexes builds an index for arch from the given sources, in order.
func ReadIndexes(ctx context.Context, arch string, sources []string, client *http.Client) (*Index, error) {
	ix := NewIndex(arch)
	for _, src := range sources {
		if err := readOne(ctx, ix, src, client); err != nil {
			return nil, err
		}
	}
	return ix, nil
}

func readOne(ctx context.Context, ix *Index, src string, client *http.Client) error {
	rc, err := OpenIndex(ctx, src, client)
	if err != nil {
		return err
	}
	err = ix.Read(rc, src)
	if cerr := rc.Close(); err == nil && cerr != nil {
		return fmt.Errorf("closing index %q: %w", src, cerr)
	}
	return err
}
