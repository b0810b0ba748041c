package image

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rules-odp/rules_odp/tools/internal/atomicfile"
	"github.com/rules-odp/rules_odp/tools/internal/budget"
)

// What a pull (odptool image pull) needs of this package: the parsers and
// checks the layout reader uses, for documents that come from a registry,
// and a writer of single-image layouts that verifies every blob it is
// given.

// ParseIndex parses an image index (or index.json) as ReadIndex does.
func ParseIndex(b []byte) (*Index, error) { return parseIndex(b) }

// ParseManifest parses an image manifest as ReadImage does.
func ParseManifest(b []byte) (*Manifest, error) { return parseManifest(b) }

// ConfigPlatform is the os/architecture/variant an image config declares.
func ConfigPlatform(raw []byte) (Platform, error) { return configPlatform(raw) }

// Matches says whether have satisfies want; a want without variant
// accepts any variant.
func (want Platform) Matches(have Platform) bool { return want.matches(have) }

// IsIndexMediaType says whether mt is an OCI image index or a Docker
// manifest list.
func IsIndexMediaType(mt string) bool { return isIndexType(mt) }

// IsManifestMediaType says whether mt is an OCI or Docker image manifest.
func IsManifestMediaType(mt string) bool { return isManifestType(mt) }

// CheckLayerMediaType fails for a layer that image assemble could not
// take from a base (foreign, non-distributable or unknown layers).
func CheckLayerMediaType(mt string) error {
	_, err := outputLayerMediaType(mt)
	return err
}

// DigestOf is the sha256 digest of b, "sha256:<hex>".
func DigestOf(b []byte) string { return digestOf(b) }

// LayoutWriter writes a layout of one image manifest into an empty
// directory: every blob is verified against its descriptor before it is
// in place, and index.json, which names the manifest, is written last.
type LayoutWriter struct {
	dir, blobs string
}

// NewLayoutWriter prepares dir (which must exist and be empty, e.g. the
// temporary directory of atomicfile.WriteDir).
func NewLayoutWriter(dir string) (*LayoutWriter, error) {
	blobs := filepath.Join(dir, "blobs", "sha256")
	for _, d := range []string{filepath.Join(dir, "blobs"), blobs} {
		if err := mkdir(d); err != nil {
			return nil, fmt.Errorf("creating %q: %w", d, err)
		}
	}
	if err := writeFile(filepath.Join(dir, "oci-layout"), []byte(layoutFile)); err != nil {
		return nil, fmt.Errorf("writing oci-layout: %w", err)
	}
	return &LayoutWriter{dir: dir, blobs: blobs}, nil
}

// PutBytes writes a blob held in memory, after checking it against desc.
func (w *LayoutWriter) PutBytes(desc Descriptor, b []byte, from string) error {
	p, err := blobPath(w.dir, desc.Digest)
	if err != nil {
		return err
	}
	if int64(len(b)) != desc.Size {
		return &CorruptBlobError{Path: from, Digest: desc.Digest, Size: desc.Size, GotSz: int64(len(b))}
	}
	if got := digestOf(b); got != desc.Digest {
		return &CorruptBlobError{Path: from, Digest: desc.Digest, Got: got, Size: desc.Size, GotSz: desc.Size}
	}
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	if err := writeFile(p, b); err != nil {
		return fmt.Errorf("writing blob %s: %w", desc.Digest, err)
	}
	return nil
}

// PutStream writes the blob r yields, verifying it on the way: it reads at
// most desc.Size+1 bytes, and fails (leaving no file) if the bytes are
// more, fewer or other than desc says. from names the source in errors.
func (w *LayoutWriter) PutStream(desc Descriptor, r io.Reader, from string) (err error) {
	p, err := blobPath(w.dir, desc.Digest)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("creating blob %s: %w", desc.Digest, err)
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(p)
		}
	}()
	bw := bufio.NewWriterSize(out, 1<<20)
	v := newVerifyingReader(io.LimitReader(r, desc.Size+1), from, desc)
	if _, err := io.Copy(bw, v); err != nil {
		var corrupt *CorruptBlobError
		if errors.As(err, &corrupt) {
			return err
		}
		return fmt.Errorf("reading blob %s from %s: %w", desc.Digest, from, err)
	}
	// io.Copy stops at EOF without an error, so the checks at EOF ran.
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing blob %s: %w", desc.Digest, err)
	}
	if err := out.Chmod(0o644); err != nil {
		return fmt.Errorf("setting mode of blob %s: %w", desc.Digest, err)
	}
	return out.Close()
}

// PutFile places the blob of file src (hard link, else copy) after reading
// it in full to verify it against desc.
func (w *LayoutWriter) PutFile(desc Descriptor, src string) error {
	p, err := blobPath(w.dir, desc.Digest)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	if desc.Size < 0 {
		return fmt.Errorf("blob %s declares a negative size %d", desc.Digest, desc.Size)
	}
	f, err := budget.Open(src)
	if err != nil {
		return fmt.Errorf("opening blob %s: %w", desc.Digest, err)
	}
	_, err = io.Copy(io.Discard, newVerifyingReader(io.LimitReader(f, desc.Size+1), src, desc))
	f.Close()
	if err != nil {
		var corrupt *CorruptBlobError
		if errors.As(err, &corrupt) {
			return err
		}
		return fmt.Errorf("reading blob %s at %q: %w", desc.Digest, src, err)
	}
	return placeBlob(src, p, desc)
}

// Finish writes index.json naming manifest, the one image of the layout.
func (w *LayoutWriter) Finish(manifest Descriptor) error {
	d := Descriptor{MediaType: manifest.MediaType, Digest: manifest.Digest, Size: manifest.Size}
	index, err := marshal(Index{SchemaVersion: 2, MediaType: MediaTypeOCIIndex, Manifests: []Descriptor{d}})
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(w.dir, "index.json"), index); err != nil {
		return fmt.Errorf("writing index.json: %w", err)
	}
	return nil
}

// CopyImage writes to out (atomically) a layout of the one image of the
// layout src for platform want, whose manifest digest must be digest:
// the manifest, the config and every layer blob are read in full and
// verified, then linked or copied. It is how odp_pull turns the files of
// its repository into the layout directory a build uses.
func CopyImage(src string, want Platform, digest, out string) (*Image, error) {
	if err := CheckDigest(digest); err != nil {
		return nil, err
	}
	img, err := ReadImage(src, want)
	if err != nil {
		return nil, err
	}
	if img.Descriptor.Digest != digest {
		return nil, fmt.Errorf("OCI layout %q: its image for %s has manifest digest %s, not %s", src, want, img.Descriptor.Digest, digest)
	}
	for i, l := range img.Manifest.Layers {
		if err := CheckLayerMediaType(l.MediaType); err != nil {
			return nil, fmt.Errorf("OCI layout %q: layer %d (%s): %w", src, i+1, l.Digest, err)
		}
	}
	err = atomicfile.WriteDir(out, func(tmp string) error {
		w, err := NewLayoutWriter(tmp)
		if err != nil {
			return err
		}
		for _, d := range append([]Descriptor{img.Descriptor, img.Manifest.Config}, img.Manifest.Layers...) {
			p, err := blobPath(src, d.Digest)
			if err != nil {
				return err
			}
			if err := w.PutFile(d, p); err != nil {
				return fmt.Errorf("OCI layout %q: %w", src, err)
			}
		}
		return w.Finish(img.Descriptor)
	})
	if err != nil {
		return nil, err
	}
	return img, nil
}
