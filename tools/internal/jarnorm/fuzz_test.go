package jarnorm_test

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/jarnorm"
)

// FuzzNormalize: any input either fails cleanly or normalises to a jar
// that normalises to itself.
func FuzzNormalize(f *testing.F) {
	f.Add(messyJar(f))
	f.Add(innerJar(f))
	f.Add((&rawZip{entries: []*rawEntry{entry(f, "a", zip.Deflate, []byte("aaaa")).withDescriptor()}}).bytes())
	f.Add((&rawZip{entries: []*rawEntry{entry(f, "lib/x.jar", zip.Store, innerJar(f))}}).bytes())
	f.Add((&rawZip{}).bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		if err := jarnorm.Normalize(&out, bytes.NewReader(in), int64(len(in)), jarnorm.Options{}); err != nil {
			return
		}
		var again bytes.Buffer
		if err := jarnorm.Normalize(&again, bytes.NewReader(out.Bytes()), int64(out.Len()), jarnorm.Options{}); err != nil {
			t.Fatalf("normalised output is refused: %v", err)
		}
		if !bytes.Equal(out.Bytes(), again.Bytes()) {
			t.Fatal("normalising the output changed it")
		}
	})
}

// FuzzNormalizeManifest: a manifest either fails cleanly or becomes a
// fixed point whose lines fit in 72 bytes.
func FuzzNormalizeManifest(f *testing.F) {
	f.Add([]byte(messyManifest))
	f.Add([]byte("Manifest-Version: 1.0\r\n\r\nName: a\r\nX: " + strings.Repeat("é", 50) + "\r\n"))
	f.Add([]byte(" x\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := jarnorm.NormalizeManifest(in, jarnorm.Options{})
		if err != nil {
			return
		}
		again, err := jarnorm.NormalizeManifest(out, jarnorm.Options{})
		if err != nil {
			t.Fatalf("normalised manifest %q is refused: %v", out, err)
		}
		if !bytes.Equal(out, again) {
			t.Fatalf("normalising %q changed it to %q", out, again)
		}
		for _, line := range strings.Split(string(out), "\r\n") {
			if len(line) > 72 {
				t.Fatalf("line of %d bytes in %q", len(line), out)
			}
		}
	})
}
