package runfiles

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
)

// maxLauncherSize bounds the launcher we read into memory. Bazel's
// py_binary stubs are ~15 KB; a self-contained zip (--build_python_zip)
// is not a launcher this splitter supports.
const maxLauncherSize = budget.LauncherBytes

// Rewrite replaces an exact absolute path prefix in the launcher by its
// in-image equivalent, e.g. a custom stub template that bakes in
// "<execroot>/bazel-out/k8-opt/bin/svc/svc.runfiles".
type Rewrite struct {
	From, To string
}

// ParseRewrite parses "FROM=TO".
func ParseRewrite(v string) (Rewrite, error) {
	from, to, ok := strings.Cut(v, "=")
	rw := Rewrite{From: from, To: to}
	if !ok {
		return rw, fmt.Errorf("rewrite %q: want FROM=TO", v)
	}
	return rw, rw.check()
}

func (rw Rewrite) check() error {
	for _, p := range []string{rw.From, rw.To} {
		if !strings.HasPrefix(p, "/") || path.Clean(p) != p || p == "/" {
			return fmt.Errorf("rewrite %q=%q: both sides must be clean absolute paths other than /", rw.From, rw.To)
		}
	}
	return nil
}

// bazelMarkers betray a path of a Bazel build machine whatever its prefix.
var bazelMarkers = regexp.MustCompile(`/[^\s'"]*(/execroot/|/bazel-out/|/_bazel_[^/\s'"]+/)[^\s'"]*`)

// pythonBinary finds the interpreter path the py_binary stubs of Bazel
// (python_stub_template.txt) and rules_python (python_bootstrap_template.txt,
// stage1_bootstrap_template.sh) bake in.
var pythonBinary = regexp.MustCompile(`(?m)^\s*(PYTHON_BINARY(?:_ACTUAL)?)\s*=\s*['"]([^'"\n]*)['"]`)

// readLauncher reads the launcher, applies the rewrites (each must match)
// and checks it for build-machine paths: forbidden prefixes, Bazel's
// execroot/output base markers, and an absolute interpreter path while the
// runfiles carry an interpreter of their own (the image would not use it).
func readLauncher(src string, rewrites []Rewrite, m *matcher, interpreterRepo string) ([]byte, error) {
	f, err := budget.Open(src)
	if err != nil {
		return nil, fmt.Errorf("reading launcher: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxLauncherSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading launcher %q: %w", src, err)
	}
	if len(data) > maxLauncherSize {
		return nil, fmt.Errorf("launcher %q is larger than %d bytes: not a py_binary stub", src, maxLauncherSize)
	}
	for _, rw := range rewrites {
		if err := rw.check(); err != nil {
			return nil, err
		}
		out, n := replacePath(data, []byte(rw.From), []byte(rw.To))
		if n == 0 {
			return nil, fmt.Errorf("rewrite %q=%q: the launcher %q does not contain %q as a path", rw.From, rw.To, src, rw.From)
		}
		data = out
	}
	if !m.empty() {
		if prefix, at := m.find(data, true); at >= 0 {
			return nil, fmt.Errorf("launcher %q: %w (rewrite it with --rewrite %s=/<in-image path>)", src, &HostPathError{Where: "the launcher", Prefix: prefix, Offset: int64(at)}, prefix)
		}
	}
	if loc := bazelMarkers.FindIndex(data); loc != nil {
		return nil, fmt.Errorf("launcher %q contains the build-machine path %q at byte %d: rewrite it with --rewrite, or use a stub that finds its runfiles at run time", src, data[loc[0]:loc[1]], loc[0])
	}
	if interpreterRepo != "" {
		for _, sm := range pythonBinary.FindAllSubmatch(data, -1) {
			if bytes.HasPrefix(sm[2], []byte("/")) {
				return nil, fmt.Errorf("launcher %q runs the interpreter %s = %q, an absolute path, although the runfiles carry the interpreter repository %q: the image would not use it (is the hermetic Python toolchain selected for this binary?)", src, sm[1], sm[2], interpreterRepo)
			}
		}
	}
	return data, nil
}

// replacePath replaces whole-path occurrences of from (see matcher) by to.
func replacePath(data, from, to []byte) ([]byte, int) {
	var out bytes.Buffer
	n, last := 0, 0
	for off := 0; off < len(data); {
		i := bytes.Index(data[off:], from)
		if i < 0 {
			break
		}
		i += off
		end := i + len(from)
		off = i + 1
		if (i > 0 && isPathByte(data[i-1])) || (end < len(data) && isPathByte(data[end])) {
			continue
		}
		out.Write(data[last:i])
		out.Write(to)
		last, off = end, end
		n++
	}
	if n == 0 {
		return data, 0
	}
	out.Write(data[last:])
	return out.Bytes(), n
}
