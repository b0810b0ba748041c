package imagediff

import (
	"bytes"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/image"
)

// Internals the black-box tests and fuzz targets reach.

// ListTar lists an uncompressed tar and returns its entries' one-line
// summaries.
func ListTar(b []byte) ([]string, error) {
	es, err := listTar(bytes.NewReader(b), budget.NewTar(nil))
	if err != nil {
		return nil, err
	}
	out := make([]string, len(es))
	for i := range es {
		out[i] = es[i].Path + " " + es[i].summary()
	}
	return out, nil
}

// DiffTars compares two uncompressed tars as layer 1 of two images.
func DiffTars(a, b []byte, semantic bool) ([]Difference, error) {
	ea, err := listTar(bytes.NewReader(a), budget.NewTar(nil))
	if err != nil {
		return nil, err
	}
	eb, err := listTar(bytes.NewReader(b), budget.NewTar(nil))
	if err != nil {
		return nil, err
	}
	var out []Difference
	diffEntries(&out, 1, ea, eb, semantic)
	return out, nil
}

// CompareConfigs compares two image configs as Compare does.
func CompareConfigs(a, b []byte, semantic bool) ([]Difference, error) {
	c := &comparison{a: &Image{RawConfig: a}, b: &Image{RawConfig: b}, semantic: semantic}
	c.a.Manifest.Config.Digest, c.b.Manifest.Config.Digest = "a", "b"
	err := c.config()
	return c.out, err
}

// Canonical is the rendering the config comparison sees equal values by.
func Canonical(b []byte) (string, error) {
	v, err := decodeJSON(b)
	if err != nil {
		return "", err
	}
	return render(v), nil
}

func ParseManifest(b []byte) (*image.Manifest, error) { return parseManifest(b) }

var LongestIncreasing = longestIncreasing

// StripDiffIDs removes rootfs.diff_ids from a canonical config.
func StripDiffIDs(canonical string) (string, error) {
	v, err := decodeJSON([]byte(canonical))
	if err != nil {
		return "", err
	}
	if m, ok := v.(map[string]any); ok {
		if r, ok := m["rootfs"].(map[string]any); ok {
			delete(r, "diff_ids")
		}
	}
	return render(v), nil
}
