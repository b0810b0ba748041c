package registry_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
)

// FuzzParsePullReference: whatever the reference, an accepted one has a
// registry host and a well-formed sha256 digest, and its name parses again
// to itself.
func FuzzParsePullReference(f *testing.F) {
	hex64 := strings.Repeat("0a", 32)
	for _, s := range []string{
		"127.0.0.1:5000/odp/base@sha256:" + hex64, "gcr.io/a/b:tag@sha256:" + hex64, "gcr.io/a/b:tag",
		"a/b@sha256:" + hex64, "gcr.io/a@sha256:../../x", "[::1]:5000/a@sha256:" + hex64, "gcr.io/a@@sha256:" + hex64,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		d, err := registry.ParsePullReference(ref, false)
		if err != nil {
			return
		}
		if err := image.CheckDigest(d.DigestStr()); err != nil {
			t.Fatalf("%q accepted with digest %q: %v", ref, d.DigestStr(), err)
		}
		again, err := registry.ParsePullReference(d.Name(), false)
		if err != nil || again.Name() != d.Name() {
			t.Fatalf("%q -> %q -> %v, %v", ref, d.Name(), again, err)
		}
	})
}

// FuzzChooseManifest: whatever index (and nested indexes) a registry
// serves, the choice is an image manifest with a well-formed digest whose
// platform matches, or an error; nesting stays bounded.
func FuzzChooseManifest(f *testing.F) {
	m := `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("a", 64) + `","size":1,"platform":{"os":"linux","architecture":"amd64"}}`
	n := `{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:` + strings.Repeat("b", 64) + `","size":1}`
	f.Add([]byte(`{"schemaVersion":2,"manifests":[`+m+`]}`), []byte(`{"schemaVersion":2,"manifests":[`+n+`]}`), "linux/amd64")
	f.Add([]byte(`{"schemaVersion":2,"manifests":[`+n+`]}`), []byte(`{"schemaVersion":2,"manifests":[`+m+`,`+n+`]}`), "linux/amd64")
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"digest":"sha256:x"}]}`), []byte(`{}`), "linux/arm/v7")
	f.Fuzz(func(t *testing.T, index, nested []byte, platform string) {
		want, err := image.ParsePlatform(platform)
		if err != nil {
			return
		}
		fetches := 0
		d, err := registry.ChooseManifest(index, want, func(image.Descriptor) ([]byte, error) {
			fetches++
			if fetches > 10000 {
				return nil, errors.New("too many fetches")
			}
			return nested, nil
		})
		if fetches > 1100 {
			t.Fatalf("%d nested indexes fetched", fetches)
		}
		if err != nil {
			return
		}
		if !image.IsManifestMediaType(d.MediaType) || image.CheckDigest(d.Digest) != nil || d.Platform == nil || !want.Matches(*d.Platform) {
			t.Fatalf("chose %+v for %s", d, want)
		}
	})
}
