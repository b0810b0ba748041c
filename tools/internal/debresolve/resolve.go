package debresolve

import (
	"fmt"
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
	s := &solver{ix: ix, exclude: map[string]bool{}, installed: map[string]*Package{}}
	for _, name := range req.Exclude {
		if err := debver.CheckName(name); err != nil {
			return nil, fmt.Errorf("excluded package: %w", err)
		}
		s.exclude[name] = true
	}
	var roots []*Package
	for _, name := range req.Roots {
		if err := debver.CheckName(name); err != nil {
			return nil, fmt.Errorf("requested package: %w", err)
		}
		if s.exclude[name] {
			return nil, fmt.Errorf("package %q is both requested and excluded", name)
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
	return s.result(), nil
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
		if s.exclude[r.Name] {
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
		if _, chosen := s.installed[r.Name]; !chosen {
			if q := s.bestVersion(p, r); q != nil {
				add(q)
			}
		}
		best := map[string]*Package{}
		for _, pr := range s.ix.providers[r.Name] {
			q := pr.pkg
			if _, chosen := s.installed[q.Name]; chosen || !s.provides(pr, r) {
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
