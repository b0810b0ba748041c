package runfiles_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/layer"
	"github.com/rules-odp/rules_odp/tools/internal/runfiles"
)

// stub is a launcher like Bazel 4.2.3's python_stub_template.txt after
// substitution, trimmed to the lines that matter here.
func stub(pythonBinary string) string {
	return "#!/usr/bin/env python3\n" +
		"PYTHON_BINARY = '" + pythonBinary + "'\n" +
		"def FindModuleSpace():\n  return sys.argv[0] + '.runfiles'\n"
}

// tree is a synthetic runfiles tree: runfiles path -> content, "" for an
// empty (generated) file. Names ending in "*" are executable sources.
type tree map[string]string

// write materialises the sources of t under dir (as a checkout / output
// base would hold them) and returns the spec naming them. Sources live at
// dir/src/<rpath> so that every path is distinct.
func (tr tree) write(t *testing.T, dir, service, workspace string) *runfiles.Spec {
	t.Helper()
	s := &runfiles.Spec{Service: service, Workspace: workspace}
	for rpath, content := range tr {
		exe := strings.HasSuffix(rpath, "*")
		rpath = strings.TrimSuffix(rpath, "*")
		if content == "" {
			s.Files = append(s.Files, runfiles.File{RPath: rpath, Kind: runfiles.KindEmpty})
			continue
		}
		src := filepath.Join(dir, "src", filepath.FromSlash(rpath))
		mode := os.FileMode(0o640) // group bits must not leak into the layer
		if exe {
			mode = 0o750
		}
		mkfile(t, src, content, mode)
		s.Files = append(s.Files, runfiles.File{RPath: rpath, Src: src, Kind: runfiles.KindFile})
	}
	s.Launcher = filepath.Join(dir, "bin", service)
	mkfile(t, s.Launcher, stub("python_x86_64-unknown-linux-gnu/bin/python3"), 0o755)
	return s
}

func mkfile(t *testing.T, p, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

// workspaceTree is the seed's task_builder in WORKSPACE form, with the
// legacy <workspace>/external copies Bazel < 8 makes by default.
func workspaceTree() tree {
	return tree{
		"__init__.py":                                                                            "",
		"com_example/task_builder/__init__.py":                                                   "",
		"com_example/task_builder/main.py":                                                       "import dateutil\n",
		"com_example/task_builder/task_builder*":                                                 "LAUNCHER",
		"com_example/task_builder/config/prod.yaml":                                              "env: prod\n",
		"com_example/external/__init__.py":                                                       "",
		"com_example/external/pypi_numpy/site-packages/numpy/__init__.py":                        "numpy\n",
		"python_x86_64-unknown-linux-gnu/bin/python3*":                                           "ELF python\n",
		"python_x86_64-unknown-linux-gnu/lib/python3.10/os.py":                                   "os\n",
		"python_x86_64-unknown-linux-gnu/lib/python3.10/site-packages/pip/__init__.py":           "pip\n",
		"python_x86_64-unknown-linux-gnu/lib/python3.10/site-packages/README.txt":                "interp sp\n",
		"pypi_python_dateutil/__init__.py":                                                       "",
		"pypi_python_dateutil/site-packages/dateutil/__init__.py":                                "dateutil\n",
		"pypi_python_dateutil/site-packages/python_dateutil-2.8.2.dist-info/METADATA":            "Name: python-dateutil\n",
		"pypi_python-3/site-packages/x/__init__.py":                                              "hostile name\n",
		"pypi_numpy/site-packages/numpy/__init__.py":                                             "numpy\n",
		"pypi_numpy/site-packages/numpy/core/_multiarray_umath.cpython-310-x86_64-linux-gnu.so*": "ELF so\n",
		"pypi_numpy/bin/f2py*":                                                                   "#!python\n",
		"pypi_numpy/data/LICENSE.txt":                                                            "BSD\n",
		"deps_six/site-packages/six.py":                                                          "six\n",
		"rules_python/python/runfiles/runfiles.py":                                               "runfiles lib\n",
	}
}

// bzlmodTree is the same binary under bzlmod (Bazel 7 "~" names) plus a
// Bazel 8 "+" package and the repo mapping file.
func bzlmodTree() tree {
	return tree{
		"_repo_mapping":                          ",my_module,_main\n",
		"_main/task_builder/main.py":             "import numpy\n",
		"_main/task_builder/task_builder*":       "LAUNCHER",
		"_main/vendor/site-packages/vendored.py": "app code despite the name\n",
		"rules_python~~python~python_3_10_x86_64-unknown-linux-gnu/bin/python3*":                                        "ELF python\n",
		"rules_python~~python~python_3_10_x86_64-unknown-linux-gnu/lib/python3.10/os.py":                                "os\n",
		"rules_python~~python~python_3_10_x86_64-unknown-linux-gnu/lib/python3.10/site-packages/setuptools/__init__.py": "setuptools\n",
		"rules_python~~pip~pypi_310_numpy/site-packages/numpy/__init__.py":                                              "numpy\n",
		"rules_python~~pip~pypi_310_python_dateutil/site-packages/dateutil/__init__.py":                                 "dateutil\n",
		"rules_python++pip+pypi_311_six/site-packages/six.py":                                                           "six\n",
		"rules_python~/python/runfiles/runfiles.py":                                                                     "runfiles lib\n",
	}
}

// run runs a command (an independent tool used as a referee) or fails.
func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// runInImage runs a command inside the stacked layers at img, as the
// container would see them: img is the root, with the machine's /usr
// bind-mounted in place of a base image (in a private mount namespace, so
// nothing leaks). Needs root and unshare(1).
func runInImage(t *testing.T, img string, args ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("running a command in the image needs root (chroot) in CI")
		}
		t.Skip("running a command in the image needs root (chroot)")
	}
	unshare := needTool(t, "unshare")
	if err := os.MkdirAll(filepath.Join(img, "usr"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A merged-/usr base: /bin, /lib, /lib64 and /sbin are links into /usr.
	for _, d := range []string{"bin", "lib", "lib64", "sbin"} {
		if target, err := os.Readlink("/" + d); err == nil {
			if err := os.Symlink(target, filepath.Join(img, d)); err != nil {
				t.Fatal(err)
			}
		}
	}
	script := `mount --bind /usr "$1/usr" && root=$1 && shift && exec chroot "$root" "$@"`
	return run(t, "/", unshare, append([]string{"--mount", "sh", "-c", script, "sh", img}, args...)...)
}

func readListing(t *testing.T, path string) []layer.Listed {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := layer.ReadListing(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return l
}
