package image

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/strictjson"
)

// Image is one image manifest of an OCI layout, with its config. Manifest
// and config digests have been verified; layer blobs have not been read.
type Image struct {
	Layout      string
	Descriptor  Descriptor // of the manifest
	RawManifest []byte
	Manifest    Manifest
	RawConfig   []byte
}

// ReadIndex reads and checks the index.json of a layout.
func ReadIndex(layout string) (*Index, error) {
	if err := checkLayoutFile(layout); err != nil {
		return nil, err
	}
	p := filepath.Join(layout, "index.json")
	b, err := budget.ReadFile(p, budget.ImageJSONBytes)
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout %q: %w", layout, err)
	}
	idx, err := parseIndex(b)
	if err != nil {
		return nil, fmt.Errorf("parsing %q: %w", p, err)
	}
	return idx, nil
}

func checkLayoutFile(layout string) error {
	p := filepath.Join(layout, "oci-layout")
	b, err := budget.ReadFile(p, budget.ImageJSONBytes)
	if err != nil {
		return fmt.Errorf("%q is not an OCI image layout: %w", layout, err)
	}
	var v struct {
		ImageLayoutVersion string `json:"imageLayoutVersion"`
	}
	if err := strictjson.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("parsing %q: %w", p, err)
	}
	if v.ImageLayoutVersion != "1.0.0" {
		return fmt.Errorf("%q: unsupported imageLayoutVersion %q (want 1.0.0)", p, v.ImageLayoutVersion)
	}
	return nil
}

func parseIndex(b []byte) (*Index, error) {
	var idx Index
	if err := strictjson.Unmarshal(b, &idx); err != nil {
		return nil, err
	}
	if idx.SchemaVersion != 2 {
		return nil, fmt.Errorf("schemaVersion %d, want 2", idx.SchemaVersion)
	}
	if idx.MediaType != "" && !isIndexType(idx.MediaType) {
		return nil, fmt.Errorf("mediaType %q is not an image index", idx.MediaType)
	}
	for _, d := range idx.Manifests {
		if err := CheckDigest(d.Digest); err != nil {
			return nil, err
		}
	}
	return &idx, nil
}

func parseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := strictjson.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m.SchemaVersion != 2 {
		return nil, fmt.Errorf("schemaVersion %d, want 2", m.SchemaVersion)
	}
	if m.MediaType != "" && !isManifestType(m.MediaType) {
		return nil, fmt.Errorf("mediaType %q is not an image manifest", m.MediaType)
	}
	if m.Config.MediaType != MediaTypeOCIConfig && m.Config.MediaType != MediaTypeDockerConfig {
		return nil, fmt.Errorf("config mediaType %q is not an image config (want %s)", m.Config.MediaType, MediaTypeOCIConfig)
	}
	if err := CheckDigest(m.Config.Digest); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for i, l := range m.Layers {
		if err := CheckDigest(l.Digest); err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		if l.Size < 0 {
			return nil, fmt.Errorf("layer %d: negative size %d", i+1, l.Size)
		}
	}
	return &m, nil
}

// ReadImage reads the image manifest of a layout for platform want. A
// layout whose index.json names one image manifest without a platform
// yields it; otherwise indexes, nested or not, are searched for the one
// manifest whose platform matches want. Either way the config's os and
// architecture must match want.
func ReadImage(layout string, want Platform) (*Image, error) {
	idx, err := ReadIndex(layout)
	if err != nil {
		return nil, err
	}
	readIndex := func(d Descriptor) ([]byte, error) { return readBlob(layout, d) }
	cands, err := CollectManifests(idx, "index.json", readIndex, false)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %q: %w", layout, err)
	}
	var chosen *Descriptor
	switch {
	case len(cands) == 0:
		return nil, fmt.Errorf("OCI layout %q holds no image manifest", layout)
	case len(cands) == 1 && cands[0].Platform == nil:
		chosen = &cands[0]
	default:
		var avail []string
		for i := range cands {
			c := &cands[i]
			if c.Platform == nil {
				return nil, fmt.Errorf("OCI layout %q: manifest %s has no platform, so no platform can be chosen among %d manifests", layout, c.Digest, len(cands))
			}
			avail = append(avail, c.Platform.String())
			if want.matches(*c.Platform) {
				if chosen != nil {
					return nil, fmt.Errorf("OCI layout %q: platform %s matches both %s and %s; give the variant with --platform", layout, want, chosen.Digest, c.Digest)
				}
				chosen = c
			}
		}
		if chosen == nil {
			return nil, fmt.Errorf("OCI layout %q has no manifest for platform %s (it has: %s)", layout, want, strings.Join(avail, ", "))
		}
	}
	img, err := loadImage(layout, *chosen)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %q: %w", layout, err)
	}
	have, err := configPlatform(img.RawConfig)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %q: config %s: %w", layout, img.Manifest.Config.Digest, err)
	}
	if !want.matches(have) {
		return nil, fmt.Errorf("OCI layout %q: image %s is for %s, not %s", layout, chosen.Digest, have, want)
	}
	return img, nil
}

// CollectManifests returns the image manifests idx lists, walking the
// indexes it names depth first; fetch reads a named index's bytes. Nesting
// depth and the descriptors seen over all indexes are bounded by the budget,
// so that nesting can neither recurse nor fan out without end. root names
// idx in errors. Descriptors of other media types are refused, or skipped
// with skipOther (an index in a registry may list signatures and
// attestations next to its images).
func CollectManifests(idx *Index, root string, fetch func(Descriptor) ([]byte, error), skipOther bool) ([]Descriptor, error) {
	var out []Descriptor
	entries := 0
	if err := collect(idx, root, 0, &entries, fetch, skipOther, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func collect(idx *Index, where string, depth int, entries *int, fetch func(Descriptor) ([]byte, error), skipOther bool, out *[]Descriptor) error {
	if depth > budget.IndexDepth {
		return fmt.Errorf("%s: indexes nested deeper than %d: %w", where, budget.IndexDepth,
			&budget.Error{Budget: "image index nesting depth", Limit: budget.IndexDepth, Got: int64(depth)})
	}
	for _, d := range idx.Manifests {
		*entries++
		if *entries > budget.IndexEntries {
			return fmt.Errorf("%s: %w", where, &budget.Error{Budget: "descriptors in the image indexes of one layout", Limit: budget.IndexEntries, Got: int64(*entries)})
		}
		switch {
		case isManifestType(d.MediaType):
			*out = append(*out, d)
		case isIndexType(d.MediaType):
			b, err := fetch(d)
			if err != nil {
				return err
			}
			child, err := parseIndex(b)
			if err != nil {
				return fmt.Errorf("parsing index %s: %w", d.Digest, err)
			}
			if err := collect(child, "index "+d.Digest, depth+1, entries, fetch, skipOther, out); err != nil {
				return err
			}
		case skipOther:
		default:
			return fmt.Errorf("%s lists %s of unsupported media type %q", where, d.Digest, d.MediaType)
		}
	}
	return nil
}

func loadImage(layout string, desc Descriptor) (*Image, error) {
	raw, err := readBlob(layout, desc)
	if err != nil {
		return nil, err
	}
	m, err := parseManifest(raw)
	if err != nil {
		return nil, fmt.Errorf("parsing manifest %s: %w", desc.Digest, err)
	}
	if m.MediaType != "" && m.MediaType != desc.MediaType {
		return nil, fmt.Errorf("manifest %s says mediaType %q but its descriptor says %q", desc.Digest, m.MediaType, desc.MediaType)
	}
	cfg, err := readBlob(layout, m.Config)
	if err != nil {
		return nil, err
	}
	if err := strictjson.Check(cfg); err != nil {
		return nil, fmt.Errorf("parsing config %s: %w", m.Config.Digest, err)
	}
	return &Image{Layout: layout, Descriptor: desc, RawManifest: raw, Manifest: *m, RawConfig: cfg}, nil
}

func configPlatform(raw []byte) (Platform, error) {
	var c struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Variant      string `json:"variant"`
	}
	if err := strictjson.Unmarshal(raw, &c); err != nil {
		return Platform{}, err
	}
	if c.OS == "" || c.Architecture == "" {
		return Platform{}, errors.New("config lacks os or architecture")
	}
	return Platform(c), nil
}

// ReadSingle reads a layout whose index.json names exactly one image
// manifest, as assemble writes them; it is what digest, inspect and push
// work on, so that they never pick one manifest out of several silently.
func ReadSingle(layout string) (*Image, error) {
	idx, err := ReadIndex(layout)
	if err != nil {
		return nil, err
	}
	if len(idx.Manifests) != 1 {
		return nil, fmt.Errorf("OCI layout %q: index.json lists %d manifests, want exactly 1", layout, len(idx.Manifests))
	}
	d := idx.Manifests[0]
	if !isManifestType(d.MediaType) {
		return nil, fmt.Errorf("OCI layout %q: index.json lists %s of media type %q, want an image manifest", layout, d.Digest, d.MediaType)
	}
	img, err := loadImage(layout, d)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %q: %w", layout, err)
	}
	return img, nil
}
