package runfiles

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

// Config tunes Plan. The zero value is the strict default.
type Config struct {
	// ForbiddenPrefixes are absolute paths of the build machine that must
	// not appear in any layer, in addition to those HostRoots derives
	// from the working directory and the sources.
	ForbiddenPrefixes []string
	// WorkDir is where relative sources are resolved from and the first
	// host root; "" means the process's working directory.
	WorkDir string
	// Rewrites are applied to the launcher (each must match).
	Rewrites []Rewrite
	// AllowNoInterpreter accepts runfiles without an interpreter
	// repository; the interpreter layer is then empty.
	AllowNoInterpreter bool
	// ScanLauncherOnly limits the build-machine path check to the launcher
	// and the generated manifests instead of every file's content. For
	// packages compiled on the build machine whose binaries embed its paths
	// — which makes the image depend on where it was built.
	ScanLauncherOnly bool
}

// Split is the planned content of the three layers.
type Split struct {
	// Layers holds the entries of the interpreter, packages and app layers
	// (index by Layer). Parent directories are added when written.
	Layers [3][]layer.Entry
	// Classification says which repository went where.
	Classification *Classification
	// Forbidden are the build-machine prefixes that were checked.
	Forbidden []string
}

// Plan classifies the spec's runfiles and lays them out under
// <service>/: the launcher at <service>/<service>, the runfiles under
// <service>/<service>.runfiles/, and the manifest — rewritten to in-image
// paths — at <service>/<service>.runfiles_manifest and
// <service>/<service>.runfiles/MANIFEST. Sources are stat'ed now and read
// when the layers are written. It fails unless every runfile lands in
// exactly one layer.
func Plan(s *Spec, cfg Config) (*Split, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	class, err := Classify(s, cfg.AllowNoInterpreter)
	if err != nil {
		return nil, err
	}
	cwd := cfg.WorkDir
	if cwd == "" {
		if cwd, err = os.Getwd(); err != nil {
			return nil, fmt.Errorf("finding the working directory: %w", err)
		}
	}
	forbidden := append(append([]string(nil), cfg.ForbiddenPrefixes...), HostRoots(s, cwd)...)
	m, err := newMatcher(forbidden)
	if err != nil {
		return nil, err
	}
	launcher, err := readLauncher(resolve(cwd, s.Launcher), cfg.Rewrites, m, class.Interpreter)
	if err != nil {
		return nil, err
	}
	launcherAt := filepath.Clean(resolve(cwd, s.Launcher))
	launcherStat, err := os.Stat(launcherAt)
	if err != nil {
		return nil, fmt.Errorf("reading launcher: %w", err)
	}
	b := &builder{
		cwd:          cwd,
		launcherAt:   launcherAt,
		launcherStat: launcherStat,
		launcher:     launcher,
		links:        [3]map[linkKey]string{{}, {}, {}},
	}
	if !cfg.ScanLauncherOnly {
		b.scan = m
	}
	svc := s.Service
	dir := s.Dir()
	runfilesDir := dir + "/" + svc + ".runfiles"
	for _, f := range s.Files {
		img := runfilesDir + "/" + f.RPath
		if err := b.add(class.Layer(f.RPath, s.Workspace), img, f); err != nil {
			return nil, err
		}
	}
	b.put(App, layer.Entry{Path: dir + "/" + svc, Type: layer.TypeFile, Mode: 0o755, Size: int64(len(launcher)), Open: bytesOpener(launcher)}, linkKey{src: b.launcherAt, mode: 0o755})
	manifest := Manifest(s)
	if prefix, at := m.find(manifest, true); at >= 0 {
		return nil, &HostPathError{Where: "the generated manifest", Prefix: prefix, Offset: int64(at)}
	}
	for _, p := range []string{dir + "/" + svc + ".runfiles_manifest", runfilesDir + "/" + manifestName} {
		b.put(App, layer.Entry{Path: p, Type: layer.TypeFile, Mode: 0o644, Size: int64(len(manifest)), Open: bytesOpener(manifest)}, linkKey{src: "\x00manifest", mode: 0o644})
	}
	if err := CheckPartition(b.want, b.layers[:]...); err != nil {
		return nil, fmt.Errorf("splitting runfiles: %w", err)
	}
	return &Split{Layers: b.layers, Classification: class, Forbidden: m.prefixes()}, nil
}

// Manifest is the runfiles manifest as the image needs it: every runfile
// mapped to its path in the image, /<dir>/<service>.runfiles/<rpath>
// (empty files included, since they exist there), sorted by runfiles path.
func Manifest(s *Spec) []byte {
	var b bytes.Buffer
	root := "/" + s.Dir() + "/" + s.Service + ".runfiles/"
	for _, f := range s.Files { // sorted by Validate
		b.WriteString(ManifestLine(f.RPath, root+f.RPath))
	}
	return b.Bytes()
}

type linkKey struct {
	src  string
	mode uint32
}

type builder struct {
	cwd          string
	launcherAt   string
	launcherStat fs.FileInfo
	launcher     []byte
	scan         *matcher
	layers       [3][]layer.Entry
	want         []string
	// links remembers, per layer, the first path of each source, so that
	// later copies of it (Bazel's legacy <workspace>/external/<repo>
	// duplicates, the launcher inside its own runfiles) become hard links.
	links [3]map[linkKey]string
}

// put adds an entry; a regular file whose source (key.src) and mode are
// already in the layer becomes a hard link to it.
func (b *builder) put(l Layer, e layer.Entry, key linkKey) {
	b.want = append(b.want, e.Path)
	if e.Type == layer.TypeFile && key.src != "" {
		if first, ok := b.links[l][key]; ok {
			e = layer.Entry{Path: e.Path, Type: layer.TypeHardlink, Link: first}
		} else {
			b.links[l][key] = e.Path
		}
	}
	b.layers[l] = append(b.layers[l], e)
}

func (b *builder) add(l Layer, img string, f File) error {
	if f.Kind == KindEmpty {
		b.put(l, layer.Entry{Path: img, Type: layer.TypeFile, Mode: 0o644, Open: bytesOpener(nil)}, linkKey{})
		return nil
	}
	src := filepath.Clean(resolve(b.cwd, f.Src))
	st, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("runfile %q: reading source: %w", f.RPath, err)
	}
	switch {
	case st.Mode().IsRegular():
		b.putFile(l, img, src, st)
		return nil
	case st.IsDir():
		if err := b.addTree(l, img, src); err != nil {
			return fmt.Errorf("runfile %q: %w", f.RPath, err)
		}
		return nil
	}
	return fmt.Errorf("runfile %q: source %q is a %v, not a file or directory", f.RPath, f.Src, st.Mode().Type())
}

func (b *builder) putFile(l Layer, img, src string, st fs.FileInfo) {
	mode := fileMode(st)
	if os.SameFile(st, b.launcherStat) {
		// The launcher as checked and rewritten, wherever it appears (the
		// manifest names it through the execroot, the spec through bazel-bin).
		b.put(l, layer.Entry{Path: img, Type: layer.TypeFile, Mode: mode, Size: int64(len(b.launcher)), Open: bytesOpener(b.launcher)}, linkKey{src: b.launcherAt, mode: mode})
		return
	}
	open := func() (io.ReadCloser, error) { return budget.Open(src) }
	if m := b.scan; !m.empty() {
		open = func() (io.ReadCloser, error) {
			f, err := budget.Open(src)
			if err != nil {
				return nil, err
			}
			return m.wrap(fmt.Sprintf("%q", img), f), nil
		}
	}
	b.put(l, layer.Entry{Path: img, Type: layer.TypeFile, Mode: mode, Size: st.Size(), Open: open}, linkKey{src: src, mode: mode})
}

// addTree copies a tree artifact (a directory source) recursively,
// following the symlinks inside it that stay inside it, as Bazel's
// sandbox stages them (budget.Tree): one that leads out of the tree would
// copy a file of the build machine into the image.
func (b *builder) addTree(l Layer, img, dir string) error {
	tree, err := budget.NewTree(dir)
	if err != nil {
		return fmt.Errorf("reading tree artifact: %w", err)
	}
	return b.walkTree(l, img, dir, "", tree, []string{tree.Real()})
}

func (b *builder) walkTree(l Layer, img, dir, rel string, tree *budget.Tree, ancestors []string) error {
	b.put(l, layer.Entry{Path: img, Type: layer.TypeDir, Mode: 0o755}, linkKey{})
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("reading tree artifact: %w", err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("reading tree artifact %q: %w", dir, err)
	}
	sort.Strings(names)
	for _, name := range names {
		src := filepath.Join(dir, name)
		r := path.Join(rel, name)
		sub := img + "/" + name
		if err := layer.CheckPath(sub); err != nil {
			return fmt.Errorf("tree artifact entry %q: %w", src, err)
		}
		lst, err := os.Lstat(src)
		if err != nil {
			return fmt.Errorf("reading tree artifact: %w", err)
		}
		real := src
		if lst.Mode()&os.ModeSymlink != 0 {
			if real, err = tree.Follow(src, r); err != nil {
				return fmt.Errorf("tree artifact entry: %w", err)
			}
		}
		st, err := os.Stat(real)
		if err != nil {
			return fmt.Errorf("reading tree artifact: %w", err)
		}
		switch {
		case st.Mode().IsRegular():
			// Keyed by its own path, as before links were checked: a link
			// and its target stay two files (the layer's bytes must not
			// move).
			b.putFile(l, sub, src, st)
		case st.IsDir():
			resolved, err := filepath.EvalSymlinks(real)
			if err != nil {
				return fmt.Errorf("reading tree artifact: %w", err)
			}
			for _, a := range ancestors {
				if a == resolved {
					return fmt.Errorf("tree artifact entry %q: symlink loop back to %q", src, a)
				}
			}
			if err := b.walkTree(l, sub, src, r, tree, append(ancestors, resolved)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("tree artifact entry %w", budget.CheckRegular(src, st))
		}
	}
	return nil
}

// fileMode is the layer package's normalisation: 0755 if the owner may
// execute the source, else 0644, whatever the umask gave group and others.
func fileMode(st fs.FileInfo) uint32 {
	if st.Mode().Perm()&0o100 != 0 {
		return 0o755
	}
	return 0o644
}

func resolve(cwd, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(cwd, p)
}

func bytesOpener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

func (m *matcher) prefixes() []string {
	out := make([]string, len(m.needles))
	for i, n := range m.needles {
		out[i] = string(n)
	}
	return out
}
