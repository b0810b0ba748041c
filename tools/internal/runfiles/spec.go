// Package runfiles splits a Bazel py_binary's runfiles into the three image
// layers of the seed's Python workloads — interpreter, third-party packages
// and the application — under /<service>/, classifying every runfile by the
// repository it comes from rather than by a path regex (see
// docs/python-layers.md for the rules and why).
package runfiles

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/layer"
	"github.com/rules-odp/rules_odp/tools/internal/strictjson"
)

// Kind says how Bazel put a file into the runfiles.
type Kind string

const (
	// KindFile is a file (or a tree artifact: a directory) of runfiles.files.
	KindFile Kind = "file"
	// KindEmpty is a generated empty file, such as the __init__.py files
	// py_binary creates (runfiles.empty_filenames).
	KindEmpty Kind = "empty"
	// KindSymlink is an entry of runfiles.symlinks: its RPath starts with
	// the workspace name.
	KindSymlink Kind = "symlink"
	// KindRootSymlink is an entry of runfiles.root_symlinks: its RPath is
	// relative to the runfiles root and may name any repository.
	KindRootSymlink Kind = "root_symlink"
)

// File is one runfile.
type File struct {
	// RPath is the path below the runfiles root, as the MANIFEST spells it:
	// "<repo>/<path in repo>" ("_main/app/main.py", "pypi_six/six.py") or a
	// root-level name ("__init__.py", "_repo_mapping").
	RPath string `json:"rpath"`
	// Src is the file (or directory, for a tree artifact) to copy, relative
	// to the working directory or absolute. Empty for KindEmpty.
	Src string `json:"src"`
	// Kind defaults to "file".
	Kind Kind `json:"kind,omitempty"`
}

// Spec is what the Starlark rule writes with ctx.actions.write: the
// binary's runfiles and how to name things in the image.
type Spec struct {
	// Service names the launcher <directory>/<service> and its runfiles
	// <directory>/<service>.runfiles.
	Service string `json:"service"`
	// Directory is the absolute, clean directory of the launcher in the
	// image; empty means /<service> (the seed's layout). The real
	// task_builder lives at /python/taskbuilder/task_builder.
	Directory string `json:"directory,omitempty"`
	// Workspace is the main repository's runfiles directory name
	// (ctx.workspace_name: "_main" under bzlmod, the WORKSPACE name
	// otherwise).
	Workspace string `json:"workspace"`
	// InterpreterRepo names the Python interpreter's repository (its
	// runfiles directory name). Empty: recognise rules_python's toolchain
	// repositories by name and content.
	InterpreterRepo string `json:"interpreter_repo,omitempty"`
	// PackageRepos names third-party package repositories that neither
	// their name nor their content identify (see docs/python-layers.md).
	PackageRepos []string `json:"package_repos,omitempty"`
	// Launcher is the executable Bazel built (the py_binary stub).
	Launcher string `json:"launcher"`
	// Files are the runfiles.
	Files []File `json:"files"`
}

// ParseSpec decodes a JSON spec; unknown fields and trailing data are
// errors. Values are checked by Validate (which Plan calls), so that flags
// may still fill in what the spec leaves out.
func ParseSpec(data []byte) (*Spec, error) {
	var s Spec
	if err := strictjson.UnmarshalKnown(data, &s); err != nil {
		return nil, fmt.Errorf("parsing runfiles spec: %w", err)
	}
	return &s, nil
}

// Dir is the launcher's directory in the image, relative to the root
// (no leading "/"): Directory, else <service>.
func (s *Spec) Dir() string {
	if s.Directory == "" {
		return s.Service
	}
	return strings.TrimPrefix(s.Directory, "/")
}

// checkDirectory accepts an absolute, clean path below the root.
func checkDirectory(d string) error {
	if !strings.HasPrefix(d, "/") || d == "/" || path.Clean(d) != d || strings.ContainsAny(d, "\\\x00\n") {
		return fmt.Errorf("directory %q is not an absolute, clean path below / (e.g. /python/taskbuilder)", d)
	}
	if err := layer.CheckPath(d[1:]); err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	return nil
}

// manifestName is the runfiles tree's own manifest, which we generate.
const manifestName = "MANIFEST"

// Validate checks names and runfiles paths and merges duplicate runfiles:
// the same path twice with the same source is kept once, with different
// sources it is an error. Files are left sorted by RPath.
func (s *Spec) Validate() error {
	if err := checkName("service", s.Service); err != nil {
		return err
	}
	if err := checkName("workspace", s.Workspace); err != nil {
		return err
	}
	if s.Directory != "" {
		if err := checkDirectory(s.Directory); err != nil {
			return err
		}
	}
	if s.InterpreterRepo != "" {
		if err := checkName("interpreter_repo", s.InterpreterRepo); err != nil {
			return err
		}
		if s.InterpreterRepo == s.Workspace {
			return fmt.Errorf("interpreter_repo %q is the main repository", s.InterpreterRepo)
		}
	}
	for _, r := range s.PackageRepos {
		if err := checkName("package_repos", r); err != nil {
			return err
		}
		if r == s.Workspace || r == s.InterpreterRepo {
			return fmt.Errorf("package_repos: %q is the main or the interpreter repository", r)
		}
	}
	if s.Launcher == "" {
		return fmt.Errorf("no launcher given")
	}
	if strings.ContainsRune(s.Launcher, 0) {
		return fmt.Errorf("launcher %q contains a NUL byte", s.Launcher)
	}
	for i := range s.Files {
		f := &s.Files[i]
		if f.Kind == "" {
			f.Kind = KindFile
		}
		if err := f.check(s.Workspace); err != nil {
			return err
		}
	}
	files, err := dedupe(s.Files)
	if err != nil {
		return err
	}
	s.Files = files
	return nil
}

func checkName(what, v string) error {
	if v == "" {
		return fmt.Errorf("no %s given", what)
	}
	if err := layer.CheckPath(v); err != nil || strings.ContainsRune(v, '/') {
		return fmt.Errorf("%s %q is not a single path element", what, v)
	}
	return nil
}

func (f *File) check(workspace string) error {
	if err := layer.CheckPath(f.RPath); err != nil {
		return fmt.Errorf("runfile %q: %w", f.RPath, err)
	}
	if f.RPath == manifestName {
		return fmt.Errorf("runfile %q: the runfiles tree's MANIFEST is generated, it cannot be a runfile", f.RPath)
	}
	if strings.ContainsRune(f.Src, 0) {
		return fmt.Errorf("runfile %q: source contains a NUL byte", f.RPath)
	}
	switch f.Kind {
	case KindEmpty:
		if f.Src != "" {
			return fmt.Errorf("runfile %q: an empty file has no src (got %q)", f.RPath, f.Src)
		}
		return nil
	case KindSymlink:
		if !strings.HasPrefix(f.RPath, workspace+"/") {
			return fmt.Errorf("runfile %q: a symlink's rpath starts with the workspace %q (runfiles.symlinks are relative to it)", f.RPath, workspace)
		}
	case KindFile, KindRootSymlink:
	default:
		return fmt.Errorf("runfile %q: unknown kind %q (want file, empty, symlink or root_symlink)", f.RPath, f.Kind)
	}
	if f.Src == "" {
		return fmt.Errorf("runfile %q: no src (use kind \"empty\" for an empty file)", f.RPath)
	}
	return nil
}

// dedupe sorts files by RPath and merges exact duplicates. Bazel lets a
// symlink and a file share a runfiles path with a mere warning; which one
// wins depends on Bazel's version, so we refuse the ambiguity.
func dedupe(files []File) ([]File, error) {
	sorted := append([]File(nil), files...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].RPath < sorted[j].RPath })
	out := sorted[:0]
	for _, f := range sorted {
		if n := len(out); n > 0 && out[n-1].RPath == f.RPath {
			prev := out[n-1]
			if prev.Src != f.Src || (prev.Kind == KindEmpty) != (f.Kind == KindEmpty) {
				return nil, fmt.Errorf("runfile %q has two sources: %s and %s", f.RPath, describe(prev), describe(f))
			}
			continue
		}
		out = append(out, f)
	}
	// A runfile below another one would make that one both a file and a
	// directory (a tree artifact's contents come from its source only).
	for i, f := range out {
		for dir := parentOf(f.RPath); dir != ""; dir = parentOf(dir) {
			j := sort.Search(i, func(k int) bool { return out[k].RPath >= dir })
			if j < i && out[j].RPath == dir {
				return nil, fmt.Errorf("runfile %q is below runfile %q: a path cannot be both a runfile and a directory of others", f.RPath, dir)
			}
		}
	}
	return out, nil
}

func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

func describe(f File) string {
	if f.Kind == KindEmpty {
		return "an empty file"
	}
	return fmt.Sprintf("%s %q", f.Kind, f.Src)
}
