package image

import (
	"archive/tar"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/dpkgdb"
)

// The masking check. Runtimes stack layers as overlay directories: a
// directory in an upper layer at a path that a lower layer made a symlink
// hides the symlink instead of going through it. With a merged-/usr base
// (lib -> usr/lib) a layer holding lib/x86_64-linux-gnu/libc.so.6 thus
// replaces the base's whole /usr/lib in the container's view of /lib, and
// the dynamic loader finds nothing it expects. Only headers are needed, so
// the check reads each layer once and keeps the symlinks, not the files.

// MaskError says that a layer would hide a symlink of the layers below it.
type MaskError struct {
	// Layer names the masking layer as Stack.Add was told: `layer
	// "FILE"` for a layer file, "base layer N (sha256:...)" for a base's.
	Layer string
	// Entry is the layer's entry at or below Symlink.
	Entry string
	// Symlink is the path of the masked symlink, Target what it points to.
	Symlink, Target string
	// LowerLayer is the layer that made the symlink, named like Layer.
	LowerLayer string
	// Packages are the Debian packages the masking layer installs (its
	// dpkg status records), if any: the package to repack.
	Packages []string
}

func (e *MaskError) Error() string {
	return fmt.Sprintf("%s%s: entry %q would mask the symlink /%s -> %s of %s: "+
		"the container would see a directory /%s of this layer instead of the symlink's target "+
		"(the merged-/usr trap); put the files under the target instead, e.g. repack the package with merged /usr "+
		"(odptool deb repack --merged-usr, deb_layer merged_usr = True)",
		e.Layer, packagesNote(e.Packages), e.Entry, e.Symlink, e.Target, e.LowerLayer, e.Symlink)
}

// packagesNote is " (package a, b)" for the packages a layer installs, or
// "" if it installs none.
func packagesNote(pkgs []string) string {
	switch len(pkgs) {
	case 0:
		return ""
	case 1:
		return " (package " + pkgs[0] + ")"
	}
	return " (packages " + strings.Join(pkgs, ", ") + ")"
}

// entryKind is what the masking check needs to know of a tar entry.
type entryKind uint8

const (
	entryOther    entryKind = iota // regular file, hard link, device, fifo
	entryDir                       // directory
	entrySymlink                   // symbolic link
	entryWhiteout                  // .wh.NAME: deletes NAME of the layers below
	entryOpaque                    // .wh..wh..opq: deletes the directory's content below
)

// tarEntry is one header of a layer, reduced to what the check needs.
// name is clean and relative ("usr/lib", "." for the root); for whiteouts
// it is the path deleted, for opaque markers the directory emptied.
type tarEntry struct {
	name string
	kind entryKind
	link string // symlink target
	// data is the content of a dpkg database file (dpkgdb.Classify), kept
	// for the ownership checks; nil for anything else.
	data []byte
}

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// newTarEntry reduces a header; ok is false for entries that change
// nothing in the merged view (the root itself, AUFS metadata).
func newTarEntry(h *tar.Header) (e tarEntry, ok bool) {
	name := path.Clean("/" + h.Name)[1:]
	if name == "" {
		name = "."
	}
	dir, base := path.Split(name)
	dir = path.Clean("/" + dir)[1:]
	if dir == "" {
		dir = "."
	}
	switch {
	case base == opaqueMarker:
		return tarEntry{name: dir, kind: entryOpaque}, true
	case strings.HasPrefix(base, whiteoutPrefix+whiteoutPrefix):
		// AUFS bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not a path.
		return tarEntry{}, false
	case strings.HasPrefix(base, whiteoutPrefix):
		return tarEntry{name: path.Join(dir, base[len(whiteoutPrefix):]), kind: entryWhiteout}, true
	case name == ".":
		return tarEntry{}, false
	}
	switch h.Typeflag {
	case tar.TypeDir:
		return tarEntry{name: name, kind: entryDir}, true
	case tar.TypeSymlink:
		return tarEntry{name: name, kind: entrySymlink, link: h.Linkname}, true
	}
	return tarEntry{name: name, kind: entryOther}, true
}

// linkNode is a directory on the way to a symlink of the merged view, or
// the symlink itself (link != nil). Paths holding no symlink are absent,
// so the tree stays as small as the set of symlinks.
type linkNode struct {
	children map[string]*linkNode
	link     *lowerLink
}

type lowerLink struct {
	target, layer string
}

// Stack is the merged view of stacked layers, as far as the masking check
// needs it: which paths are symlinks, and which layer made them. The zero
// value is an empty stack (scratch).
type Stack struct {
	root linkNode
}

// Add checks the uncompressed tar stream of the next layer against the
// layers added so far and then stacks it. label names the layer in errors
// (e.g. `layer "app.tar"`); a *MaskError says it would hide a symlink of a
// lower layer.
func (s *Stack) Add(label string, r io.Reader) error {
	entries, err := scanTar(r, meterHeaders(budget.NewTar(nil)), nil)
	if err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	return s.apply(label, entries)
}

// scanTar reads the headers of a tar stream (not necessarily to its end),
// passing each to check first. With kept, it also keeps the content of the
// dpkg database files, charged to kept.
func scanTar(r io.Reader, check func(*tar.Header) error, kept *budget.Kept) ([]tarEntry, error) {
	var out []tarEntry
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("not a valid tar: %w", err)
		}
		if err := check(h); err != nil {
			return nil, err
		}
		e, ok := newTarEntry(h)
		if !ok {
			continue
		}
		if kept != nil && e.kind == entryOther && h.Typeflag == tar.TypeReg && dpkgdb.InDatabase(e.name) {
			if e.data, err = keepDpkgFile(tr, h, e.name, kept); err != nil {
				return nil, fmt.Errorf("entry %.256q: %w", h.Name, err)
			}
		}
		out = append(out, e)
	}
}

// keepDpkgFile reads the content of the file at name if it is a file of
// the dpkg database (nil otherwise).
func keepDpkgFile(r io.Reader, h *tar.Header, name string, kept *budget.Kept) ([]byte, error) {
	kind, _, err := dpkgdb.Classify(name)
	if err != nil {
		return nil, err
	}
	if kind == dpkgdb.NotDatabase {
		return nil, nil
	}
	if err := kept.Keep(h.Size); err != nil {
		return nil, err
	}
	data := make([]byte, h.Size)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, fmt.Errorf("reading %d bytes: %w", h.Size, err)
	}
	return data, nil
}

// meterHeaders charges each header to the tar budget m (base layers: they
// may hold whiteouts and the like, so only the budget applies).
func meterHeaders(m *budget.Tar) func(*tar.Header) error {
	return func(h *tar.Header) error {
		if err := m.Header(h); err != nil {
			return fmt.Errorf("entry %.256q: %w", h.Name, err)
		}
		return nil
	}
}

// apply stacks one layer's entries. Whiteouts act on the lower layers only
// (OCI image spec, "Whiteouts"), wherever they are in the tar, so they are
// applied first; every entry is then checked against that lower view
// before any entry of the layer changes it.
func (s *Stack) apply(layer string, entries []tarEntry) error {
	for _, e := range entries {
		switch e.kind {
		case entryWhiteout:
			s.remove(e.name)
		case entryOpaque:
			if n := s.find(e.name); n != nil {
				n.children = nil
			}
		}
	}
	for _, e := range entries {
		// A directory hides a symlink at its own path; any entry hides the
		// symlinks above it, since the layer holds their paths as
		// directories. Whiteout markers live in the directory they act on.
		name, self := e.name, e.kind == entryDir || e.kind == entryOpaque
		if e.kind == entryWhiteout {
			name, self = path.Dir(e.name), true
		}
		if l, at := s.symlinkAt(name, self); l != nil {
			return &MaskError{Layer: layer, Entry: e.name, Symlink: at, Target: l.target, LowerLayer: l.layer}
		}
	}
	for _, e := range entries {
		switch e.kind {
		case entrySymlink:
			n := s.make(e.name)
			n.children, n.link = nil, &lowerLink{target: e.link, layer: layer}
		case entryOther:
			// A non-directory hides everything the lower layers had at or
			// below its path.
			s.remove(e.name)
		}
	}
	return nil
}

// symlinkAt returns the symlink of the view that is a proper parent of
// name, or name itself when self, and its path.
func (s *Stack) symlinkAt(name string, self bool) (*lowerLink, string) {
	if name == "." {
		return nil, ""
	}
	n := &s.root
	end := 0
	for {
		next := strings.IndexByte(name[end:], '/')
		last := next < 0
		if last {
			next = len(name) - end
		}
		if n = n.children[name[end:end+next]]; n == nil {
			return nil, ""
		}
		end += next
		if n.link != nil && (!last || self) {
			return n.link, name[:end]
		}
		if last {
			return nil, ""
		}
		end++ // the slash
	}
}

// find returns the node of name, or nil.
func (s *Stack) find(name string) *linkNode {
	n := &s.root
	if name == "." {
		return n
	}
	for _, comp := range strings.Split(name, "/") {
		if n = n.children[comp]; n == nil {
			return nil
		}
	}
	return n
}

// make returns the node of name, creating the way to it.
func (s *Stack) make(name string) *linkNode {
	n := &s.root
	for _, comp := range strings.Split(name, "/") {
		c := n.children[comp]
		if c == nil {
			if n.children == nil {
				n.children = map[string]*linkNode{}
			}
			c = &linkNode{}
			n.children[comp] = c
		}
		n = c
	}
	return n
}

// remove deletes name and everything below it from the view.
func (s *Stack) remove(name string) {
	if name == "." {
		s.root.children = nil
		return
	}
	dir, base := path.Split(name)
	parent := &s.root
	if dir != "" {
		if parent = s.find(strings.TrimSuffix(dir, "/")); parent == nil {
			return
		}
	}
	delete(parent.children, base)
}

// baseLayerLabel names base layer i (0-based) in errors.
func baseLayerLabel(i int, digest string) string {
	return "base layer " + strconv.Itoa(i+1) + " (" + digest + ")"
}

// fileLayerLabel names a layer file in errors.
func fileLayerLabel(path string) string { return "layer " + strconv.Quote(path) }

// maxLinkHops bounds the symlinks resolveParents follows (Linux's
// MAXSYMLINKS).
const maxLinkHops = 40

// resolveParents returns name with the symlinks of the view among its
// parent directories followed, as the container's file system resolves
// them (name itself is not followed): with lib -> usr/lib,
// "lib/x86_64-linux-gnu/libc.so.6" is "usr/lib/x86_64-linux-gnu/libc.so.6".
// Targets are taken relative to the link's directory, absolute ones to the
// root; ".." does not climb above the root. After maxLinkHops symlinks (a
// loop) the path is returned as far as it was resolved.
func (s *Stack) resolveParents(name string) string {
	for hops := 0; hops < maxLinkHops; hops++ {
		l, at := s.symlinkAt(name, false)
		if l == nil {
			return name
		}
		target := l.target
		if !strings.HasPrefix(target, "/") {
			target = path.Join(path.Dir(at), target)
		}
		name = strings.TrimPrefix(path.Clean("/"+target+"/"+name[len(at)+1:]), "/")
	}
	return name
}
