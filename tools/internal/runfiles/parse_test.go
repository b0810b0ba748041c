package runfiles_test

import (
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/runfiles"
)

func TestParseManifest(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    []runfiles.File
		wantErr string
	}{
		{
			name: "bazel 4 manifest",
			// As Bazel 4.2.3 wrote it for a py_binary (paths shortened):
			// empty files end in a space.
			in: "__init__.py \n" +
				"com_example/app/main.py /ws/app/main.py\n" +
				"python_x86_64-unknown-linux-gnu/bin/python3 /ob/external/python_x86_64-unknown-linux-gnu/bin/python3\n",
			want: []runfiles.File{
				{RPath: "__init__.py", Kind: runfiles.KindEmpty},
				{RPath: "com_example/app/main.py", Src: "/ws/app/main.py", Kind: runfiles.KindFile},
				{RPath: "python_x86_64-unknown-linux-gnu/bin/python3", Src: "/ob/external/python_x86_64-unknown-linux-gnu/bin/python3", Kind: runfiles.KindFile},
			},
		},
		{
			name: "no trailing newline, no trailing space, spaces in the source",
			in:   "a/__init__.py\na/b /x y/b",
			want: []runfiles.File{
				{RPath: "a/__init__.py", Kind: runfiles.KindEmpty},
				{RPath: "a/b", Src: "/x y/b", Kind: runfiles.KindFile},
			},
		},
		{
			name: "bazel 7 escaped lines",
			in:   ` _main/a\sb\nc\bd /src/a b\nc\bd` + "\n" + ` _main/e\sf ` + "\n",
			want: []runfiles.File{
				{RPath: "_main/a b\nc\\d", Src: "/src/a b\nc\\d", Kind: runfiles.KindFile},
				{RPath: "_main/e f", Kind: runfiles.KindEmpty},
			},
		},
		{name: "empty line", in: "a b\n\nc d\n", wantErr: "manifest line 2: empty line"},
		{name: "unknown escape", in: ` a\x b` + "\n", wantErr: `manifest line 1: runfiles path "a\\x": unknown escape "\\x"`},
		{name: "space escape in source", in: ` a b\sc` + "\n", wantErr: `"\s" is not an escape in a source path`},
		{name: "dangling backslash", in: ` a\` + "\n", wantErr: "dangling backslash"},
		{name: "no runfiles path", in: "  /x\n", wantErr: "no runfiles path"},
		{name: "too long", in: strings.Repeat("a", 5*4096) + " b\n", wantErr: "line longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One byte at a time: line assembly must not depend on reads.
			got, err := runfiles.ParseManifest(iotest.OneByteReader(strings.NewReader(tc.in)))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseManifest = %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseManifest (-want +got):\n%s", diff)
			}
		})
	}
}

func TestManifestLine(t *testing.T) {
	for _, tc := range []struct{ rpath, target, want string }{
		{"_main/a.py", "/svc/svc.runfiles/_main/a.py", "_main/a.py /svc/svc.runfiles/_main/a.py\n"},
		{"_main/a b.py", "/svc/svc.runfiles/_main/a b.py", ` _main/a\sb.py /svc/svc.runfiles/_main/a b.py` + "\n"},
		{"_main/a\\b", "/t/a\\b", ` _main/a\bb /t/a\bb` + "\n"},
		{"_main/e", "", "_main/e \n"},
	} {
		if got := runfiles.ManifestLine(tc.rpath, tc.target); got != tc.want {
			t.Errorf("ManifestLine(%q, %q) = %q, want %q", tc.rpath, tc.target, got, tc.want)
		}
	}
}

func TestParseSpec(t *testing.T) {
	good := `{"service": "task_builder", "workspace": "_main", "launcher": "bazel-out/bin/tb",
	  "files": [
	    {"rpath": "_main/tb/main.py", "src": "tb/main.py", "kind": "file"},
	    {"rpath": "_main/tb/__init__.py", "src": null, "kind": "empty"},
	    {"rpath": "_main/tb/conf", "src": "tb/conf.json", "kind": "symlink"},
	    {"rpath": "conf.json", "src": "tb/conf.json", "kind": "root_symlink"},
	    {"rpath": "_main/tb/main.py", "src": "tb/main.py"}
	  ]}`
	s, err := runfiles.ParseSpec([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []runfiles.File{
		{RPath: "_main/tb/__init__.py", Kind: runfiles.KindEmpty},
		{RPath: "_main/tb/conf", Src: "tb/conf.json", Kind: runfiles.KindSymlink},
		{RPath: "_main/tb/main.py", Src: "tb/main.py", Kind: runfiles.KindFile},
		{RPath: "conf.json", Src: "tb/conf.json", Kind: runfiles.KindRootSymlink},
	}
	if diff := cmp.Diff(want, s.Files); diff != "" {
		t.Errorf("files, sorted and merged (-want +got):\n%s", diff)
	}

	for _, tc := range []struct{ name, in, wantErr string }{
		{"unknown field", `{"service": "s", "mdoe": 1}`, `unknown field "mdoe"`},
		{"trailing data", `{"service": "s"} {}`, "trailing data"},
		{"trailing brace", `{"service": "s"}}`, "trailing data"},
		{"not an object", `[]`, "cannot unmarshal array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runfiles.ParseSpec([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseSpec = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	base := func() *runfiles.Spec {
		return &runfiles.Spec{Service: "svc", Workspace: "_main", Launcher: "l", Files: []runfiles.File{{RPath: "_main/a.py", Src: "a.py"}}}
	}
	for _, tc := range []struct {
		name    string
		edit    func(s *runfiles.Spec)
		wantErr string
	}{
		{"no service", func(s *runfiles.Spec) { s.Service = "" }, "no service given"},
		{"service with a slash", func(s *runfiles.Spec) { s.Service = "a/b" }, `service "a/b" is not a single path element`},
		{"service ..", func(s *runfiles.Spec) { s.Service = ".." }, `service ".." is not a single path element`},
		{"whiteout service", func(s *runfiles.Spec) { s.Service = ".wh.svc" }, "not a single path element"},
		{"no workspace", func(s *runfiles.Spec) { s.Workspace = "" }, "no workspace given"},
		{"no launcher", func(s *runfiles.Spec) { s.Launcher = "" }, "no launcher given"},
		{"interpreter is main", func(s *runfiles.Spec) { s.InterpreterRepo = "_main" }, "is the main repository"},
		{"absolute rpath", func(s *runfiles.Spec) { s.Files[0].RPath = "/etc/passwd" }, "is absolute"},
		{"escaping rpath", func(s *runfiles.Spec) { s.Files[0].RPath = "_main/../../x" }, `".." element`},
		{"whiteout rpath", func(s *runfiles.Spec) { s.Files[0].RPath = "_main/.wh.x" }, "whiteout"},
		{"reserved MANIFEST", func(s *runfiles.Spec) { s.Files[0].RPath = "MANIFEST" }, "MANIFEST is generated"},
		{"empty with src", func(s *runfiles.Spec) { s.Files[0].Kind = runfiles.KindEmpty }, "an empty file has no src"},
		{"file without src", func(s *runfiles.Spec) { s.Files[0].Src = "" }, `use kind "empty"`},
		{"unknown kind", func(s *runfiles.Spec) { s.Files[0].Kind = "dir" }, `unknown kind "dir"`},
		{"symlink outside the workspace", func(s *runfiles.Spec) {
			s.Files[0] = runfiles.File{RPath: "other/x", Src: "x", Kind: runfiles.KindSymlink}
		}, `a symlink's rpath starts with the workspace "_main"`},
		{"two sources", func(s *runfiles.Spec) {
			s.Files = append(s.Files, runfiles.File{RPath: "_main/a.py", Src: "b.py"})
		}, `runfile "_main/a.py" has two sources: file "a.py" and file "b.py"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.edit(s)
			err := s.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Validate = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
