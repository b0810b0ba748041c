package layer

import (
	"archive/tar"
	"fmt"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
)

// InputChecker applies to a tar that goes into an image byte for byte (the
// layer files `odptool image assemble` is given) the entry rules this
// package applies to what it writes, and the Debian repacker to packages:
// names must be relative, clean, free of "..", backslashes, NUL bytes and
// whiteout names (CleanPath); only directories, regular files, symlinks
// and hard links to earlier files of the same tar are allowed (no device
// nodes, FIFOs, sparse files or PAX global headers); a path may appear once
// (a directory may repeat); nothing may be written through a symlink or
// file of the same tar, nor a symlink or file put where earlier entries
// made a directory. The root entry ("./") is allowed and ignored. Every
// header is also charged to the tar budget. Bytes are not rewritten: PAX
// records other than sparse maps (e.g. extended attributes) pass as they
// are, since nothing drops them.
type InputChecker struct {
	meter *budget.Tar
	seen  map[string]inputKind
}

type inputKind uint8

const (
	inputImplicitDir inputKind = iota + 1 // a parent of an entry, never named itself
	inputDir
	inputFile
	inputSymlink
	inputHardlink
)

func (k inputKind) String() string {
	switch k {
	case inputImplicitDir:
		return "directory (made by the entries below it)"
	case inputDir:
		return "directory"
	case inputFile:
		return "regular file"
	case inputSymlink:
		return "symlink"
	case inputHardlink:
		return "hard link"
	}
	return "entry"
}

// NewInputChecker checks one tar; its headers also count against run
// (nil: none).
func NewInputChecker(run *budget.Run) *InputChecker {
	return &InputChecker{meter: budget.NewTar(run), seen: map[string]inputKind{}}
}

// Check checks the next header of the tar. The error names the entry.
func (c *InputChecker) Check(h *tar.Header) error {
	errorf := func(format string, a ...any) error {
		// A hostile name may be a megabyte long: quote at most 256 runes.
		return fmt.Errorf("entry %.256q: %s", h.Name, fmt.Sprintf(format, a...))
	}
	if err := c.meter.Header(h); err != nil {
		return errorf("%v", err)
	}
	switch h.Typeflag {
	case tar.TypeXGlobalHeader:
		return errorf("is a PAX global header, which runtimes apply differently or not at all; write the tar without one (git archive adds one: use --format=tar with a tool that does not, or repack it with odptool layer files)")
	case tar.TypeGNUSparse:
		return errorf("is a GNU sparse file; sparse files are not supported in layers")
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return errorf("is a sparse file (PAX record %q); sparse files are not supported in layers", k)
		}
	}
	if h.Name == "./" || h.Name == "." || h.Name == "/" {
		if h.Typeflag != tar.TypeDir {
			return errorf("names the root of the layer but is not a directory")
		}
		return nil // the root belongs to the image below
	}
	p, err := CleanPath(h.Name)
	if err != nil {
		return errorf("%v", err)
	}
	var kind inputKind
	switch h.Typeflag {
	case tar.TypeDir:
		kind = inputDir
	case tar.TypeReg: // archive/tar maps the old TypeRegA to TypeReg or TypeDir
		kind = inputFile
	case tar.TypeSymlink:
		kind = inputSymlink
		if h.Linkname == "" {
			return errorf("is a symlink with an empty target")
		}
	case tar.TypeLink:
		kind = inputHardlink
		target, err := CleanPath(h.Linkname)
		if err != nil {
			return errorf("hard link target: %v", err)
		}
		if t := c.seen[target]; t != inputFile && t != inputHardlink {
			if t == 0 {
				return errorf("is a hard link to %q, which is not an earlier entry of the layer", h.Linkname)
			}
			return errorf("is a hard link to %q, which is a %s, not a regular file", h.Linkname, t)
		}
	case tar.TypeChar, tar.TypeBlock:
		return errorf("is a device node; layers must not create devices (the runtime provides /dev)")
	case tar.TypeFifo:
		return errorf("is a FIFO; layers must not create FIFOs")
	default:
		return errorf("has unsupported tar entry type %q (allowed: directory, regular file, symlink, hard link)", h.Typeflag)
	}
	if prev, dup := c.seen[p]; dup {
		switch {
		case kind == inputDir && (prev == inputDir || prev == inputImplicitDir):
			// A directory named again, or after its contents: harmless.
		case prev == inputImplicitDir:
			return errorf("is a %s, but earlier entries of the layer were written below %q as a directory", kind, p)
		default:
			return errorf("path %q appears twice in the layer (%s, then %s); runtimes disagree on which one wins", p, prev, kind)
		}
	}
	// The parents: none may be a non-directory of this layer. Once a known
	// directory is reached, its own parents were checked when it was.
	for dir := parentDir(p); dir != ""; dir = parentDir(dir) {
		k, ok := c.seen[dir]
		if ok && k != inputDir && k != inputImplicitDir {
			return errorf("would be written through the %s %q of the same layer", k, dir)
		}
		if ok {
			break
		}
		c.seen[dir] = inputImplicitDir
	}
	c.seen[p] = kind
	return nil
}

func parentDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}
