package imagediff

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"golang.org/x/sync/errgroup"
)

// Options configure Compare.
type Options struct {
	// Semantic ignores what does not change how the image runs:
	// timestamps (file mtimes, atimes and ctimes, config `created`),
	// `history`, entry order, owner names, tar name spelling, compression
	// (layer digests, sizes and media types when the content is equal;
	// Docker vs OCI media types),
	// image name annotations and the digests that change only because of
	// those. See docs/diff.md for the full list.
	Semantic bool
}

// Compare compares two images. Differences are in the report; an error
// means the images could not be compared (a missing or corrupt blob, a
// config that does not match its layers, an unreadable layer).
func Compare(ctx context.Context, a, b *Image, opts Options) (*Report, error) {
	c := &comparison{a: a, b: b, semantic: opts.Semantic}
	for _, img := range []*Image{a, b} {
		if img.check == nil {
			continue
		}
		for _, l := range img.Manifest.Layers {
			if err := img.check(l); err != nil {
				return nil, err
			}
		}
	}
	if !c.semantic {
		if err := c.index(); err != nil {
			return nil, err
		}
	}
	// Equal manifest digests mean equal configs and layers: nothing more
	// to read.
	if a.Descriptor.Digest != b.Descriptor.Digest {
		if err := c.manifest(); err != nil {
			return nil, err
		}
		if err := c.config(); err != nil {
			return nil, err
		}
		if err := c.layers(ctx); err != nil {
			return nil, err
		}
	}
	return &Report{A: a.Name, B: b.Name, Semantic: c.semantic, Same: len(c.out) == 0, Differences: c.out}, nil
}

type comparison struct {
	a, b     *Image
	semantic bool
	out      []Difference
	// run bounds the tar headers of every layer read, on both sides.
	run budget.Run
}

func (c *comparison) index() error {
	if c.a.RawIndex != nil && c.b.RawIndex != nil {
		if string(c.a.RawIndex) == string(c.b.RawIndex) {
			return nil
		}
		w := &walker{scope: "index", out: &c.out}
		if err := compareJSON(w, c.a.RawIndex, c.b.RawIndex); err != nil {
			return fmt.Errorf("comparing index.json: %w", err)
		}
		return nil
	}
	// A registry image has no index.json: compare what each side's
	// reference resolved to.
	da, db := c.a.Descriptor, c.b.Descriptor
	for _, f := range []struct{ name, a, b string }{
		{"manifest.mediaType", da.MediaType, db.MediaType},
		{"manifest.digest", da.Digest, db.Digest},
		{"manifest.size", fmt.Sprint(da.Size), fmt.Sprint(db.Size)},
	} {
		if f.a != f.b {
			c.out = append(c.out, Difference{Scope: "index", Field: f.name, Kind: Changed, A: f.a, B: f.b})
		}
	}
	return nil
}

// nameAnnotation reports paths of annotations that only name an image;
// semantic mode ignores them, as diffoci does.
func nameAnnotation(path string) bool {
	return strings.HasSuffix(path, `["org.opencontainers.image.ref.name"]`) ||
		strings.HasSuffix(path, `["io.containerd.image.name"]`)
}

func (c *comparison) manifest() error {
	w := &walker{scope: "manifest", out: &c.out, skip: func(p string) bool {
		if p == "layers" { // compared layer by layer below
			return true
		}
		// Docker and OCI media types name the same formats.
		return c.semantic && (p == "config.digest" || p == "config.size" || p == "mediaType" || p == "config.mediaType" || nameAnnotation(p))
	}}
	if err := compareJSON(w, c.a.RawManifest, c.b.RawManifest); err != nil {
		return fmt.Errorf("comparing manifests: %w", err)
	}
	return nil
}

// semanticConfigSkips are config fields that record how and when an image
// was built, not how it runs.
var semanticConfigSkips = map[string]bool{
	"created": true, "history": true,
	"container": true, "container_config": true, "docker_version": true,
}

func (c *comparison) config() error {
	if c.a.Manifest.Config.Digest == c.b.Manifest.Config.Digest {
		return nil
	}
	w := &walker{scope: "config", semantic: c.semantic, out: &c.out, skip: func(p string) bool {
		// diff_ids are reported with their layers.
		return p == "rootfs.diff_ids" || c.semantic && semanticConfigSkips[p]
	}}
	if err := compareJSON(w, c.a.RawConfig, c.b.RawConfig); err != nil {
		return fmt.Errorf("comparing configs: %w", err)
	}
	return nil
}

// side is what the layer comparison needs of one image.
type side struct {
	img     *Image
	diffIDs []string
	raw     []json.RawMessage
	pos     map[string][]int // diff_id -> 1-based positions
}

func newSide(img *Image) (*side, error) {
	ids, err := diffIDs(img.RawConfig, len(img.Manifest.Layers))
	if err != nil {
		return nil, fmt.Errorf("%s: config %s: %w", img.Name, img.Manifest.Config.Digest, err)
	}
	raw, err := rawLayers(img.RawManifest)
	if err != nil || len(raw) != len(img.Manifest.Layers) {
		return nil, fmt.Errorf("%s: manifest %s: cannot read layers: %v", img.Name, img.Descriptor.Digest, err)
	}
	s := &side{img: img, diffIDs: ids, raw: raw, pos: map[string][]int{}}
	for i, id := range ids {
		s.pos[id] = append(s.pos[id], i+1)
	}
	return s, nil
}

// elsewhere is a position (1-based) other than n where this side has a
// layer with diff_id id, or 0.
func (s *side) elsewhere(id string, n int) int {
	for _, p := range s.pos[id] {
		if p != n {
			return p
		}
	}
	return 0
}

func layerSummary(d image.Descriptor, diffID string) string {
	return fmt.Sprintf("%s (diff_id %s, %s, %d bytes)", d.Digest, diffID, d.MediaType, d.Size)
}

// readTask is a layer position whose files must be listed: on both sides
// when the layers differ, on one side when the other has no such layer.
type readTask struct {
	n      int // 1-based
	da, db *image.Descriptor
	ia, ib string // diff_ids
}

// layers pairs layers by position. Equal digests are not read; equal
// diff_ids (a compression difference) are not read either; a pair whose
// layers both occur elsewhere in the other image is reported as an order
// change; any other differing pair is read and compared file by file.
func (c *comparison) layers(ctx context.Context) error {
	sa, err := newSide(c.a)
	if err != nil {
		return err
	}
	sb, err := newSide(c.b)
	if err != nil {
		return err
	}
	la, lb := c.a.Manifest.Layers, c.b.Manifest.Layers
	// lines[i] are the differences of layer i+1: its own, then its files.
	lines := make([][]Difference, max(len(la), len(lb)))
	var tasks []readTask
	for i := range lines {
		n := i + 1
		emit := func(field, kind, a, b string) {
			lines[i] = append(lines[i], Difference{Scope: "layer", Layer: n, Field: field, Kind: kind, A: a, B: b})
		}
		switch {
		case i >= len(la):
			emit("layer", Added, "", layerSummary(lb[i], sb.diffIDs[i]))
			tasks = append(tasks, readTask{n: n, db: &lb[i], ib: sb.diffIDs[i]})
			continue
		case i >= len(lb):
			emit("layer", Removed, layerSummary(la[i], sa.diffIDs[i]), "")
			tasks = append(tasks, readTask{n: n, da: &la[i], ia: sa.diffIDs[i]})
			continue
		}
		ida, idb := sa.diffIDs[i], sb.diffIDs[i]
		if ida != idb && la[i].Digest != lb[i].Digest {
			ja, jb := sa.elsewhere(idb, n), sb.elsewhere(ida, n)
			if ja > 0 && jb > 0 {
				emit("order", Changed, fmt.Sprintf("%s (layer %d of B)", ida, jb), fmt.Sprintf("%s (layer %d of A)", idb, ja))
				continue
			}
		}
		w := &walker{scope: "layer", layer: n, out: &lines[i], skip: func(p string) bool {
			return c.semantic && (p == "digest" || p == "size" || p == "mediaType" || nameAnnotation(p))
		}}
		if err := compareJSON(w, sa.raw[i], sb.raw[i]); err != nil {
			return fmt.Errorf("comparing the descriptors of layer %d: %w", n, err)
		}
		if ida != idb && (!c.semantic || la[i].Digest == lb[i].Digest) {
			emit("diff_id", Changed, ida, idb)
		}
		if ida != idb && la[i].Digest != lb[i].Digest {
			tasks = append(tasks, readTask{n: n, da: &la[i], db: &lb[i], ia: ida, ib: idb})
		}
	}
	// Tasks run one after the other, A's and B's listing concurrently, so
	// that at most two listings are in memory.
	for _, t := range tasks {
		var ea, eb []entry
		g, gctx := errgroup.WithContext(ctx)
		if t.da != nil {
			g.Go(func() (err error) { ea, err = c.list(gctx, c.a, "A", t.n, *t.da, t.ia); return err })
		}
		if t.db != nil {
			g.Go(func() (err error) { eb, err = c.list(gctx, c.b, "B", t.n, *t.db, t.ib); return err })
		}
		if err := g.Wait(); err != nil {
			return err
		}
		diffEntries(&lines[t.n-1], t.n, ea, eb, c.semantic)
	}
	for _, l := range lines {
		c.out = append(c.out, l...)
	}
	return nil
}

func (c *comparison) list(ctx context.Context, img *Image, which string, n int, d image.Descriptor, diffID string) ([]entry, error) {
	rc, err := img.open(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("%s (%s): layer %d: %w", which, img.Name, n, err)
	}
	defer rc.Close()
	es, err := listBlob(ctxReader{ctx, rc}, d.MediaType, d.Digest, diffID, &c.run)
	if err != nil {
		return nil, fmt.Errorf("%s (%s): layer %d (%s): %w", which, img.Name, n, d.Digest, err)
	}
	return es, nil
}

// ctxReader stops a listing when the other side's failed.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
