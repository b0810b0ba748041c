package imagediff

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/strictjson"
)

// parseManifest checks a manifest from a registry as strictly as package
// image checks a layout's: digests become blob requests, so they must be
// sha256 and well formed.
func parseManifest(b []byte) (*image.Manifest, error) {
	var m image.Manifest
	if err := strictjson.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m.SchemaVersion != 2 {
		return nil, fmt.Errorf("schemaVersion %d, want 2", m.SchemaVersion)
	}
	if m.MediaType != "" && m.MediaType != image.MediaTypeOCIManifest && m.MediaType != image.MediaTypeDockerManifest {
		return nil, fmt.Errorf("mediaType %q is not an image manifest", m.MediaType)
	}
	if m.Config.MediaType != image.MediaTypeOCIConfig && m.Config.MediaType != image.MediaTypeDockerConfig {
		return nil, fmt.Errorf("config mediaType %q is not an image config", m.Config.MediaType)
	}
	if err := checkDescriptor(m.Config); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for i, l := range m.Layers {
		if err := checkDescriptor(l); err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
	}
	return &m, nil
}

func checkDescriptor(d image.Descriptor) error {
	if err := image.CheckDigest(d.Digest); err != nil {
		return err
	}
	if d.Size < 0 {
		return fmt.Errorf("negative size %d", d.Size)
	}
	return nil
}

// rawLayers returns the layer descriptors of a manifest as JSON, so that
// every field (annotations, urls, ...) can be compared, not only those
// image.Descriptor knows.
func rawLayers(manifest []byte) ([]json.RawMessage, error) {
	var m struct {
		Layers []json.RawMessage `json:"layers"`
	}
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, err
	}
	return m.Layers, nil
}

// diffIDs reads rootfs.diff_ids of a config and checks there is one per
// layer: pairing layers with the wrong diff_ids would report nonsense.
func diffIDs(config []byte, layers int) ([]string, error) {
	var c struct {
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, fmt.Errorf("parsing config: %w", err)
	}
	ids := c.RootFS.DiffIDs
	if len(ids) != layers {
		return nil, fmt.Errorf("config lists %d diff_ids for %d layers", len(ids), layers)
	}
	for i, id := range ids {
		if err := image.CheckDigest(id); err != nil {
			return nil, fmt.Errorf("config: diff_id of layer %d: %w", i+1, err)
		}
	}
	return ids, nil
}

func checkConfigPlatform(config []byte, want image.Platform) error {
	var c image.Platform
	if err := json.Unmarshal(config, &c); err != nil {
		return fmt.Errorf("parsing config: %w", err)
	}
	if c.OS == "" || c.Architecture == "" {
		return errors.New("config lacks os or architecture")
	}
	if c.OS != want.OS || c.Architecture != want.Architecture || want.Variant != "" && c.Variant != want.Variant {
		return fmt.Errorf("image is for %s, not %s", c, want)
	}
	return nil
}
