package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/rules-odp/rules_odp/tools/internal/atomicfile"
)

// archiveHeader is the one constructor of every header in our tarballs:
// fixed owner, mode and time, so the tarball depends only on its content.
func archiveHeader(path string, size int64, dir bool) *tar.Header {
	h := &tar.Header{
		Name:     path,
		Size:     size,
		Mode:     0o644,
		Typeflag: tar.TypeReg,
		ModTime:  time.Unix(0, 0),
	}
	if dir {
		h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
	}
	return h
}

type tarball struct{ tw *tar.Writer }

func (t tarball) dir(path string) error {
	if err := t.tw.WriteHeader(archiveHeader(path, 0, true)); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	return nil
}

func (t tarball) bytes(path string, b []byte) error {
	if err := t.tw.WriteHeader(archiveHeader(path, int64(len(b)), false)); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if _, err := t.tw.Write(b); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	return nil
}

// blob streams a blob of layout into the tarball, verifying it.
func (t tarball) blob(layout string, d Descriptor) error {
	path := "blobs/sha256/" + d.Digest[len("sha256:"):]
	r, err := OpenBlob(layout, d)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := t.tw.WriteHeader(archiveHeader(path, d.Size, false)); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if _, err := io.Copy(t.tw, r); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	return nil
}

func writeTarball(path string, fn func(tarball) error) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		tw := tar.NewWriter(w)
		if err := fn(tarball{tw}); err != nil {
			return err
		}
		if err := tw.Close(); err != nil {
			return fmt.Errorf("finishing %q: %w", path, err)
		}
		return nil
	})
}

// WriteOCIArchive writes the layout (one image manifest) as a tarball, the
// format `podman load` and `skopeo copy oci-archive:` read.
func WriteOCIArchive(path, layout string) error {
	img, err := ReadSingle(layout)
	if err != nil {
		return err
	}
	index, err := marshal(Index{SchemaVersion: 2, MediaType: MediaTypeOCIIndex, Manifests: []Descriptor{img.Descriptor}})
	if err != nil {
		return err
	}
	blobs := map[string]Descriptor{img.Descriptor.Digest: img.Descriptor, img.Manifest.Config.Digest: img.Manifest.Config}
	for _, l := range img.Manifest.Layers {
		blobs[l.Digest] = l
	}
	digests := make([]string, 0, len(blobs))
	for d := range blobs {
		digests = append(digests, d)
	}
	sort.Strings(digests)
	return writeTarball(path, func(t tarball) error {
		for _, d := range []string{"blobs/", "blobs/sha256/"} {
			if err := t.dir(d); err != nil {
				return err
			}
		}
		for _, d := range digests {
			if err := t.blob(layout, blobs[d]); err != nil {
				return err
			}
		}
		if err := t.bytes("index.json", index); err != nil {
			return err
		}
		return t.bytes("oci-layout", []byte(layoutFile))
	})
}

type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// CheckRepoTag accepts REPO:TAG as docker and podman name images: a
// repository with or without a registry (aggregator_image:latest,
// registry.example:5000/odp/aggregator:v1) and an explicit tag; no digest.
func CheckRepoTag(rt string) error {
	i := strings.LastIndex(rt, ":")
	if i < 0 || strings.Contains(rt[i:], "/") || strings.Contains(rt, "@") {
		return fmt.Errorf("%q is not REPO:TAG (the tag is required, a digest is not allowed)", rt)
	}
	if _, err := name.NewTag(rt, name.WeakValidation); err != nil {
		return fmt.Errorf("%q is not REPO:TAG: %w", rt, err)
	}
	return nil
}

// (manifest.json + blobs, as Docker 25 lays it out) naming it by repoTags.
// WriteDockerArchive writes the image as a `docker save` tarball
// (manifest.json + blobs, as Docker 25 lays it out) tagged tag.
func WriteDockerArchive(path, layout string, repoTags ...string) error {
	if len(repoTags) == 0 {
		return errors.New("docker archive: no REPO:TAG to name the image")
	}
	for _, rt := range repoTags {
		if err := CheckRepoTag(rt); err != nil {
			return fmt.Errorf("docker archive: %w", err)
		}
	}
	img, err := ReadSingle(layout)
	if err != nil {
		return err
	}
	blobName := func(d string) string { return "blobs/sha256/" + d[len("sha256:"):] }
	entry := dockerManifestEntry{Config: blobName(img.Manifest.Config.Digest), RepoTags: repoTags, Layers: []string{}}
	for _, l := range img.Manifest.Layers {
		entry.Layers = append(entry.Layers, blobName(l.Digest))
	}
	manifest, err := marshal([]dockerManifestEntry{entry})
	if err != nil {
		return err
	}
	return writeTarball(path, func(tb tarball) error {
		for _, d := range []string{"blobs/", "blobs/sha256/"} {
			if err := tb.dir(d); err != nil {
				return err
			}
		}
		if err := tb.blob(layout, img.Manifest.Config); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, l := range img.Manifest.Layers {
			if seen[l.Digest] {
				continue
			}
			seen[l.Digest] = true
			if err := tb.blob(layout, l); err != nil {
				return err
			}
		}
		return tb.bytes("manifest.json", manifest)
	})
}
