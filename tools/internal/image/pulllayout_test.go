package image_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/image"
)

const (
	indexAMD64 = "sha256:17d14fbbc8134717ebb3a9deb875b16cf4d9a9deeb8acda945195385e27f31c5"
	indexARM64 = "sha256:8b424a86a5e0339c3f9e6c06bf7150551a0498fc157091602c89e722f6e221eb"
)

// wantBlobs is what a single-image copy of img must hold: its manifest,
// config and layers, byte for byte as in the source.
func wantBlobs(t testing.TB, img *image.Image) map[string]string {
	t.Helper()
	src := treeDigests(t, img.Layout)
	out := map[string]string{}
	for _, d := range append([]image.Descriptor{img.Descriptor, img.Manifest.Config}, img.Manifest.Layers...) {
		p := filepath.Join("blobs", "sha256", strings.TrimPrefix(d.Digest, "sha256:"))
		out[p] = src[p]
	}
	return out
}

func TestCopyImage(t *testing.T) {
	tests := []struct {
		name, src, platform, digest string
	}{
		{"single manifest", "base-oci", "linux/amd64", ""},
		{"docker media types", "base-docker", "linux/amd64", ""},
		{"from a nested index, amd64", "base-index", "linux/amd64", indexAMD64},
		{"from a nested index, arm64", "base-index", "linux/arm64", indexARM64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := image.ParsePlatform(tc.platform)
			if err != nil {
				t.Fatal(err)
			}
			src, err := image.ReadImage(td(tc.src), p)
			if err != nil {
				t.Fatal(err)
			}
			digest := tc.digest
			if digest == "" {
				digest = src.Descriptor.Digest
			}
			out := filepath.Join(t.TempDir(), "out")
			img, err := image.CopyImage(td(tc.src), p, digest, out)
			if err != nil {
				t.Fatal(err)
			}
			if img.Descriptor.Digest != digest {
				t.Errorf("copied %s, want %s", img.Descriptor.Digest, digest)
			}
			got := treeDigests(t, out)
			want := wantBlobs(t, src)
			want["oci-layout"] = digestOf([]byte(`{"imageLayoutVersion":"1.0.0"}`))
			index := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"` +
				src.Descriptor.MediaType + `","digest":"` + digest + `","size":` + strconv.FormatInt(src.Descriptor.Size, 10) + `}]}`
			want["index.json"] = digestOf([]byte(index))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("layout files (-want +got):\n%s", diff)
			}
			single, err := image.ReadSingle(out)
			if err != nil {
				t.Fatal(err)
			}
			if single.Descriptor.Digest != digest {
				t.Errorf("ReadSingle: %s", single.Descriptor.Digest)
			}
		})
	}
}

// TestCopyImageRefuses: another digest than pinned, a layer whose bytes
// changed, a truncated layer: each is refused naming the blob, and nothing
// is written.
func TestCopyImageRefuses(t *testing.T) {
	src, err := image.ReadImage(td("base-oci"), image.DefaultPlatform)
	if err != nil {
		t.Fatal(err)
	}
	layer := src.Manifest.Layers[0]
	layerFile := filepath.Join("blobs", "sha256", strings.TrimPrefix(layer.Digest, "sha256:"))
	tests := []struct {
		name, digest, platform string
		edit                   func(dir string)
		want                   string
		wantCorrupt            bool
	}{
		{name: "other digest", digest: "sha256:" + strings.Repeat("0", 64), platform: "linux/amd64",
			want: "has manifest digest " + src.Descriptor.Digest + ", not sha256:000"},
		{name: "other platform", digest: src.Descriptor.Digest, platform: "linux/arm64",
			want: "is for linux/amd64, not linux/arm64"},
		{name: "flipped byte in a layer", digest: src.Descriptor.Digest, platform: "linux/amd64",
			edit: func(dir string) {
				p := filepath.Join(dir, layerFile)
				b, _ := os.ReadFile(p)
				b[len(b)/2] ^= 1
				os.WriteFile(p, b, 0o644)
			}, want: "corrupt blob " + layer.Digest, wantCorrupt: true},
		{name: "truncated layer", digest: src.Descriptor.Digest, platform: "linux/amd64",
			edit: func(dir string) {
				p := filepath.Join(dir, layerFile)
				b, _ := os.ReadFile(p)
				os.WriteFile(p, b[:len(b)-1], 0o644)
			}, want: "corrupt blob " + layer.Digest, wantCorrupt: true},
		{name: "malformed digest", digest: "sha256:../../x", platform: "linux/amd64", want: "unsupported digest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, td("base-oci"), filepath.Join(t.TempDir(), "src"))
			if tc.edit != nil {
				tc.edit(dir)
			}
			p, _ := image.ParsePlatform(tc.platform)
			parent := t.TempDir()
			_, err := image.CopyImage(dir, p, tc.digest, filepath.Join(parent, "out"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CopyImage = %v, want an error containing %q", err, tc.want)
			}
			var corrupt *image.CorruptBlobError
			if tc.wantCorrupt != errors.As(err, &corrupt) {
				t.Errorf("error %v: CorruptBlobError %v, want %v", err, !tc.wantCorrupt, tc.wantCorrupt)
			}
			if left := leftovers(t, parent); len(left) > 0 {
				t.Errorf("a refused copy left %v", left)
			}
		})
	}
}
