package deb_test

import (
	"bufio"
	"io"
	"os"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/deb"
	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

// BenchmarkReadData reads all of openjdk-17-jre-headless's data.tar.xz, the
// package the repack benchmark uses.
func BenchmarkReadData(b *testing.B) {
	path := testdeb.Fetch(b, "openjdk-17-jre-headless")
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		p, err := deb.Open(bufio.NewReaderSize(f, 1<<20), path)
		if err != nil {
			b.Fatal(err)
		}
		tr, _ := p.Data()
		var n int64
		for {
			_, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			c, err := io.Copy(io.Discard, tr)
			if err != nil {
				b.Fatal(err)
			}
			n += c
		}
		if err := p.Close(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		b.SetBytes(n)
	}
}
