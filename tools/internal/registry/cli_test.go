package registry_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
)

// TestBinaryPush runs the real `odptool image push` against a registry
// with basic auth, credentials from a podman-style REGISTRY_AUTH_FILE.
func TestBinaryPush(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	const user, pass = "odp", "bin-pass"
	reg := testregistry.Start(t, testregistry.Options{User: user, Password: pass})
	dir := t.TempDir()
	bin := filepath.Join(dir, "odptool")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/rules-odp/rules_odp/tools/cmd/odptool").CombinedOutput(); err != nil {
		t.Fatalf("building odptool: %v\n%s", err, out)
	}
	layout, res := makeLayout(t, image.KeepAsIs, layerTar(t, dir, "a", 8<<10, 1))
	auth := authFile(t, filepath.Join(dir, "auth.json"), reg.Host, user, pass)
	repo := reg.Host + "/odp/cli"
	record := filepath.Join(dir, "record.jsonl")
	cmd := exec.Command(bin, "image", "push", "--repository", repo, "--tag", "v1", "--tag", "v2", "--record", record, layout)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "REGISTRY_AUTH_FILE=" + auth}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("odptool image push: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if got, want := lines[len(lines)-1], repo+"@"+res.ManifestDigest; got != want {
		t.Errorf("last line %q, want %q", got, want)
	}
	if strings.Contains(stderr.String(), "\r") {
		t.Errorf("progress drawn although stderr is not a terminal: %q", stderr.String())
	}
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"image":"` + repo + `:v1","digest":"` + res.ManifestDigest + `"}` + "\n" +
		`{"image":"` + repo + `:v2","digest":"` + res.ManifestDigest + `"}` + "\n"
	if string(b) != want {
		t.Errorf("record:\n%s\nwant:\n%s", b, want)
	}
	for _, tag := range []string{"v1", "v2"} {
		if d, _ := skopeoInspect(t, repo+":"+tag, "--creds", user+":"+pass); d != res.ManifestDigest {
			t.Errorf("%s: registry serves %s, want %s", tag, d, res.ManifestDigest)
		}
	}

	// Without credentials: fails, no record written.
	os.Remove(record)
	cmd = exec.Command(bin, "image", "push", "--repository", repo, "--tag", "v3", "--record", record, layout)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("push without credentials succeeded: %s", out)
	}
	if fileExists(record) {
		t.Error("a failed push wrote a record")
	}
}
