package image

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/dpkgdb"
)

// The ownership checks. A base built from Debian packages records which
// package owns which file (dpkg's info/<pkg>.list and .md5sums, or the
// status.d/<pkg>.md5sums records distroless and our repacker write). A
// layer that writes one of those files replaces it in the container's view:
// the base's package is then broken (a newer libc6 over a base's older
// one, or another package's file of the same name), silently. So an added
// layer may write a path a base package owns only if the layer installs
// that same package (a deb layer re-installing it); a layer without dpkg
// records (a workload layer) may not at all. Paths no package owns, and
// configuration files (Conffiles), are free. The check reads what the
// masking check's scan already read: the base is read once.

// OwnershipError says that a layer would overwrite a file that a package
// of the base owns.
type OwnershipError struct {
	// Layer names the layer (`layer "FILE"`), Entry its entry.
	Layer, Entry string
	// Path is the base's file, as the base's package lists it.
	Path string
	// Owners are the base's packages owning Path, with their versions
	// ("libc6 2.36-9+deb12u9").
	Owners []string
	// Packages are the packages the layer installs (its dpkg records);
	// none for a workload layer.
	Packages []string
}

func (e *OwnershipError) Error() string {
	if len(e.Packages) == 0 {
		return fmt.Sprintf("%s (no Debian package): entry %q would overwrite /%s, a file of the base's package %s: "+
			"the package would be broken unseen; put the file elsewhere, or use a base without that package",
			e.Layer, e.Entry, e.Path, strings.Join(e.Owners, ", "))
	}
	return fmt.Sprintf("%s%s: entry %q would overwrite /%s, a file of the base's package %s, not of the layer's: "+
		"the base's package would be broken unseen; leave the layer's package out (odptool deb lock --exclude-installed BASE_LAYOUT), "+
		"or use a base without the other package",
		e.Layer, packagesNote(e.Packages), e.Entry, e.Path, strings.Join(e.Owners, ", "))
}

// MergedUsrError says that a layer repacked for a merged-/usr base
// (lib/x moved to usr/lib/x) is added to a base whose /lib is a real
// directory: the files would exist twice, and the base's copies under /lib
// would still be the ones loaded.
type MergedUsrError struct {
	Layer string
	// Package is the layer's package whose md5sums list Path.
	Package string
	// Path is the package's path, LayerPath where the layer holds it.
	Path, LayerPath string
	// Dir is the base's top-level directory ("lib", "bin", ...).
	Dir string
	// More counts the further paths of the layer in the same case.
	More int
}

func (e *MergedUsrError) Error() string {
	more := ""
	if e.More > 0 {
		more = fmt.Sprintf(" (and %d more paths)", e.More)
	}
	return fmt.Sprintf("%s (package %s) was repacked for a merged-/usr base: it holds the package's /%s as /%s%s, "+
		"but /%s of the base is a real directory, not a symlink to usr/%s, so the image would hold a second copy under /usr "+
		"that nothing finds; repack the package without merged /usr (deb_layer merged_usr = False, odptool deb repack --merged-usr=false)",
		e.Layer, e.Package, e.Path, e.LayerPath, more, e.Dir, e.Dir)
}

// mergedUsrDirs are the top-level directories usrmerge turns into
// symlinks into /usr (those our repacker rewrites).
var mergedUsrDirs = map[string]bool{
	"bin": true, "sbin": true, "lib": true, "lib32": true, "lib64": true, "libx32": true, "libo32": true,
}

// dpkgEntries are the entries of a layer that matter to a dpkgdb.View.
func dpkgEntries(entries []tarEntry) []dpkgdb.Entry {
	var out []dpkgdb.Entry
	for _, e := range entries {
		if !dpkgdb.InDatabase(e.name) {
			continue
		}
		k := dpkgdb.Other
		switch e.kind {
		case entryDir:
			k = dpkgdb.Dir
		case entryWhiteout:
			k = dpkgdb.Whiteout
		case entryOpaque:
			k = dpkgdb.Opaque
		}
		out = append(out, dpkgdb.Entry{Path: e.name, Kind: k, Data: e.data})
	}
	return out
}

// layerDB is the dpkg database a single layer carries.
func layerDB(entries []tarEntry) (*dpkgdb.DB, error) {
	var v dpkgdb.View
	if err := v.Apply(dpkgEntries(entries)); err != nil {
		return nil, err
	}
	return v.DB()
}

// packageNames lists the names of the packages of db, without repeats.
func packageNames(db *dpkgdb.DB) []string {
	var out []string
	for _, r := range db.Packages {
		if !slices.Contains(out, r.Package) {
			out = append(out, r.Package)
		}
	}
	return out
}

// topDirs follows what the base has at the top-level directories of
// mergedUsrDirs: a directory, a symlink, or nothing.
type topDirs map[string]entryKind

func (t topDirs) apply(entries []tarEntry) {
	for _, e := range entries {
		switch {
		case e.kind == entryOpaque && e.name == ".":
			clear(t)
		case e.kind == entryWhiteout && mergedUsrDirs[e.name]:
			delete(t, e.name)
		}
	}
	for _, e := range entries {
		if e.kind == entryWhiteout || e.kind == entryOpaque {
			continue
		}
		top, rest, _ := strings.Cut(e.name, "/")
		switch {
		case !mergedUsrDirs[top]:
		case rest == "":
			t[top] = e.kind
		default:
			if _, ok := t[top]; !ok {
				t[top] = entryDir // made by the entries below it
			}
		}
	}
}

// baseOwners maps the paths of the base's packages, with the base's
// symlinks among their parents followed (a package of a merged-/usr base
// lists /lib/x, which is usr/lib/x), to their owners.
type baseOwners struct {
	owners map[string][]string
	// links are the base's symlinks at owned paths: a layer writing the
	// same symlink changes nothing.
	links    map[string]string
	versions map[string]string
}

func newBaseOwners(db *dpkgdb.DB, s *Stack) *baseOwners {
	b := &baseOwners{owners: map[string][]string{}, links: map[string]string{}, versions: map[string]string{}}
	for _, r := range db.Packages {
		if v, ok := b.versions[r.Package]; !ok || v == r.Version {
			b.versions[r.Package] = r.Version
		} else {
			b.versions[r.Package] = v + "/" + r.Version
		}
	}
	db.OwnedPaths(func(p string, owners []string) {
		c := s.resolveParents(p)
		for _, o := range owners {
			if !slices.Contains(b.owners[c], o) {
				b.owners[c] = append(b.owners[c], o)
			}
		}
		if n := s.find(c); n != nil && n.link != nil {
			b.links[c] = n.link.target
		}
	})
	for _, o := range b.owners {
		slices.Sort(o)
	}
	return b
}

// check refuses a layer entry that overwrites a file of a base package
// the layer does not install.
func (b *baseOwners) check(label string, pkgs []string, entries []tarEntry) error {
	if len(b.owners) == 0 {
		return nil
	}
	for _, e := range entries {
		if e.kind != entryOther && e.kind != entrySymlink {
			continue
		}
		owners := b.owners[e.name]
		if len(owners) == 0 || slices.ContainsFunc(owners, func(o string) bool { return slices.Contains(pkgs, o) }) {
			continue
		}
		if t, ok := b.links[e.name]; ok && e.kind == entrySymlink && path.Clean(t) == path.Clean(e.link) {
			continue
		}
		named := make([]string, len(owners))
		for i, o := range owners {
			named[i] = o + " " + b.versions[o]
		}
		return &OwnershipError{Layer: label, Entry: e.name, Path: e.name, Owners: named, Packages: pkgs}
	}
	return nil
}

// checkMergedUsr refuses a layer whose package's files under bin/, sbin/
// or lib*/ (its md5sums) it holds under usr/ instead, over a base where
// that directory is real.
func checkMergedUsr(label string, db *dpkgdb.DB, entries []tarEntry, tops topDirs) error {
	var moved []string
	held := map[string]bool{}
	for _, e := range entries {
		if e.kind != entryDir {
			held[e.name] = true
		}
	}
	owner := map[string]string{}
	db.OwnedPaths(func(p string, owners []string) {
		top, rest, _ := strings.Cut(p, "/")
		if rest == "" || !mergedUsrDirs[top] || tops[top] != entryDir || held[p] || !held["usr/"+p] {
			return
		}
		moved = append(moved, p)
		owner[p] = owners[0]
	})
	if len(moved) == 0 {
		return nil
	}
	slices.Sort(moved)
	p := moved[0]
	top, _, _ := strings.Cut(p, "/")
	return &MergedUsrError{Layer: label, Package: owner[p], Path: p, LayerPath: "usr/" + p, Dir: top, More: len(moved) - 1}
}

// checkStack stacks the base layers and then the added ones: no layer may
// hide a symlink of the layers below it (MaskError), and no added layer
// may overwrite a file of a base package it does not install
// (OwnershipError) or hold a merged-/usr copy of files a non-merged base
// keeps under /lib (MergedUsrError).
func checkStack(base *Image, scan *baseScan, paths []string, added [][]tarEntry) error {
	baseEntries, err := scan.wait()
	if err != nil {
		return err
	}
	var s Stack
	var view dpkgdb.View
	tops := topDirs{}
	for i, entries := range baseEntries {
		label := baseLayerLabel(i, base.Manifest.Layers[i].Digest)
		if err := s.apply(label, entries); err != nil {
			return fmt.Errorf("base %q: %w", base.Layout, withPackages(err, entries))
		}
		if err := view.Apply(dpkgEntries(entries)); err != nil {
			return fmt.Errorf("base %q: %s: %w", base.Layout, label, err)
		}
		tops.apply(entries)
	}
	owners := &baseOwners{}
	if base != nil {
		db, err := view.DB()
		if err != nil {
			return fmt.Errorf("base %q: reading its dpkg database: %w", base.Layout, err)
		}
		owners = newBaseOwners(db, &s)
	}
	for i, entries := range added {
		label := fileLayerLabel(paths[i])
		db, err := layerDB(entries)
		if err != nil {
			return fmt.Errorf("%s: reading its dpkg records: %w", label, err)
		}
		pkgs := packageNames(db)
		if err := s.apply(label, entries); err != nil {
			var me *MaskError
			if errors.As(err, &me) {
				me.Packages = pkgs
			}
			return err
		}
		if err := checkMergedUsr(label, db, entries, tops); err != nil {
			return err
		}
		if err := owners.check(label, pkgs, entries); err != nil {
			return err
		}
	}
	return nil
}

// withPackages names the packages of the layer in a MaskError.
func withPackages(err error, entries []tarEntry) error {
	var me *MaskError
	if errors.As(err, &me) {
		if db, dbErr := layerDB(entries); dbErr == nil {
			me.Packages = packageNames(db)
		}
	}
	return err
}

// InstalledPackages reads the dpkg database of the image for platform in
// the OCI layout: every layer in order, verified against its digest and
// diff_id as a base image is, whiteouts applied, as the container would
// see var/lib/dpkg.
func InstalledPackages(layout string, platform Platform) (*dpkgdb.DB, error) {
	img, err := ReadImage(layout, platform)
	if err != nil {
		return nil, err
	}
	diffIDs, err := configDiffIDs(img.RawConfig)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %q: %w", layout, err)
	}
	if len(diffIDs) != len(img.Manifest.Layers) {
		return nil, fmt.Errorf("OCI layout %q: config lists %d diff_ids but its manifest has %d layers", layout, len(diffIDs), len(img.Manifest.Layers))
	}
	var run budget.Run
	var kept budget.Kept
	layers, err := startBaseScan(img, diffIDs, false, &run, &kept).wait()
	if err != nil {
		return nil, err
	}
	var v dpkgdb.View
	for i, entries := range layers {
		if err := v.Apply(dpkgEntries(entries)); err != nil {
			return nil, fmt.Errorf("OCI layout %q: %s: %w", layout, baseLayerLabel(i, img.Manifest.Layers[i].Digest), err)
		}
	}
	db, err := v.DB()
	if err != nil {
		return nil, fmt.Errorf("OCI layout %q: reading its dpkg database: %w", layout, err)
	}
	return db, nil
}
