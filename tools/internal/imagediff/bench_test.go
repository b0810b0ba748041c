package imagediff_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/imagediff"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

// benchSize is the payload of the benchmark images (the 500 MB).
const benchSize = 500 << 20

// bigLayer writes a layer of benchSize bytes in 1 MB files of random
// content; differ changes one byte of one file.
func bigLayer(b *testing.B, p string, differ bool) string {
	b.Helper()
	const fileSize = 1 << 20
	rng := rand.New(rand.NewSource(1))
	var entries []layer.Entry
	for i := 0; i < benchSize/fileSize; i++ {
		data := make([]byte, fileSize)
		rng.Read(data)
		if differ && i == 250 {
			data[0] ^= 1
		}
		entries = append(entries, layer.Entry{
			Path: filepath.Join("data", itoa(i)), Type: layer.TypeFile, Mode: 0o644, Size: fileSize,
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		})
	}
	if _, err := layer.WriteFile(p, entries, layer.Options{}); err != nil {
		b.Fatal(err)
	}
	return p
}

// benchLayouts builds A and B, each one benchSize layer, once per run.
func benchLayouts(b *testing.B, differ bool) (string, string) {
	b.Helper()
	dir := b.TempDir()
	la := bigLayer(b, filepath.Join(dir, "a.tar"), false)
	lb := la
	if differ {
		lb = bigLayer(b, filepath.Join(dir, "b.tar"), true)
	}
	a := assemble(b, filepath.Join(dir, "A"), image.AssembleOptions{}, la)
	bb := assemble(b, filepath.Join(dir, "B"), image.AssembleOptions{}, lb)
	return a, bb
}

func compare(b *testing.B, a, bb string, wantSame bool) {
	ctx := context.Background()
	ia, err := imagediff.Open(ctx, a, imagediff.OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ib, err := imagediff.Open(ctx, bb, imagediff.OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rep, err := imagediff.Compare(ctx, ia, ib, imagediff.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if rep.Same != wantSame {
		b.Fatalf("same = %v, want %v: %v", rep.Same, wantSame, rep.Differences)
	}
}

// BenchmarkDiffIdentical500MB: equal digests end the comparison without
// reading any layer.
func BenchmarkDiffIdentical500MB(b *testing.B) {
	a, bb := benchLayouts(b, false)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		compare(b, a, bb, true)
	}
}

// BenchmarkDiffOneFile500MB reads both 500 MB layers (one byte differs);
// compare with BenchmarkReadBoth500MB, which only hashes the two blobs.
func BenchmarkDiffOneFile500MB(b *testing.B) {
	a, bb := benchLayouts(b, true)
	b.SetBytes(2 * benchSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		compare(b, a, bb, false)
	}
}

// BenchmarkReadBoth500MB is the floor: reading and hashing both layer
// blobs once, concurrently, as a digest check does.
func BenchmarkReadBoth500MB(b *testing.B) {
	a, bb := benchLayouts(b, true)
	b.SetBytes(2 * benchSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		done := make(chan error, 2)
		for _, p := range []string{layerBlob(b, a, 1), layerBlob(b, bb, 1)} {
			go func() {
				f, err := os.Open(p)
				if err != nil {
					done <- err
					return
				}
				defer f.Close()
				_, err = io.Copy(sha256.New(), f)
				done <- err
			}()
		}
		for range 2 {
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
	}
}
