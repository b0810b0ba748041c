package runfiles_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/layer"
	"github.com/rules-odp/rules_odp/tools/internal/runfiles"
)

// TestHostPathMatching exercises the scanner through CheckNoHostPaths on
// real layers: whole paths only, anywhere in the content, however the
// content is split across reads.
func TestHostPathMatching(t *testing.T) {
	const root = "/home/ci/src/app"
	for _, tc := range []struct {
		name    string
		content string
		at      int64 // -1: no match
	}{
		{"path below", "x = '/home/ci/src/app/a.py'", 5},
		{"the root itself", "cd /home/ci/src/app\n", 3},
		{"at the very end", "/home/ci/src/app", 0},
		{"url", "file:///home/ci/src/app/x", 7},
		{"longer name", "/home/ci/src/application", -1},
		{"inside another path", "/mnt/home/ci/src/app/x", -1},
		{"prefix only", "/home/ci/src/ap", -1},
		{"second occurrence counts", "/home/ci/src/apps and /home/ci/src/app", 22},
		{"far into a large file", strings.Repeat("z", 3<<20) + "/home/ci/src/app/", 3 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "l.tar.gz")
			if _, err := layer.WriteFile(out, []layer.Entry{{Path: "f", Type: layer.TypeFile, Mode: 0o644, Size: int64(len(tc.content)), Open: opener(tc.content)}}, layer.Options{Compression: layer.Gzip}); err != nil {
				t.Fatal(err)
			}
			err := runfiles.CheckNoHostPaths([]string{out}, []string{root, root + "/sub"})
			var hp *runfiles.HostPathError
			switch {
			case tc.at < 0 && err != nil:
				t.Errorf("CheckNoHostPaths = %v, want no match", err)
			case tc.at >= 0 && (!errors.As(err, &hp) || hp.Offset != tc.at || hp.Where != `"f"`):
				t.Errorf("CheckNoHostPaths = %v, want a match in \"f\" at byte %d", err, tc.at)
			}
		})
	}
}

// TestScanAcrossReads feeds a planned layer's content one byte at a time
// through the writer: a path split over reads is still found.
func TestScanAcrossReads(t *testing.T) {
	dir := t.TempDir()
	s := tree{"_main/app/main.py": "m\n", "python_x86_64-unknown-linux-gnu/bin/python3*": "py\n"}.write(t, dir, "svc", "_main")
	checkout := filepath.Join(dir, "src", "_main")
	mkfile(t, filepath.Join(dir, "src", "_main", "app", "main.py"), "# from "+checkout+"/app\n", 0o644)
	sp, err := runfiles.Plan(s, runfiles.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range sp.Layers[runfiles.App] {
		if e.Type == layer.TypeFile && strings.HasSuffix(e.Path, "main.py") {
			open := e.Open
			sp.Layers[runfiles.App][i].Open = func() (io.ReadCloser, error) {
				rc, err := open()
				return struct {
					io.Reader
					io.Closer
				}{iotest.OneByteReader(rc), rc}, err
			}
		}
	}
	var outs [3]string
	for i := range outs {
		outs[i] = filepath.Join(dir, runfiles.Layer(i).String()+".tar")
	}
	_, err = sp.WriteFiles(outs, [3]layer.Options{})
	var hp *runfiles.HostPathError
	if !errors.As(err, &hp) || hp.Prefix != checkout || hp.Offset != 7 {
		t.Fatalf("WriteFiles = %v, want %q found at byte 7", err, checkout)
	}
}

func TestHostRoots(t *testing.T) {
	dir := t.TempDir()
	ob := filepath.Join(dir, "cache", "bazel", "_bazel_u", "f00")
	execroot := filepath.Join(ob, "execroot", "com_example")
	checkout := filepath.Join(dir, "checkout")
	mkfile(t, filepath.Join(checkout, "app", "main.py"), "m", 0o644)
	mkfile(t, filepath.Join(ob, "external", "pypi_six", "six.py"), "s", 0o644)
	mkfile(t, filepath.Join(execroot, "bazel-out", "k8-fastbuild", "bin", "app", "svc"), "l", 0o755)
	// The execroot links the checkout's top-level directories, as Bazel's
	// local strategy does.
	if err := os.Symlink(filepath.Join(checkout, "app"), filepath.Join(execroot, "app")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(ob, "external"), filepath.Join(execroot, "external")); err != nil {
		t.Fatal(err)
	}
	s := &runfiles.Spec{
		Service: "svc", Workspace: "com_example", Launcher: "bazel-out/k8-fastbuild/bin/app/svc",
		Files: []runfiles.File{
			{RPath: "com_example/app/main.py", Src: "app/main.py"},
			{RPath: "pypi_six/six.py", Src: "external/pypi_six/six.py"},
			{RPath: "com_example/app/__init__.py", Kind: runfiles.KindEmpty},
		},
	}
	got := runfiles.HostRoots(s, execroot)
	want := []string{checkout, ob, execroot}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("HostRoots = %q, missing %q", got, w)
		}
	}
	for _, g := range got {
		if !strings.HasPrefix(g, dir) {
			t.Errorf("HostRoots = %q: %q is not a build location", got, g)
		}
	}
	// The working directory alone never yields a system directory.
	if got := runfiles.HostRoots(&runfiles.Spec{Workspace: "w"}, "/usr"); len(got) != 0 {
		t.Errorf("HostRoots(cwd /usr) = %q, want none", got)
	}
}

func TestPlanReportsForbidden(t *testing.T) {
	dir := t.TempDir()
	s := tree{"_main/app/main.py": "m\n", "python_x86_64-unknown-linux-gnu/bin/python3*": "py\n"}.write(t, dir, "svc", "_main")
	sp, err := runfiles.Plan(s, runfiles.Config{WorkDir: "/", ForbiddenPrefixes: []string{"/opt/build", "/opt/build/sub"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/opt/build", filepath.Join(dir, "src", "_main")}
	if diff := cmp.Diff(want, sp.Forbidden); diff != "" {
		t.Errorf("Forbidden (-want +got):\n%s", diff)
	}
}
