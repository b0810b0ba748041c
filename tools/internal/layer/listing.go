package layer

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// Listed is one entry of a layer as read back: what golden listings and
// diffs compare.
type Listed struct {
	Path   string
	Type   string // dir, file, symlink, hardlink
	Mode   uint32
	UID    int
	GID    int
	Size   int64
	Link   string
	SHA256 string // hex of the content, regular files only
	MTime  int64
}

// String renders one listing line: `type mode uid:gid size path [-> link] [sha256]`.
func (l Listed) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %04o %d:%d %d %s", l.Type, l.Mode, l.UID, l.GID, l.Size, l.Path)
	if l.Link != "" {
		fmt.Fprintf(&b, " -> %s", l.Link)
	}
	if l.SHA256 != "" {
		fmt.Fprintf(&b, " sha256:%s", l.SHA256)
	}
	return b.String()
}

// ReadListing reads a layer blob (plain or gzip tar, detected by its magic
// bytes) and lists its entries in archive order.
func ReadListing(r io.Reader) ([]Listed, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, _ := br.Peek(2)
	var src io.Reader = br
	if bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("reading gzip header: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	tr := tar.NewReader(src)
	var out []Listed
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading tar entry %d: %w", len(out)+1, err)
		}
		l := Listed{Path: h.Name, Mode: uint32(h.Mode), UID: h.Uid, GID: h.Gid, Size: h.Size, MTime: h.ModTime.Unix()}
		switch h.Typeflag {
		case tar.TypeDir:
			l.Type = "dir"
		case tar.TypeReg:
			l.Type = "file"
			sum := sha256.New()
			if _, err := io.Copy(sum, tr); err != nil {
				return nil, fmt.Errorf("reading %q: %w", h.Name, err)
			}
			l.SHA256 = hex.EncodeToString(sum.Sum(nil))
		case tar.TypeSymlink:
			l.Type, l.Link = "symlink", h.Linkname
		case tar.TypeLink:
			l.Type, l.Link = "hardlink", h.Linkname
		default:
			l.Type = fmt.Sprintf("type%q", h.Typeflag)
		}
		out = append(out, l)
	}
}
