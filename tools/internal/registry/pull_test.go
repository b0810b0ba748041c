package registry_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/budget/budgettest"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
)

const pullUser, pullPass = "odp", "pull-pass"

// platformLayout assembles a scratch image for platform with one layer.
func platformLayout(t testing.TB, p image.Platform, seed int64) (string, *image.Result) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "layout")
	o, err := image.ParseConfigOverride([]byte(`{"Entrypoint":["/x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := image.Assemble(image.AssembleOptions{Out: out, Config: o, Platform: p, Compression: image.Gzip,
		Layers: []string{layerTar(t, t.TempDir(), "f", 64<<10, seed), layerTar(t, t.TempDir(), "g", 4<<10, seed+100)}})
	if err != nil {
		t.Fatal(err)
	}
	return out, res
}

// putIndex puts an OCI index of the given manifests (by digest, with
// their platforms) under tag and returns its digest.
func putIndex(t testing.TB, host, repo, tag string, entries ...image.Descriptor) string {
	t.Helper()
	type platform struct {
		Architecture string `json:"architecture"`
		OS           string `json:"os"`
	}
	type desc struct {
		MediaType string    `json:"mediaType"`
		Digest    string    `json:"digest"`
		Size      int64     `json:"size"`
		Platform  *platform `json:"platform,omitempty"`
	}
	var ds []desc
	for _, e := range entries {
		d := desc{MediaType: e.MediaType, Digest: e.Digest, Size: e.Size}
		if e.Platform != nil {
			d.Platform = &platform{Architecture: e.Platform.Architecture, OS: e.Platform.OS}
		}
		ds = append(ds, d)
	}
	body := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":%s}`, image.MediaTypeOCIIndex, mustJSON(t, ds))
	req, _ := http.NewRequest(http.MethodPut, "http://"+host+"/v2/"+repo+"/manifests/"+tag, strings.NewReader(body))
	req.Header.Set("Content-Type", image.MediaTypeOCIIndex)
	req.SetBasicAuth(pullUser, pullPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT index: %s", resp.Status)
	}
	sum := sha256.Sum256([]byte(body))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// layoutFiles maps every file of a layout to its content.
func layoutFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// blobsOf is the blob files of a layout (index.json and oci-layout left out).
func blobsOf(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range layoutFiles(t, dir) {
		if strings.HasPrefix(k, "blobs"+string(filepath.Separator)) {
			out[k] = v
		}
	}
	return out
}

// assertNothingWritten checks that a failed pull left neither the output
// nor a temporary sibling of it.
func assertNothingWritten(t testing.TB, out string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("a failed pull left %s behind", e.Name())
	}
}

type pullFixture struct {
	reg                  *testregistry.Registry
	repo                 string
	amd64, arm64         string // layouts
	amd64Res, arm64Res   *image.Result
	index                string // digest of the index of both
	amd64Desc, arm64Desc image.Descriptor
	getenv               func(string) string
	authPath             string
}

// newPullFixture pushes a linux/amd64 and a linux/arm64 image and an index
// of both to Debian's docker-registry with htpasswd auth.
func newPullFixture(t *testing.T) *pullFixture {
	t.Helper()
	f := &pullFixture{reg: testregistry.Start(t, testregistry.Options{User: pullUser, Password: pullPass})}
	f.repo = f.reg.Host + "/odp/base"
	dir := t.TempDir()
	f.authPath = authFile(t, filepath.Join(dir, "docker", "config.json"), f.reg.Host, pullUser, pullPass)
	f.getenv = envFunc(map[string]string{"HOME": dir, "DOCKER_CONFIG": filepath.Join(dir, "docker")})
	amd := image.Platform{OS: "linux", Architecture: "amd64"}
	arm := image.Platform{OS: "linux", Architecture: "arm64"}
	f.amd64, f.amd64Res = platformLayout(t, amd, 1)
	f.arm64, f.arm64Res = platformLayout(t, arm, 2)
	for _, l := range []string{f.amd64, f.arm64} {
		if _, err := registry.Push(context.Background(), l, registry.PushOptions{Repository: f.repo, Keychain: registry.NewKeychain(f.getenv), Backoff: &fastBackoff}); err != nil {
			t.Fatal(err)
		}
	}
	f.amd64Desc = image.Descriptor{MediaType: image.MediaTypeOCIManifest, Digest: f.amd64Res.ManifestDigest, Size: f.amd64Res.ManifestSize, Platform: &amd}
	f.arm64Desc = image.Descriptor{MediaType: image.MediaTypeOCIManifest, Digest: f.arm64Res.ManifestDigest, Size: f.arm64Res.ManifestSize, Platform: &arm}
	f.index = putIndex(t, f.reg.Host, "odp/base", "multi", f.amd64Desc, f.arm64Desc)
	return f
}

func (f *pullFixture) pull(t testing.TB, ref, platform string, mod func(*registry.PullOptions)) (*registry.Pulled, string, error) {
	t.Helper()
	p, err := image.ParsePlatform(platform)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "pulled")
	opts := registry.PullOptions{Reference: ref, Platform: p, Out: out, Keychain: registry.NewKeychain(f.getenv), Backoff: &fastBackoff}
	if mod != nil {
		mod(&opts)
	}
	pulled, err := registry.Pull(context.Background(), opts)
	return pulled, out, err
}

// TestPull pulls by manifest digest and by index digest, each platform of
// a two-platform index, from a registry with htpasswd auth: the layout
// names the manifest with its exact bytes and holds exactly the source's
// blobs, and image assemble (ReadSingle) reads it.
func TestPull(t *testing.T) {
	f := newPullFixture(t)
	tests := []struct {
		name, ref, platform string
		src                 string
		want                registry.Pulled
	}{
		{"manifest digest", f.repo + "@" + f.amd64Res.ManifestDigest, "linux/amd64", f.amd64,
			registry.Pulled{Digest: f.amd64Res.ManifestDigest, Config: f.amd64Res.ConfigDigest, Platform: "linux/amd64"}},
		{"tag and digest: the digest counts", f.repo + ":nonexistent@" + f.arm64Res.ManifestDigest, "linux/arm64", f.arm64,
			registry.Pulled{Digest: f.arm64Res.ManifestDigest, Config: f.arm64Res.ConfigDigest, Platform: "linux/arm64"}},
		{"index, linux/amd64", f.repo + "@" + f.index, "linux/amd64", f.amd64,
			registry.Pulled{Index: f.index, Digest: f.amd64Res.ManifestDigest, Config: f.amd64Res.ConfigDigest, Platform: "linux/amd64"}},
		{"index, linux/arm64", f.repo + "@" + f.index, "linux/arm64", f.arm64,
			registry.Pulled{Index: f.index, Digest: f.arm64Res.ManifestDigest, Config: f.arm64Res.ConfigDigest, Platform: "linux/arm64"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pulled, out, err := f.pull(t, tc.ref, tc.platform, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.Reference, want.Repository, want.Layout = tc.ref, f.repo, out
			got := *pulled
			got.Layers, got.Authorization = nil, ""
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Pulled (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(blobsOf(t, tc.src), blobsOf(t, out)); diff != "" {
				t.Errorf("blobs (-source +pulled):\n%s", diff)
			}
			img, err := image.ReadSingle(out)
			if err != nil {
				t.Fatal(err)
			}
			if img.Descriptor.Digest != want.Digest {
				t.Errorf("index.json names %s, want %s", img.Descriptor.Digest, want.Digest)
			}
			if got, want := pulled.Name(), f.repo+"@"+want.Digest; got != want {
				t.Errorf("Name() = %q, want %q", got, want)
			}
			if len(pulled.Layers) != 2 {
				t.Errorf("Layers: %+v", pulled.Layers)
			}
		})
	}
}

// TestPullFailures: a wrong digest, a missing platform, refused
// credentials and an unreachable registry each fail with an error that
// says what is wrong, and nothing is written.
func TestPullFailures(t *testing.T) {
	f := newPullFixture(t)
	closed := closedPort(t)
	missing := "sha256:" + strings.Repeat("ab", 32)
	dir := t.TempDir()
	wrongPass := authFile(t, filepath.Join(dir, "wrong", "auth.json"), f.reg.Host, pullUser, "wrong")
	tests := []struct {
		name, ref, platform string
		env                 map[string]string
		want                []string
		wantErr             any
	}{
		{name: "digest the registry does not have", ref: f.repo + "@" + missing, platform: "linux/amd64",
			want: []string{"registry has no manifest " + f.repo + "@" + missing, "404", "a wrong digest"}, wantErr: new(*registry.NotFoundError)},
		{name: "index without the platform", ref: f.repo + "@" + f.index, platform: "linux/s390x",
			want: []string{f.repo + "@" + f.index + " has no image for platform linux/s390x (it has: linux/amd64, linux/arm64)"}, wantErr: new(*registry.PlatformError)},
		{name: "manifest for another platform", ref: f.repo + "@" + f.amd64Res.ManifestDigest, platform: "linux/arm64",
			want: []string{f.repo + "@" + f.amd64Res.ManifestDigest + " is an image for linux/amd64, not linux/arm64"}, wantErr: new(*registry.PlatformError)},
		{name: "variant asked of an image without one", ref: f.repo + "@" + f.index, platform: "linux/arm64/v8",
			want: []string{"has no image for platform linux/arm64/v8"}, wantErr: new(*registry.PlatformError)},
		{name: "wrong password", ref: f.repo + "@" + f.index, platform: "linux/amd64",
			env:     map[string]string{"HOME": dir, "REGISTRY_AUTH_FILE": wrongPass},
			want:    []string{"registry " + f.reg.Host + " answered 401 Unauthorized", "with the credentials from " + wrongPass + ` (entry "` + f.reg.Host + `"): they are wrong`, "docker login"},
			wantErr: new(*registry.AuthError)},
		{name: "no credentials", ref: f.repo + "@" + f.index, platform: "linux/amd64",
			env:     map[string]string{"HOME": dir},
			want:    []string{"answered 401 Unauthorized", "without credentials: none for it in " + filepath.Join(dir, ".config", "containers", "auth.json") + ", " + filepath.Join(dir, ".docker", "config.json")},
			wantErr: new(*registry.AuthError)},
		{name: "unreachable registry", ref: closed + "/odp/base@" + f.index, platform: "linux/amd64",
			want: []string{"registry " + closed + " is unreachable", "connection refused"}, wantErr: new(*registry.UnreachableError)},
		{name: "tag only", ref: f.repo + ":latest", platform: "linux/amd64",
			want: []string{"has a tag but no digest: pin the image by digest"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, out, err := f.pull(t, tc.ref, tc.platform, func(o *registry.PullOptions) {
				if tc.env != nil {
					o.Keychain = registry.NewKeychain(envFunc(tc.env))
				}
			})
			if err == nil {
				t.Fatal("pull succeeded")
			}
			t.Logf("refused: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			if tc.wantErr != nil && !errors.As(err, tc.wantErr) {
				t.Errorf("error is a %T, want %T", err, tc.wantErr)
			}
			assertNothingWritten(t, out)
		})
	}
}

func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	return host
}

// storedBlob is where docker-registry's filesystem storage keeps a blob
// (manifests included).
func storedBlob(reg *testregistry.Registry, digest string) string {
	hex := strings.TrimPrefix(digest, "sha256:")
	return filepath.Join(reg.Dir, "storage", "docker", "registry", "v2", "blobs", "sha256", hex[:2], hex, "data")
}

// TestPullServedOtherBytes: the registry's storage is tampered with, so
// that the real registry serves other bytes for a manifest digest, other
// bytes for a layer, or more bytes than a layer has. Each pull fails
// naming the digest, reads no more than the descriptor's size plus one
// byte, and writes nothing.
func TestPullServedOtherBytes(t *testing.T) {
	f := newPullFixture(t)
	img, err := image.ReadSingle(f.amd64)
	if err != nil {
		t.Fatal(err)
	}
	layer := img.Manifest.Layers[0]
	tamper := func(digest string, edit func([]byte) []byte) func() {
		p := storedBlob(f.reg, digest)
		orig, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, edit(append([]byte(nil), orig...)), 0o644); err != nil {
			t.Fatal(err)
		}
		return func() { os.WriteFile(p, orig, 0o644) }
	}
	arm64Manifest := []byte(manifestBytes(t, f.arm64, f.arm64Res.ManifestDigest))
	tests := []struct {
		name    string
		ref     string
		tamper  func() func()
		want    string
		wantErr any
	}{
		{"manifest bytes replaced", f.repo + "@" + f.amd64Res.ManifestDigest,
			func() func() { return tamper(f.amd64Res.ManifestDigest, func([]byte) []byte { return arm64Manifest }) },
			"registry served other bytes for manifest " + f.repo + "@" + f.amd64Res.ManifestDigest + ": they hash to " + f.arm64Res.ManifestDigest,
			new(*registry.DigestMismatchError)},
		{"index's manifest bytes replaced", f.repo + "@" + f.index,
			func() func() { return tamper(f.amd64Res.ManifestDigest, func([]byte) []byte { return arm64Manifest }) },
			"registry served other bytes for manifest " + f.repo + "@" + f.amd64Res.ManifestDigest,
			new(*registry.DigestMismatchError)},
		{"layer byte flipped", f.repo + "@" + f.amd64Res.ManifestDigest,
			func() func() {
				return tamper(layer.Digest, func(b []byte) []byte { b[len(b)/2] ^= 1; return b })
			},
			"registry served other bytes for blob " + f.repo + "@" + layer.Digest,
			new(*registry.DigestMismatchError)},
		{"layer longer than its descriptor", f.repo + "@" + f.amd64Res.ManifestDigest,
			func() func() {
				return tamper(layer.Digest, func(b []byte) []byte { return append(b, make([]byte, 8<<20)...) })
			},
			fmt.Sprintf("size %d, descriptor says %d", layer.Size+1, layer.Size),
			new(*image.CorruptBlobError)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			restore := tc.tamper()
			defer restore()
			var out string
			err := budgettest.Bounded(t, 32<<20, func() error {
				var err error
				_, out, err = f.pull(t, tc.ref, "linux/amd64", nil)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("pull = %v, want an error containing %q", err, tc.want)
			}
			if !errors.As(err, tc.wantErr) {
				t.Errorf("error is a %T, want %T", err, tc.wantErr)
			}
			assertNothingWritten(t, out)
		})
	}
}

// TestPullFromFakeServingOtherManifest: the same refusal from a registry
// that answers a manifest GET by digest with other bytes on the wire.
func TestPullFromFakeServingOtherManifest(t *testing.T) {
	layout, res := makeLayout(t, image.KeepAsIs, layerTar(t, t.TempDir(), "f", 2048, 1))
	fake := testregistry.StartFake(t, testregistry.Misbehavior{})
	repo := fake.Host + "/odp/app"
	if _, err := registry.Push(context.Background(), layout, registry.PushOptions{Repository: repo, Backoff: &fastBackoff}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := registry.Pull(context.Background(), registry.PullOptions{Reference: repo + "@" + res.ManifestDigest, Platform: image.DefaultPlatform, Out: out, Backoff: &fastBackoff}); err != nil {
		t.Fatalf("pull from the behaving fake: %v", err)
	}
	fake.Misbehave(testregistry.Misbehavior{OtherManifest: true})
	out2 := filepath.Join(t.TempDir(), "out")
	_, err := registry.Pull(context.Background(), registry.PullOptions{Reference: repo + "@" + res.ManifestDigest, Platform: image.DefaultPlatform, Out: out2, Backoff: &fastBackoff})
	var mismatch *registry.DigestMismatchError
	if !errors.As(err, &mismatch) || mismatch.Want != res.ManifestDigest {
		t.Fatalf("pull = %v, want a DigestMismatchError for %s", err, res.ManifestDigest)
	}
	assertNothingWritten(t, out2)
}

// TestPullManifestOnly: the layout holds manifest and config only; the
// layers are listed with URLs that, fetched with the Authorization header
// the registry accepted, give exactly the layer blobs (what odp_pull has
// Bazel's downloader do); with them in place the layout copies and
// verifies like a full pull.
func TestPullManifestOnly(t *testing.T) {
	f := newPullFixture(t)
	pulled, out, err := f.pull(t, f.repo+"@"+f.index, "linux/arm64", func(o *registry.PullOptions) { o.ManifestOnly = true })
	if err != nil {
		t.Fatal(err)
	}
	if !pulled.LayersMissing {
		t.Error("LayersMissing is false")
	}
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(pullUser+":"+pullPass))
	if pulled.Authorization != wantAuth {
		t.Errorf("Authorization = %q, want %q", pulled.Authorization, wantAuth)
	}
	src, err := image.ReadSingle(f.arm64)
	if err != nil {
		t.Fatal(err)
	}
	var wantFiles []string
	for _, d := range []image.Descriptor{src.Descriptor, src.Manifest.Config} {
		wantFiles = append(wantFiles, filepath.Join("blobs", "sha256", strings.TrimPrefix(d.Digest, "sha256:")))
	}
	var gotFiles []string
	for k := range blobsOf(t, out) {
		gotFiles = append(gotFiles, k)
	}
	sort.Strings(wantFiles)
	sort.Strings(gotFiles)
	if diff := cmp.Diff(wantFiles, gotFiles); diff != "" {
		t.Errorf("blobs of a --manifest-only layout (-want +got):\n%s", diff)
	}
	var wantLayers []registry.PulledBlob
	for _, l := range src.Manifest.Layers {
		wantLayers = append(wantLayers, registry.PulledBlob{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size,
			URL: "http://" + f.reg.Host + "/v2/odp/base/blobs/" + l.Digest})
	}
	if diff := cmp.Diff(wantLayers, pulled.Layers); diff != "" {
		t.Errorf("Layers (-want +got):\n%s", diff)
	}
	for _, l := range pulled.Layers {
		req, _ := http.NewRequest(http.MethodGet, l.URL, nil)
		req.Header.Set("Authorization", pulled.Authorization)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(out, "blobs", "sha256", strings.TrimPrefix(l.Digest, "sha256:"))
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s with the printed authorization: %s", l.URL, resp.Status)
		}
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copied := filepath.Join(t.TempDir(), "copied")
	img, err := image.CopyImage(out, image.Platform{OS: "linux", Architecture: "arm64"}, f.arm64Res.ManifestDigest, copied)
	if err != nil {
		t.Fatal(err)
	}
	if img.Descriptor.Digest != f.arm64Res.ManifestDigest {
		t.Errorf("copied %s", img.Descriptor.Digest)
	}
	if diff := cmp.Diff(blobsOf(t, f.arm64), blobsOf(t, copied)); diff != "" {
		t.Errorf("blobs (-source +copied):\n%s", diff)
	}

	// Anonymous registries need no header.
	open := testregistry.Start(t, testregistry.Options{})
	if _, err := registry.Push(context.Background(), f.amd64, registry.PushOptions{Repository: open.Host + "/odp/open", Backoff: &fastBackoff}); err != nil {
		t.Fatal(err)
	}
	pulled, _, err = f.pull(t, open.Host+"/odp/open@"+f.amd64Res.ManifestDigest, "linux/amd64", func(o *registry.PullOptions) { o.ManifestOnly = true })
	if err != nil {
		t.Fatal(err)
	}
	if pulled.Authorization != "" {
		t.Errorf("an anonymous pull captured Authorization %q", pulled.Authorization)
	}
}

func TestParsePullReference(t *testing.T) {
	hex64 := strings.Repeat("0a", 32)
	tests := []struct {
		ref, want, wantErr string
	}{
		{ref: "127.0.0.1:5000/odp/base@sha256:" + hex64, want: "127.0.0.1:5000/odp/base@sha256:" + hex64},
		{ref: "gcr.io/distroless/java21-debian12:nonroot@sha256:" + hex64, want: "gcr.io/distroless/java21-debian12@sha256:" + hex64},
		{ref: "localhost:5000/a@sha256:" + hex64, want: "localhost:5000/a@sha256:" + hex64},
		{ref: "gcr.io/distroless/java21-debian12:nonroot", wantErr: "has a tag but no digest: pin the image by digest"},
		{ref: "gcr.io/distroless/java21-debian12", wantErr: "has no digest"},
		{ref: "127.0.0.1:5000/odp/base", wantErr: "has no digest"},
		{ref: "distroless/java@sha256:" + hex64, wantErr: "does not start with a registry host"},
		{ref: "gcr.io/x@sha256:" + strings.ToUpper(hex64), wantErr: "lower-case hex"},
		{ref: "gcr.io/x@sha512:" + hex64 + hex64, wantErr: "unsupported digest"},
		{ref: "gcr.io/x@sha256:abc", wantErr: "unsupported digest"},
		{ref: "gcr.io/X@sha256:" + hex64, wantErr: "repository"},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			d, err := registry.ParsePullReference(tc.ref, false)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParsePullReference = %v, %v; want error containing %q", d, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Name(); got != tc.want {
				t.Errorf("Name() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestChooseManifest(t *testing.T) {
	d := func(n byte, mt, platform string) string {
		s := fmt.Sprintf(`{"mediaType":%q,"digest":"sha256:%s","size":1`, mt, strings.Repeat(string([]byte{n}), 64))
		if platform != "" {
			p, _ := image.ParsePlatform(platform)
			s += fmt.Sprintf(`,"platform":{"os":%q,"architecture":%q,"variant":%q}`, p.OS, p.Architecture, p.Variant)
		}
		return s + "}"
	}
	index := func(ds ...string) []byte {
		return []byte(`{"schemaVersion":2,"manifests":[` + strings.Join(ds, ",") + `]}`)
	}
	m, idx := image.MediaTypeOCIManifest, image.MediaTypeOCIIndex
	nested := index(d('c', m, "linux/arm64/v8"))
	fetch := func(image.Descriptor) ([]byte, error) { return nested, nil }
	tests := []struct {
		name, want, platform, wantErr string
		index                         []byte
	}{
		{name: "one of two", index: index(d('a', m, "linux/amd64"), d('b', m, "linux/arm64")), platform: "linux/arm64", want: "b"},
		{name: "attestations are ignored", index: index(d('a', m, "linux/amd64"), d('d', "application/vnd.in-toto+json", "unknown/unknown")), platform: "linux/amd64", want: "a"},
		{name: "nested index", index: index(d('a', m, "linux/amd64"), d('e', idx, "")), platform: "linux/arm64", want: "c"},
		{name: "variant", index: index(d('a', m, "linux/arm/v6"), d('b', m, "linux/arm/v7")), platform: "linux/arm/v7", want: "b"},
		{name: "ambiguous without variant", index: index(d('a', m, "linux/arm/v6"), d('b', m, "linux/arm/v7")), platform: "linux/arm", wantErr: "give the variant"},
		{name: "missing", index: index(d('a', m, "linux/amd64")), platform: "linux/arm64", wantErr: "no image for platform linux/arm64 (it has: linux/amd64)"},
		{name: "manifest without platform", index: index(d('a', m, ""), d('b', m, "linux/arm64")), platform: "linux/arm64", wantErr: "has no platform"},
		{name: "not an index", index: []byte(`{"schemaVersion":1}`), platform: "linux/amd64", wantErr: "schemaVersion 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := image.ParsePlatform(tc.platform)
			if err != nil {
				t.Fatal(err)
			}
			got, err := registry.ChooseManifest(tc.index, p, fetch)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ChooseManifest = %v, %v; want error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := "sha256:" + strings.Repeat(tc.want, 64); got.Digest != want {
				t.Errorf("chose %s, want %s", got.Digest, want)
			}
		})
	}
}
