package registry_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
)

// manifestStatus asks the registry directly (no client library) for a
// manifest by tag or digest and returns the HTTP status.
func manifestStatus(t testing.TB, host, repo, ref, user, pass string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodHead, "http://"+host+"/v2/"+repo+"/manifests/"+ref, nil)
	req.Header.Set("Accept", image.MediaTypeOCIManifest)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestPushAndReadBack(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	dir := t.TempDir()
	// gzip layers, so that crane's full validation (which gunzips every
	// layer) can check the pushed image too.
	layout, res := makeLayout(t, image.Gzip, layerTar(t, dir, "a", 300<<10, 1), layerTar(t, dir, "b", 10<<10, 2))
	repo := reg.Host + "/odp/app"
	pushed, err := registry.Push(context.Background(), layout, registry.PushOptions{Repository: repo, Tags: []string{"v1", "latest", "v1"}})
	if err != nil {
		t.Fatal(err)
	}
	want := &registry.Pushed{Repository: repo, Digest: res.ManifestDigest, Tags: []string{"v1", "latest"}}
	if diff := cmp.Diff(want, pushed); diff != "" {
		t.Errorf("Pushed (-want +got):\n%s", diff)
	}
	if got := pushed.Reference(); got != repo+"@"+res.ManifestDigest {
		t.Errorf("Reference() = %q", got)
	}
	ours := manifestBytes(t, layout, res.ManifestDigest)
	for _, ref := range []string{repo + ":v1", repo + ":latest", repo + "@" + res.ManifestDigest} {
		digest, raw := skopeoInspect(t, ref)
		if digest != res.ManifestDigest {
			t.Errorf("skopeo: %s has digest %s, want %s", ref, digest, res.ManifestDigest)
		}
		if raw != ours {
			t.Errorf("skopeo: %s manifest bytes differ from the layout's", ref)
		}
	}
	crane := craneTool(t)
	out, err := exec.Command(crane, "validate", "--insecure", "--remote", repo+":v1").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Errorf("crane validate --remote: %v\n%s", err, out)
	}

	record := filepath.Join(dir, "push.jsonl")
	if err := registry.WriteRecord(record, pushed); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(record)
	defer f.Close()
	var entries []registry.RecordEntry
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var e registry.RecordEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("record line %q: %v", sc.Text(), err)
		}
		entries = append(entries, e)
	}
	wantEntries := []registry.RecordEntry{{Image: repo + ":v1", Digest: res.ManifestDigest}, {Image: repo + ":latest", Digest: res.ManifestDigest}}
	if diff := cmp.Diff(wantEntries, entries); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
}

func TestPushSkipsBlobsTheRegistryHas(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	dir := t.TempDir()
	shared := layerTar(t, dir, "shared", 200<<10, 1)
	a, _ := makeLayout(t, image.KeepAsIs, shared, layerTar(t, dir, "a", 1<<10, 2))
	b, _ := makeLayout(t, image.KeepAsIs, shared, layerTar(t, dir, "b", 1<<10, 3))
	repo := reg.Host + "/odp/skip"
	push := func(layout string) int {
		ct := &countingTransport{}
		if _, err := registry.Push(context.Background(), layout, registry.PushOptions{Repository: repo, Tags: []string{"t"}, Transport: ct}); err != nil {
			t.Fatal(err)
		}
		return ct.count()
	}
	if n := push(a); n != 3 {
		t.Errorf("first push started %d uploads, want 3 (2 layers + config)", n)
	}
	// Same config digest? No: diff_ids differ, so config and layer "b"
	// are new, "shared" is skipped.
	if n := push(b); n != 2 {
		t.Errorf("second push started %d uploads, want 2 (shared layer skipped)", n)
	}
	if n := push(a); n != 0 {
		t.Errorf("re-push started %d uploads, want 0", n)
	}
	digest, _ := skopeoInspect(t, repo+":t")
	want, _ := image.Digest(a)
	if digest != want {
		t.Errorf("tag t points at %s, want %s (the last push)", digest, want)
	}
}

func TestPushWithCredentials(t *testing.T) {
	const user, pass = "odp", "s3cret-pass"
	reg := testregistry.Start(t, testregistry.Options{User: user, Password: pass})
	dir := t.TempDir()
	layout, res := makeLayout(t, image.KeepAsIs, layerTar(t, dir, "a", 4<<10, 1))

	// A real podman login writes the podman-format file.
	podmanAuth := filepath.Join(dir, "podman-auth.json")
	if podman, err := exec.LookPath("podman"); err == nil {
		out, err := exec.Command(podman, "login", "--tls-verify=false", "--authfile", podmanAuth, "-u", user, "-p", pass, reg.Host).CombinedOutput()
		if err != nil {
			t.Fatalf("podman login: %v\n%s", err, out)
		}
	} else {
		testregistry.Require(t, "podman")
	}

	tests := []struct {
		name    string
		env     func(d string) map[string]string
		wantErr string
	}{
		{"anonymous is refused", func(d string) map[string]string { return map[string]string{"HOME": d} }, "401 Unauthorized"},
		{"REGISTRY_AUTH_FILE from podman login", func(d string) map[string]string {
			return map[string]string{"HOME": d, "REGISTRY_AUTH_FILE": podmanAuth}
		}, ""},
		{"XDG_RUNTIME_DIR containers/auth.json", func(d string) map[string]string {
			authFile(t, filepath.Join(d, "run", "containers", "auth.json"), reg.Host, user, pass)
			return map[string]string{"HOME": d, "XDG_RUNTIME_DIR": filepath.Join(d, "run")}
		}, ""},
		{"~/.config/containers/auth.json", func(d string) map[string]string {
			authFile(t, filepath.Join(d, ".config", "containers", "auth.json"), reg.Host, user, pass)
			return map[string]string{"HOME": d}
		}, ""},
		{"DOCKER_CONFIG", func(d string) map[string]string {
			authFile(t, filepath.Join(d, "docker", "config.json"), reg.Host, user, pass)
			return map[string]string{"HOME": d, "DOCKER_CONFIG": filepath.Join(d, "docker")}
		}, ""},
		{"~/.docker/config.json", func(d string) map[string]string {
			authFile(t, filepath.Join(d, ".docker", "config.json"), reg.Host, user, pass)
			return map[string]string{"HOME": d}
		}, ""},
		{"podman repository-scoped key", func(d string) map[string]string {
			p := authFile(t, filepath.Join(d, "auth.json"), reg.Host+"/odp", user, pass)
			return map[string]string{"HOME": d, "REGISTRY_AUTH_FILE": p}
		}, ""},
		{"REGISTRY_AUTH_FILE wins over docker config", func(d string) map[string]string {
			authFile(t, filepath.Join(d, ".docker", "config.json"), reg.Host, user, "wrong")
			p := authFile(t, filepath.Join(d, "auth.json"), reg.Host, user, pass)
			return map[string]string{"HOME": d, "REGISTRY_AUTH_FILE": p}
		}, ""},
		{"file without an entry is skipped", func(d string) map[string]string {
			authFile(t, filepath.Join(d, ".config", "containers", "auth.json"), "other.example", user, "x")
			authFile(t, filepath.Join(d, ".docker", "config.json"), reg.Host, user, pass)
			return map[string]string{"HOME": d}
		}, ""},
		{"wrong password", func(d string) map[string]string {
			authFile(t, filepath.Join(d, ".docker", "config.json"), reg.Host, user, "wrong")
			return map[string]string{"HOME": d}
		}, "401 Unauthorized"},
		{"REGISTRY_AUTH_FILE missing", func(d string) map[string]string {
			return map[string]string{"HOME": d, "REGISTRY_AUTH_FILE": filepath.Join(d, "nope.json")}
		}, "REGISTRY_AUTH_FILE"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env(t.TempDir())
			repo := reg.Host + "/odp/auth"
			tag := "t" + string(rune('a'+i))
			_, err := registry.Push(context.Background(), layout, registry.PushOptions{
				Repository: repo, Tags: []string{tag}, Keychain: registry.NewKeychain(envFunc(env)), Backoff: &fastBackoff,
			})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Push = %v, want error containing %q", err, tc.wantErr)
				}
				if s := manifestStatus(t, reg.Host, "odp/auth", tag, user, pass); s != http.StatusNotFound {
					t.Errorf("failed push: tag %s has status %d, want 404", tag, s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			digest, _ := skopeoInspect(t, repo+":"+tag, "--creds", user+":"+pass)
			if digest != res.ManifestDigest {
				t.Errorf("pushed %s, registry serves %s", res.ManifestDigest, digest)
			}
		})
	}
}

// The connection is cut in the middle of a layer upload once: the push
// retries and succeeds.
func TestPushRetriesAfterDroppedConnection(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	proxy := testregistry.StartProxy(t, reg.Host, testregistry.ProxyOptions{DropAfter: 1 << 20, Drops: 1})
	dir := t.TempDir()
	layout, res := makeLayout(t, image.KeepAsIs, layerTar(t, dir, "big", 3<<20, 7))
	repo := proxy.Host + "/odp/retry"
	pushed, err := registry.Push(context.Background(), layout, registry.PushOptions{Repository: repo, Tags: []string{"v1"}, Backoff: &fastBackoff})
	if err != nil {
		t.Fatalf("Push through a connection cut once: %v", err)
	}
	if proxy.Dropped() != 1 {
		t.Fatalf("proxy cut %d connections, want 1 (the test did not exercise a retry)", proxy.Dropped())
	}
	if pushed.Digest != res.ManifestDigest {
		t.Errorf("pushed %s, want %s", pushed.Digest, res.ManifestDigest)
	}
	digest, _ := skopeoInspect(t, reg.Host+"/odp/retry:v1")
	if digest != res.ManifestDigest {
		t.Errorf("registry serves %s, want %s", digest, res.ManifestDigest)
	}
}

// Every attempt is cut: the push fails after bounded retries, and neither
// the tag nor the manifest exists.
func TestPushFailsCleanlyWhenConnectionsKeepDropping(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	proxy := testregistry.StartProxy(t, reg.Host, testregistry.ProxyOptions{DropAfter: 1 << 20, Drops: -1})
	dir := t.TempDir()
	layout, res := makeLayout(t, image.KeepAsIs, layerTar(t, dir, "big", 3<<20, 8))
	_, err := registry.Push(context.Background(), layout, registry.PushOptions{Repository: proxy.Host + "/odp/fail", Tags: []string{"v1"}, Backoff: &fastBackoff})
	if err == nil {
		t.Fatal("Push succeeded through a proxy that cuts every connection")
	}
	if proxy.Dropped() < int64(fastBackoff.Steps) {
		t.Errorf("proxy cut %d connections, want at least %d (one per attempt)", proxy.Dropped(), fastBackoff.Steps)
	}
	for _, ref := range []string{"v1", res.ManifestDigest} {
		if s := manifestStatus(t, reg.Host, "odp/fail", ref, "", ""); s != http.StatusNotFound {
			t.Errorf("after a failed push, %s has status %d, want 404", ref, s)
		}
	}
}

// The registry process is killed (SIGKILL) in the middle of a layer
// upload. The push fails; after a restart the registry has no tag, and
// the old tag is still where it was; a new push then succeeds.
func TestPushWhenRegistryIsKilled(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	dir := t.TempDir()
	old, oldRes := makeLayout(t, image.KeepAsIs, layerTar(t, dir, "old", 1<<10, 1))
	if _, err := registry.Push(context.Background(), old, registry.PushOptions{Repository: reg.Host + "/odp/kill", Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	proxy := testregistry.StartProxy(t, reg.Host, testregistry.ProxyOptions{DropAfter: 1 << 20, Drops: 1, OnDrop: reg.Stop})
	layout, res := makeLayout(t, image.KeepAsIs, layerTar(t, dir, "big", 3<<20, 9))
	_, err := registry.Push(context.Background(), layout, registry.PushOptions{Repository: proxy.Host + "/odp/kill", Tags: []string{"v1"}, Backoff: &fastBackoff})
	if err == nil {
		t.Fatal("Push succeeded although the registry was killed")
	}
	t.Logf("push failed as expected: %v", err)
	reg.Restart(t)
	digest, _ := skopeoInspect(t, reg.Host+"/odp/kill:v1")
	if digest != oldRes.ManifestDigest {
		t.Errorf("tag v1 moved to %s by a failed push, want it still at %s", digest, oldRes.ManifestDigest)
	}
	if s := manifestStatus(t, reg.Host, "odp/kill", res.ManifestDigest, "", ""); s != http.StatusNotFound {
		t.Errorf("manifest of the failed push has status %d, want 404", s)
	}
	if _, err := registry.Push(context.Background(), layout, registry.PushOptions{Repository: reg.Host + "/odp/kill", Tags: []string{"v1"}}); err != nil {
		t.Fatalf("push after restart: %v", err)
	}
	if digest, _ := skopeoInspect(t, reg.Host+"/odp/kill:v1"); digest != res.ManifestDigest {
		t.Errorf("tag v1 = %s after a successful push, want %s", digest, res.ManifestDigest)
	}
}

func TestPushRefusesCorruptBlob(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	dir := t.TempDir()
	layout, _ := makeLayout(t, image.KeepAsIs, layerTar(t, dir, "a", 64<<10, 1))
	info, err := image.Inspect(layout)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(layout, "blobs", "sha256", info.Layers[0].Digest[7:])
	b, _ := os.ReadFile(p)
	os.Remove(p) // it may be a hard link to the input
	b[1000] ^= 1
	os.WriteFile(p, b, 0o644)
	_, err = registry.Push(context.Background(), layout, registry.PushOptions{Repository: reg.Host + "/odp/corrupt", Tags: []string{"v1"}, Backoff: &fastBackoff})
	if err == nil || !strings.Contains(err.Error(), info.Layers[0].Digest) {
		t.Fatalf("Push = %v, want an error naming %s", err, info.Layers[0].Digest)
	}
	if s := manifestStatus(t, reg.Host, "odp/corrupt", "v1", "", ""); s != http.StatusNotFound {
		t.Errorf("tag status %d, want 404", s)
	}
}

func TestParseRepository(t *testing.T) {
	tests := []struct {
		repo    string
		wantErr string
	}{
		{"127.0.0.1:5000/odp/app", ""},
		{"localhost:5000/app", ""},
		{"localhost/app", ""},
		{"us-docker.pkg.dev/project/repo/image", ""},
		{"odp/app", "does not start with a registry host"},
		{"ubuntu", "does not start with a registry host"},
		{"gcr.io", "does not start with a registry host"},
		{"gcr.io/p/app:v1", "must not carry a tag or digest"},
		{"gcr.io/p/App", "repository"},
	}
	for _, tc := range tests {
		t.Run(tc.repo, func(t *testing.T) {
			_, err := registry.ParseRepository(tc.repo, false)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ParseRepository(%q) = %v, want error containing %q", tc.repo, err, tc.wantErr)
			}
		})
	}
}

func TestPlainHTTPToLoopback(t *testing.T) {
	for _, host := range []string{"127.0.0.1:5000", "localhost:5000", "[::1]:5000"} {
		r, err := registry.ParseRepository(host+"/odp/app", false)
		if err != nil {
			t.Fatal(err)
		}
		if s := r.Registry.Scheme(); s != "http" {
			t.Errorf("%s: scheme %s, want http", host, s)
		}
	}
	r, _ := registry.ParseRepository("registry.example/odp/app", false)
	if r.Scheme() != "https" {
		t.Errorf("remote registry scheme %s, want https", r.Scheme())
	}
	r, _ = registry.ParseRepository("registry.example/odp/app", true)
	if r.Scheme() != "http" {
		t.Errorf("--insecure scheme %s, want http", r.Scheme())
	}
}

func TestProgress(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	dir := t.TempDir()
	layout, _ := makeLayout(t, image.KeepAsIs, layerTar(t, dir, "a", 512<<10, 1))
	var buf bytes.Buffer
	if _, err := registry.Push(context.Background(), layout, registry.PushOptions{Repository: reg.Host + "/odp/progress", Progress: &buf}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "pushing "+reg.Host+"/odp/progress") || !strings.HasSuffix(buf.String(), "\n") {
		t.Errorf("progress output %q", buf.String())
	}
	if registry.IsTerminal(&buf) {
		t.Error("IsTerminal is true for a buffer")
	}
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	if registry.IsTerminal(w) {
		t.Error("IsTerminal is true for a pipe")
	}
}

// craneTool finds crane on PATH or where `go install` puts it.
func craneTool(t testing.TB) string {
	if p, err := exec.LookPath("crane"); err == nil {
		return p
	}
	if h, err := os.UserHomeDir(); err == nil {
		if p := filepath.Join(h, "go", "bin", "crane"); fileExists(p) {
			return p
		}
	}
	return testregistry.Require(t, "crane")
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
