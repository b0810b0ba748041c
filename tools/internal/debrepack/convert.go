// Package debrepack turns a Debian binary package into one deterministic
// image layer: the package's files (data.tar), optionally rewritten for a
// merged-/usr base, plus a dpkg status record so that scanners (Trivy,
// grype, syft) know the package is installed.
package debrepack

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

// Limits bound what a hostile package can make us do. The defaults are far
// above anything in Debian (the largest bookworm packages unpack to a few
// GiB at most).
type Limits struct {
	MaxEntries   int
	MaxFileSize  int64
	MaxTotalSize int64
}

// DefaultLimits are used where Options.Limits is zero.
var DefaultLimits = Limits{MaxEntries: budget.DebEntries, MaxFileSize: budget.DebFileBytes, MaxTotalSize: budget.DebTotalSize}

// mergedUsrDirs are the top-level directories Debian's usrmerge turns into
// symlinks into /usr (bookworm: /bin, /sbin, /lib, /lib32, /lib64, /libx32,
// /libo32 are symlinks).
var mergedUsrDirs = map[string]bool{
	"bin": true, "sbin": true, "lib": true, "lib32": true, "lib64": true, "libx32": true, "libo32": true,
}

// paxAllowed are the PAX records a package's tar may carry: they describe
// what the USTAR header could not hold and are folded into our canonical
// header. Anything else (xattrs, capabilities, sparse maps, unknown vendor
// records) is refused rather than silently dropped.
var paxAllowed = map[string]bool{
	"path": true, "linkpath": true, "size": true, "mtime": true, "atime": true, "ctime": true,
	"uid": true, "gid": true, "uname": true, "gname": true,
}

// converter reads data.tar entries into layer entries.
type converter struct {
	pkg       string // for messages: "libc6_2.36-9_amd64.deb"
	mergedUsr bool
	limits    Limits
	// content reads the content of the regular file just returned by the
	// tar reader (deb.Package.Content: a slice of the decoded data.tar
	// where possible, not a copy).
	content func(*tar.Header) ([]byte, error)
	entries []layer.Entry
	seen    map[string]int // path -> index in entries
	total   int64
}

func (c *converter) errorf(name, format string, a ...any) error {
	return fmt.Errorf("%s: entry %q: %s", c.pkg, name, fmt.Sprintf(format, a...))
}

// readAll consumes the data tar. File contents are held in memory because
// the layer is written in sorted order, which need not be the package's.
func (c *converter) readAll(tr *tar.Reader) error {
	c.seen = map[string]int{}
	for n := 0; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: reading data.tar after %d entries: %w", c.pkg, n, err)
		}
		if n >= c.limits.MaxEntries {
			return fmt.Errorf("%s: data.tar has more than %d entries", c.pkg, c.limits.MaxEntries)
		}
		if err := c.add(h); err != nil {
			return err
		}
	}
}

func (c *converter) add(h *tar.Header) error {
	for k := range h.PAXRecords {
		if !paxAllowed[k] {
			return c.errorf(h.Name, "carries PAX record %q (extended attributes, capabilities and sparse files cannot be represented in a layer); repack the package without it", k)
		}
	}
	if h.Name == "./" || h.Name == "." || h.Name == "/" {
		return nil // the root directory belongs to the base image
	}
	p, err := layer.CleanPath(h.Name)
	if err != nil {
		return c.errorf(h.Name, "%v", err)
	}
	e := layer.Entry{Path: p, Mode: uint32(h.Mode) & 0o7777, UID: h.Uid, GID: h.Gid}
	switch h.Typeflag {
	case tar.TypeDir:
		e.Type = layer.TypeDir
	case tar.TypeReg: // archive/tar already maps the old TypeRegA to TypeReg or TypeDir
		e.Type = layer.TypeFile
		if h.Size > c.limits.MaxFileSize {
			return c.errorf(h.Name, "declares %d bytes, over the limit of %d", h.Size, c.limits.MaxFileSize)
		}
		if c.total += h.Size; c.total > c.limits.MaxTotalSize {
			return fmt.Errorf("%s: data.tar unpacks to more than %d bytes", c.pkg, c.limits.MaxTotalSize)
		}
		data, err := c.content(h)
		if err != nil {
			return c.errorf(h.Name, "reading %d bytes of content: %v (truncated package?)", h.Size, err)
		}
		e.Size = h.Size
		e.Open = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	case tar.TypeSymlink:
		e.Type, e.Link = layer.TypeSymlink, h.Linkname
	case tar.TypeLink:
		target, err := layer.CleanPath(h.Linkname)
		if err != nil {
			return c.errorf(h.Name, "hard link target: %v", err)
		}
		target = c.rewrite(target)
		i, ok := c.seen[target]
		if !ok {
			return c.errorf(h.Name, "hard link to %q, which is not an earlier entry of the package", h.Linkname)
		}
		if c.entries[i].Type != layer.TypeFile && c.entries[i].Type != layer.TypeHardlink {
			return c.errorf(h.Name, "hard link to %q, which is a %s", h.Linkname, c.entries[i].Type)
		}
		e.Type, e.Link = layer.TypeHardlink, target
	case tar.TypeChar, tar.TypeBlock:
		return c.errorf(h.Name, "is a device node; layers built from packages must not create devices")
	case tar.TypeFifo:
		return c.errorf(h.Name, "is a FIFO; layers built from packages must not create FIFOs")
	default:
		return c.errorf(h.Name, "has unsupported tar entry type %q", h.Typeflag)
	}
	if c.mergedUsr {
		top, rest, _ := strings.Cut(p, "/")
		if mergedUsrDirs[top] {
			switch {
			case rest == "" && e.Type == layer.TypeDir:
				return nil // the base's symlink must stay visible
			case rest == "" && e.Type == layer.TypeSymlink && path.Clean(e.Link) == "usr/"+top:
				// Already the merged-/usr link: keep it.
			case rest == "":
				return c.errorf(h.Name, "is a %s where a merged-/usr base has the symlink /%s -> usr/%s; repack with merged /usr off for a non-merged base", e.Type, top, top)
			default:
				e.Path = "usr/" + p
			}
		}
	}
	if i, dup := c.seen[e.Path]; dup {
		prev := c.entries[i]
		if prev.Type == layer.TypeDir && e.Type == layer.TypeDir {
			return nil // /lib/x and /usr/lib/x are one directory once merged; the first wins
		}
		if e.Path != p {
			return c.errorf(h.Name, "becomes %q under merged /usr, which the package also ships as a %s; repack with merged /usr off", e.Path, prev.Type)
		}
		return c.errorf(h.Name, "appears twice in data.tar (as %s and %s)", prev.Type, e.Type)
	}
	c.seen[e.Path] = len(c.entries)
	c.entries = append(c.entries, e)
	return nil
}

// rewrite maps a path the way merged /usr maps it.
func (c *converter) rewrite(p string) string {
	if !c.mergedUsr {
		return p
	}
	top, rest, _ := strings.Cut(p, "/")
	if mergedUsrDirs[top] && rest != "" {
		return "usr/" + p
	}
	return p
}
