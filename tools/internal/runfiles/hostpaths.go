package runfiles

import (
	"archive/tar"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/rules-odp/rules_odp/tools/internal/budget"
)

// HostPathError reports a build-machine path found in a layer's content.
type HostPathError struct {
	// Where names the file (image path) or header field the path is in.
	Where string
	// Prefix is the forbidden prefix that matched; Offset is its byte
	// offset in the content (-1 for a path or link target).
	Prefix string
	Offset int64
}

func (e *HostPathError) Error() string {
	at := ""
	if e.Offset >= 0 {
		at = fmt.Sprintf(" at byte %d", e.Offset)
	}
	return fmt.Sprintf("%s contains the build-machine path %q%s: an image must not depend on where it was built (see docs/python-layers.md)", e.Where, e.Prefix, at)
}

// matcher finds forbidden path prefixes in bytes. A prefix only counts
// where it is a whole path: "/src/x" matches in "/src/x/a.py", "/src/x"
// and "file:///src/x/", not in "/src/xy" nor "/a/src/x".
type matcher struct {
	needles [][]byte
	maxLen  int
}

func newMatcher(prefixes []string) (*matcher, error) {
	var clean []string
	for _, p := range prefixes {
		if !strings.HasPrefix(p, "/") || path.Clean(p) != p || p == "/" {
			return nil, fmt.Errorf("forbidden prefix %q is not a clean absolute path other than /", p)
		}
		clean = append(clean, p)
	}
	sort.Strings(clean)
	m := &matcher{}
	for i, p := range clean {
		// "/a/b" is implied by "/a" (a match of "/a/b" is one of "/a"):
		// fewer needles, fewer passes over the bytes.
		if i > 0 && (p == clean[i-1] || implied(p, m.needles)) {
			continue
		}
		m.needles = append(m.needles, []byte(p))
		m.maxLen = max(m.maxLen, len(p))
	}
	return m, nil
}

func implied(p string, shorter [][]byte) bool {
	for _, n := range shorter {
		if strings.HasPrefix(p, string(n)+"/") {
			return true
		}
	}
	return false
}

func (m *matcher) empty() bool { return m == nil || len(m.needles) == 0 }

// isPathByte reports whether c can continue a path element, so that a
// match followed (or preceded) by it is part of a longer name.
func isPathByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-' || c == '+' || c == '~' || c == '@'
}

// find returns the first forbidden prefix in b and its offset, or -1.
// With atEnd false, a match that reaches the end of b is not decided yet
// (the next byte may extend the name) and is not reported.
func (m *matcher) find(b []byte, atEnd bool) (string, int) {
	best, bestAt := "", -1
	for _, n := range m.needles {
		for off := 0; off < len(b); {
			i := bytes.Index(b[off:], n)
			if i < 0 {
				break
			}
			i += off
			off = i + 1
			if i > 0 && isPathByte(b[i-1]) {
				continue
			}
			end := i + len(n)
			if end == len(b) && !atEnd {
				break
			}
			if end < len(b) && isPathByte(b[end]) {
				continue
			}
			if bestAt < 0 || i < bestAt {
				best, bestAt = string(n), i
			}
			break
		}
	}
	return best, bestAt
}

// scanReader passes content through while looking for forbidden prefixes;
// a find is returned as the error of Read and of Close (the layer writer
// reads one byte past a file's size and ignores that read's error, but
// not Close's).
type scanReader struct {
	r      io.ReadCloser
	m      *matcher
	where  string
	window []byte // tail of what was read so far, then the new bytes
	base   int64  // offset of window[0] in the content
	done   bool
	err    error
}

func (m *matcher) wrap(where string, rc io.ReadCloser) io.ReadCloser {
	return &scanReader{r: rc, m: m, where: where}
}

func (s *scanReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	if n > 0 {
		s.scan(p[:n], false)
	}
	if err == io.EOF {
		s.finish()
	}
	if s.err != nil {
		return n, s.err
	}
	return n, err
}

func (s *scanReader) scan(p []byte, atEnd bool) {
	s.window = append(s.window, p...)
	if prefix, at := s.m.find(s.window, atEnd); at >= 0 {
		s.err = &HostPathError{Where: s.where, Prefix: prefix, Offset: s.base + int64(at)}
		return
	}
	// Keep enough to see a match that straddles the next read, with the
	// byte before it.
	if keep := s.m.maxLen + 1; len(s.window) > keep {
		cut := len(s.window) - keep
		s.base += int64(cut)
		s.window = append(s.window[:0], s.window[cut:]...)
	}
}

func (s *scanReader) finish() {
	if s.done || s.err != nil {
		return
	}
	s.done = true
	s.scan(nil, true)
}

func (s *scanReader) Close() error {
	s.finish()
	cerr := s.r.Close()
	if s.err != nil {
		return s.err
	}
	return cerr
}

// CheckNoHostPaths reads written layers (plain or gzip tar) and fails if
// any entry's path, link target or content contains one of the forbidden
// absolute path prefixes, naming the layer, the entry and the prefix.
func CheckNoHostPaths(layers []string, forbidden []string) error {
	m, err := newMatcher(forbidden)
	if err != nil {
		return err
	}
	for _, l := range layers {
		if err := checkLayer(l, m); err != nil {
			return fmt.Errorf("layer %s: %w", l, err)
		}
	}
	return nil
}

func checkLayer(name string, m *matcher) error {
	f, err := budget.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	var exp budget.Expansion
	br := bufio.NewReaderSize(exp.Compressed(f), 1<<16)
	var src io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("reading gzip header: %w", err)
		}
		defer zr.Close()
		src = exp.Expanded(zr)
	}
	tr := tar.NewReader(src)
	meter := budget.NewTar(nil)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		if err := meter.Header(h); err != nil {
			return fmt.Errorf("entry %.256q: %w", h.Name, err)
		}
		for _, field := range []struct{ what, v string }{{"path", h.Name}, {"link target", h.Linkname}} {
			if prefix, at := m.find([]byte(field.v), true); at >= 0 {
				return &HostPathError{Where: fmt.Sprintf("the %s of %q", field.what, h.Name), Prefix: prefix, Offset: -1}
			}
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		sr := m.wrap(fmt.Sprintf("%q", h.Name), io.NopCloser(tr))
		if _, err := io.Copy(io.Discard, sr); err != nil {
			return err
		}
		if err := sr.Close(); err != nil {
			return err
		}
	}
}

// excludedRoots are never treated as build-machine locations even if a
// source seems to live there: forbidding them would reject every image
// ("#!/usr/bin/env python3").
var excludedRoots = map[string]bool{
	"/": true, "/usr": true, "/usr/local": true, "/usr/lib": true, "/usr/bin": true, "/usr/share": true,
	"/bin": true, "/lib": true, "/lib64": true, "/etc": true, "/opt": true, "/var": true,
	"/home": true, "/root": true, "/tmp": true, "/srv": true, "/mnt": true, "/proc": true, "/dev": true,
}

// HostRoots derives the build machine's locations from where the sources
// are: the working directory (Bazel's execroot or sandbox), the output base
// (the part of a path before "/execroot/", "/external/" or "/sandbox/") and
// the checkout (where the main repository's sources resolve to, minus
// their path in the repository). These are the prefixes that must not
// appear in any layer by default.
func HostRoots(s *Spec, cwd string) []string {
	roots := map[string]bool{}
	addRoot := func(p string) {
		if p = filepath.Clean(p); filepath.IsAbs(p) && !excludedRoots[p] {
			roots[p] = true
		}
	}
	// addMarked adds the output base a Bazel path lives in.
	addMarked := func(p string) {
		for _, marker := range []string{"/execroot/", "/external/", "/sandbox/", "/bazel-out/"} {
			if i := strings.Index(p, marker); i > 0 {
				addRoot(p[:i])
			}
		}
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) || cwd == "" {
			return p
		}
		return filepath.Join(cwd, p)
	}
	if cwd != "" {
		for _, p := range candidates(cwd) {
			addRoot(p)
			addMarked(p)
		}
	}
	// One source per directory is enough to learn where that directory
	// lives; resolving all of them would cost a stat per path element.
	seenDir := map[string]bool{}
	consider := func(src, rest string, mainRepo bool) {
		dir := filepath.Dir(src)
		if src == "" || seenDir[dir] {
			return
		}
		seenDir[dir] = true
		for _, p := range candidates(abs(src)) {
			addMarked(p)
			if !mainRepo {
				continue
			}
			// The checkout: the source minus its path in the repository.
			if root, ok := strings.CutSuffix(p, "/"+rest); ok && root != "" {
				addRoot(root)
				addMarked(root)
			}
		}
	}
	for _, f := range s.Files {
		repo, rest := RepoOf(f.RPath, s.Workspace)
		consider(f.Src, rest, repo == s.Workspace)
	}
	consider(s.Launcher, "", false)
	out := make([]string, 0, len(roots))
	for r := range roots {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

func candidates(p string) []string {
	if r, err := filepath.EvalSymlinks(p); err == nil && r != p {
		return []string{p, r}
	}
	return []string{p}
}
