package registry

import (
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/rules-odp/rules_odp/tools/internal/image"
)

// layoutImage presents one image of a layout to go-containerregistry
// without re-encoding anything: RawManifest is the manifest blob's bytes,
// so the pushed digest is the layout's digest.
type layoutImage struct {
	img *image.Image
}

var _ partial.CompressedImageCore = layoutImage{}

func (l layoutImage) RawConfigFile() ([]byte, error) { return l.img.RawConfig, nil }
func (l layoutImage) MediaType() (types.MediaType, error) {
	return types.MediaType(l.img.Descriptor.MediaType), nil
}
func (l layoutImage) RawManifest() ([]byte, error) { return l.img.RawManifest, nil }

func (l layoutImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	d := h.String()
	if d == l.img.Manifest.Config.Digest {
		return layoutBlob{layout: l.img.Layout, desc: l.img.Manifest.Config}, nil
	}
	for _, desc := range l.img.Manifest.Layers {
		if desc.Digest == d {
			return layoutBlob{layout: l.img.Layout, desc: desc}, nil
		}
	}
	return nil, fmt.Errorf("blob %s is not part of manifest %s", d, l.img.Descriptor.Digest)
}

// layoutBlob streams a blob from the layout, verifying it as it goes, so a
// corrupt blob fails with its path instead of a registry's digest error.
type layoutBlob struct {
	layout string
	desc   image.Descriptor
}

func (b layoutBlob) Digest() (v1.Hash, error) { return v1.NewHash(b.desc.Digest) }
func (b layoutBlob) Size() (int64, error)     { return b.desc.Size, nil }
func (b layoutBlob) MediaType() (types.MediaType, error) {
	return types.MediaType(b.desc.MediaType), nil
}
func (b layoutBlob) Compressed() (io.ReadCloser, error) { return image.OpenBlob(b.layout, b.desc) }
