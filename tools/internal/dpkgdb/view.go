package dpkgdb

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
)

// Entry is what View needs of one tar entry of a layer.
type Entry struct {
	// Path is clean and relative to the root; for a whiteout the path it
	// deletes, for an opaque marker the directory it empties.
	Path string
	Kind EntryKind
	// Data is the content of a database file (Classify says which), nil
	// for anything else.
	Data []byte
}

// EntryKind is the kind of an Entry.
type EntryKind uint8

const (
	// Other is a regular file, link or anything but a directory.
	Other EntryKind = iota
	Dir
	// Whiteout deletes Path from the layers below.
	Whiteout
	// Opaque deletes what the layers below have under Path.
	Opaque
)

// View is the dpkg database of a stack of layers, as a container sees it.
// The zero value is empty.
type View struct {
	files map[string][]byte
	// under counts the files below each directory of files, so that
	// replacing a file does not scan the whole view.
	under map[string]int
	held  int64
}

// InDatabase reports whether p is, or is a directory above, a file of
// the database: only such paths matter to a View.
func InDatabase(p string) bool {
	const root = "var/lib/dpkg"
	return p == "." || p == root || strings.HasPrefix(p, root+"/") || strings.HasPrefix(root, p+"/")
}

// Apply stacks one layer's entries. Whiteouts act on the layers below
// only, wherever they are in the tar (OCI image spec), so they are applied
// first; then each entry replaces what was at its path (a directory
// replaces nothing), a database file keeping its content.
func (v *View) Apply(entries []Entry) error {
	if v.files == nil {
		v.files, v.under = map[string][]byte{}, map[string]int{}
	}
	for _, e := range entries {
		switch e.Kind {
		case Whiteout:
			v.remove(e.Path, true)
		case Opaque:
			v.remove(e.Path, false)
		}
	}
	for _, e := range entries {
		if e.Kind != Other || !InDatabase(e.Path) {
			continue
		}
		v.remove(e.Path, true)
		if e.Data != nil {
			if v.held += int64(len(e.Data)); v.held > budget.DpkgTotalBytes {
				return fmt.Errorf("%s: %w", e.Path, &budget.Error{Budget: "bytes of dpkg database files held at once", Limit: budget.DpkgTotalBytes, Got: v.held})
			}
			v.put(e.Path, e.Data)
		}
	}
	return nil
}

func (v *View) put(p string, data []byte) {
	v.files[p] = data
	for d := parent(p); d != ""; d = parent(d) {
		v.under[d]++
	}
}

func (v *View) delete(p string) {
	v.held -= int64(len(v.files[p]))
	delete(v.files, p)
	for d := parent(p); d != ""; d = parent(d) {
		if v.under[d]--; v.under[d] == 0 {
			delete(v.under, d)
		}
	}
}

func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ""
	}
	return p[:i]
}

// remove deletes what the view has below p, and p itself if self.
func (v *View) remove(p string, self bool) {
	if !InDatabase(p) {
		return
	}
	if _, ok := v.files[p]; ok && self {
		v.delete(p)
	}
	if p != "." && v.under[p] == 0 {
		return
	}
	for k := range v.files {
		if p == "." || strings.HasPrefix(k, p+"/") {
			v.delete(k)
		}
	}
}

// DB is a parsed dpkg database.
type DB struct {
	// Packages are the installed packages, sorted by name and
	// architecture. A package with a record in status.d and a paragraph in
	// the status file is listed once, as status.d says: records are what
	// layers added on top of a dpkg-made base write.
	Packages []Record
	// owners maps a path to the names of the installed packages listing
	// it, sorted; conffiles holds the paths that are some package's
	// configuration file.
	owners    map[string][]string
	conffiles map[string]bool
}

// DB parses the database files of the view. A file that does not parse is
// an error naming it.
func (v *View) DB() (*DB, error) {
	paths := make([]string, 0, len(v.files))
	for p := range v.files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	type key struct{ name, arch string }
	fromRecord := map[key]Record{}
	fromStatus := map[key]Record{}
	lists := map[string][]string{} // package -> paths
	for _, p := range paths {
		kind, pkg, err := Classify(p)
		if err != nil {
			return nil, err
		}
		data := v.files[p]
		switch kind {
		case Status, StatusRecord:
			recs, err := ParseStatus(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			into := fromStatus
			if kind == StatusRecord {
				into = fromRecord
			}
			for _, r := range recs {
				k := key{r.Package, r.Architecture}
				if prev, dup := into[k]; dup && prev.Version != r.Version {
					return nil, fmt.Errorf("%s: %s (%s) is installed in versions %s and %s", p, r.Package, r.Architecture, prev.Version, r.Version)
				}
				into[k] = r
			}
		case MD5Sums, List:
			parse := ParseMD5Sums
			if kind == List {
				parse = ParseList
			}
			files, err := parse(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			lists[pkg] = append(lists[pkg], files...)
		}
	}
	for k, r := range fromStatus {
		if _, ok := fromRecord[k]; !ok {
			fromRecord[k] = r
		}
	}
	db := &DB{owners: map[string][]string{}, conffiles: map[string]bool{}}
	installed := map[string]bool{}
	for _, r := range fromRecord {
		db.Packages = append(db.Packages, r)
		installed[r.Package] = true
		for _, c := range r.Conffiles {
			db.conffiles[c] = true
		}
	}
	slices.SortFunc(db.Packages, func(a, b Record) int {
		return cmp.Or(cmp.Compare(a.Package, b.Package), cmp.Compare(a.Architecture, b.Architecture))
	})
	for pkg, files := range lists {
		// The lists of a package that is not installed (left behind, or
		// of a removed package's configuration) own nothing.
		if !installed[pkg] {
			continue
		}
		for _, f := range files {
			if o := db.owners[f]; !slices.Contains(o, pkg) {
				db.owners[f] = append(o, pkg)
			}
		}
	}
	for _, o := range db.owners {
		slices.Sort(o)
	}
	return db, nil
}

// Owners returns the installed packages whose file lists hold p (clean,
// relative to the root), sorted; nil if none, or if p is a configuration
// file (see Record.Conffiles).
func (db *DB) Owners(p string) []string {
	if db.conffiles[p] {
		return nil
	}
	return db.owners[p]
}

// OwnedPaths calls f for every path some installed package owns (see
// Owners), in no particular order.
func (db *DB) OwnedPaths(f func(p string, owners []string)) {
	for p, o := range db.owners {
		if !db.conffiles[p] {
			f(p, o)
		}
	}
}
