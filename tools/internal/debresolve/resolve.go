package debresolve

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/debver"
)

// Request says what to resolve.
type Request struct {
	// Roots are the packages to install, by name.
	Roots []string
	// Exclude names packages that are taken as present already, in any
	// version (typically because the base image has them): a dependency
	// any alternative of which names an excluded package, or is provided by
	// one, counts as satisfied, and excluded packages are never added.
	Exclude []string
	// Installed are the packages the base image has, in the version it
	// has them (its dpkg database): a dependency is satisfied by one only
	// if that version satisfies it, and none is ever added (a layer of it
	// would overwrite the base's files). A name listed in several versions
	// (several bases) must satisfy a dependency in every one. Exclude
	// takes precedence.
	Installed []Installed
}

// Installed is a package of the base image.
type Installed struct {
	Name, Version, Arch string
	// MultiArch and Provides are the fields of its dpkg status record.
	MultiArch, Provides string
}

// Resolution is the outcome of Solve.
type Resolution struct {
	// Packages is the closure, sorted by name.
	Packages []Resolved
	// Dropped are the installed packages the closure relies on instead of
	// locking them, sorted by name.
	Dropped []Dropped
}

// Dropped is an installed package that is requested or satisfies a
// dependency of the closure, and so is left out of it.
type Dropped struct {
	// Name, Version and Arch are as installed.
	Name, Version, Arch string
	// IndexVersion is the version the lock would take without
	// Request.Installed: from the resolution without it when that succeeds
	// and holds the package, else the highest version in the indexes; ""
	// if the indexes have none.
	IndexVersion string
	// RequiredBy names the packages of the closure whose dependencies it
	// satisfies, and "(requested)" if it is one of the roots, sorted.
	RequiredBy []string
}

// Resolved is a package of the closure.
type Resolved struct {
	*Package
	// Depends names, sorted and without duplicates, the packages of the
	// closure that satisfy this package's Pre-Depends and Depends.
	Depends []string
}

// UnsatisfiableError reports a dependency that no package can satisfy.
type UnsatisfiableError struct {
	Root string
	// Chain is the path of package names from Root to the package whose
	// dependency fails, both included.
	Chain []string
	// Dependency is the failing dependency as written ("a (>= 1) | b").
	Dependency string
	// Reason says why no alternative can be installed.
	Reason string
}

func (e *UnsatisfiableError) Error() string {
	return fmt.Sprintf("cannot resolve %q: %s depends on %q, which cannot be satisfied: %s",
		e.Root, strings.Join(e.Chain, " -> "), e.Dependency, e.Reason)
}

// Resolve computes the closure of req.Roots over Pre-Depends and Depends,
// sorted by name.
//
// It makes the choices apt makes when installing the roots with
// --no-install-recommends on a system with nothing installed: all roots are
// marked first, then their dependencies are visited depth first in the
// order the fields list them (Pre-Depends before Depends). A dependency that
// an already chosen package satisfies is not looked at further. Otherwise
// its solutions are tried in order, and the first that can be installed
// together with its own dependencies wins: per alternative, left to right,
// the package of that name if a version satisfies the relation, then the
// packages providing it, ranked as apt ranks providers (Essential,
// Important, Priority, then name). Each package is taken in the highest
// version that satisfies the relation that brought it in (together with
// the other relations on the same name in that package's dependencies).
func Resolve(ix *Index, req Request) ([]Resolved, error) {
	res, err := Solve(ix, req)
	if err != nil {
		return nil, err
	}
	return res.Packages, nil
}

// Solve is Resolve that also says which installed packages
// (Request.Installed) were relied on.
func Solve(ix *Index, req Request) (*Resolution, error) {
	s := &solver{ix: ix, exclude: map[string]bool{}, installed: map[string]*Package{}, base: map[string][]*Package{}, baseProviders: map[string][]provide{}}
	for _, name := range req.Exclude {
		if err := debver.CheckName(name); err != nil {
			return nil, fmt.Errorf("excluded package: %w", err)
		}
		s.exclude[name] = true
	}
	if err := s.addBase(req.Installed); err != nil {
		return nil, err
	}
	var roots []*Package
	for _, name := range req.Roots {
		if err := debver.CheckName(name); err != nil {
			return nil, fmt.Errorf("requested package: %w", err)
		}
		if s.exclude[name] {
			return nil, fmt.Errorf("package %q is both requested and excluded", name)
		}
		if b := s.baseSatisfier(debver.OrGroup{{Name: name}}); b != "" {
			s.use(b, "(requested)")
			continue
		}
		p, err := s.root(name)
		if err != nil {
			return nil, err
		}
		if _, dup := s.installed[p.Name]; !dup {
			s.mark(p)
			roots = append(roots, p)
		}
	}
	if len(roots) == 0 {
		if len(s.used) > 0 {
			return nil, fmt.Errorf("every requested package is installed in the base already (%s): nothing to lock", strings.Join(slices.Sorted(maps.Keys(s.used)), ", "))
		}
		return nil, fmt.Errorf("no packages requested")
	}
	for _, p := range roots {
		if err := s.installDeps(p, nil); err != nil {
			if s.steps > maxSteps {
				return nil, fmt.Errorf("resolving %q: gave up after %d attempts to install a package; the alternatives in the indexes make the search explode", p.Name, maxSteps)
			}
			err.Root = p.Name
			return nil, err
		}
	}
	res := &Resolution{Packages: s.result()}
	if len(s.used) == 0 {
		return res, nil
	}
	// What the lock would hold without the base.
	without := map[string]string{}
	if plain, err := Resolve(ix, Request{Roots: req.Roots, Exclude: req.Exclude}); err == nil {
		for _, p := range plain {
			without[p.Name] = p.Version
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.used)) {
		idx, ok := without[name]
		if vs := ix.Versions(name); !ok && len(vs) > 0 {
			idx = vs[0].Version
		}
		by := slices.Sorted(maps.Keys(s.used[name]))
		for _, b := range s.base[name] {
			res.Dropped = append(res.Dropped, Dropped{Name: name, Version: b.Version, Arch: b.Arch, IndexVersion: idx, RequiredBy: by})
		}
	}
	return res, nil
}

// addBase records the installed packages.
func (s *solver) addBase(installed []Installed) error {
	for _, in := range installed {
		if err := debver.CheckName(in.Name); err != nil {
			return fmt.Errorf("installed package: %w", err)
		}
		p := &Package{Name: in.Name, Version: in.Version, Arch: in.Arch, MultiArch: in.MultiArch}
		wrap := func(err error) error { return fmt.Errorf("installed package %s %s: %w", in.Name, in.Version, err) }
		var err error
		if p.Parsed, err = debver.Parse(in.Version); err != nil {
			return wrap(err)
		}
		if in.Provides != "" {
			if p.Provides, err = debver.ParseProvides(in.Provides); err != nil {
				return wrap(fmt.Errorf("field Provides: %w", err))
			}
		}
		if slices.ContainsFunc(s.base[p.Name], func(q *Package) bool { return q.Version == p.Version && q.Arch == p.Arch }) {
			continue
		}
		s.base[p.Name] = append(s.base[p.Name], p)
		for _, r := range p.Provides {
			s.baseProviders[r.Name] = append(s.baseProviders[r.Name], provide{p, r})
		}
	}
	return nil
}

// baseSatisfies reports whether the base has the package r names, in
// versions that all satisfy r.
func (s *solver) baseSatisfies(r debver.Relation) bool {
	bs := s.base[r.Name]
	if len(bs) == 0 {
		return false
	}
	for _, q := range bs {
		if !s.archOK(q, r) || !r.Satisfies(q.Parsed) {
			return false
		}
	}
	return true
}

// baseProvider returns the installed package that provides r, or "".
func (s *solver) baseProvider(r debver.Relation) string {
	for _, pr := range s.baseProviders[r.Name] {
		if s.provides(pr, r) {
			return pr.pkg.Name
		}
	}
	return ""
}

// baseSatisfier names the installed package that satisfies g, or "" if
// g's first satisfied alternative is not the base's (satisfier's order).
func (s *solver) baseSatisfier(g debver.OrGroup) string {
	for _, r := range g {
		switch {
		case s.exclude[r.Name]:
			return ""
		case s.baseSatisfies(r):
			return r.Name
		}
		if q := s.installed[r.Name]; q != nil && s.archOK(q, r) && r.Satisfies(q.Parsed) {
			return ""
		}
		if b := s.baseProvider(r); b != "" {
			return b
		}
		for _, pr := range s.ix.providers[r.Name] {
			if (s.installed[pr.pkg.Name] == pr.pkg || s.exclude[pr.pkg.Name]) && s.provides(pr, r) {
				return ""
			}
		}
	}
	return ""
}

// use records that the installed package name satisfies a dependency of
// the package by.
func (s *solver) use(name, by string) {
	if s.used == nil {
		s.used = map[string]map[string]bool{}
	}
	if s.used[name] == nil {
		s.used[name] = map[string]bool{}
	}
	s.used[name][by] = true
}

// maxSteps bounds the work of one resolution. Trying alternatives with
// rollback is exponential in the worst case; Debian's archive needs a few
// hundred steps for its largest closures, so hitting this means a
// pathological index, not a large request.
var maxSteps = 1_000_000

type solver struct {
	ix        *Index
	exclude   map[string]bool
	installed map[string]*Package
	order     []string // names in the order they were marked, for rollback
	steps     int
	// base holds the installed packages of the base image by name, and
	// baseProviders what they provide; used, the installed packages the
	// result relies on and the packages relying on them.
	base          map[string][]*Package
	baseProviders map[string][]provide
	used          map[string]map[string]bool
}

// root finds the package a requested name stands for. Like apt-get, it
// accepts a virtual package only when exactly one package provides it.
func (s *solver) root(name string) (*Package, error) {
	if vs := s.ix.Versions(name); len(vs) > 0 {
		return vs[0], nil
	}
	best := map[string]*Package{}
	for _, pr := range s.ix.providers[name] {
		if b := best[pr.pkg.Name]; b == nil || debver.Compare(pr.pkg.Parsed, b.Parsed) > 0 {
			best[pr.pkg.Name] = pr.pkg
		}
	}
	switch len(best) {
	case 0:
		return nil, fmt.Errorf("no package %q in the indexes for architecture %q", name, s.ix.arch)
	case 1:
		for _, p := range best {
			return p, nil
		}
	}
	names := make([]string, 0, len(best))
	for n := range best {
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("package %q is virtual and provided by %s: request one of them", name, strings.Join(names, ", "))
}

func (s *solver) mark(p *Package) {
	s.installed[p.Name] = p
	s.order = append(s.order, p.Name)
}

func (s *solver) rollback(n int) {
	for _, name := range s.order[n:] {
		delete(s.installed, name)
	}
	s.order = s.order[:n]
}

// install adds p and, recursively, what it needs; on failure it leaves the
// selection as it was.
func (s *solver) install(p *Package, chain []string) *UnsatisfiableError {
	if q, ok := s.installed[p.Name]; ok {
		if q == p {
			return nil
		}
		// solutions never offers another version of a chosen package.
		return &UnsatisfiableError{Chain: append(chain[:len(chain):len(chain)], p.Name), Reason: q.String() + " is already chosen"}
	}
	if s.steps++; s.steps > maxSteps {
		return &UnsatisfiableError{Chain: append(chain[:len(chain):len(chain)], p.Name), Reason: "too many attempts"}
	}
	// Like apt (IsInstallOkDependenciesSatisfiableByCandidates), refuse
	// early a package with a dependency nothing could satisfy, so that the
	// next alternative is tried before descending.
	for _, g := range p.groups() {
		if !s.satisfied(g) && len(s.solutions(p, g)) == 0 {
			return s.unsatisfiable(append(chain[:len(chain):len(chain)], p.Name), g)
		}
	}
	n := len(s.order)
	s.mark(p)
	if err := s.installDeps(p, chain); err != nil {
		s.rollback(n)
		return err
	}
	return nil
}

func (s *solver) installDeps(p *Package, chain []string) *UnsatisfiableError {
	chain = append(chain[:len(chain):len(chain)], p.Name)
	for _, g := range p.groups() {
		if s.satisfied(g) {
			continue
		}
		sols := s.solutions(p, g)
		if len(sols) == 0 {
			return s.unsatisfiable(chain, g)
		}
		var first *UnsatisfiableError
		for _, c := range sols {
			err := s.install(c, chain)
			if err == nil {
				first = nil
				break
			}
			if first == nil {
				first = err
			}
		}
		if first != nil {
			return first
		}
	}
	return nil
}

// archOK applies a relation's architecture qualifier. The index holds only
// packages of one architecture and "all" (which dpkg treats as native), so
// an unqualified relation, ":native" and the architecture's own name match
// any of them, and ":any" matches packages that declare Multi-Arch: allowed.
func (s *solver) archOK(p *Package, r debver.Relation) bool {
	switch r.Arch {
	case "", "native":
		return true
	case "any":
		return p.MultiArch == "allowed"
	}
	return r.Arch == s.ix.arch
}

// provides reports whether a Provides entry satisfies r: an unversioned
// provide satisfies only unversioned relations (Policy §7.5).
func (s *solver) provides(pr provide, r debver.Relation) bool {
	if !s.archOK(pr.pkg, r) {
		return false
	}
	return r.Op == debver.Any || (pr.rel.Op == debver.EQ && r.Satisfies(pr.rel.Version))
}

// satisfied reports whether the packages chosen so far, or excluded ones,
// satisfy a dependency.
func (s *solver) satisfied(g debver.OrGroup) bool {
	for _, r := range g {
		if s.exclude[r.Name] || s.baseSatisfies(r) || s.baseProvider(r) != "" {
			return true
		}
		if q := s.installed[r.Name]; q != nil && s.archOK(q, r) && r.Satisfies(q.Parsed) {
			return true
		}
		for _, pr := range s.ix.providers[r.Name] {
			if (s.installed[pr.pkg.Name] == pr.pkg || s.exclude[pr.pkg.Name]) && s.provides(pr, r) {
				return true
			}
		}
	}
	return false
}

// solutions lists the packages that could satisfy an unsatisfied
// dependency of p, in the order they are tried.
func (s *solver) solutions(p *Package, g debver.OrGroup) []*Package {
	var out []*Package
	seen := map[*Package]bool{}
	add := func(p *Package) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, r := range g {
		// An installed package is never offered: its layer would replace
		// the base's files.
		if _, chosen := s.installed[r.Name]; !chosen && len(s.base[r.Name]) == 0 {
			if q := s.bestVersion(p, r); q != nil {
				add(q)
			}
		}
		best := map[string]*Package{}
		for _, pr := range s.ix.providers[r.Name] {
			q := pr.pkg
			if _, chosen := s.installed[q.Name]; chosen || len(s.base[q.Name]) > 0 || !s.provides(pr, r) {
				continue
			}
			if b := best[q.Name]; b == nil || debver.Compare(q.Parsed, b.Parsed) > 0 {
				best[q.Name] = q
			}
		}
		provs := make([]*Package, 0, len(best))
		for _, q := range best {
			provs = append(provs, q)
		}
		sort.Slice(provs, func(i, j int) bool { return preferProvider(provs[i], provs[j]) })
		for _, q := range provs {
			add(q)
		}
	}
	return out
}

// bestVersion returns the highest version of the package r names that
// satisfies r and, if possible, every other relation on that name that p
// cannot do without: Debian writes a version range as two dependencies
// ("python3 (>= 3.11), python3 (<< 3.12)"), and the highest version
// satisfying the first alone may fail the second.
func (s *solver) bestVersion(p *Package, r debver.Relation) *Package {
	var also []debver.Relation
	for _, g := range p.groups() {
		if len(g) == 1 && g[0].Name == r.Name && g[0] != r {
			also = append(also, g[0])
		}
	}
	var first *Package
	for _, q := range s.ix.Versions(r.Name) {
		if !s.archOK(q, r) || !r.Satisfies(q.Parsed) {
			continue
		}
		if first == nil {
			first = q
		}
		ok := true
		for _, a := range also {
			ok = ok && s.archOK(q, a) && a.Satisfies(q.Parsed)
		}
		if ok {
			return q
		}
	}
	return first
}

// preferProvider ranks the providers of a virtual package as apt's
// CompareProviders does for packages of one architecture on an empty
// system. apt breaks the last tie by its internal package ID, which
// depends on the order of its cache; the name is used here instead.
func preferProvider(a, b *Package) bool {
	if a.Essential != b.Essential {
		return a.Essential
	}
	if a.Important != b.Important {
		return a.Important
	}
	if ra, rb := priorityRank(a.Priority), priorityRank(b.Priority); ra != rb {
		return ra < rb
	}
	return a.Name < b.Name
}

// unsatisfiable explains why no alternative of g can be installed now.
func (s *solver) unsatisfiable(chain []string, g debver.OrGroup) *UnsatisfiableError {
	reasons := make([]string, 0, len(g))
	for _, r := range g {
		reasons = append(reasons, s.explain(r))
	}
	return &UnsatisfiableError{
		Chain:      append([]string(nil), chain...),
		Dependency: g.String(),
		Reason:     strings.Join(reasons, "; "),
	}
}

func (s *solver) explain(r debver.Relation) string {
	if bs := s.base[r.Name]; len(bs) > 0 {
		var have []string
		for _, q := range bs {
			have = append(have, q.Version)
		}
		return fmt.Sprintf("the base image has %s %s, which does not satisfy %s, and a layer cannot replace a package of the base: "+
			"use a base with a newer %s, or lock without --exclude-installed",
			r.Name, strings.Join(have, ", "), r, r.Name)
	}
	if q := s.installed[r.Name]; q != nil {
		return fmt.Sprintf("%s %s is already chosen", q.Name, q.Version)
	}
	vs := s.ix.Versions(r.Name)
	var have []string
	for _, p := range vs {
		have = append(have, p.Version)
	}
	switch {
	case len(vs) > 0 && r.Arch == "any":
		return fmt.Sprintf("%s %s is not Multi-Arch: allowed", r.Name, strings.Join(have, ", "))
	case len(vs) > 0 && r.Op != debver.Any:
		return fmt.Sprintf("no version of %s satisfies %s (have %s)", r.Name, r, strings.Join(have, ", "))
	case len(vs) > 0:
		return fmt.Sprintf("%s %s does not match %s", r.Name, strings.Join(have, ", "), r)
	case len(s.ix.providers[r.Name]) > 0:
		return fmt.Sprintf("no provider of virtual package %s satisfies %s", r.Name, r)
	}
	return fmt.Sprintf("no package %s", r.Name)
}

func (s *solver) result() []Resolved {
	out := make([]Resolved, 0, len(s.installed))
	for _, p := range s.installed {
		deps := map[string]bool{}
		for _, g := range p.groups() {
			if b := s.baseSatisfier(g); b != "" {
				s.use(b, p.Name)
				continue
			}
			if name := s.satisfier(g); name != "" && name != p.Name {
				deps[name] = true
			}
		}
		names := make([]string, 0, len(deps))
		for n := range deps {
			names = append(names, n)
		}
		sort.Strings(names)
		out = append(out, Resolved{Package: p, Depends: names})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// satisfier names the chosen package that satisfies g: the first
// alternative that is satisfied, by the package of that name or else by
// the first provider by name; "" if that is an excluded package.
func (s *solver) satisfier(g debver.OrGroup) string {
	for _, r := range g {
		if s.exclude[r.Name] {
			return ""
		}
		if q := s.installed[r.Name]; q != nil && s.archOK(q, r) && r.Satisfies(q.Parsed) {
			return q.Name
		}
		var names []string
		for _, pr := range s.ix.providers[r.Name] {
			if s.exclude[pr.pkg.Name] && s.provides(pr, r) {
				return ""
			}
			if s.installed[pr.pkg.Name] == pr.pkg && s.provides(pr, r) {
				names = append(names, pr.pkg.Name)
			}
		}
		if len(names) > 0 {
			sort.Strings(names)
			return names[0]
		}
	}
	return ""
}
