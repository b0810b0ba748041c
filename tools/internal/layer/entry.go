// Package layer writes OCI image layers whose bytes depend on their entries
// and nothing else: not on the order entries were found in, the machine's
// clock, time zone, umask, user or file system.
//
// Every tar header goes through one constructor (header in tarheader.go), so
// each determinism rule is enforced in one place.
package layer

import (
	"fmt"
	"io"
	"path"
	"strings"
)

// Type is the kind of a layer entry. Anything else (devices, FIFOs,
// sockets) cannot be represented, by design.
type Type uint8

const (
	TypeDir Type = iota + 1
	TypeFile
	TypeSymlink
	TypeHardlink
)

func (t Type) String() string {
	switch t {
	case TypeDir:
		return "dir"
	case TypeFile:
		return "file"
	case TypeSymlink:
		return "symlink"
	case TypeHardlink:
		return "hardlink"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Entry is one file system object of a layer.
type Entry struct {
	// Path is relative to the layer root, slash-separated and clean:
	// no leading "/" or "./", no "." or ".." elements, no trailing "/".
	Path string
	Type Type
	// Mode holds permission bits and, when Options.KeepSpecialBits is set,
	// setuid/setgid/sticky (0o7777). Ignored for symlinks (always 0777) and
	// hard links (they share their target's inode).
	Mode uint32
	UID  int
	GID  int
	// Link is a symlink's target, kept verbatim, or a hard link's target
	// path (clean, relative to the layer root like Path).
	Link string
	// Size and Open describe a regular file's content. Open is called once,
	// while the layer is written; the content must be exactly Size bytes.
	Size int64
	Open func() (io.ReadCloser, error)
}

// CheckPath reports whether p is acceptable as Entry.Path: relative,
// clean, free of NUL bytes and backslashes, and not a whiteout name (which
// would delete files of lower layers at run time).
func CheckPath(p string) error {
	switch {
	case p == "" || p == ".":
		return fmt.Errorf("empty path")
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("path %q is absolute", p)
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("path %q contains a NUL byte", p)
	case strings.ContainsRune(p, '\\'):
		return fmt.Errorf("path %q contains a backslash", p)
	case len(p) > maxPathLen:
		return fmt.Errorf("path %.40q... is longer than %d bytes", p, maxPathLen)
	}
	elems := strings.Split(p, "/")
	for _, elem := range elems {
		if elem == ".." {
			return fmt.Errorf("path %q has a \"..\" element (a way out of the layer root)", p)
		}
	}
	if path.Clean(p) != p {
		return fmt.Errorf("path %q is not clean (want %q)", p, path.Clean(p))
	}
	for _, elem := range elems {
		if strings.HasPrefix(elem, whiteoutPrefix) {
			return fmt.Errorf("path %q has a whiteout name (%s...), which would delete files of lower layers", p, whiteoutPrefix)
		}
	}
	if len(elems) > maxDepth {
		return fmt.Errorf("path %.40q... is deeper than %d elements", p, maxDepth)
	}
	return nil
}

// CleanPath turns a path as archives spell it ("./usr/bin/", "/etc/x")
// into Entry.Path form, or fails naming what is wrong. Leading "./" and
// one trailing "/" are accepted; absolute paths and ".." are not.
func CleanPath(name string) (string, error) {
	p := strings.TrimPrefix(name, "./")
	p = strings.TrimSuffix(p, "/")
	if err := CheckPath(p); err != nil {
		return "", err
	}
	return p, nil
}

const (
	whiteoutPrefix = ".wh."
	// Linux PATH_MAX; deeper or longer paths cannot be created by a
	// container runtime anyway and are a sign of a hostile archive.
	maxPathLen = 4096
	maxDepth   = 256
)
