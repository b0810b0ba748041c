package debresolve

import (
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/rules-odp/rules_odp/tools/internal/deb822"
	"github.com/rules-odp/rules_odp/tools/internal/debver"
)

// Index holds the packages of one architecture (and "all") from any number
// of Packages indexes.
type Index struct {
	arch string
	// byName lists every version of a package, highest first.
	byName map[string][]*Package
	// providers lists, per virtual name, the package versions providing it.
	providers map[string][]provide
}

type provide struct {
	pkg *Package
	rel debver.Relation
}

// NewIndex returns an empty index for packages of architecture arch.
func NewIndex(arch string) *Index {
	return &Index{arch: arch, byName: map[string][]*Package{}, providers: map[string][]provide{}}
}

// Arch is the architecture the index was made for.
func (ix *Index) Arch() string { return ix.arch }

// Add adds a package version. The same name, version and architecture seen
// again is ignored if its SHA256 is the same and an error otherwise: two
// indexes disagreeing about a file's content is a broken or forged mirror,
// and choosing one would make the lock depend on the order of --index.
func (ix *Index) Add(p *Package) error {
	for _, q := range ix.byName[p.Name] {
		if q.Arch != p.Arch || debver.Compare(q.Parsed, p.Parsed) != 0 {
			continue
		}
		if q.SHA256 != p.SHA256 {
			return fmt.Errorf("package %s %s (%s) has SHA256 %s in %q but %s in %q",
				p.Name, p.Version, p.Arch, q.SHA256, q.Index, p.SHA256, p.Index)
		}
		return nil
	}
	// Keep versions sorted, highest first; equal versions (of different
	// architectures) keep the order they were added in.
	vs := ix.byName[p.Name]
	i := sort.Search(len(vs), func(i int) bool { return debver.Compare(vs[i].Parsed, p.Parsed) < 0 })
	vs = append(vs, nil)
	copy(vs[i+1:], vs[i:])
	vs[i] = p
	ix.byName[p.Name] = vs
	for _, r := range p.Provides {
		// apt ignores a package providing its own name.
		if r.Name != p.Name {
			ix.providers[r.Name] = append(ix.providers[r.Name], provide{p, r})
		}
	}
	return nil
}

// Read adds the packages of a Packages index read from r. source names the
// index in messages and in Package.Index. Paragraphs for other
// architectures are skipped; an index with none for ours is an error, as it
// is almost certainly the wrong file.
func (ix *Index) Read(r io.Reader, source string) error {
	dr := deb822.NewReader(r)
	n := 0
	for {
		para, err := dr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading index %q: %w", source, err)
		}
		arch := para.Get("Architecture")
		if arch != ix.arch && arch != "all" {
			continue
		}
		p, err := ParsePackage(para)
		if err != nil {
			return fmt.Errorf("reading index %q, paragraph at line %d: %w", source, dr.Line(), err)
		}
		p.Index = source
		if err := ix.Add(p); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("index %q has no packages for architecture %q or \"all\"", source, ix.arch)
	}
	return nil
}

// Versions returns the versions of the package called name, highest first.
func (ix *Index) Versions(name string) []*Package {
	return ix.byName[name]
}
