package runfiles_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/golden"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
	"github.com/rules-odp/rules_odp/tools/internal/runfiles"
)

// setSrc points the runfile rpath at the source of another (Bazel's
// legacy external copies) or at the launcher (its copy in the runfiles).
func setSrc(t *testing.T, s *runfiles.Spec, rpath, src string) {
	t.Helper()
	for i := range s.Files {
		if s.Files[i].RPath == rpath {
			s.Files[i].Src = src
			return
		}
	}
	t.Fatalf("no runfile %q", rpath)
}

func srcOf(t *testing.T, s *runfiles.Spec, rpath string) string {
	t.Helper()
	for _, f := range s.Files {
		if f.RPath == rpath {
			return f.Src
		}
	}
	t.Fatalf("no runfile %q", rpath)
	return ""
}

func writeSplit(t *testing.T, s *runfiles.Spec, cfg runfiles.Config, dir, ext string) ([3]string, [3]layer.Result) {
	t.Helper()
	sp, err := runfiles.Plan(s, cfg)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	var outs [3]string
	for i := range outs {
		outs[i] = filepath.Join(dir, runfiles.Layer(i).String()+ext)
	}
	res, err := sp.WriteFiles(outs, [3]layer.Options{})
	if err != nil {
		t.Fatalf("WriteFiles: %v", err)
	}
	return outs, res
}

func workspaceSpec(t *testing.T, dir string) *runfiles.Spec {
	s := workspaceTree().write(t, dir, "task_builder", "com_example")
	setSrc(t, s, "com_example/task_builder/task_builder", s.Launcher)
	setSrc(t, s, "com_example/external/pypi_numpy/site-packages/numpy/__init__.py", srcOf(t, s, "pypi_numpy/site-packages/numpy/__init__.py"))
	return s
}

func bzlmodSpec(t *testing.T, dir string) *runfiles.Spec {
	s := bzlmodTree().write(t, dir, "task_builder", "_main")
	setSrc(t, s, "_main/task_builder/task_builder", s.Launcher)
	mkfile(t, s.Launcher, stub("rules_python~~python~python_3_10_x86_64-unknown-linux-gnu/bin/python3"), 0o755)
	return s
}

// TestGolden pins the listing and digests of the three layers for both
// repository naming schemes: which file goes where is the contract.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec func(*testing.T, string) *runfiles.Spec
	}{
		{"workspace", workspaceSpec},
		{"bzlmod", bzlmodSpec},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			outs, res := writeSplit(t, tc.spec(t, dir), runfiles.Config{}, dir, ".tar")
			var got strings.Builder
			for i, out := range outs {
				fmt.Fprintf(&got, "== %s layer diff_id=%s size=%d\n", runfiles.Layer(i), res[i].DiffID, res[i].Size)
				for _, l := range readListing(t, out) {
					fmt.Fprintln(&got, l.String())
				}
			}
			golden.Check(t, filepath.Join("testdata", tc.name+".golden"), []byte(got.String()))
		})
	}
}

// layerOf maps each regular file, link and symlink of the written layers to
// the layer holding it.
func layerOf(t *testing.T, outs [3]string) map[string]runfiles.Layer {
	t.Helper()
	m := map[string]runfiles.Layer{}
	for i, out := range outs {
		for _, l := range readListing(t, out) {
			if l.Type == "dir" {
				continue
			}
			if prev, dup := m[l.Path]; dup {
				t.Fatalf("%q is in the %s and the %s layer", l.Path, prev, runfiles.Layer(i))
			}
			m[l.Path] = runfiles.Layer(i)
		}
	}
	return m
}

func TestPlacement(t *testing.T) {
	dir := t.TempDir()
	outs, _ := writeSplit(t, workspaceSpec(t, dir), runfiles.Config{}, dir, ".tar.gz")
	got := layerOf(t, outs)
	const rf = "task_builder/task_builder.runfiles/"
	for _, tc := range []struct {
		path string
		want runfiles.Layer
		why  string
	}{
		{rf + "python_x86_64-unknown-linux-gnu/bin/python3", runfiles.Interpreter, "the interpreter"},
		{rf + "python_x86_64-unknown-linux-gnu/lib/python3.10/site-packages/pip/__init__.py", runfiles.Interpreter, "rules_py#555: the interpreter's own site-packages"},
		{rf + "pypi_python_dateutil/site-packages/dateutil/__init__.py", runfiles.Packages, "rules_py#787: a package whose name contains python"},
		{rf + "pypi_python-3/site-packages/x/__init__.py", runfiles.Packages, "rules_py#787: python.*- in a package name"},
		{rf + "pypi_python_dateutil/__init__.py", runfiles.Packages, "a package repository's generated __init__.py"},
		{rf + "pypi_numpy/bin/f2py", runfiles.Packages, "a package's files outside site-packages"},
		{rf + "pypi_numpy/data/LICENSE.txt", runfiles.Packages, "a package's files outside site-packages"},
		{rf + "deps_six/site-packages/six.py", runfiles.Packages, "a <hub>_<pkg> repository recognised by content"},
		{rf + "com_example/external/pypi_numpy/site-packages/numpy/__init__.py", runfiles.Packages, "a legacy external copy goes with its repository"},
		{rf + "com_example/external/__init__.py", runfiles.App, "the main repository"},
		{rf + "com_example/task_builder/main.py", runfiles.App, "the main repository"},
		{rf + "rules_python/python/runfiles/runfiles.py", runfiles.App, "other repositories"},
		{rf + "__init__.py", runfiles.App, "root-level files"},
		{rf + "MANIFEST", runfiles.App, "the generated manifest"},
		{"task_builder/task_builder.runfiles_manifest", runfiles.App, "the generated manifest"},
		{"task_builder/task_builder", runfiles.App, "the launcher"},
	} {
		if l, ok := got[tc.path]; !ok || l != tc.want {
			t.Errorf("%s (%s): in layer %v (found %v), want %v", tc.path, tc.why, l, ok, tc.want)
		}
	}
}

// Directory puts the launcher, its runfiles and the manifest below another
// directory (the real task_builder lives at /python/taskbuilder), and the
// manifest names the in-image paths there.
func TestDirectory(t *testing.T) {
	dir := t.TempDir()
	s := workspaceSpec(t, dir)
	s.Directory = "/python/taskbuilder"
	outs, _ := writeSplit(t, s, runfiles.Config{}, dir, ".tar")
	got := layerOf(t, outs)
	for path, want := range map[string]runfiles.Layer{
		"python/taskbuilder/task_builder":                                                                  runfiles.App,
		"python/taskbuilder/task_builder.runfiles_manifest":                                                runfiles.App,
		"python/taskbuilder/task_builder.runfiles/MANIFEST":                                                runfiles.App,
		"python/taskbuilder/task_builder.runfiles/python_x86_64-unknown-linux-gnu/bin/python3":             runfiles.Interpreter,
		"python/taskbuilder/task_builder.runfiles/pypi_python_dateutil/site-packages/dateutil/__init__.py": runfiles.Packages,
	} {
		if l, ok := got[path]; !ok || l != want {
			t.Errorf("%s: in layer %v (found %v), want %v", path, l, ok, want)
		}
	}
	for path := range got {
		if strings.HasPrefix(path, "task_builder/") {
			t.Errorf("%s is outside the directory", path)
		}
	}
	img := extract(t, outs)
	manifest, err := os.ReadFile(filepath.Join(img, "python/taskbuilder/task_builder.runfiles_manifest"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(manifest), " /python/taskbuilder/task_builder.runfiles/") {
		t.Errorf("the manifest does not name in-image paths below the directory:\n%.300s", manifest)
	}
	for _, bad := range []string{"python/taskbuilder", "/python/../x", "/", "/python/taskbuilder/", "/a//b"} {
		s.Directory = bad
		if _, err := runfiles.Plan(s, runfiles.Config{}); err == nil || !strings.Contains(err.Error(), "directory") {
			t.Errorf("Directory %q: err = %v, want one naming the directory", bad, err)
		}
	}
}

func TestManifestInImage(t *testing.T) {
	dir := t.TempDir()
	s := workspaceSpec(t, dir)
	outs, _ := writeSplit(t, s, runfiles.Config{}, dir, ".tar")
	img := extract(t, outs)
	got, err := os.ReadFile(filepath.Join(img, "task_builder/task_builder.runfiles_manifest"))
	if err != nil {
		t.Fatal(err)
	}
	inner, err := os.ReadFile(filepath.Join(img, "task_builder/task_builder.runfiles/MANIFEST"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, inner) {
		t.Errorf("runfiles_manifest and runfiles/MANIFEST differ")
	}
	files, err := runfiles.ParseManifest(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(s.Files) {
		t.Errorf("manifest has %d lines, want %d", len(files), len(s.Files))
	}
	for _, f := range files {
		want := "/task_builder/task_builder.runfiles/" + f.RPath
		if f.Src != want {
			t.Errorf("manifest maps %q to %q, want %q", f.RPath, f.Src, want)
		}
		// Every line must name a file that exists once the layers are
		// stacked (empty files included).
		if _, err := os.Lstat(filepath.Join(img, f.Src)); err != nil {
			t.Errorf("manifest target of %q: %v", f.RPath, err)
		}
	}
}

// extract stacks the layers into a directory with GNU tar, an independent
// reader of what we wrote.
func extract(t *testing.T, outs [3]string) string {
	t.Helper()
	root := t.TempDir()
	for _, out := range outs {
		run(t, "", "tar", "-xf", out, "-C", root)
	}
	return root
}

func TestNoHostPaths(t *testing.T) {
	dir := t.TempDir()
	s := workspaceSpec(t, dir)
	// A manifest as Bazel writes it, full of build-machine paths, is the
	// input; none of them may reach a layer.
	var manifest bytes.Buffer
	for _, f := range s.Files {
		manifest.WriteString(runfiles.ManifestLine(f.RPath, f.Src))
	}
	if !strings.Contains(manifest.String(), dir) {
		t.Fatalf("test input does not mention %s", dir)
	}
	files, err := runfiles.ParseManifest(&manifest)
	if err != nil {
		t.Fatal(err)
	}
	s.Files = files
	outs, _ := writeSplit(t, s, runfiles.Config{}, dir, ".tar.gz")
	if err := runfiles.CheckNoHostPaths(outs[:], []string{dir}); err != nil {
		t.Error(err)
	}
	for _, out := range outs {
		for _, l := range readListing(t, out) {
			if strings.Contains(l.Path, dir) || strings.Contains(l.Link, dir) {
				t.Errorf("%s: entry %v names %s", out, l, dir)
			}
		}
	}
	// The check must be able to fail: a layer that does carry the path.
	bad := filepath.Join(dir, "bad.tar")
	if _, err := layer.WriteFile(bad, []layer.Entry{{Path: "x", Type: layer.TypeFile, Mode: 0o644, Size: int64(len(dir) + 5), Open: opener("abc " + dir + "/")}}, layer.Options{}); err != nil {
		t.Fatal(err)
	}
	err = runfiles.CheckNoHostPaths([]string{bad}, []string{dir})
	var hp *runfiles.HostPathError
	if !errors.As(err, &hp) || hp.Offset != 4 || hp.Prefix != dir {
		t.Errorf("CheckNoHostPaths(layer with %s at byte 4) = %v, want a HostPathError at byte 4", dir, err)
	}
}

func TestHostPathInContent(t *testing.T) {
	dir := t.TempDir()
	s := workspaceSpec(t, dir)
	// A .pyc or RECORD file that recorded where it was built.
	// The checkout is where the main repository's sources live.
	checkout := filepath.Join(dir, "src", "com_example")
	mkfile(t, srcOf(t, s, "pypi_numpy/data/LICENSE.txt"), "built in "+checkout+"/task_builder/x\n", 0o644)
	sp, err := runfiles.Plan(s, runfiles.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var outs [3]string
	for i := range outs {
		outs[i] = filepath.Join(dir, "out", runfiles.Layer(i).String()+".tar")
	}
	if err := os.Mkdir(filepath.Join(dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = sp.WriteFiles(outs, [3]layer.Options{})
	var hp *runfiles.HostPathError
	if !errors.As(err, &hp) || !strings.Contains(hp.Where, "pypi_numpy/data/LICENSE.txt") {
		t.Fatalf("WriteFiles = %v, want a HostPathError naming LICENSE.txt", err)
	}
	// All or nothing: no layer (nor a temporary file) is left behind.
	if left, _ := os.ReadDir(filepath.Join(dir, "out")); len(left) != 0 {
		t.Errorf("left behind after a failure: %v", left)
	}
	// The escape hatch checks only the launcher and manifests.
	writeSplit(t, s, runfiles.Config{ScanLauncherOnly: true}, filepath.Join(dir, "out"), ".tar")
}

func TestDeterminism(t *testing.T) {
	var first [3][]byte
	for run, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "a", "much", "longer", "path")} {
		s := workspaceSpec(t, dir)
		rand.New(rand.NewSource(int64(run))).Shuffle(len(s.Files), func(i, j int) { s.Files[i], s.Files[j] = s.Files[j], s.Files[i] })
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		outs, _ := writeSplit(t, s, runfiles.Config{}, dir, ".tar.gz")
		for i, out := range outs {
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if run == 0 {
				first[i] = data
			} else if !bytes.Equal(first[i], data) {
				t.Errorf("%s layer differs between source directories and input orders", runfiles.Layer(i))
			}
		}
	}
}

func TestHardlinksAndModes(t *testing.T) {
	dir := t.TempDir()
	outs, _ := writeSplit(t, workspaceSpec(t, dir), runfiles.Config{}, dir, ".tar")
	byPath := map[string]layer.Listed{}
	for _, out := range outs {
		for _, l := range readListing(t, out) {
			byPath[l.Path] = l
		}
	}
	const rf = "task_builder/task_builder.runfiles/"
	for _, tc := range []struct {
		path, typ, link string
		mode            uint32
	}{
		{"task_builder/task_builder", "file", "", 0o755},
		{rf + "com_example/task_builder/task_builder", "hardlink", "task_builder/task_builder", 0o755},
		{rf + "com_example/external/pypi_numpy/site-packages/numpy/__init__.py", "file", "", 0o644},
		{rf + "pypi_numpy/site-packages/numpy/__init__.py", "hardlink", rf + "com_example/external/pypi_numpy/site-packages/numpy/__init__.py", 0o644},
		{rf + "python_x86_64-unknown-linux-gnu/bin/python3", "file", "", 0o755},
		{rf + "com_example/task_builder/__init__.py", "file", "", 0o644},
		{rf + "com_example/task_builder/main.py", "file", "", 0o644},
	} {
		l, ok := byPath[tc.path]
		if !ok {
			t.Errorf("%s: missing", tc.path)
			continue
		}
		if l.Type != tc.typ || l.Link != tc.link || l.Mode != tc.mode || l.UID != 0 || l.GID != 0 || l.MTime != 0 {
			t.Errorf("%s: got %s, want %s %04o link %q owner 0:0 mtime 0", tc.path, l, tc.typ, tc.mode, tc.link)
		}
	}
}

func TestSymlinksAndTrees(t *testing.T) {
	dir := t.TempDir()
	s := tree{
		"_main/app/main.py":                            "main\n",
		"python_x86_64-unknown-linux-gnu/bin/python3*": "py\n",
	}.write(t, dir, "svc", "_main")
	// runfiles.symlinks / root_symlinks keep their runfiles placement; the
	// source itself is a symlink, as in Bazel's execroot.
	target := filepath.Join(dir, "src", "config.json")
	mkfile(t, target, "{}\n", 0o600)
	link := filepath.Join(dir, "src", "config-link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	// A tree artifact: a directory source, with a nested directory and a
	// symlink inside.
	treeDir := filepath.Join(dir, "gen", "assets")
	mkfile(t, filepath.Join(treeDir, "b", "x.bin"), "x", 0o700)
	mkfile(t, filepath.Join(treeDir, "a.txt"), "a", 0o644)
	if err := os.Symlink("a.txt", filepath.Join(treeDir, "c.txt")); err != nil {
		t.Fatal(err)
	}
	s.Files = append(s.Files,
		runfiles.File{RPath: "_main/etc/config.json", Src: link, Kind: runfiles.KindSymlink},
		runfiles.File{RPath: "config.json", Src: link, Kind: runfiles.KindRootSymlink},
		runfiles.File{RPath: "pypi_x/site-packages/x.json", Src: link, Kind: runfiles.KindRootSymlink},
		runfiles.File{RPath: "_main/app/assets", Src: treeDir, Kind: runfiles.KindFile},
	)
	outs, _ := writeSplit(t, s, runfiles.Config{}, dir, ".tar")
	var got []string
	for i, out := range outs {
		for _, l := range readListing(t, out) {
			if l.Type != "dir" || strings.HasSuffix(l.Path, "assets/") || strings.HasSuffix(l.Path, "assets/b/") {
				got = append(got, fmt.Sprintf("%s %s %04o %s %s", runfiles.Layer(i), l.Type, l.Mode, l.Path, l.Link))
			}
		}
	}
	rf := "svc/svc.runfiles/"
	want := []string{
		"interpreter file 0755 " + rf + "python_x86_64-unknown-linux-gnu/bin/python3 ",
		"packages file 0644 " + rf + "pypi_x/site-packages/x.json ",
		"app file 0755 svc/svc ",
		"app file 0644 " + rf + "MANIFEST ",
		"app dir 0755 " + rf + "_main/app/assets/ ",
		"app file 0644 " + rf + "_main/app/assets/a.txt ",
		"app dir 0755 " + rf + "_main/app/assets/b/ ",
		"app file 0755 " + rf + "_main/app/assets/b/x.bin ",
		"app file 0644 " + rf + "_main/app/assets/c.txt ",
		"app file 0644 " + rf + "_main/app/main.py ",
		"app file 0644 " + rf + "_main/etc/config.json ",
		"app hardlink 0644 " + rf + "config.json " + rf + "_main/etc/config.json",
		"app hardlink 0644 svc/svc.runfiles_manifest " + rf + "MANIFEST",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
}

func TestPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    func(t *testing.T, s *runfiles.Spec, dir string)
		cfg     runfiles.Config
		wantErr string
	}{
		{
			name: "duplicate path, different sources",
			edit: func(t *testing.T, s *runfiles.Spec, dir string) {
				s.Files = append(s.Files, runfiles.File{RPath: "_main/app/main.py", Src: s.Launcher})
			},
			wantErr: `runfile "_main/app/main.py" has two sources`,
		},
		{
			name: "duplicate path, file and empty",
			edit: func(t *testing.T, s *runfiles.Spec, dir string) {
				s.Files = append(s.Files, runfiles.File{RPath: "_main/app/main.py", Kind: runfiles.KindEmpty})
			},
			wantErr: `runfile "_main/app/main.py" has two sources`,
		},
		{
			name: "missing source",
			edit: func(t *testing.T, s *runfiles.Spec, dir string) {
				s.Files = append(s.Files, runfiles.File{RPath: "_main/app/gone.py", Src: filepath.Join(dir, "gone.py")})
			},
			wantErr: `runfile "_main/app/gone.py": reading source`,
		},
		{
			name: "fifo source",
			edit: func(t *testing.T, s *runfiles.Spec, dir string) {
				p := filepath.Join(dir, "fifo")
				if err := syscall.Mkfifo(p, 0o644); err != nil {
					t.Skip("mkfifo:", err)
				}
				s.Files = append(s.Files, runfiles.File{RPath: "_main/app/fifo", Src: p})
			},
			wantErr: `is a p---------, not a file or directory`,
		},
		{
			name: "tree artifact with a symlink out of it",
			edit: func(t *testing.T, s *runfiles.Spec, dir string) {
				tree := filepath.Join(dir, "gen", "leaky")
				mkfile(t, filepath.Join(tree, "ok.txt"), "ok", 0o644)
				secret := filepath.Join(dir, "id_rsa")
				mkfile(t, secret, "secret", 0o600)
				if err := os.Symlink(secret, filepath.Join(tree, "key")); err != nil {
					t.Fatal(err)
				}
				s.Files = append(s.Files, runfiles.File{RPath: "_main/app/leaky", Src: tree})
			},
			wantErr: `leaky/key" points to "`,
		},
		{
			name: "fifo in a tree artifact",
			edit: func(t *testing.T, s *runfiles.Spec, dir string) {
				tree := filepath.Join(dir, "gen", "piped")
				mkfile(t, filepath.Join(tree, "ok.txt"), "ok", 0o644)
				if err := syscall.Mkfifo(filepath.Join(tree, "pipe"), 0o644); err != nil {
					t.Fatal(err)
				}
				s.Files = append(s.Files, runfiles.File{RPath: "_main/app/piped", Src: tree})
			},
			wantErr: `is a named pipe (FIFO), not a regular file`,
		},
		{
			name: "no interpreter",
			edit: func(t *testing.T, s *runfiles.Spec, dir string) {
				// tree.write lists files in map order: drop the interpreter by name.
				var kept []runfiles.File
				for _, f := range s.Files {
					if !strings.HasPrefix(f.RPath, "python_x86_64-unknown-linux-gnu/") {
						kept = append(kept, f)
					}
				}
				s.Files = kept
			},
			wantErr: "no Python interpreter repository among the runfiles",
		},
		{
			name: "host path in launcher",
			edit: func(t *testing.T, s *runfiles.Spec, dir string) {
				checkout := filepath.Join(dir, "src", "_main")
				mkfile(t, s.Launcher, stub("python_x86_64-unknown-linux-gnu/bin/python3")+"RUNFILES = '"+checkout+"/bazel-bin/app.runfiles'\n", 0o755)
			},
			wantErr: "the launcher contains the build-machine path",
		},
		{
			name: "execroot in launcher",
			edit: func(t *testing.T, s *runfiles.Spec, dir string) {
				mkfile(t, s.Launcher, stub("/home/u/.cache/bazel/_bazel_u/0123/execroot/_main/external/py/bin/python3"), 0o755)
			},
			wantErr: "contains the build-machine path \"/home/u/.cache/bazel/_bazel_u/0123/execroot/_main/external/py/bin/python3\"",
		},
		{
			name: "absolute interpreter with a hermetic one in the runfiles",
			edit: func(t *testing.T, s *runfiles.Spec, dir string) {
				mkfile(t, s.Launcher, stub("/usr/bin/python3"), 0o755)
			},
			wantErr: `runs the interpreter PYTHON_BINARY = "/usr/bin/python3", an absolute path, although the runfiles carry the interpreter repository "python_x86_64-unknown-linux-gnu"`,
		},
		{
			name:    "rewrite that matches nothing",
			edit:    func(t *testing.T, s *runfiles.Spec, dir string) {},
			cfg:     runfiles.Config{Rewrites: []runfiles.Rewrite{{From: "/nowhere", To: "/svc"}}},
			wantErr: `rewrite "/nowhere"="/svc": the launcher`,
		},
		{
			name: "runfile below another",
			edit: func(t *testing.T, s *runfiles.Spec, dir string) {
				s.Files = append(s.Files, runfiles.File{RPath: "_main/app/main.py/x", Kind: runfiles.KindEmpty})
			},
			wantErr: `runfile "_main/app/main.py/x" is below runfile "_main/app/main.py"`,
		},
		{
			name:    "relative forbidden prefix",
			edit:    func(t *testing.T, s *runfiles.Spec, dir string) {},
			cfg:     runfiles.Config{ForbiddenPrefixes: []string{"work"}},
			wantErr: `forbidden prefix "work" is not a clean absolute path`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := tree{
				"_main/app/main.py":                            "main\n",
				"python_x86_64-unknown-linux-gnu/bin/python3*": "py\n",
			}.write(t, dir, "svc", "_main")
			tc.edit(t, s, dir)
			_, err := runfiles.Plan(s, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Plan = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestRewriteLauncher(t *testing.T) {
	dir := t.TempDir()
	s := tree{
		"_main/app/main.py":                            "main\n",
		"python_x86_64-unknown-linux-gnu/bin/python3*": "py\n",
	}.write(t, dir, "svc", "_main")
	build := dir + "/out/bin/app/svc.runfiles"
	mkfile(t, s.Launcher, stub("python_x86_64-unknown-linux-gnu/bin/python3")+"RUNFILES = '"+build+"'\nOTHER = '"+build+"x'\n", 0o755)
	s.Files = append(s.Files, runfiles.File{RPath: "_main/app/svc", Src: s.Launcher})
	outs, _ := writeSplit(t, s, runfiles.Config{Rewrites: []runfiles.Rewrite{{From: build, To: "/svc/svc.runfiles"}}}, dir, ".tar")
	img := extract(t, outs)
	for _, p := range []string{"svc/svc", "svc/svc.runfiles/_main/app/svc"} {
		got, err := os.ReadFile(filepath.Join(img, p))
		if err != nil {
			t.Fatal(err)
		}
		// Only whole paths are rewritten: "...runfilesx" is another name.
		if want := "RUNFILES = '/svc/svc.runfiles'\nOTHER = '" + build + "x'\n"; !strings.HasSuffix(string(got), want) {
			t.Errorf("%s ends with %q, want %q", p, got[len(got)-min(len(got), 80):], want)
		}
	}
}

func TestAllowNoInterpreter(t *testing.T) {
	dir := t.TempDir()
	s := tree{"_main/app/main.py": "main\n", "pypi_six/site-packages/six.py": "six\n"}.write(t, dir, "svc", "_main")
	mkfile(t, s.Launcher, stub("/usr/bin/python3"), 0o755) // from the base image
	outs, res := writeSplit(t, s, runfiles.Config{AllowNoInterpreter: true}, dir, ".tar")
	if got := readListing(t, outs[runfiles.Interpreter]); len(got) != 0 || res[runfiles.Interpreter].Entries != 0 {
		t.Errorf("interpreter layer holds %v, want nothing", got)
	}
}

func TestCheckPartition(t *testing.T) {
	f := func(p string) layer.Entry { return layer.Entry{Path: p, Type: layer.TypeFile} }
	d := func(p string) layer.Entry { return layer.Entry{Path: p, Type: layer.TypeDir} }
	for _, tc := range []struct {
		name    string
		want    []string
		layers  [3][]layer.Entry
		wantErr string
	}{
		{"ok", []string{"a/x", "b/y", "c"}, [3][]layer.Entry{{f("a/x")}, {f("b/y")}, {f("c"), d("a")}}, ""},
		{"missing", []string{"a/x", "b/y"}, [3][]layer.Entry{{f("a/x")}, nil, nil}, `runfile "b/y" is in no layer`},
		{"in two layers", []string{"a/x"}, [3][]layer.Entry{{f("a/x")}, nil, {f("a/x")}}, `"a/x" is in both the interpreter and the app layer`},
		{"twice in one", []string{"a/x"}, [3][]layer.Entry{nil, {f("a/x"), f("a/x")}, nil}, `"a/x" is twice in the packages layer`},
		{"stray", []string{"a/x"}, [3][]layer.Entry{{f("a/x"), f("a/y")}, nil, nil}, `"a/y" (interpreter layer) is not a runfile`},
		{"file over dir", []string{"a", "a/x"}, [3][]layer.Entry{{f("a")}, nil, {f("a/x")}}, `"a/x" (app layer) is below "a", a file of the interpreter layer`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runfiles.CheckPartition(tc.want, tc.layers[:]...)
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("CheckPartition = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("CheckPartition = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestPartitionOfPlan checks the invariant on a real plan: every runfile
// exactly once, as the tool itself does.
func TestPartitionOfPlan(t *testing.T) {
	dir := t.TempDir()
	s := workspaceSpec(t, dir)
	sp, err := runfiles.Plan(s, runfiles.Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"task_builder/task_builder", "task_builder/task_builder.runfiles_manifest", "task_builder/task_builder.runfiles/MANIFEST"}
	for _, f := range s.Files {
		want = append(want, "task_builder/task_builder.runfiles/"+f.RPath)
	}
	if err := runfiles.CheckPartition(want, sp.Layers[:]...); err != nil {
		t.Error(err)
	}
	var n int
	for _, l := range sp.Layers {
		n += len(l)
	}
	if n != len(want) {
		t.Errorf("layers hold %d entries, want %d", n, len(want))
	}
	// Dropping one entry must be caught.
	sp.Layers[runfiles.Packages] = sp.Layers[runfiles.Packages][1:]
	if err := runfiles.CheckPartition(want, sp.Layers[:]...); err == nil {
		t.Error("CheckPartition accepted a layer missing a runfile")
	}
}

func opener(s string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}
