package imagediff

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/image"
)

// entry is one tar entry as a runtime would apply it. Package layer's
// Listed has no extended attributes, device numbers or owner names, which
// change behaviour (file capabilities live in security.capability) or
// show up in strict comparisons, so layers are listed here.
type entry struct {
	Name         string // as spelled in the archive
	Path         string // cleaned, rooted at "/"
	Type         byte   // tar typeflag, regular files normalised to tar.TypeReg
	Mode         int64
	UID, GID     int
	Uname, Gname string
	Size         int64
	SHA256       string // hex of the content of regular files
	Link         string // symlink target as written; hard link target cleaned
	MTime        time.Time
	ATime, CTime time.Time // from PAX records; zero when absent
	Xattrs       map[string]string
	Devmajor     int64
	Devminor     int64
	Index        int // 1-based position in the archive
}

// cleanPath roots a tar name at "/" and removes "./", "//", ".." and
// trailing slashes, so that "./etc/" and "etc" are the same path.
func cleanPath(name string) string {
	return path.Clean("/" + name)
}

// listBlob reads a layer blob of the given media type and lists its
// entries. rc verifies the blob's digest at EOF, so the blob is always
// read to its end; for compressed layers the uncompressed stream is
// hashed and checked against diffID. Regular files are hashed, never
// held in memory. The headers are charged to run's budget, the
// decompression to the budget's ratio (a small blob must not expand
// into hours of hashing).
func listBlob(rc io.Reader, mediaType, digest, diffID string, run *budget.Run) ([]entry, error) {
	var exp budget.Expansion
	br := bufio.NewReaderSize(exp.Compressed(rc), 1<<20)
	var u io.Reader
	var closeU func()
	compressed := true
	switch mediaType {
	case image.MediaTypeLayerTar:
		compressed = false
		if diffID != digest {
			return nil, fmt.Errorf("uncompressed layer %s has diff_id %s in the config, want its digest", digest, diffID)
		}
		u = br
	case image.MediaTypeLayerGzip, image.MediaTypeDockerLayerGzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("reading gzip header: %w", err)
		}
		u, closeU = zr, func() { zr.Close() }
	case image.MediaTypeLayerZstd:
		// The window bound keeps a hostile frame header from making us
		// allocate gigabytes; 128 MiB covers zstd --long (window log 27).
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<27))
		if err != nil {
			return nil, fmt.Errorf("reading zstd: %w", err)
		}
		u, closeU = zr, zr.Close
	default:
		return nil, fmt.Errorf("unsupported layer media type %q", mediaType)
	}
	if closeU != nil {
		defer closeU()
	}
	var dh hash.Hash
	if compressed {
		dh = sha256.New()
		u = exp.Expanded(io.TeeReader(u, dh))
	}
	entries, err := listTar(u, budget.NewTar(run))
	if err != nil {
		return nil, err
	}
	// The rest of the stream (end-of-archive blocks, padding) is part of
	// the diff_id and of the blob digest.
	if _, err := io.Copy(io.Discard, u); err != nil {
		return nil, fmt.Errorf("reading after the end of the tar: %w", err)
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, err
	}
	if dh != nil {
		if got := "sha256:" + hex.EncodeToString(dh.Sum(nil)); got != diffID {
			return nil, fmt.Errorf("layer %s: uncompressed content hashes to %s, but the config says diff_id %s", digest, got, diffID)
		}
	}
	return entries, nil
}

// listTar lists an uncompressed tar stream up to its end marker, charging
// each header to meter.
func listTar(r io.Reader, meter *budget.Tar) ([]entry, error) {
	tr := tar.NewReader(r)
	var out []entry
	sum := sha256.New()
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading tar entry %d: %w", len(out)+1, err)
		}
		if err := meter.Header(h); err != nil {
			return nil, fmt.Errorf("tar entry %d (%.256q): %w", len(out)+1, h.Name, err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			// PAX global headers describe the archive, not a file; runtimes
			// skip them. A change in one shows as a digest difference.
			continue
		}
		if isSparse(h) {
			// A few bytes of sparse map can declare terabytes of holes,
			// which reading would hash. No container tool writes sparse
			// entries (Go's tar writer cannot), so refuse rather than
			// expand them.
			return nil, fmt.Errorf("tar entry %d (%q) is a GNU sparse file, which cannot be compared", len(out)+1, h.Name)
		}
		e := entry{
			Name: h.Name, Path: cleanPath(h.Name), Type: h.Typeflag, Mode: h.Mode,
			UID: h.Uid, GID: h.Gid, Uname: h.Uname, Gname: h.Gname,
			MTime: h.ModTime, ATime: h.AccessTime, CTime: h.ChangeTime,
			Devmajor: h.Devmajor, Devminor: h.Devminor, Index: len(out) + 1,
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeCont:
			// The tar reader turns the old TypeRegA into TypeReg; TypeCont
			// is read as a regular file by every runtime.
			e.Type = tar.TypeReg
			sum.Reset()
			n, err := io.Copy(sum, tr)
			if err != nil {
				return nil, fmt.Errorf("reading %q: %w", h.Name, err)
			}
			e.Size, e.SHA256 = n, hex.EncodeToString(sum.Sum(nil))
		case tar.TypeSymlink:
			e.Link = h.Linkname
		case tar.TypeLink:
			e.Link = cleanPath(h.Linkname)
		}
		for k, v := range h.PAXRecords {
			if name, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
				if e.Xattrs == nil {
					e.Xattrs = map[string]string{}
				}
				e.Xattrs[name] = v
			}
		}
		out = append(out, e)
	}
}

func isSparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// typeName names a tar typeflag the way the report prints it.
func typeName(t byte) string {
	switch t {
	case tar.TypeReg:
		return "file"
	case tar.TypeDir:
		return "dir"
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hardlink"
	case tar.TypeChar:
		return "char"
	case tar.TypeBlock:
		return "block"
	case tar.TypeFifo:
		return "fifo"
	}
	return fmt.Sprintf("type%q", t)
}

// summary describes an entry on one line, for added and removed entries
// and type changes: `file 0644 0:0 12 bytes sha256:...`.
func (e *entry) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %04o %d:%d", typeName(e.Type), e.Mode, e.UID, e.GID)
	switch e.Type {
	case tar.TypeReg:
		fmt.Fprintf(&b, " %s", e.content())
	case tar.TypeSymlink, tar.TypeLink:
		fmt.Fprintf(&b, " -> %q", e.Link)
	case tar.TypeChar, tar.TypeBlock:
		fmt.Fprintf(&b, " %d:%d", e.Devmajor, e.Devminor)
	}
	if len(e.Xattrs) > 0 {
		keys := make([]string, 0, len(e.Xattrs))
		for k := range e.Xattrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(&b, " xattrs %s", strings.Join(keys, ","))
	}
	return b.String()
}

func (e *entry) content() string {
	return fmt.Sprintf("sha256:%s (%d bytes)", e.SHA256, e.Size)
}
