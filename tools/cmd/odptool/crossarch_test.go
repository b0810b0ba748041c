package main_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

// The linux/arm64 release binary must write the very bytes the amd64 one
// writes: a relying party may rebuild on either. The arm64 binary runs
// under qemu-aarch64-static (Debian's qemu-user-static, no binfmt needed),
// on the same inputs, for every verb that decides image bytes.
func TestCrossArchitectureBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds odptool for arm64 and runs it under qemu")
	}
	qemu, err := exec.LookPath("qemu-aarch64-static")
	if err != nil {
		testdeb.Unavailable(t, "qemu-aarch64-static not found (apt-get install qemu-user-static): %v", err)
	}
	dir := t.TempDir()
	bins := map[string]string{}
	for _, arch := range []string{"amd64", "arm64"} {
		bin := filepath.Join(dir, "odptool-"+arch)
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", bin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building odptool for %s: %v\n%s", arch, err, out)
		}
		bins[arch] = bin
	}
	run := func(arch, workdir string, args ...string) {
		t.Helper()
		argv := append([]string{bins[arch]}, args...)
		if arch == "arm64" {
			argv = append([]string{qemu}, argv...)
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = workdir
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + workdir, "TZ=UTC"}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: odptool %s: %v\n%s", arch, strings.Join(args, " "), err, out)
		}
	}
	if out, err := exec.Command(qemu, bins["arm64"], "version").CombinedOutput(); err != nil || !strings.Contains(string(out), "linux/arm64") {
		t.Fatalf("the arm64 binary under qemu: %v\n%s", err, out)
	}

	// Inputs, shared by both runs.
	in := filepath.Join(dir, "in")
	mkdirs(t, in)
	deb := testdeb.Fetch(t, "libc6")
	jar := filepath.Join(in, "app.jar")
	writeTestJar(t, jar)
	// A runfiles tree with an interpreter, a package and an app, one file
	// large and random enough for several gzip blocks.
	rf := filepath.Join(in, "rf")
	big := make([]byte, 3<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	var manifest strings.Builder
	for rpath, content := range map[string][]byte{
		"python_x86_64-unknown-linux-gnu/bin/python3":                []byte("#!interpreter\n"),
		"python_x86_64-unknown-linux-gnu/lib/python3.11/os.py":       bytes.Repeat([]byte("import sys\n"), 5000),
		"pypi_six/site-packages/six.py":                              []byte("six = 6\n"),
		"_main/app/main.py":                                          []byte("print('task_builder ok')\n"),
		"_main/app/data.bin":                                         big,
		"python_x86_64-unknown-linux-gnu/lib/python3.11/LICENSE.txt": []byte("PSF\n"),
	} {
		p := filepath.Join(rf, rpath)
		mkdirs(t, filepath.Dir(p))
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&manifest, "%s %s\n", rpath, p)
	}
	launcher := filepath.Join(in, "task_builder")
	if err := os.WriteFile(launcher, []byte("#!/usr/bin/python3\n# launcher\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "MANIFEST"), []byte(manifest.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(in, "config.json")
	if err := os.WriteFile(config, []byte(`{"Entrypoint":["/task_builder/task_builder"],"ExposedPorts":{"8082/tcp":{}}}`), 0o644); err != nil {
		t.Fatal(err)
	}

	outputs := []string{"libc6.tar", "libc6.tar.gz", "i.tar.gz", "p.tar.gz", "a.tar.gz", "app.jar", "layout/index.json", "digest"}
	for _, arch := range []string{"amd64", "arm64"} {
		out := filepath.Join(dir, arch)
		mkdirs(t, out)
		run(arch, out, "deb", "repack", "--out", "libc6.tar", deb)
		run(arch, out, "deb", "repack", "--compression", "gzip", "--out", "libc6.tar.gz", deb)
		run(arch, out, "layer", "runfiles", "--manifest", filepath.Join(in, "MANIFEST"), "--launcher", launcher,
			"--workspace", "_main", "--service", "task_builder", "--compression", "gzip",
			"--interpreter-out", "i.tar.gz", "--packages-out", "p.tar.gz", "--app-out", "a.tar.gz")
		run(arch, out, "jar", "normalize", "--recompress", "--out", "app.jar", jar)
		run(arch, out, "image", "assemble", "--out", "layout", "--config", config, "--compression", "gzip",
			"--digest-file", "digest", "libc6.tar", "i.tar.gz", "p.tar.gz", "a.tar.gz")
	}
	for _, name := range outputs {
		a, errA := os.ReadFile(filepath.Join(dir, "amd64", name))
		b, errB := os.ReadFile(filepath.Join(dir, "arm64", name))
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v / %v", name, errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: the arm64 binary wrote %d bytes that differ from the amd64 binary's %d", name, len(b), len(a))
		}
	}
	digest, _ := os.ReadFile(filepath.Join(dir, "amd64", "digest"))
	t.Logf("image digest on both architectures: %s", digest)
}

func mkdirs(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}
