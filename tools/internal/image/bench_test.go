package image_test

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/rules-odp/rules_odp/tools/internal/image"
)

// randomTar writes a tar holding one file of size random bytes; gz
// compresses it (level 1) like a layer a build would hand us.
func randomTar(b testing.TB, path string, size int64, seed int64, gz bool) string {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	var w interface {
		Write([]byte) (int, error)
	} = bw
	var zw *gzip.Writer
	if gz {
		zw, _ = gzip.NewWriterLevel(bw, gzip.BestSpeed)
		w = zw
	}
	tw := tar.NewWriter(w)
	tw.WriteHeader(&tar.Header{Name: "data", Mode: 0o644, Size: size, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg})
	r := rand.New(rand.NewSource(seed))
	buf := make([]byte, 1<<20)
	for n := int64(0); n < size; n += int64(len(buf)) {
		r.Read(buf)
		tw.Write(buf[:min(int64(len(buf)), size-n)])
	}
	tw.Close()
	if zw != nil {
		zw.Close()
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkAppendLayer adds one 10 MB layer to a 50 MB and a 500 MB base
// layout, with odptool and with go-containerregistry's mutate.Append +
// layout.Write (what `crane append` runs, given a local layout). ns/op of
// base=500MB over base=50MB should stay near 1 for odptool.
//
//	go test ./tools/internal/image -run '^$' -bench AppendLayer -benchtime 10x
func BenchmarkAppendLayer(b *testing.B) {
	dir := b.TempDir()
	layer := randomTar(b, filepath.Join(dir, "layer.tar.gz"), 10<<20, 99, true)
	for _, mb := range []int64{50, 500} {
		var parts []string
		for i := int64(0); i < 5; i++ {
			parts = append(parts, randomTar(b, filepath.Join(dir, fmt.Sprintf("b%d-%d.tar", mb, i)), mb<<20/5, mb*10+i, false))
		}
		base := filepath.Join(dir, fmt.Sprintf("base%d", mb))
		res, err := image.Assemble(image.AssembleOptions{Out: base, Layers: parts})
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range parts {
			os.Remove(p) // the base keeps its hard links
		}
		b.Run(fmt.Sprintf("odptool/base=%dMB", mb), func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "out")
			for i := 0; i < b.N; i++ {
				// Trusted: the check seeks through the uncompressed base,
				// so the cost stays that of the added layer.
				if _, err := image.Assemble(image.AssembleOptions{Out: out, Base: base, Layers: []string{layer}, TrustBaseLayers: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("ggcr-append/base=%dMB", mb), func(b *testing.B) {
			h, _ := v1.NewHash(res.ManifestDigest)
			for i := 0; i < b.N; i++ {
				out := filepath.Join(b.TempDir(), "out")
				p, err := layout.FromPath(base)
				if err != nil {
					b.Fatal(err)
				}
				img, err := p.Image(h)
				if err != nil {
					b.Fatal(err)
				}
				l, err := tarball.LayerFromFile(layer)
				if err != nil {
					b.Fatal(err)
				}
				img, err = mutate.AppendLayers(img, l)
				if err != nil {
					b.Fatal(err)
				}
				lp, err := layout.Write(out, empty.Index)
				if err != nil {
					b.Fatal(err)
				}
				if err := lp.AppendImage(img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
