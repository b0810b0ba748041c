package sbom

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
	"github.com/rules-odp/rules_odp/tools/internal/dpkgdb"
	"github.com/rules-odp/rules_odp/tools/internal/image"
)

// Options configure Scan.
type Options struct {
	// Name names the image in documents; empty means its digest.
	Name string
	// Base, if not nil, is the base image. With BaseLayers, the image's
	// first layers must be exactly the base's.
	Base *Base
	// BaseLayers are the base's layer digests, nil if unknown.
	BaseLayers []string
	// DebSHA256 gives the SHA-256 of .deb files (see ReadDebLocks).
	DebSHA256 map[DebKey]string
	// Limits; the zero value means DefaultLimits.
	Limits Limits
	// TempDir holds jars while they are read; empty means os.TempDir().
	TempDir string
}

// DebKey identifies a .deb.
type DebKey struct{ Name, Version, Arch string }

// ReadDebLocks reads lock files written by `odptool deb lock` and maps
// each locked .deb to its SHA-256. Two locks disagreeing about a .deb is
// an error.
func ReadDebLocks(paths []string) (map[DebKey]string, error) {
	out := map[DebKey]string{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("reading lock: %w", err)
		}
		l, err := debresolve.DecodeLock(io.LimitReader(f, 64<<20))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("lock %q: %w", p, err)
		}
		for _, pkg := range l.Packages {
			k := DebKey{pkg.Name, pkg.Version, pkg.Arch}
			if old, ok := out[k]; ok && old != pkg.SHA256 {
				return nil, fmt.Errorf("lock %q: %s %s %s has sha256 %s, another lock says %s", p, pkg.Name, pkg.Version, pkg.Arch, pkg.SHA256, old)
			}
			out[k] = pkg.SHA256
		}
	}
	return out, nil
}

type recordKind int

const (
	recStatus recordKind = iota
	recMD5Sums
	recCopyright
	recPython
	recJar
	recLib
)

// record is what one file of the merged file system contributes.
type record struct {
	layer   int
	kind    recordKind
	debs    []dpkgdb.Record
	paths   []string // md5sums
	owner   string   // md5sums: the package the list is of
	license string   // copyright
	dep5    bool
	python  PythonMetadata
	pyPath  string
	jar     *jarNode
	lib     File
}

const docDir = "usr/share/doc"

var libRE = regexp.MustCompile(`^[^/]+\.so(\.[0-9]+)*$`)

type scanner struct {
	opts    Options
	lim     Limits
	records map[string]*record
	// docLinks are symlinks usr/share/doc/NAME -> TARGET.
	docLinks map[string]string
	layer    int
}

// Scan reads the image of the OCI layout and lists what it holds.
func Scan(layout string, opts Options) (*Inventory, error) {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	img, err := image.ReadSingle(layout)
	if err != nil {
		return nil, err
	}
	var cfg struct {
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(img.RawConfig, &cfg); err != nil {
		return nil, fmt.Errorf("OCI layout %q: parsing config: %w", layout, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(img.Manifest.Layers) {
		return nil, fmt.Errorf("OCI layout %q: config lists %d diff_ids for %d layers", layout, len(cfg.RootFS.DiffIDs), len(img.Manifest.Layers))
	}
	inv := &Inventory{Name: opts.Name, Digest: img.Descriptor.Digest, ConfigDigest: img.Manifest.Config.Digest}
	if inv.Name == "" {
		inv.Name = inv.Digest
	}
	for i, l := range img.Manifest.Layers {
		inv.Layers = append(inv.Layers, Layer{Digest: l.Digest, DiffID: cfg.RootFS.DiffIDs[i]})
	}
	if opts.Base != nil {
		b := *opts.Base
		if opts.BaseLayers != nil {
			if len(opts.BaseLayers) > len(inv.Layers) {
				return nil, fmt.Errorf("base %s has %d layers, the image only %d: it is not the image's base", b.Name, len(opts.BaseLayers), len(inv.Layers))
			}
			for i, d := range opts.BaseLayers {
				if inv.Layers[i].Digest != d {
					return nil, fmt.Errorf("layer %d of the image is %s, but the base %s has %s there: it is not the image's base", i+1, inv.Layers[i].Digest, b.Name, d)
				}
			}
			b.Layers = len(opts.BaseLayers)
		}
		inv.Base = &b
	}
	s := &scanner{opts: opts, lim: opts.Limits, records: map[string]*record{}, docLinks: map[string]string{}}
	for i, l := range img.Manifest.Layers {
		s.layer = i
		if err := s.scanLayer(layout, l, cfg.RootFS.DiffIDs[i]); err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, l.Digest, err)
		}
	}
	s.build(inv)
	return inv, nil
}

func (s *scanner) scanLayer(layout string, desc image.Descriptor, diffID string) error {
	rc, err := image.OpenBlob(layout, desc)
	if err != nil {
		return err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 1<<20)
	var u io.Reader
	var dh hash.Hash
	switch desc.MediaType {
	case image.MediaTypeLayerTar:
		if diffID != desc.Digest {
			return fmt.Errorf("uncompressed layer has diff_id %s in the config, want its digest", diffID)
		}
		u = br
	case image.MediaTypeLayerGzip, image.MediaTypeDockerLayerGzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("reading gzip header: %w", err)
		}
		defer zr.Close()
		dh = sha256.New()
		u = io.TeeReader(zr, dh)
	case image.MediaTypeLayerZstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<27))
		if err != nil {
			return fmt.Errorf("reading zstd: %w", err)
		}
		defer zr.Close()
		dh = sha256.New()
		u = io.TeeReader(zr, dh)
	default:
		return fmt.Errorf("unsupported layer media type %q", desc.MediaType)
	}
	tr := tar.NewReader(u)
	for n := 0; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading tar entry %d: %w", n+1, err)
		}
		if n == s.lim.LayerEntries {
			return fmt.Errorf("more than %d entries", s.lim.LayerEntries)
		}
		if err := s.entry(tr, h); err != nil {
			return err
		}
	}
	// The rest of the stream is part of the diff_id and of the blob digest.
	if _, err := io.Copy(io.Discard, u); err != nil {
		return fmt.Errorf("reading after the end of the tar: %w", err)
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return err
	}
	if dh != nil {
		if got := "sha256:" + hex.EncodeToString(dh.Sum(nil)); got != diffID {
			return fmt.Errorf("uncompressed content hashes to %s, but the config says diff_id %s", got, diffID)
		}
	}
	return nil
}

// remove deletes the records at p and under p/ that came from layers
// below the current one (or from any layer, if all).
func (s *scanner) remove(p string, all bool) {
	for k, r := range s.records {
		if (k == p || strings.HasPrefix(k, p+"/")) && (all || r.layer < s.layer) {
			delete(s.records, k)
		}
	}
	for k := range s.docLinks {
		if lp := docDir + "/" + k; lp == p || strings.HasPrefix(lp, p+"/") {
			delete(s.docLinks, k)
		}
	}
}

func (s *scanner) entry(tr *tar.Reader, h *tar.Header) error {
	p := cleanRel(h.Name)
	if p == "" || p == "." {
		return nil
	}
	dir, base := splitPath(p)
	if base == ".wh..wh..opq" {
		if dir == "" {
			return errors.New("opaque whiteout at the root")
		}
		// An opaque directory hides what lower layers had in it.
		for k, r := range s.records {
			if strings.HasPrefix(k, dir+"/") && r.layer < s.layer {
				delete(s.records, k)
			}
		}
		for k := range s.docLinks {
			if strings.HasPrefix(docDir+"/"+k, dir+"/") {
				delete(s.docLinks, k)
			}
		}
		return nil
	}
	if name, ok := strings.CutPrefix(base, ".wh."); ok {
		target := name
		if dir != "" {
			target = dir + "/" + name
		}
		s.remove(target, true)
		return nil
	}
	// Whatever was at p is replaced.
	delete(s.records, p)
	if dir == docDir {
		delete(s.docLinks, base)
	}
	switch h.Typeflag {
	case tar.TypeSymlink:
		if dir == docDir {
			s.docLinks[base] = h.Linkname
		}
		return nil
	case tar.TypeLink:
		if r, ok := s.records[cleanRel(h.Linkname)]; ok {
			c := *r
			c.layer = s.layer
			if c.kind == recLib {
				c.lib.Path = p
			}
			s.records[p] = &c
		}
		return nil
	case tar.TypeReg, tar.TypeCont:
		// The tar reader reads the old TypeRegA as TypeReg; runtimes
		// extract TypeCont as a regular file.
	default:
		return nil
	}
	return s.file(tr, h, p, dir, base)
}

// readText reads a file's content within limit.
func readText(r io.Reader, h *tar.Header, p string, limit int64, what string) ([]byte, error) {
	if h.Size > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d bytes a %s may have", p, h.Size, limit, what)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return data, nil
}

func (s *scanner) file(tr *tar.Reader, h *tar.Header, p, dir, base string) error {
	rec := &record{layer: s.layer}
	kind, pkg, err := dpkgdb.Classify(p)
	if err != nil {
		return err
	}
	switch {
	case kind == dpkgdb.Status || kind == dpkgdb.StatusRecord:
		data, err := readText(tr, h, p, s.lim.StatusFile, "dpkg status file")
		if err != nil {
			return err
		}
		if rec.debs, err = dpkgdb.ParseStatus(data); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		rec.kind = recStatus
	case kind == dpkgdb.MD5Sums:
		data, err := readText(tr, h, p, s.lim.TextFile, "md5sums list")
		if err != nil {
			return err
		}
		if rec.paths, err = dpkgdb.ParseMD5Sums(data); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		rec.kind = recMD5Sums
		rec.owner = pkg
	case base == "copyright" && strings.HasPrefix(dir, docDir+"/") && !strings.Contains(dir[len(docDir)+1:], "/"):
		data, err := readText(tr, h, p, s.lim.TextFile, "copyright file")
		if err != nil {
			return err
		}
		rec.kind = recCopyright
		rec.license, err = ParseCopyright(data)
		rec.dep5 = err == nil
	case isPython(p):
		data, err := readText(tr, h, p, s.lim.TextFile, "Python metadata file")
		if err != nil {
			return err
		}
		if rec.python, err = ParsePythonMetadata(data); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		rec.kind = recPython
		rec.pyPath, _ = pythonMetadataPath(p)
	case isJarName(base):
		node, err := s.spoolJar(tr, h, p)
		if err != nil {
			return err
		}
		rec.kind, rec.jar = recJar, node
	case libRE.MatchString(base):
		s256, s1, err := hashReader(tr)
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		rec.kind = recLib
		rec.lib = File{Path: p, Layer: s.layer, Size: h.Size, SHA256: s256, SHA1: s1, Owner: -1}
	default:
		return nil
	}
	s.records[p] = rec
	return nil
}

func isPython(p string) bool {
	_, ok := pythonMetadataPath(p)
	return ok
}

// spoolJar copies a jar to a temporary file (zip needs random access),
// hashing it on the way, and scans it.
func (s *scanner) spoolJar(r io.Reader, h *tar.Header, p string) (*jarNode, error) {
	if h.Size > s.lim.Jar {
		return nil, fmt.Errorf("jar %s is %d bytes, more than the budget of %d", p, h.Size, s.lim.Jar)
	}
	f, err := os.CreateTemp(s.opts.TempDir, "odptool-sbom-*.jar")
	if err != nil {
		return nil, fmt.Errorf("spooling jar %s: %w", p, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	s256, s1, err := hashReader(io.TeeReader(r, f))
	if err != nil {
		return nil, fmt.Errorf("spooling jar %s: %w", p, err)
	}
	node, err := scanJar(f, h.Size, p, 0, s.lim)
	if err != nil {
		return nil, err
	}
	node.sha256, node.sha1 = s256, s1
	return node, nil
}

// build turns the records of the merged file system into packages.
func (s *scanner) build(inv *Inventory) {
	paths := make([]string, 0, len(s.records))
	for p := range s.records {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	type staged struct {
		Package
		id, parentID int
	}
	var pkgs []staged
	add := func(p Package, parentID int) int {
		id := len(pkgs)
		pkgs = append(pkgs, staged{Package: p, id: id, parentID: parentID})
		return id
	}
	seenDeb := map[DebKey]bool{}
	debIDs := map[string][]int{} // package name -> staged ids
	for _, p := range paths {
		r := s.records[p]
		switch r.kind {
		case recStatus:
			for _, d := range r.debs {
				k := DebKey{d.Package, d.Version, d.Architecture}
				if seenDeb[k] {
					continue
				}
				seenDeb[k] = true
				id := add(Package{
					Kind: KindDeb, Name: d.Package, Version: d.Version, Arch: d.Architecture,
					Source: d.Source, SourceVersion: d.SourceVersion,
					PURL:    DebPURL(d.Package, d.Version, d.Architecture),
					SHA256:  s.opts.DebSHA256[k],
					License: s.debLicense(d.Package),
					Layer:   r.layer, Path: p,
				}, -1)
				debIDs[d.Package] = append(debIDs[d.Package], id)
			}
		case recPython:
			add(Package{
				Kind: KindPython, Name: r.python.Name, Version: r.python.Version,
				PURL: PythonPURL(r.python.Name, r.python.Version), License: pythonLicense(r.python),
				Layer: r.layer, Path: r.pyPath,
			}, -1)
		case recJar:
			s.addJar(r.jar, r.layer, -1, func(p Package, parent int) int { return add(p, parent) })
		}
	}

	// Owners of native libraries, from the md5sums of installed packages.
	owner := map[string]int{}
	for _, p := range paths {
		r := s.records[p]
		if r.kind != recMD5Sums || len(debIDs[r.owner]) == 0 {
			continue
		}
		id := debIDs[r.owner][0]
		for _, fp := range r.paths {
			for _, alias := range []string{fp, mergedUsrAlias(fp)} {
				if _, taken := owner[alias]; alias != "" && !taken {
					owner[alias] = id
				}
			}
		}
	}

	sort.SliceStable(pkgs, func(i, j int) bool { return lessPackage(&pkgs[i].Package, &pkgs[j].Package) })
	index := make([]int, len(pkgs))
	for i, p := range pkgs {
		index[p.id] = i
	}
	for _, p := range pkgs {
		p.Parent = -1
		if p.parentID >= 0 {
			p.Parent = index[p.parentID]
		}
		inv.Packages = append(inv.Packages, p.Package)
	}
	for _, p := range paths {
		r := s.records[p]
		if r.kind != recLib {
			continue
		}
		f := r.lib
		if id, ok := owner[f.Path]; ok {
			f.Owner = index[id]
		}
		inv.Files = append(inv.Files, f)
	}
}

func lessPackage(a, b *Package) bool {
	if a.Kind != b.Kind {
		return kindOrder[a.Kind] < kindOrder[b.Kind]
	}
	for _, c := range [][2]string{{a.Name, b.Name}, {a.Version, b.Version}, {a.Arch, b.Arch}, {a.Group, b.Group}} {
		if c[0] != c[1] {
			return c[0] < c[1]
		}
	}
	if a.Layer != b.Layer {
		return a.Layer < b.Layer
	}
	return a.Path < b.Path
}

// debLicense is the license of a Debian package's machine-readable
// copyright file, following one symlink of its doc directory.
func (s *scanner) debLicense(pkg string) string {
	p := docDir + "/" + pkg + "/copyright"
	if r, ok := s.records[p]; ok && r.kind == recCopyright {
		return r.license
	}
	if t, ok := s.docLinks[pkg]; ok {
		target := cleanRel(path.Join(docDir, t))
		if strings.HasPrefix(target, docDir+"/") {
			if r, ok := s.records[target+"/copyright"]; ok && r.kind == recCopyright {
				return r.license
			}
		}
	}
	return ""
}

// addJar adds a jar, the Maven packages it holds and its nested jars. A
// jar with one pom.properties is that Maven package; a jar with several
// (a shaded jar) is the one whose artifactId and version its file name
// starts with, if any, and contains the others.
func (s *scanner) addJar(n *jarNode, layer, parent int, add func(Package, int) int) {
	_, file := splitPath(n.path[strings.LastIndex(n.path, "!")+1:])
	stem := file[:strings.LastIndex(file, ".")]
	self := -1
	for i, c := range n.poms {
		if len(n.poms) == 1 || stem == c.Artifact+"-"+c.Version || stem == c.Artifact {
			self = i
			break
		}
	}
	p := Package{Kind: KindJava, Layer: layer, Path: n.path, SHA256: n.sha256, SHA1: n.sha1}
	if self >= 0 {
		c := n.poms[self]
		p.Name, p.Version, p.Group, p.PURL = c.Artifact, c.Version, c.Group, MavenPURL(c.Group, c.Artifact, c.Version)
	} else {
		p.Name = stem
		p.Version = n.manifest["Implementation-Version"]
		if p.Version == "" {
			p.Version = n.manifest["Bundle-Version"]
		}
	}
	id := add(p, parent)
	for i, c := range n.poms {
		if i == self {
			continue
		}
		add(Package{Kind: KindJava, Name: c.Artifact, Version: c.Version, Group: c.Group, PURL: MavenPURL(c.Group, c.Artifact, c.Version), Layer: layer, Path: n.path}, id)
	}
	for _, c := range n.children {
		s.addJar(c, layer, id, add)
	}
}

// InspectJar lists the packages of one jar (read from r, size bytes,
// named name) as Scan lists them, all in layer 0.
func InspectJar(r io.ReaderAt, size int64, name string, lim Limits) ([]Package, error) {
	if lim == (Limits{}) {
		lim = DefaultLimits
	}
	node, err := scanJar(r, size, name, 0, lim)
	if err != nil {
		return nil, err
	}
	var out []Package
	s := &scanner{lim: lim}
	s.addJar(node, 0, -1, func(p Package, parent int) int {
		p.Parent = parent
		out = append(out, p)
		return len(out) - 1
	})
	return out, nil
}
