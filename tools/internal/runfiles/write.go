package runfiles

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

// WriteFiles writes the three layers to outs (in Layer order) with their
// options, concurrently, and returns their results. All or nothing: the
// layers are written next to their destinations and renamed into place
// only when all three succeeded; on any error no output is left behind.
func (sp *Split) WriteFiles(outs [3]string, opts [3]layer.Options) ([3]layer.Result, error) {
	var res [3]layer.Result
	seen := map[string]Layer{}
	for i, out := range outs {
		if out == "" {
			return res, fmt.Errorf("no output given for the %s layer", Layer(i))
		}
		abs, err := filepath.Abs(out)
		if err != nil {
			return res, err
		}
		if prev, dup := seen[abs]; dup {
			return res, fmt.Errorf("the %s and %s layers would both be written to %s", prev, Layer(i), out)
		}
		seen[abs] = Layer(i)
	}
	var tmps [3]string
	defer func() {
		for _, t := range tmps {
			if t != "" {
				os.Remove(t)
			}
		}
	}()
	for i, out := range outs {
		// Reserve a unique sibling name; layer.WriteFile replaces it atomically.
		f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".split-*")
		if err != nil {
			return res, fmt.Errorf("creating temporary file for %s: %w", out, err)
		}
		tmps[i] = f.Name()
		if err := f.Close(); err != nil {
			return res, err
		}
	}
	var wg sync.WaitGroup
	var errs [3]error
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := layer.WriteFile(tmps[i], sp.Layers[i], opts[i])
			if err != nil {
				errs[i] = fmt.Errorf("writing the %s layer %s: %w", Layer(i), outs[i], err)
			}
			res[i] = r
		}()
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return res, err
	}
	for i, out := range outs {
		if err := os.Rename(tmps[i], out); err != nil {
			for j := range i {
				os.Remove(outs[j])
			}
			return res, fmt.Errorf("renaming %s into place: %w", out, err)
		}
		tmps[i] = ""
	}
	return res, nil
}
