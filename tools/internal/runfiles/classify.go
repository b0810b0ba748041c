package runfiles

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Layer is one of the three layers a py_binary is split into.
type Layer int

const (
	Interpreter Layer = iota
	Packages
	App
	numLayers
)

func (l Layer) String() string {
	switch l {
	case Interpreter:
		return "interpreter"
	case Packages:
		return "packages"
	case App:
		return "app"
	}
	return fmt.Sprintf("Layer(%d)", int(l))
}

// RepoOf returns the repository a runfiles path belongs to and the path
// inside it: the first path element, except that the legacy copies Bazel
// makes under "<workspace>/external/<repo>/..." (--legacy_external_runfiles,
// on by default before Bazel 8) belong to <repo>. Root-level files
// ("__init__.py", "_repo_mapping") belong to no repository ("").
func RepoOf(rpath, workspace string) (repo, rest string) {
	first, after, ok := strings.Cut(rpath, "/")
	if !ok {
		return "", rpath
	}
	if first == workspace {
		if ext, ok := strings.CutPrefix(after, "external/"); ok {
			if r, inRepo, ok := strings.Cut(ext, "/"); ok {
				return r, inRepo
			}
		}
	}
	return first, after
}

// apparentName is the last segment of a canonical repository name:
// "rules_python~~pip~pypi_310_numpy" (Bazel 7), "rules_python++pip+pypi_310_numpy"
// (Bazel 8) and "rules_python~0.31.0~pip~pypi_310_numpy" (Bazel 6) all give
// "pypi_310_numpy"; a WORKSPACE name is returned unchanged.
func apparentName(repo string) string {
	if i := strings.LastIndexAny(repo, "~+"); i >= 0 {
		return repo[i+1:]
	}
	return repo
}

// extensionName is the module extension segment of a canonical name
// ("pip" in "rules_python~~pip~pypi_310_numpy"), or "".
func extensionName(repo string) string {
	i := strings.LastIndexAny(repo, "~+")
	if i < 0 {
		return ""
	}
	head := strings.TrimRight(repo[:i], "~+")
	if j := strings.LastIndexAny(head, "~+"); j >= 0 {
		return head[j+1:]
	}
	return ""
}

// toolchainRepo matches the repositories rules_python's
// python_register_toolchains (WORKSPACE) and python extension (bzlmod)
// create for one interpreter build: "<name>_<target triple>", e.g.
// "python_x86_64-unknown-linux-gnu", "python3_11_aarch64-apple-darwin",
// "python_3_13_x86_64-unknown-linux-gnu-freethreaded". pip repository names
// are normalised to [a-z0-9_], so a triple (which has dashes) cannot be
// a package's name.
var toolchainRepo = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.]*_` +
	`(x86_64|aarch64|arm64|ppc64le|s390x|riscv64|armv7|i386|i686)-` +
	`(unknown|apple|pc)-` +
	`(linux-gnu|linux-musl|linux-gnueabihf|darwin|windows-msvc|windows-gnu)` +
	`(-freethreaded)?$`)

// isPipName reports whether a repository's name says it holds one pip
// package: WORKSPACE "pypi_<pkg>", "pip_<pkg>" (rules_python's default
// hub names, and "pypi__<pkg>" of its oldest pip_import), and any
// "<hub>_<pkg>" created by rules_python's bzlmod "pip" extension.
func isPipName(repo string) bool {
	name := apparentName(repo)
	if strings.HasPrefix(name, "pypi_") || strings.HasPrefix(name, "pip_") {
		return true
	}
	return extensionName(repo) == "pip" && strings.Contains(name, "_")
}

// IsToolchainRepoName reports whether a repository's name is that of a
// rules_python interpreter repository. A name that isPipName never is,
// whatever else it contains (aspect rules_py#787 put
// "pypi_python_dateutil" into the interpreter layer by regex).
func IsToolchainRepoName(repo string) bool {
	if isPipName(repo) {
		return false
	}
	return toolchainRepo.MatchString(apparentName(repo))
}

// isInterpreterBinary reports whether a path inside a repository is a
// Python interpreter as python-build-standalone lays it out.
func isInterpreterBinary(rest string) bool {
	switch rest {
	case "python.exe", "python3.exe", "bin/python", "bin/python3":
		return true
	}
	v, ok := strings.CutPrefix(rest, "bin/python3.")
	if !ok || v == "" {
		return false
	}
	v = strings.TrimSuffix(v, "t") // free-threaded builds: python3.13t
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return v != ""
}

// looksLikePackage reports whether a path inside a repository is what a
// pip package repository holds: rules_python's whl_library extracts into
// site-packages/; older releases extracted at the repository root, with a
// *.dist-info (or *.egg-info) directory next to the modules.
func looksLikePackage(rest string) bool {
	first, _, _ := strings.Cut(rest, "/")
	return first == "site-packages" || strings.HasSuffix(first, ".dist-info") || strings.HasSuffix(first, ".egg-info")
}

// Classification maps every repository of the runfiles to its layer.
type Classification struct {
	// Interpreter is the interpreter repository, "" if there is none.
	Interpreter string
	// Repos maps each repository ("" for root-level files) to its layer.
	Repos map[string]Layer
}

// Layer returns the layer of a runfiles path.
func (c *Classification) Layer(rpath, workspace string) Layer {
	repo, _ := RepoOf(rpath, workspace)
	return c.Repos[repo]
}

// Classify decides the layer of every repository in the spec:
//   - the interpreter repository (named by InterpreterRepo, else the one
//     repository whose name IsToolchainRepoName and which holds
//     bin/python3) goes to the interpreter layer, all of it, its own
//     lib/python3.x/site-packages included (aspect rules_py#555 split that
//     off by regex);
//   - package repositories (PackageRepos, names isPipName, or content that
//     looksLikePackage) go to the packages layer, all of them: files outside
//     site-packages (the generated __init__.py, data, bin) change with the
//     package, not with the application;
//   - the main repository, root-level files and every other repository go
//     to the app layer, even if they contain a site-packages directory.
//
// With allowNoInterpreter false, finding no interpreter is an error.
func Classify(s *Spec, allowNoInterpreter bool) (*Classification, error) {
	content := map[string][]string{} // repo -> paths inside it
	for _, f := range s.Files {
		repo, rest := RepoOf(f.RPath, s.Workspace)
		content[repo] = append(content[repo], rest)
	}
	repos := make([]string, 0, len(content))
	for r := range content {
		repos = append(repos, r)
	}
	sort.Strings(repos)

	interp, err := findInterpreter(s, repos, content, allowNoInterpreter)
	if err != nil {
		return nil, err
	}
	explicit := map[string]bool{}
	for _, r := range s.PackageRepos {
		if _, ok := content[r]; !ok {
			return nil, fmt.Errorf("package_repos: repository %q has no runfiles (repositories: %s)", r, list(repos))
		}
		explicit[r] = true
	}
	c := &Classification{Interpreter: interp, Repos: make(map[string]Layer, len(repos))}
	for _, r := range repos {
		switch {
		case r == "" || r == s.Workspace:
			c.Repos[r] = App
		case r == interp:
			c.Repos[r] = Interpreter
		case explicit[r] || isPipName(r) || anyOf(content[r], looksLikePackage):
			c.Repos[r] = Packages
		default:
			c.Repos[r] = App
		}
	}
	return c, nil
}

func findInterpreter(s *Spec, repos []string, content map[string][]string, allowNone bool) (string, error) {
	var byName []string
	for _, r := range repos {
		if r != "" && r != s.Workspace && IsToolchainRepoName(r) {
			byName = append(byName, r)
		}
	}
	if s.InterpreterRepo != "" {
		if _, ok := content[s.InterpreterRepo]; !ok {
			return "", fmt.Errorf("interpreter_repo %q has no runfiles (repositories: %s)", s.InterpreterRepo, list(repos))
		}
		for _, r := range byName {
			if r != s.InterpreterRepo {
				return "", fmt.Errorf("repository %q looks like a Python interpreter too, but interpreter_repo is %q: remove it from the binary's runfiles", r, s.InterpreterRepo)
			}
		}
		return s.InterpreterRepo, nil
	}
	switch len(byName) {
	case 0:
		if allowNone {
			return "", nil
		}
		return "", fmt.Errorf("no Python interpreter repository among the runfiles (repositories: %s): name it with interpreter_repo, or allow an image without one (the launcher then needs a python3 in the base image)", list(repos))
	case 1:
		r := byName[0]
		if !anyOf(content[r], isInterpreterBinary) {
			return "", fmt.Errorf("repository %q is named like a rules_python interpreter but holds no bin/python3: name the interpreter with interpreter_repo", r)
		}
		return r, nil
	}
	return "", fmt.Errorf("several repositories look like Python interpreters (%s): name the one to use with interpreter_repo", list(byName))
}

func anyOf(paths []string, pred func(string) bool) bool {
	for _, p := range paths {
		if pred(p) {
			return true
		}
	}
	return false
}

func list(repos []string) string {
	q := make([]string, len(repos))
	for i, r := range repos {
		q[i] = fmt.Sprintf("%q", r)
		if r == "" {
			q[i] = "(root-level files)"
		}
	}
	return strings.Join(q, ", ")
}
