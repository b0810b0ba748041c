package layer

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// plan turns entries into the exact sequence of tar entries to write:
// sorted by path element by element (so a directory's children follow it
// together, as GNU tar --sort=name does), missing parent directories added,
// hard links pointing at the first path of their inode in that order, and
// modes normalised. It rejects duplicates, writes through symlinks and
// dangling hard links.
func plan(entries []Entry, opts Options) ([]Entry, error) {
	byPath := make(map[string]*Entry, len(entries))
	out := make([]Entry, 0, len(entries)+8)
	for i := range entries {
		e := entries[i]
		if err := CheckPath(e.Path); err != nil {
			return nil, err
		}
		if err := checkEntry(&e); err != nil {
			return nil, err
		}
		if prev, dup := byPath[e.Path]; dup {
			if prev.Type == TypeDir && e.Type == TypeDir && prev.Mode == e.Mode && prev.UID == e.UID && prev.GID == e.GID {
				continue // the same directory twice is harmless
			}
			return nil, fmt.Errorf("duplicate path %q (%s and %s)", e.Path, prev.Type, e.Type)
		}
		e.Mode = normaliseMode(e.Type, e.Mode, opts.KeepSpecialBits)
		out = append(out, e)
		byPath[e.Path] = &out[len(out)-1]
	}
	// Pointers into out stay valid: parents are appended to a separate slice.
	var parents []Entry
	for _, e := range out {
		for dir := path.Dir(e.Path); dir != "."; dir = path.Dir(dir) {
			p, ok := byPath[dir]
			if ok {
				if p.Type != TypeDir {
					return nil, fmt.Errorf("%q would be written through %s %q, which is not a directory", e.Path, p.Type, dir)
				}
				break
			}
			parents = append(parents, Entry{Path: dir, Type: TypeDir, Mode: 0o755})
			byPath[dir] = &parents[len(parents)-1]
		}
	}
	// Re-key the added parents: their slice may have moved while growing.
	for i := range parents {
		byPath[parents[i].Path] = &parents[i]
	}
	out = append(out, parents...)
	sort.Slice(out, func(i, j int) bool { return comparePaths(out[i].Path, out[j].Path) < 0 })
	if err := resolveHardlinks(out); err != nil {
		return nil, err
	}
	return out, nil
}

// MaxOwnerID is the largest uid or gid a USTAR header holds (7 octal
// digits); layers never carry a PAX uid/gid record for a larger one.
const MaxOwnerID = 1<<21 - 1

const maxUSTARID = MaxOwnerID

func checkEntry(e *Entry) error {
	switch e.Type {
	case TypeDir:
	case TypeFile:
		if e.Size < 0 {
			return fmt.Errorf("%q: negative size %d", e.Path, e.Size)
		}
		if e.Open == nil {
			return fmt.Errorf("%q: regular file without content", e.Path)
		}
	case TypeSymlink:
		if e.Link == "" {
			return fmt.Errorf("%q: symlink with an empty target", e.Path)
		}
		if strings.ContainsRune(e.Link, 0) {
			return fmt.Errorf("%q: symlink target contains a NUL byte", e.Path)
		}
	case TypeHardlink:
		if err := CheckPath(e.Link); err != nil {
			return fmt.Errorf("%q: hard link target: %w", e.Path, err)
		}
		if e.Link == e.Path {
			return fmt.Errorf("%q: hard link to itself", e.Path)
		}
	default:
		return fmt.Errorf("%q: unsupported entry type %s", e.Path, e.Type)
	}
	if e.UID < 0 || e.GID < 0 {
		return fmt.Errorf("%q: negative owner %d:%d", e.Path, e.UID, e.GID)
	}
	if e.UID > maxUSTARID || e.GID > maxUSTARID {
		return fmt.Errorf("%q: owner %d:%d is beyond %d, the largest a USTAR header holds; a larger one would need a PAX record, which layers never carry (docs/layers.md)", e.Path, e.UID, e.GID, maxUSTARID)
	}
	return nil
}

// normaliseMode drops what must not leak into a layer by accident:
// setuid/setgid/sticky unless allowed, and the world-write bit on anything
// but a sticky directory (a sticky world-writable directory such as /tmp
// is only possible when special bits are allowed).
func normaliseMode(t Type, mode uint32, keepSpecial bool) uint32 {
	switch t {
	case TypeSymlink:
		return 0o777
	case TypeHardlink:
		return 0 // replaced by the target's mode in resolveHardlinks
	}
	m := mode & 0o777
	if keepSpecial {
		m |= mode & 0o7000
	}
	if m&0o002 != 0 && !(t == TypeDir && m&0o1000 != 0) {
		m &^= 0o002
	}
	return m
}

// resolveHardlinks makes every hard link point at the first path (in
// output order) of its inode: tar can only link to an entry already
// written. If a link sorts before the file it points to, the two swap
// roles; the extracted file system is the same.
func resolveHardlinks(sorted []Entry) error {
	index := make(map[string]int, len(sorted))
	for i, e := range sorted {
		index[e.Path] = i
	}
	// root finds the regular file a link chain ends at.
	root := func(i int) (int, error) {
		seen := 0
		for sorted[i].Type == TypeHardlink {
			j, ok := index[sorted[i].Link]
			if !ok {
				return 0, fmt.Errorf("hard link %q points to %q, which is not in the layer", sorted[i].Path, sorted[i].Link)
			}
			i = j
			if seen++; seen > len(sorted) {
				return 0, fmt.Errorf("hard link %q is part of a cycle", sorted[i].Path)
			}
		}
		if sorted[i].Type != TypeFile {
			return 0, fmt.Errorf("hard link to %q, which is a %s, not a regular file", sorted[i].Path, sorted[i].Type)
		}
		return i, nil
	}
	// Group every path of an inode under its root file, then let the first
	// path in output order carry the content and the others link to it.
	groups := map[int][]int{}
	for i := range sorted {
		if sorted[i].Type != TypeHardlink && sorted[i].Type != TypeFile {
			continue
		}
		r, err := root(i)
		if err != nil {
			return err
		}
		groups[r] = append(groups[r], i) // ascending, since i is
	}
	for r, members := range groups {
		if len(members) == 1 {
			continue
		}
		file := sorted[r]
		first := members[0]
		for _, m := range members {
			p := sorted[m].Path
			if m == first {
				sorted[m] = file
				sorted[m].Path = p
				continue
			}
			sorted[m] = Entry{Path: p, Type: TypeHardlink, Link: sorted[first].Path, Mode: file.Mode, UID: file.UID, GID: file.GID}
		}
	}
	return nil
}

// comparePaths orders paths element by element, so "a/b" < "a-b" (all of
// a directory's contents stay together after the directory).
func comparePaths(a, b string) int {
	for {
		ai := strings.IndexByte(a, '/')
		bi := strings.IndexByte(b, '/')
		ae, be := a, b
		if ai >= 0 {
			ae = a[:ai]
		}
		if bi >= 0 {
			be = b[:bi]
		}
		if c := strings.Compare(ae, be); c != 0 {
			return c
		}
		switch {
		case ai < 0 && bi < 0:
			return 0
		case ai < 0:
			return -1
		case bi < 0:
			return 1
		}
		a, b = a[ai+1:], b[bi+1:]
	}
}
