package registry_test

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
)

// layerTar writes a tar with one file of size bytes of seeded random data
// (incompressible, so sizes are predictable).
func layerTar(t testing.TB, dir, name string, size int, seed int64) string {
	t.Helper()
	body := make([]byte, size)
	rand.New(rand.NewSource(seed)).Read(body)
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(size), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	p := filepath.Join(dir, name+".tar")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// makeLayout assembles a scratch image of the given layers.
func makeLayout(t testing.TB, comp image.Compression, layers ...string) (string, *image.Result) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "layout")
	o, err := image.ParseConfigOverride([]byte(`{"Entrypoint":["/x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := image.Assemble(image.AssembleOptions{Out: out, Layers: layers, Config: o, Compression: comp})
	if err != nil {
		t.Fatal(err)
	}
	return out, res
}

// fastBackoff keeps failure tests short; retries are still exercised.
var fastBackoff = registry.DefaultBackoff

func init() {
	fastBackoff.Duration = 20 * time.Millisecond
	fastBackoff.Steps = 3
}

// countingTransport counts blob upload sessions (POST .../blobs/uploads/).
type countingTransport struct {
	mu      sync.Mutex
	uploads int
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && strings.Contains(req.URL.Path, "/blobs/uploads/") {
		c.mu.Lock()
		c.uploads++
		c.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (c *countingTransport) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.uploads
}

// authFile writes a docker/podman auth file with user:pass for key.
func authFile(t testing.TB, path, key, user, pass string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"auths": map[string]any{
		key: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))},
	}})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// skopeoInspect reads an image back with an independent client.
func skopeoInspect(t testing.TB, ref string, extra ...string) (digest string, raw string) {
	t.Helper()
	skopeo := testregistry.Require(t, "skopeo")
	args := append([]string{"inspect", "--tls-verify=false"}, extra...)
	out, err := exec.Command(skopeo, append(args, "docker://"+ref)...).CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo inspect %s: %v\n%s", ref, err, out)
	}
	var v struct{ Digest string }
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	rawOut, err := exec.Command(skopeo, append(append(args, "--raw"), "docker://"+ref)...).Output()
	if err != nil {
		t.Fatalf("skopeo inspect --raw %s: %v", ref, err)
	}
	return v.Digest, string(rawOut)
}

func manifestBytes(t testing.TB, layout, digest string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(layout, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:")))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
