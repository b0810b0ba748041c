package debresolve

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/strictjson"
)

// LockVersion is the version of the lock format written by WriteLock.
const LockVersion = 1

// Lock is the content of a lock file. Everything in it comes from the
// command line and the indexes, so the same inputs give the same bytes.
type Lock struct {
	LockVersion int    `json:"lock_version"`
	Arch        string `json:"arch"`
	// Roots, Exclude and Indexes are recorded as given, in order.
	Roots    []string        `json:"roots"`
	Exclude  []string        `json:"exclude"`
	Indexes  []string        `json:"indexes"`
	Packages []LockedPackage `json:"packages"`
	// Dropped lists the packages left out because the base image has them
	// (deb lock --exclude-installed); absent when there are none.
	Dropped []DroppedPackage `json:"dropped,omitempty"`
	// ImportedFrom names the tool whose lock this one was converted from
	// (deb import-lock); absent for a lock resolved here.
	ImportedFrom string `json:"imported_from,omitempty"`
}

// DroppedPackage is a package of the base image the closure relies on.
type DroppedPackage struct {
	Name string `json:"name"`
	Arch string `json:"arch"`
	// BaseVersion is the base's; IndexVersion what the lock would have
	// taken without the base ("" if the indexes have none).
	BaseVersion  string `json:"base_version"`
	IndexVersion string `json:"index_version"`
	// RequiredBy names the locked packages depending on it, and
	// "(requested)" if it was asked for, sorted.
	RequiredBy []string `json:"required_by"`
}

// DroppedPackages renders Resolution.Dropped for the lock.
func DroppedPackages(ds []Dropped) []DroppedPackage {
	var out []DroppedPackage
	for _, d := range ds {
		out = append(out, DroppedPackage{Name: d.Name, Arch: d.Arch, BaseVersion: d.Version, IndexVersion: d.IndexVersion, RequiredBy: nonNil(d.RequiredBy)})
	}
	return out
}

// LockedPackage is one package of the closure.
type LockedPackage struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Arch     string `json:"arch"`
	Filename string `json:"filename"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	// Depends names the locked packages satisfying its Pre-Depends and
	// Depends, sorted.
	Depends []string `json:"depends"`
	// Index is the source (as in Indexes) the package was read from; the
	// first one if several list it.
	Index string `json:"index"`
}

// NewLock makes the lock for a resolution. Nil lists become empty ones so
// that the JSON always has the same shape.
func NewLock(arch string, req Request, indexes []string, pkgs []Resolved) *Lock {
	l := &Lock{
		LockVersion: LockVersion,
		Arch:        arch,
		Roots:       nonNil(req.Roots),
		Exclude:     nonNil(req.Exclude),
		Indexes:     nonNil(indexes),
		Packages:    make([]LockedPackage, 0, len(pkgs)),
	}
	for _, p := range pkgs {
		l.Packages = append(l.Packages, LockedPackage{
			Name:     p.Name,
			Version:  p.Version,
			Arch:     p.Arch,
			Filename: p.Filename,
			SHA256:   p.SHA256,
			Size:     p.Size,
			Depends:  nonNil(p.Depends),
			Index:    p.Index,
		})
	}
	return l
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Encode writes the lock as JSON indented by two spaces, with a trailing
// newline and without HTML escaping.
func (l *Lock) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(l); err != nil {
		return fmt.Errorf("writing lock: %w", err)
	}
	return nil
}

// DecodeLock reads a lock written by Encode, rejecting unknown fields and
// other lock versions.
func DecodeLock(r io.Reader) (*Lock, error) {
	data, err := budget.ReadAll(r, budget.SpecJSONBytes)
	if err != nil {
		return nil, fmt.Errorf("reading lock: %w", err)
	}
	var l Lock
	if err := strictjson.UnmarshalKnown(data, &l); err != nil {
		return nil, fmt.Errorf("parsing lock: %w", err)
	}
	if l.LockVersion != LockVersion {
		return nil, fmt.Errorf("lock_version %d is not supported (want %d)", l.LockVersion, LockVersion)
	}
	return &l, nil
}
