package main_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

var odptool string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "odptool-bin-")
	if err != nil {
		panic(err)
	}
	// Readable by the unprivileged user the determinism test switches to.
	os.Chmod(dir, 0o755)
	odptool = filepath.Join(dir, "odptool")
	if out, err := exec.Command("go", "build", "-o", odptool, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building odptool: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// perturbation is one way the environment of a build can differ.
type perturbation struct {
	name    string
	env     []string
	umask   string
	user    bool // run as the unprivileged user nobody
	procs   string
	shuffle bool // reverse the order of inputs
}

var perturbations = []perturbation{
	{name: "baseline", env: []string{"TZ=UTC", "LC_ALL=C"}, umask: "022"},
	{name: "tz-locale-umask", env: []string{"TZ=Asia/Kolkata", "LC_ALL=de_DE.UTF-8", "LANG=tr_TR.UTF-8"}, umask: "077", procs: "1"},
	{name: "unprivileged", env: []string{"TZ=America/St_Johns", "LC_ALL=C.UTF-8"}, umask: "002", user: true, shuffle: true},
}

// runIn runs odptool in dir under perturbation p and returns stdout.
func runIn(t *testing.T, dir string, p perturbation, args ...string) string {
	t.Helper()
	shell := fmt.Sprintf(`umask %s; exec "$@"`, p.umask)
	argv := append([]string{"-c", shell, "sh", odptool}, args...)
	if p.user {
		if os.Geteuid() != 0 {
			testdeb.Unavailable(t, "switching to an unprivileged user needs root")
		}
		if _, err := exec.LookPath("setpriv"); err != nil {
			testdeb.Unavailable(t, "setpriv not found: %v", err)
		}
		argv = append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", "sh"}, argv...)
	}
	name := "sh"
	if p.user {
		chownAll(t, dir, 65534)
		name = "setpriv"
	}
	cmd := exec.Command(name, argv...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, p.env...)
	if p.procs != "" {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+p.procs)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: odptool %s: %v\n%s", p.name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// workdir makes a fresh directory that the unprivileged user can write.
func workdir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "odptool-work-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chownAll hands dir to uid, as a checkout of that user would be.
func chownAll(t *testing.T, dir string, uid int) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string, mtime time.Time) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dst, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func TestDebRepackDeterminism(t *testing.T) {
	for _, pkg := range []string{"libc6", "perl-base"} {
		t.Run(pkg, func(t *testing.T) {
			deb := testdeb.Fetch(t, pkg)
			want := map[string][]byte{}
			for i, p := range perturbations {
				dir := workdir(t)
				// Another path and name for the input each time.
				in := filepath.Join(dir, fmt.Sprintf("input-%d.deb", i))
				copyFile(t, deb, in, time.Unix(int64(1e9*i), 0))
				for ext, compression := range map[string]string{".tar": "none", ".tar.gz": "gzip"} {
					out := "out/layer" + ext
					if err := os.Mkdir(filepath.Join(dir, "out"), 0o777); err != nil && !os.IsExist(err) {
						t.Fatal(err)
					}
					runIn(t, dir, p, "deb", "repack", "--compression", compression, "--out", out, in)
					got, err := os.ReadFile(filepath.Join(dir, out))
					if err != nil {
						t.Fatal(err)
					}
					if i == 0 {
						want[ext] = got
					} else if !bytes.Equal(got, want[ext]) {
						t.Errorf("%s: %s layer bytes differ from the baseline", p.name, ext)
					}
				}
			}
		})
	}
}

func TestLayerFilesDeterminism(t *testing.T) {
	var want []byte
	for i, p := range perturbations {
		dir := workdir(t)
		files := map[string]string{
			"task_assignment_application.jar": "PK\x03\x04 not really a jar",
			"libaggregation-jni.so":           "\x7fELF not really a library",
			"conf/app.properties":             "a=b\n",
		}
		var flags []string
		for name, content := range files {
			src := filepath.Join(dir, "src", name)
			if err := os.MkdirAll(filepath.Dir(src), 0o777); err != nil {
				t.Fatal(err)
			}
			mode := os.FileMode(0o644)
			if strings.HasSuffix(name, ".so") {
				mode = 0o700 // the umask or toolchain decides group/other bits; we must not care
			}
			if err := os.WriteFile(src, []byte(content), mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(src, mode); err != nil {
				t.Fatal(err)
			}
			mt := time.Unix(int64(1000*i), 0)
			os.Chtimes(src, mt, mt)
			flags = append(flags, "--file", "/"+name+"="+src)
		}
		if p.shuffle {
			for a, b := 0, len(flags)-2; a < b; a, b = a+2, b-2 {
				flags[a+1], flags[b+1] = flags[b+1], flags[a+1]
			}
		}
		runIn(t, dir, p, append([]string{"layer", "files", "--out", "binary_tar.tar"}, flags...)...)
		got, err := os.ReadFile(filepath.Join(dir, "binary_tar.tar"))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			want = got
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s: layer bytes differ from the baseline", p.name)
		}
	}
}

func TestHelp(t *testing.T) {
	out, err := exec.Command(odptool, "help").CombinedOutput()
	if err != nil {
		t.Fatalf("odptool help: %v\n%s", err, out)
	}
	for _, verb := range []string{"deb repack", "layer files"} {
		if !strings.Contains(string(out), verb) {
			t.Errorf("odptool help does not list %q:\n%s", verb, out)
		}
		args := append(strings.Fields(verb), "--help")
		h, err := exec.Command(odptool, args...).CombinedOutput()
		if err != nil || !strings.Contains(string(h), "Usage: odptool "+verb) {
			t.Errorf("odptool %s --help: %v\n%s", verb, err, h)
		}
	}
	if err := exec.Command(odptool, "deb", "nosuchverb").Run(); err == nil {
		t.Error("an unknown verb succeeded")
	}
}
