package docsync_test

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The product is rules/ and nothing else: what a user loads must never
// reach the Bazel 4.2.3 harness (bazel4/), rules_go, gazelle or a language
// rule set, and every BUILD/.bzl file loads the rules it calls, so that
// Bazel 9 (no autoloaded native rules) reads them.

var (
	loadRE = regexp.MustCompile(`(?m)^load\(\s*"([^"]+)"((?:\s*,\s*(?:\w+\s*=\s*)?"[^"]*")*)`)
	symRE  = regexp.MustCompile(`"([^"]*)"`)
)

// productEntryPoints are the files users load.
var productEntryPoints = []string{"rules/defs.bzl", "rules/extensions.bzl", "rules/repositories.bzl"}

// loadsOf returns the labels a Starlark file loads and the names it binds.
func loadsOf(t *testing.T, root, file string) (labels []string, names map[string]bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	names = map[string]bool{}
	for _, m := range loadRE.FindAllStringSubmatch(string(b), -1) {
		labels = append(labels, m[1])
		for _, s := range symRE.FindAllStringSubmatch(m[2], -1) {
			names[s[1]] = true
		}
	}
	return labels, names
}

// repoFile maps a label of rules_odp to a file path, or "" for another
// repository's label.
func repoFile(from, label string) string {
	l := label
	if strings.HasPrefix(l, "@rules_odp//") {
		l = strings.TrimPrefix(l, "@rules_odp")
	}
	switch {
	case strings.HasPrefix(l, "//"):
		pkg, name, _ := strings.Cut(l[2:], ":")
		return path.Join(pkg, name)
	case strings.HasPrefix(l, ":"):
		return path.Join(path.Dir(from), l[1:])
	}
	return ""
}

func TestProductLoadGraph(t *testing.T) {
	root := repoRoot(t)
	forbiddenRepos := []string{"@io_bazel_rules_go", "@bazel_gazelle", "@rules_python", "@rules_java", "@rules_cc", "@rules_shell"}
	seen := map[string]string{} // file -> who loaded it first
	queue := append([]string(nil), productEntryPoints...)
	for _, f := range productEntryPoints {
		seen[f] = "(entry point)"
	}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		labels, _ := loadsOf(t, root, f)
		for _, l := range labels {
			for _, bad := range forbiddenRepos {
				if strings.HasPrefix(l, bad+"//") {
					t.Errorf("%s loads %s: the product must not need %s (users may not have it)", f, l, bad)
				}
			}
			target := repoFile(f, l)
			if target == "" {
				continue
			}
			if !strings.HasPrefix(target, "rules/") {
				t.Errorf("%s loads %s (%s), outside rules/: the product may load only its own files", f, l, target)
				continue
			}
			if _, ok := seen[target]; !ok {
				seen[target] = f
				queue = append(queue, target)
			}
		}
	}
	if len(seen) < 10 {
		t.Fatalf("the walk reached only %d files from %v", len(seen), productEntryPoints)
	}
}

// No file under rules/ loads the harness, whether or not the entry points
// reach it, and none loads Bazel's own Python toolchain helpers.
func TestRulesNeverLoadHarness(t *testing.T) {
	root := repoRoot(t)
	n := 0
	err := filepath.WalkDir(filepath.Join(root, "rules"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isStarlark(d.Name()) {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		labels, _ := loadsOf(t, root, rel)
		for _, l := range labels {
			if target := repoFile(rel, l); strings.HasPrefix(target, "bazel4/") {
				t.Errorf("%s loads %s: rules/ must not load the Bazel 4 harness", rel, l)
			}
			if strings.HasPrefix(l, "@bazel_tools//tools/python:") {
				t.Errorf("%s loads %s: load Python rules from rules_python", rel, l)
			}
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 15 {
		t.Fatalf("checked only %d files under rules/", n)
	}
}

// Rules that Bazel 9 no longer has built in must be loaded where they are
// called, in the product, the examples and the e2e workspaces.
func TestLanguageRulesAreLoaded(t *testing.T) {
	root := repoRoot(t)
	rules := []string{"py_binary", "py_library", "py_test", "py_runtime", "py_runtime_pair", "sh_binary", "sh_library", "sh_test",
		"java_binary", "java_library", "java_import", "java_test", "cc_binary", "cc_library", "cc_test", "cc_import"}
	callRE := regexp.MustCompile(`(?m)^\s*(` + strings.Join(rules, "|") + `)\(`)
	var missing []string
	n := 0
	for _, dir := range []string{"rules", "examples", "e2e"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !isStarlark(d.Name()) {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, names := loadsOf(t, root, rel)
			for _, m := range callRE.FindAllStringSubmatch(string(b), -1) {
				if !names[m[1]] {
					missing = append(missing, rel+": "+m[1])
				}
			}
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("%s is called without being loaded (Bazel 9 has no native one): load it from rules_python/rules_shell/rules_java/rules_cc", m)
	}
	if n < 30 {
		t.Fatalf("checked only %d files", n)
	}
}

func isStarlark(name string) bool {
	return strings.HasSuffix(name, ".bzl") || name == "BUILD.bazel" || name == "BUILD"
}
