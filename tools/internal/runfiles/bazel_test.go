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

// bazelWorkspace is a py_binary the way the seed builds task_builder, on
// the Bazel this machine has (4.2.3, offline): a hermetic interpreter
// repository named like rules_python's, a pip package repository with
// site-packages, and the main repository.
var bazelWorkspace = map[string]string{
	"WORKSPACE": `workspace(name = "com_example")
local_repository(name = "rules_cc", path = "stubs/rules_cc")
local_repository(name = "rules_java", path = "stubs/rules_java")
local_repository(name = "python_x86_64-unknown-linux-gnu", path = "repos/interp")
local_repository(name = "pypi_python_dateutil", path = "repos/dateutil")
register_toolchains("//:hermetic")
`,
	".bazelrc": "build --nosandbox_debug\n",
	"BUILD": `load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")
py_runtime(name = "hermetic_py3", interpreter = "@python_x86_64-unknown-linux-gnu//:bin/python3", files = ["@python_x86_64-unknown-linux-gnu//:files"], python_version = "PY3")
py_runtime_pair(name = "hermetic_pair", py3_runtime = ":hermetic_py3")
toolchain(name = "hermetic", toolchain = ":hermetic_pair", toolchain_type = "@bazel_tools//tools/python:toolchain_type")
py_runtime(name = "system_py3", interpreter_path = "/usr/bin/python3", python_version = "PY3")
py_runtime_pair(name = "system_pair", py3_runtime = ":system_py3")
toolchain(name = "system", toolchain = ":system_pair", toolchain_type = "@bazel_tools//tools/python:toolchain_type")
`,
	"task_builder/BUILD": `py_binary(name = "task_builder", srcs = ["main.py"], main = "main.py", deps = ["@pypi_python_dateutil//:pkg"], data = ["config.txt"])
`,
	// Finds its data file through the runfiles manifest the stub exports,
	// as Bazel's runfiles libraries do.
	"task_builder/main.py": `import os, dateutil
manifest = os.environ["RUNFILES_MANIFEST_FILE"]
target = dict(l.rstrip("\n").split(" ", 1) for l in open(manifest))["com_example/task_builder/config.txt"]
print("interpreter=%s dateutil=%s manifest=%s config=%s" % (os.environ.get("IMAGE_INTERPRETER", "system"),
      dateutil.VERSION, manifest, open(target).read().strip()))
`,
	"task_builder/config.txt": "prod\n",
	"repos/interp/WORKSPACE":  `workspace(name = "python_x86_64-unknown-linux-gnu")` + "\n",
	"repos/interp/BUILD": `exports_files(["bin/python3"])
filegroup(name = "files", srcs = glob(["**"], exclude = ["WORKSPACE", "BUILD"]), visibility = ["//visibility:public"])
`,
	// Stands in for python-build-standalone: marks that the image's
	// interpreter ran, then runs the machine's.
	"repos/interp/bin/python3*":                                             "#!/bin/sh\nIMAGE_INTERPRETER=hermetic exec /usr/bin/python3 \"$@\"\n",
	"repos/interp/lib/python3.11/site-packages/pip/__init__.py":             "# the interpreter's own site-packages\n",
	"repos/dateutil/WORKSPACE":                                              `workspace(name = "pypi_python_dateutil")` + "\n",
	"repos/dateutil/BUILD":                                                  `py_library(name = "pkg", srcs = glob(["site-packages/**/*.py"]), data = glob(["site-packages/**/*"], exclude = ["site-packages/**/*.py"]), imports = ["site-packages"], visibility = ["//visibility:public"])` + "\n",
	"repos/dateutil/site-packages/dateutil/__init__.py":                     "VERSION = '2.8.2'\n",
	"repos/dateutil/site-packages/python_dateutil-2.8.2.dist-info/METADATA": "Name: python-dateutil\n",
	"stubs/rules_cc/WORKSPACE":                                              `workspace(name = "rules_cc")` + "\n",
	"stubs/rules_cc/BUILD":                                                  "",
	"stubs/rules_cc/cc/BUILD":                                               `alias(name = "toolchain_type", actual = "@bazel_tools//tools/cpp:toolchain_type", visibility = ["//visibility:public"])` + "\n",
	"stubs/rules_cc/cc/defs.bzl":                                            forwarders("cc_binary", "cc_import", "cc_library", "cc_proto_library", "cc_test", "cc_toolchain", "cc_toolchain_suite", "fdo_prefetch_hints", "fdo_profile", "objc_import", "objc_library"),
	"stubs/rules_java/WORKSPACE":                                            `workspace(name = "rules_java")` + "\n",
	"stubs/rules_java/BUILD":                                                "",
	"stubs/rules_java/java/BUILD":                                           "",
	"stubs/rules_java/java/defs.bzl":                                        forwarders("java_binary", "java_import", "java_library", "java_lite_proto_library", "java_package_configuration", "java_plugin", "java_proto_library", "java_runtime", "java_test", "java_toolchain"),
}

func forwarders(names ...string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString("def " + n + "(**kwargs):\n    native." + n + "(**kwargs)\n\n")
	}
	return b.String()
}

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (apt-get install -y bazel-bootstrap python3): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// TestBazelPyBinary splits a py_binary that Bazel itself built: its real
// runfiles manifest (absolute execroot and output base paths, empty
// __init__.py files, legacy external copies) and its real 4.2.3 stub.
// The stacked layers must run from a directory that is not the build's,
// with the image's interpreter, and carry no build-machine path.
func TestBazelPyBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds with Bazel (~30 s)")
	}
	if os.Getenv("TEST_SRCDIR") != "" {
		t.Skip("runs Bazel itself: run it with go test, not inside bazel test")
	}
	bazel := needTool(t, "bazel")
	needTool(t, "python3")
	base, err := os.MkdirTemp("", "runfiles-bazel-")
	if err != nil {
		t.Fatal(err)
	}
	ws, ob := filepath.Join(base, "ws"), filepath.Join(base, "ob")
	t.Cleanup(func() {
		exec.Command(bazel, "--output_base="+ob, "shutdown").Run()
		// Bazel leaves read-only directories behind.
		exec.Command("chmod", "-R", "u+w", base).Run()
		os.RemoveAll(base)
	})
	for name, content := range bazelWorkspace {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, "*") {
			name, mode = strings.TrimSuffix(name, "*"), 0o755
		}
		mkfile(t, filepath.Join(ws, name), content, mode)
	}
	build := func(extra ...string) {
		t.Helper()
		run(t, ws, bazel, append([]string{"--output_base=" + ob, "build", "--noshow_progress", "//task_builder"}, extra...)...)
	}
	outs := func(dir string) [3]string {
		var o [3]string
		for i := range o {
			o[i] = filepath.Join(dir, runfiles.Layer(i).String()+".tar.gz")
		}
		return o
	}
	plan := func(cfg runfiles.Config) (*runfiles.Spec, *runfiles.Split, error) {
		t.Helper()
		f, err := os.Open(filepath.Join(ws, "bazel-bin/task_builder/task_builder.runfiles_manifest"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files, err := runfiles.ParseManifest(f)
		if err != nil {
			t.Fatal(err)
		}
		s := &runfiles.Spec{Service: "task_builder", Workspace: "com_example", Launcher: filepath.Join(ws, "bazel-bin/task_builder/task_builder"), Files: files}
		cfg.WorkDir = ws
		sp, err := runfiles.Plan(s, cfg)
		return s, sp, err
	}

	build()
	s, sp, err := plan(runfiles.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got := sp.Classification.Repos; got["python_x86_64-unknown-linux-gnu"] != runfiles.Interpreter || got["pypi_python_dateutil"] != runfiles.Packages || got["com_example"] != runfiles.App {
		t.Errorf("classification = %v", got)
	}
	var sawEmpty, sawLegacy bool
	for _, f := range s.Files {
		sawEmpty = sawEmpty || f.Kind == runfiles.KindEmpty
		sawLegacy = sawLegacy || strings.HasPrefix(f.RPath, "com_example/external/")
	}
	if !sawEmpty || !sawLegacy {
		t.Errorf("Bazel's manifest had empty files %v, legacy external copies %v; the test expects both", sawEmpty, sawLegacy)
	}
	dir := t.TempDir()
	o := outs(dir)
	gz := [3]layer.Options{{Compression: layer.Gzip}, {Compression: layer.Gzip}, {Compression: layer.Gzip}}
	if _, err := sp.WriteFiles(o, gz); err != nil {
		t.Fatal(err)
	}
	if err := runfiles.CheckNoHostPaths(o[:], []string{base, ws, ob}); err != nil {
		t.Error(err)
	}
	const entrypoint = "/task_builder/task_builder"
	if got, want := runInImage(t, extract(t, o), "/usr/bin/python3", entrypoint), "interpreter=hermetic dateutil=2.8.2 manifest=/task_builder/task_builder.runfiles_manifest config=prod\n"; got != want {
		t.Errorf("running the stacked layers printed %q, want %q", got, want)
	}

	// A non-hermetic runtime: no interpreter in the runfiles, the stub runs
	// the base image's /usr/bin/python3.
	build("--extra_toolchains=//:system")
	if _, _, err := plan(runfiles.Config{}); err == nil || !strings.Contains(err.Error(), "no Python interpreter repository") {
		t.Fatalf("Plan without an interpreter = %v, want an error", err)
	}
	_, sp, err = plan(runfiles.Config{AllowNoInterpreter: true})
	if err != nil {
		t.Fatal(err)
	}
	o = outs(t.TempDir())
	res, err := sp.WriteFiles(o, gz)
	if err != nil {
		t.Fatal(err)
	}
	if res[runfiles.Interpreter].Entries != 0 {
		t.Errorf("interpreter layer has %d entries, want 0", res[runfiles.Interpreter].Entries)
	}
	img := extract(t, o)
	launcher, err := os.ReadFile(filepath.Join(img, entrypoint))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(launcher, []byte("PYTHON_BINARY = '/usr/bin/python3'")) {
		t.Errorf("the system-runtime stub does not run /usr/bin/python3:\n%s", launcher)
	}
	if got, want := runInImage(t, img, "/usr/bin/python3", entrypoint), "interpreter=system dateutil=2.8.2 manifest=/task_builder/task_builder.runfiles_manifest config=prod\n"; got != want {
		t.Errorf("running the stacked layers printed %q, want %q", got, want)
	}
}
