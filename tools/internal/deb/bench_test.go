package deb_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/deb"
	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

// BenchmarkReadData reads all of openjdk-17-jre-headless's data.tar.xz (the
// package of the repack benchmark) with this package and, for a ratio
// measured in the same run, with `dpkg-deb --fsys-tarfile`.
func BenchmarkReadData(b *testing.B) {
	path := testdeb.Fetch(b, "openjdk-17-jre-headless")
	b.Run("deb.Open", func(b *testing.B) {
		for b.Loop() {
			b.SetBytes(readDeb(b, path))
		}
	})
	b.Run("dpkg-deb", func(b *testing.B) {
		bin, err := exec.LookPath("dpkg-deb")
		if err != nil {
			testdeb.Unavailable(b, "dpkg-deb is not installed")
		}
		for b.Loop() {
			cmd := exec.Command(bin, "--fsys-tarfile", path)
			out, err := cmd.StdoutPipe()
			if err != nil {
				b.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, out)
			if err != nil {
				b.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(n)
		}
	})
}

func readDeb(b *testing.B, path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	p, err := deb.Open(bufio.NewReaderSize(f, 1<<20), path)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := p.Data()
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, tr); err != nil {
			b.Fatal(err)
		}
		n += h.Size
	}
	if err := p.Close(); err != nil {
		b.Fatal(err)
	}
	return n
}
