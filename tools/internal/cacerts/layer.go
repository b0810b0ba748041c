package cacerts

import (
	"bytes"
	"io"

	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

// Entries returns the layer entries of the bundle: BundlePath, mode 0644,
// owned by root, as update-ca-certificates leaves it. layer.Write adds the
// parent directories.
func (b *Bundle) Entries() []layer.Entry {
	data := b.Data
	return []layer.Entry{{
		Path: BundlePath,
		Type: layer.TypeFile,
		Mode: 0o644,
		Size: int64(len(data)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}}
}

// WriteLayer writes the layer holding the bundle to w.
func (b *Bundle) WriteLayer(w io.Writer, opts layer.Options) (layer.Result, error) {
	return layer.Write(w, b.Entries(), opts)
}

// WriteLayerFile writes the layer holding the bundle to path atomically.
func (b *Bundle) WriteLayerFile(path string, opts layer.Options) (layer.Result, error) {
	return layer.WriteFile(path, b.Entries(), opts)
}
