// Package filespec turns an explicit list of "path in the image <- source"
// into layer entries: the input of `odptool layer files`, which writes
// workload layers such as the seed's binary_tar.tar.
package filespec

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
	"github.com/rules-odp/rules_odp/tools/internal/strictjson"
)

// Item is one line of a spec. Exactly one of Src (a file or a directory to
// copy recursively), Type "dir" or Type "symlink" (with Target) applies.
type Item struct {
	// Path in the image, absolute ("/app.jar") or relative to the root.
	Path string `json:"path"`
	// Src is a file, or a directory whose contents are copied under Path.
	Src string `json:"src,omitempty"`
	// Type is "file" (the default when Src is set), "dir" or "symlink".
	Type string `json:"type,omitempty"`
	// Target of a symlink, kept verbatim.
	Target string `json:"target,omitempty"`
	// Mode as an octal string ("0755"). Empty means: 0755 for directories
	// and for sources whose owner may execute them, 0644 otherwise — never
	// the umask-dependent group/other bits of the source.
	Mode string `json:"mode,omitempty"`
	UID  int    `json:"uid,omitempty"`
	GID  int    `json:"gid,omitempty"`
}

// Parse reads a spec: a JSON array of Items. Unknown fields are errors, so
// a misspelt "mdoe" does not silently fall back to a default.
func Parse(data []byte) ([]Item, error) {
	var items []Item
	if err := strictjson.UnmarshalKnown(data, &items); err != nil {
		return nil, fmt.Errorf("parsing file spec: %w", err)
	}
	return items, nil
}

// ParseFlag parses the short form IMAGE_PATH=SRC[:MODE] of --file.
func ParseFlag(v string) (Item, error) {
	dst, src, ok := strings.Cut(v, "=")
	if !ok || dst == "" || src == "" {
		return Item{}, fmt.Errorf("--file %q: want IMAGE_PATH=SRC[:MODE]", v)
	}
	it := Item{Path: dst, Src: src}
	if i := strings.LastIndexByte(src, ':'); i >= 0 {
		if _, err := parseMode(src[i+1:]); err == nil {
			it.Src, it.Mode = src[:i], src[i+1:]
		}
	}
	return it, nil
}

// Entries resolves items into layer entries. Sources are stat'ed now and
// opened when the layer is written; symlinked sources (Bazel's sandboxes
// are full of them) are followed.
func Entries(items []Item) ([]layer.Entry, error) {
	var out []layer.Entry
	for _, it := range items {
		dst, err := layer.CleanPath(strings.TrimPrefix(it.Path, "/"))
		if err != nil {
			return nil, fmt.Errorf("item %q: %w", it.Path, err)
		}
		mode, err := parseMode(it.Mode)
		if err != nil {
			return nil, fmt.Errorf("item %q: %w", it.Path, err)
		}
		if it.UID < 0 || it.GID < 0 || it.UID > layer.MaxOwnerID || it.GID > layer.MaxOwnerID {
			return nil, fmt.Errorf("item %q: owner %d:%d is outside [0, %d], what a USTAR header holds (layers carry no PAX uid/gid records)", it.Path, it.UID, it.GID, layer.MaxOwnerID)
		}
		owner := func(e layer.Entry) layer.Entry { e.UID, e.GID = it.UID, it.GID; return e }
		switch it.Type {
		case "dir":
			if it.Src != "" || it.Target != "" {
				return nil, fmt.Errorf("item %q: a dir takes neither src nor target", it.Path)
			}
			out = append(out, owner(layer.Entry{Path: dst, Type: layer.TypeDir, Mode: orDefault(mode, 0o755)}))
		case "symlink":
			if it.Target == "" || it.Src != "" {
				return nil, fmt.Errorf("item %q: a symlink takes a target and no src", it.Path)
			}
			out = append(out, owner(layer.Entry{Path: dst, Type: layer.TypeSymlink, Link: it.Target}))
		case "", "file":
			if it.Src == "" {
				return nil, fmt.Errorf("item %q: no src given", it.Path)
			}
			entries, err := fromSource(dst, it.Src, mode)
			if err != nil {
				return nil, fmt.Errorf("item %q: %w", it.Path, err)
			}
			for _, e := range entries {
				out = append(out, owner(e))
			}
		default:
			return nil, fmt.Errorf("item %q: unknown type %q (want file, dir or symlink)", it.Path, it.Type)
		}
	}
	return out, nil
}

func fromSource(dst, src string, mode uint32) ([]layer.Entry, error) {
	st, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("reading source: %w", err)
	}
	if st.Mode().IsRegular() {
		return []layer.Entry{fileEntry(dst, src, st, mode)}, nil
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("source %w", budget.CheckRegular(src, st))
	}
	// Symlinks inside the directory are followed only when they stay
	// inside it (budget.Tree); a loop of them is an error.
	tree, err := budget.NewTree(src)
	if err != nil {
		return nil, fmt.Errorf("reading source: %w", err)
	}
	out := []layer.Entry{{Path: dst, Type: layer.TypeDir, Mode: 0o755}}
	var walk func(dir, rel, under string, ancestors []string) error
	walk = func(dir, rel, under string, ancestors []string) error {
		names, err := readDirNames(dir)
		if err != nil {
			return err
		}
		for _, name := range names {
			p := filepath.Join(dir, name)
			r := path.Join(rel, name)
			lst, err := os.Lstat(p)
			if err != nil {
				return fmt.Errorf("reading source: %w", err)
			}
			real := p
			if lst.Mode()&os.ModeSymlink != 0 {
				if real, err = tree.Follow(p, r); err != nil {
					return err
				}
			}
			st, err := os.Stat(real)
			if err != nil {
				return fmt.Errorf("reading source: %w", err)
			}
			sub := path.Join(under, name)
			switch {
			case st.Mode().IsRegular():
				out = append(out, fileEntry(sub, real, st, mode))
			case st.IsDir():
				resolved, err := filepath.EvalSymlinks(real)
				if err != nil {
					return fmt.Errorf("reading source: %w", err)
				}
				for _, a := range ancestors {
					if a == resolved {
						return fmt.Errorf("source %q: symlink loop back to %q", p, a)
					}
				}
				out = append(out, layer.Entry{Path: sub, Type: layer.TypeDir, Mode: 0o755})
				if err := walk(p, r, sub, append(ancestors, resolved)); err != nil {
					return err
				}
			default:
				return budget.CheckRegular(p, st)
			}
		}
		return nil
	}
	if err := walk(src, "", dst, []string{tree.Real()}); err != nil {
		return nil, err
	}
	return out, nil
}

func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("reading source directory: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("reading source directory %q: %w", dir, err)
	}
	sort.Strings(names)
	return names, nil
}

func fileEntry(dst, src string, st fs.FileInfo, mode uint32) layer.Entry {
	if mode == 0 {
		mode = 0o644
		if st.Mode().Perm()&0o100 != 0 {
			mode = 0o755
		}
	}
	return layer.Entry{
		Path: dst, Type: layer.TypeFile, Mode: mode, Size: st.Size(),
		Open: func() (io.ReadCloser, error) { return budget.Open(src) },
	}
}

func parseMode(s string) (uint32, error) {
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0o7777 || v == 0 {
		return 0, fmt.Errorf("mode %q is not an octal permission like 0644", s)
	}
	return uint32(v), nil
}

func orDefault(v, def uint32) uint32 {
	if v == 0 {
		return def
	}
	return v
}
