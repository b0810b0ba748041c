package imagediff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/strictjson"
)

// RegistryPrefix marks an argument as a registry reference rather than a
// layout path: registry:HOST/REPO@sha256:... or registry:HOST/REPO:TAG.
const RegistryPrefix = "registry:"

// LayoutPrefix optionally marks an argument as a layout path.
const LayoutPrefix = "oci:"

// Image is one side of a comparison: an image manifest with its config,
// both verified, and a way to stream its layer blobs.
type Image struct {
	// Name is the argument the image was opened from.
	Name string
	// RawIndex is the layout's index.json; nil for a registry image.
	RawIndex []byte
	// Descriptor points at the manifest (from index.json, an index, or
	// what the registry resolved the reference to).
	Descriptor  image.Descriptor
	RawManifest []byte
	Manifest    image.Manifest
	RawConfig   []byte

	// open streams a layer blob; the reader fails at EOF if the bytes do
	// not match the descriptor.
	open func(ctx context.Context, d image.Descriptor) (io.ReadCloser, error)
	// check is a cheap presence check of a layer blob (nil: none).
	check func(d image.Descriptor) error
}

// OpenOptions configure Open.
type OpenOptions struct {
	// Platform chooses the image from an index; nil means the layout's
	// index.json (or the registry reference) must name one image manifest.
	Platform *image.Platform
	// Keychain supplies registry credentials; nil means anonymous.
	Keychain authn.Keychain
	// Timeout is the per-request idle timeout for registries (see
	// registry.NewTransport); 0 means registry.DefaultTimeout.
	Timeout time.Duration
	// Insecure allows plain HTTP to any registry and the hosts it sends
	// us to (loopback and private registries get it anyway).
	Insecure bool
}

// Open opens arg: a registry reference when it starts with
// RegistryPrefix, otherwise an OCI layout directory (LayoutPrefix may
// make that explicit). A path is never taken for a registry reference, so
// a mistyped path fails instead of reaching the network.
func Open(ctx context.Context, arg string, opts OpenOptions) (*Image, error) {
	if ref, ok := strings.CutPrefix(arg, RegistryPrefix); ok {
		return openRemote(ctx, arg, ref, opts)
	}
	return OpenLayout(strings.TrimPrefix(arg, LayoutPrefix), opts.Platform)
}

// OpenLayout reads the image of an OCI layout; see OpenOptions.Platform.
func OpenLayout(layout string, platform *image.Platform) (*Image, error) {
	fi, err := os.Stat(layout)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %q: %w", layout, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("OCI layout %q is not a directory", layout)
	}
	var img *image.Image
	if platform != nil {
		img, err = image.ReadImage(layout, *platform)
	} else {
		img, err = image.ReadSingle(layout)
	}
	if err != nil {
		return nil, err
	}
	// ReadIndex above validated index.json; we keep its bytes to compare
	// annotations and the other entries field by field.
	rawIndex, err := readLimited(filepath.Join(layout, "index.json"))
	if err != nil {
		return nil, err
	}
	return &Image{
		Name:        layout,
		RawIndex:    rawIndex,
		Descriptor:  img.Descriptor,
		RawManifest: img.RawManifest,
		Manifest:    img.Manifest,
		RawConfig:   img.RawConfig,
		open: func(_ context.Context, d image.Descriptor) (io.ReadCloser, error) {
			rc, err := image.OpenBlob(layout, d)
			if err != nil {
				return nil, fmt.Errorf("OCI layout %q: %w", layout, err)
			}
			return rc, nil
		},
		check: func(d image.Descriptor) error { return checkLayoutBlob(layout, d) },
	}, nil
}

func readLimited(p string) ([]byte, error) {
	b, err := budget.ReadFile(p, budget.ImageJSONBytes)
	if err != nil {
		return nil, err
	}
	if err := strictjson.Check(b); err != nil {
		return nil, fmt.Errorf("parsing %q: %w", p, err)
	}
	return b, nil
}

// checkLayoutBlob is the stat every layer blob gets, read or not: a
// missing or truncated blob makes a layout unusable even when the other
// side has the same digest.
func checkLayoutBlob(layout string, d image.Descriptor) error {
	// The digest was validated by package image when the manifest was
	// parsed, so it is safe as a file name.
	p := filepath.Join(layout, "blobs", "sha256", strings.TrimPrefix(d.Digest, "sha256:"))
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("OCI layout %q: layer blob %s is missing (%q)", layout, d.Digest, p)
		}
		return fmt.Errorf("OCI layout %q: layer blob %s: %w", layout, d.Digest, err)
	}
	if err := budget.CheckRegular(p, fi); err != nil {
		return fmt.Errorf("OCI layout %q: layer blob %s: %w", layout, d.Digest, err)
	}
	if fi.Size() != d.Size {
		return fmt.Errorf("OCI layout %q: %w", layout, &image.CorruptBlobError{Path: p, Digest: d.Digest, Size: d.Size, GotSz: fi.Size()})
	}
	return nil
}
