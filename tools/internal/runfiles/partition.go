package runfiles

import (
	"fmt"
	"path"

	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

// CheckPartition verifies that layers (in Layer order: interpreter,
// packages, app) partition want, the image paths of every runfile, tree
// artifact content, launcher and manifest: each path of want is an entry of
// exactly one layer, no layer has a file, symlink or link outside want,
// and no path is a non-directory in one layer and a directory above
// another layer's entry. Parent directories the writer adds are not
// entries here and may repeat across layers.
func CheckPartition(want []string, layers ...[]layer.Entry) error {
	wanted := make(map[string]bool, len(want))
	for _, p := range want {
		wanted[p] = true
	}
	type seen struct {
		layer int
		typ   layer.Type
	}
	at := make(map[string]seen, len(want))
	for i, entries := range layers {
		for _, e := range entries {
			if prev, dup := at[e.Path]; dup {
				if prev.layer == i {
					return fmt.Errorf("%q is twice in the %s layer", e.Path, Layer(i))
				}
				return fmt.Errorf("%q is in both the %s and the %s layer", e.Path, Layer(prev.layer), Layer(i))
			}
			if !wanted[e.Path] && e.Type != layer.TypeDir {
				return fmt.Errorf("%q (%s layer) is not a runfile", e.Path, Layer(i))
			}
			at[e.Path] = seen{i, e.Type}
		}
	}
	for _, p := range want {
		if _, ok := at[p]; !ok {
			return fmt.Errorf("runfile %q is in no layer", p)
		}
	}
	for i, entries := range layers {
		for _, e := range entries {
			for dir := path.Dir(e.Path); dir != "."; dir = path.Dir(dir) {
				if d, ok := at[dir]; ok && d.typ != layer.TypeDir {
					return fmt.Errorf("%q (%s layer) is below %q, a %s of the %s layer", e.Path, Layer(i), dir, d.typ, Layer(d.layer))
				}
			}
		}
	}
	return nil
}
