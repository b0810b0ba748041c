package jarnorm_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/budget/budgettest"
	"github.com/rules-odp/rules_odp/tools/internal/jarnorm"
)

// zeroEntry is a deflated entry of n zero bytes, compressed as it streams
// (n may be far larger than what the test could hold).
func zeroEntry(t testing.TB, name string, n int64) *rawEntry {
	var data bytes.Buffer
	fw, err := flate.NewWriter(&data, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	crc := crc32.NewIEEE()
	if _, err := io.CopyN(io.MultiWriter(fw, crc), zeros{}, n); err != nil {
		t.Fatal(err)
	}
	fw.Close()
	e := entry(t, name, zip.Deflate, nil)
	e.data = data.Bytes()
	e.crc, e.lcrc = crc.Sum32(), crc.Sum32()
	e.csize, e.lcsize = uint32(data.Len()), uint32(data.Len())
	e.usize, e.lusize = uint32(n), uint32(n)
	return e
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestJarBudgets: jars that would expand or be held in memory without
// bound are refused within a fixed amount of memory, naming the entry and
// the budget, and NormalizeFile leaves nothing behind.
func TestJarBudgets(t *testing.T) {
	zipOf := func(es ...*rawEntry) []byte { return (&rawZip{entries: es}).bytes() }
	bomb := zeroEntry(t, "data/zeros.bin", 256<<20) // ~250 KiB deflated
	nested := zipOf(entry(t, "a/A.class", zip.Deflate, []byte("class A")), bomb)
	held := entry(t, "BOOT-INF/lib/huge.jar", zip.Deflate, []byte("PK"))
	held.usize, held.lusize = budget.JarHeldBytes/2+1, budget.JarHeldBytes/2+1 // what it claims; refused before it is read
	manifest := entry(t, "META-INF/MANIFEST.MF", zip.Deflate, []byte("Manifest-Version: 1.0\n"))
	manifest.usize, manifest.lusize = budget.JarManifestBytes+1, budget.JarManifestBytes+1
	for _, tc := range []struct {
		name string
		jar  []byte
		opts jarnorm.Options
		want []string
	}{
		{"deflate bomb", zipOf(bomb), jarnorm.Options{}, []string{`entry "data/zeros.bin"`, "over the budget for decompression"}},
		{"deflate bomb in a nested jar", zipOf(entry(t, "BOOT-INF/lib/bomb.jar", zip.Store, nested)), jarnorm.Options{}, []string{`nested jar "BOOT-INF/lib/bomb.jar"`, `entry "data/zeros.bin"`, "over the budget for decompression"}},
		{"deflate bomb, nested jars skipped", zipOf(entry(t, "BOOT-INF/lib/bomb.jar", zip.Deflate, nested), bomb), jarnorm.Options{SkipNested: true}, []string{`entry "data/zeros.bin"`, "decompression"}},
		{"nested jar too large to hold", zipOf(held), jarnorm.Options{}, []string{`entry "BOOT-INF/lib/huge.jar"`, "over the budget for bytes of jar entries held in memory"}},
		{"manifest too large", zipOf(manifest), jarnorm.Options{}, []string{`entry "META-INF/MANIFEST.MF"`, "over the budget for bytes of a jar manifest"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in.jar")
			if err := os.WriteFile(in, tc.jar, 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out", "out.jar")
			os.Mkdir(filepath.Dir(out), 0o755)
			err := budgettest.Bounded(t, 64<<20, func() error { return jarnorm.NormalizeFile(out, in, tc.opts) })
			if err == nil {
				t.Fatal("NormalizeFile succeeded, want a refusal")
			}
			for _, w := range append([]string{in}, tc.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			var be *budget.Error
			var re *budget.RatioError
			if !errors.As(err, &be) && !errors.As(err, &re) {
				t.Errorf("error %v wraps no budget error", err)
			}
			if left, _ := os.ReadDir(filepath.Dir(out)); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}
