// Package debresolve resolves the dependency closure of Debian binary
// packages from Packages indexes the way apt does on an empty system, and
// writes the result as a lock file.
package debresolve

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/rules-odp/rules_odp/tools/internal/deb822"
	"github.com/rules-odp/rules_odp/tools/internal/debver"
)

// Package is one paragraph of a Packages index: one version of one binary
// package.
type Package struct {
	Name string
	// Version is spelled as in the index; Parsed is what it compares as.
	Version  string
	Parsed   debver.Version
	Arch     string
	Filename string // pool path, relative to the mirror base
	SHA256   string
	Size     int64
	// MultiArch is "", "no", "same", "foreign" or "allowed".
	MultiArch string
	Essential bool
	// Important is the "Important: yes" flag apt uses for packages that
	// should not be removed; it ranks providers like Essential.
	Important  bool
	Priority   string
	PreDepends []debver.OrGroup
	Depends    []debver.OrGroup
	Provides   []debver.Relation
	// Index is the index the package was read from, as given.
	Index string
}

func (p *Package) String() string { return p.Name + " " + p.Version + " (" + p.Arch + ")" }

// groups are the dependencies the closure follows, in the order apt
// visits them: Pre-Depends before Depends.
func (p *Package) groups() []debver.OrGroup {
	if len(p.PreDepends) == 0 {
		return p.Depends
	}
	return append(append([]debver.OrGroup(nil), p.PreDepends...), p.Depends...)
}

var sha256Re = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ParsePackage reads a Packages paragraph. Fields the resolver and the lock
// need are mandatory.
func ParsePackage(para deb822.Paragraph) (*Package, error) {
	p := &Package{
		Name:      para.Get("Package"),
		Version:   para.Get("Version"),
		Arch:      para.Get("Architecture"),
		Filename:  para.Get("Filename"),
		SHA256:    para.Get("SHA256"),
		MultiArch: para.Get("Multi-Arch"),
		Priority:  para.Get("Priority"),
	}
	for _, f := range []struct{ name, val string }{
		{"Package", p.Name}, {"Version", p.Version}, {"Architecture", p.Arch},
		{"Filename", p.Filename}, {"SHA256", p.SHA256}, {"Size", para.Get("Size")},
	} {
		if f.val == "" {
			if p.Name != "" {
				return nil, fmt.Errorf("package %q has no %s field", p.Name, f.name)
			}
			return nil, fmt.Errorf("paragraph has no %s field", f.name)
		}
	}
	if err := debver.CheckName(p.Name); err != nil {
		return nil, err
	}
	wrap := func(err error) error { return fmt.Errorf("package %s %s: %w", p.Name, p.Version, err) }
	var err error
	if p.Parsed, err = debver.Parse(p.Version); err != nil {
		return nil, wrap(err)
	}
	if !sha256Re.MatchString(p.SHA256) {
		return nil, wrap(fmt.Errorf("SHA256 %q is not 64 lowercase hex digits", p.SHA256))
	}
	if p.Size, err = strconv.ParseInt(para.Get("Size"), 10, 64); err != nil || p.Size < 0 {
		return nil, wrap(fmt.Errorf("invalid Size %q", para.Get("Size")))
	}
	switch p.MultiArch {
	case "", "no", "same", "foreign", "allowed":
	default:
		return nil, wrap(fmt.Errorf("invalid Multi-Arch %q", p.MultiArch))
	}
	if p.Essential, err = yesNo(para, "Essential"); err != nil {
		return nil, wrap(err)
	}
	if p.Important, err = yesNo(para, "Important"); err != nil {
		return nil, wrap(err)
	}
	if s := para.Get("Pre-Depends"); s != "" {
		if p.PreDepends, err = debver.ParseDepends(s); err != nil {
			return nil, wrap(fmt.Errorf("field Pre-Depends: %w", err))
		}
	}
	if s := para.Get("Depends"); s != "" {
		if p.Depends, err = debver.ParseDepends(s); err != nil {
			return nil, wrap(fmt.Errorf("field Depends: %w", err))
		}
	}
	if s := para.Get("Provides"); s != "" {
		if p.Provides, err = debver.ParseProvides(s); err != nil {
			return nil, wrap(fmt.Errorf("field Provides: %w", err))
		}
	}
	return p, nil
}

func yesNo(para deb822.Paragraph, field string) (bool, error) {
	switch v := para.Get(field); v {
	case "", "no":
		return false, nil
	case "yes":
		return true, nil
	default:
		return false, fmt.Errorf("invalid %s %q (want yes or no)", field, v)
	}
}

// priorityRank orders the Priority field as apt's CompareProviders does:
// required first, unknown values last.
func priorityRank(p string) int {
	switch p {
	case "required":
		return 1
	case "important":
		return 2
	case "standard":
		return 3
	case "optional":
		return 4
	case "extra":
		return 5
	}
	return 6
}
