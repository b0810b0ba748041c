package image

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// Info summarises a layout's image for `odptool image inspect`.
type Info struct {
	ManifestDigest string      `json:"manifest_digest"`
	MediaType      string      `json:"media_type"`
	ImageID        string      `json:"image_id"` // the config digest
	Platform       Platform    `json:"platform"`
	Layers         []LayerInfo `json:"layers"`
}

// LayerInfo is one layer of Info.
type LayerInfo struct {
	Digest    string `json:"digest"`
	DiffID    string `json:"diff_id"`
	Size      int64  `json:"size"`
	MediaType string `json:"media_type"`
}

// Inspect reads a layout that holds exactly one image manifest.
func Inspect(layout string) (*Info, error) {
	img, err := ReadSingle(layout)
	if err != nil {
		return nil, err
	}
	var cfg struct {
		RootFS rootFS `json:"rootfs"`
	}
	if err := json.Unmarshal(img.RawConfig, &cfg); err != nil {
		return nil, fmt.Errorf("parsing config %s: %w", img.Manifest.Config.Digest, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(img.Manifest.Layers) {
		return nil, fmt.Errorf("config %s lists %d diff_ids for %d layers", img.Manifest.Config.Digest, len(cfg.RootFS.DiffIDs), len(img.Manifest.Layers))
	}
	p, err := configPlatform(img.RawConfig)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", img.Manifest.Config.Digest, err)
	}
	info := &Info{
		ManifestDigest: img.Descriptor.Digest,
		MediaType:      img.Descriptor.MediaType,
		ImageID:        img.Manifest.Config.Digest,
		Platform:       p,
		Layers:         []LayerInfo{},
	}
	for i, l := range img.Manifest.Layers {
		info.Layers = append(info.Layers, LayerInfo{Digest: l.Digest, DiffID: cfg.RootFS.DiffIDs[i], Size: l.Size, MediaType: l.MediaType})
	}
	return info, nil
}

// WriteText prints info for people: one field per line, one line per layer.
func (info *Info) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "manifest digest:\t%s\n", info.ManifestDigest)
	fmt.Fprintf(tw, "media type:\t%s\n", info.MediaType)
	fmt.Fprintf(tw, "image id:\t%s\n", info.ImageID)
	fmt.Fprintf(tw, "platform:\t%s\n", info.Platform)
	fmt.Fprintf(tw, "layers:\t%d\n", len(info.Layers))
	if err := tw.Flush(); err != nil {
		return err
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tDIGEST\tDIFF_ID\tSIZE\tMEDIA TYPE")
	for i, l := range info.Layers {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", i+1, l.Digest, l.DiffID, l.Size, l.MediaType)
	}
	return tw.Flush()
}

// Digest returns the digest of the one manifest a layout's index.json
// lists, after checking that blob. It works on any single-manifest layout,
// index or image, since that digest is what a push publishes.
func Digest(layout string) (string, error) {
	idx, err := ReadIndex(layout)
	if err != nil {
		return "", err
	}
	if len(idx.Manifests) != 1 {
		return "", fmt.Errorf("OCI layout %q: index.json lists %d manifests, want exactly 1", layout, len(idx.Manifests))
	}
	d := idx.Manifests[0]
	if _, err := readBlob(layout, d); err != nil {
		return "", fmt.Errorf("OCI layout %q: %w", layout, err)
	}
	return d.Digest, nil
}
