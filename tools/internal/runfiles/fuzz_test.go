package runfiles_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/layer"
	"github.com/rules-odp/rules_odp/tools/internal/runfiles"
)

// FuzzParseManifest: any input parses or fails cleanly, and what parses
// survives a round trip through ManifestLine (the writer of the in-image
// manifest) unchanged.
func FuzzParseManifest(f *testing.F) {
	for _, seed := range []string{
		"__init__.py \ncom_example/app/main.py /ws/app/main.py\n",
		` _main/a\sb\nc\bd /src/a b\nc\bd` + "\n",
		"a/b /x y/b",
		"a\n\nb\n",
		` a\x b`,
		" \n",
		"x " + strings.Repeat("y", 100) + "\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		files, err := runfiles.ParseManifest(bytes.NewReader(data))
		if err != nil {
			return
		}
		var again bytes.Buffer
		for _, fl := range files {
			if fl.RPath == "" {
				t.Fatalf("parsed an empty runfiles path from %q", data)
			}
			again.WriteString(runfiles.ManifestLine(fl.RPath, fl.Src))
		}
		back, err := runfiles.ParseManifest(&again)
		if err != nil {
			t.Fatalf("re-parsing %q: %v", again.Bytes(), err)
		}
		if diff := cmp.Diff(files, back); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// FuzzParseSpec: any input parses and validates or fails cleanly; a valid
// spec only holds runfiles paths the layer writer accepts, each once.
func FuzzParseSpec(f *testing.F) {
	for _, seed := range []string{
		`{"service": "task_builder", "workspace": "_main", "launcher": "l", "files": [{"rpath": "_main/a.py", "src": "a.py", "kind": "file"}, {"rpath": "__init__.py", "src": null, "kind": "empty"}]}`,
		`{"service": "s", "workspace": "w", "launcher": "l", "files": [{"rpath": "w/x", "src": "x", "kind": "symlink"}, {"rpath": "x", "src": "x", "kind": "root_symlink"}]}`,
		`{"service": "s", "workspace": "w", "launcher": "l", "files": [{"rpath": "../x", "src": "x"}]}`,
		`{"service": "s", "workspace": "w", "launcher": "l", "files": [{"rpath": "w/a", "src": "x"}, {"rpath": "w/a/b", "src": "y"}]}`,
		`{"service": "s", "interpreter_repo": "p", "package_repos": ["q"], "workspace": "w", "launcher": "l", "files": []}`,
		`{"service": 1}`,
		`{}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := runfiles.ParseSpec(data)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			return
		}
		seen := map[string]bool{}
		for _, fl := range s.Files {
			if err := layer.CheckPath(fl.RPath); err != nil {
				t.Fatalf("valid spec holds rpath %q: %v", fl.RPath, err)
			}
			if seen[fl.RPath] {
				t.Fatalf("valid spec holds rpath %q twice", fl.RPath)
			}
			seen[fl.RPath] = true
		}
		for p := range seen {
			for dir := p; strings.Contains(dir, "/"); {
				dir = dir[:strings.LastIndexByte(dir, '/')]
				if seen[dir] {
					t.Fatalf("valid spec holds %q below %q", p, dir)
				}
			}
		}
	})
}
