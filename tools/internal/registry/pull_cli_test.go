package registry_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/image"
)

// TestBinaryPull runs the real `odptool image pull` the way odp_pull does:
// --manifest-only --json --print-authorization from a registry with
// htpasswd auth (credentials from DOCKER_CONFIG), the layers fetched by
// another client with the printed header, then --layout/--digest to make
// the verified copy; and a full pull, and the usage errors.
func TestBinaryPull(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	f := newPullFixture(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "odptool")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/rules-odp/rules_odp/tools/cmd/odptool").CombinedOutput(); err != nil {
		t.Fatalf("building odptool: %v\n%s", err, out)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "DOCKER_CONFIG=" + filepath.Dir(f.authPath)}
	run := func(args ...string) (string, string, int) {
		cmd := exec.Command(bin, append([]string{"image", "pull"}, args...)...)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		var exit *exec.ExitError
		code := 0
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), stderr.String(), code
	}

	ref := f.repo + "@" + f.index
	partial := filepath.Join(dir, "partial")
	out, stderr, code := run("--reference", ref, "--platform", "linux/amd64", "--out", partial, "--manifest-only", "--json", "--print-authorization")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Reference, Repository, Index, Digest, Platform, Layout, Authorization string
		LayersMissing                                                         bool
		Layers                                                                []struct {
			MediaType, Digest, URL string
			Size                   int64
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if got.Reference != ref || got.Index != f.index || got.Digest != f.amd64Res.ManifestDigest || got.Platform != "linux/amd64" ||
		!got.LayersMissing || got.Layout != partial || len(got.Layers) != 2 {
		t.Errorf("--json: %+v", got)
	}
	if want := "Basic " + base64.StdEncoding.EncodeToString([]byte(pullUser+":"+pullPass)); got.Authorization != want {
		t.Errorf("authorization %q, want %q", got.Authorization, want)
	}
	for _, l := range got.Layers {
		curl := exec.Command("curl", "-fsS", "-H", "Authorization: "+got.Authorization, "-o",
			filepath.Join(partial, "blobs", "sha256", strings.TrimPrefix(l.Digest, "sha256:")), l.URL)
		if b, err := curl.CombinedOutput(); err != nil {
			t.Fatalf("curl %s: %v\n%s", l.URL, err, b)
		}
	}
	copied := filepath.Join(dir, "copied")
	out, stderr, code = run("--layout", partial, "--digest", got.Digest, "--platform", "linux/amd64", "--out", copied)
	if code != 0 || strings.TrimSpace(out) != got.Digest {
		t.Fatalf("--layout: exit %d, stdout %q: %s", code, out, stderr)
	}
	if diff := cmp.Diff(blobsOf(t, f.amd64), blobsOf(t, copied)); diff != "" {
		t.Errorf("blobs (-source +copied):\n%s", diff)
	}

	full := filepath.Join(dir, "full")
	out, stderr, code = run("--reference", ref, "--platform", "linux/arm64", "--out", full)
	if code != 0 || strings.TrimSpace(out) != f.repo+"@"+f.arm64Res.ManifestDigest {
		t.Fatalf("full pull: exit %d, stdout %q: %s", code, out, stderr)
	}
	if img, err := image.ReadSingle(full); err != nil || img.Descriptor.Digest != f.arm64Res.ManifestDigest {
		t.Errorf("ReadSingle(full) = %v, %v", img, err)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--reference", ref, "--out", filepath.Join(dir, "x")}, 2, "--platform is required"},
		{[]string{"--reference", ref, "--platform", "linux/amd64", "--out", filepath.Join(dir, "x"), "--print-authorization"}, 2, "needs --manifest-only and --json"},
		{[]string{"--layout", partial, "--platform", "linux/amd64", "--out", filepath.Join(dir, "x")}, 2, "--layout needs --digest"},
		{[]string{"--reference", f.repo + ":multi", "--platform", "linux/amd64", "--out", filepath.Join(dir, "x")}, 1, "has a tag but no digest"},
		{[]string{"--reference", ref, "--platform", "linux/s390x", "--out", filepath.Join(dir, "x")}, 1, "(it has: linux/amd64, linux/arm64)"},
	} {
		_, stderr, code := run(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	if fileExists(filepath.Join(dir, "x")) {
		t.Error("a failed pull wrote its output")
	}
}
