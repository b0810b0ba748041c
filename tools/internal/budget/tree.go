package budget

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Tree is a source directory whose files are copied into a layer (a
// directory of `odptool layer files`, a tree artifact of runfiles). A
// symlink inside it is followed only if it stays inside it: a link to
// ~/.ssh/id_rsa or /etc/shadow must not copy a file of the build machine
// into an image.
//
// One exception keeps Bazel's sandboxes working: there a tree artifact's
// files are staged as symlinks to the same path under the real output
// tree (SRC/REL -> /.../execroot/WS/SRC/REL). A link whose target is
// absolute and ends in exactly the path it is staged at (the tree as
// given, relative, then REL) is such a staging link and is followed.
type Tree struct {
	arg  string // as given
	real string // with every symlink resolved
}

// NewTree resolves the source directory arg (itself possibly a symlink).
func NewTree(arg string) (*Tree, error) {
	real, err := filepath.EvalSymlinks(arg)
	if err != nil {
		return nil, err
	}
	return &Tree{arg: arg, real: real}, nil
}

// Follow checks the symlink at path, which is rel (slash-separated) below
// the tree, and returns the path it resolves to.
func (t *Tree) Follow(path, rel string) (string, error) {
	target, err := os.Readlink(path)
	if err != nil {
		return "", err
	}
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("symlink %q -> %q: %w", path, target, err)
	}
	if within(t.real, resolved) {
		return resolved, nil
	}
	if !filepath.IsAbs(t.arg) && filepath.IsAbs(target) {
		staged := string(filepath.Separator) + filepath.Join(filepath.Clean(t.arg), filepath.FromSlash(rel))
		if strings.HasSuffix(filepath.Clean(target), staged) {
			return resolved, nil
		}
	}
	return "", fmt.Errorf("symlink %q points to %q (%s), outside the source directory %q: refusing to copy a file of the build machine into a layer; "+
		"copy the file into the directory, or give it as a file of its own", path, target, resolved, t.arg)
}

func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Real is the tree's own path with every symlink resolved.
func (t *Tree) Real() string { return t.real }
