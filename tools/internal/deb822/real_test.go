package deb822_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/deb822"
	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

// packagesIndex returns the decompressed main Packages index apt downloaded
// (apt stores it compressed, in a format only apt-helper is sure to read).
func packagesIndex(t testing.TB) []byte {
	t.Helper()
	lists, _ := filepath.Glob("/var/lib/apt/lists/*_main_binary-*_Packages*")
	var biggest string
	var size int64
	for _, l := range lists {
		if fi, err := os.Stat(l); err == nil && fi.Size() > size {
			biggest, size = l, fi.Size()
		}
	}
	if biggest == "" {
		testdeb.Unavailable(t, "no Packages index under /var/lib/apt/lists: run apt-get update")
	}
	helper := "/usr/lib/apt/apt-helper"
	if _, err := os.Stat(helper); err != nil {
		testdeb.Unavailable(t, "%s is missing: %v", helper, err)
	}
	out, err := exec.Command(helper, "cat-file", biggest).Output()
	if err != nil {
		t.Fatalf("apt-helper cat-file %s: %v", biggest, err)
	}
	return out
}

// realCorpus checks that real files parse and that formatting each
// paragraph reproduces the input up to whitespace at the ends of lines
// (which the index has, e.g. after some short descriptions, and parsing
// drops at the end of a value).
func realCorpus(t *testing.T, data []byte) int {
	t.Helper()
	r := deb822.NewReader(bytes.NewReader(data))
	var out bytes.Buffer
	n := 0
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !p.Has("Package") {
			t.Fatalf("paragraph on line %d has no Package field", r.Line())
		}
		if n > 0 {
			out.WriteByte('\n')
		}
		if _, err := p.WriteTo(&out); err != nil {
			t.Fatalf("paragraph on line %d: %v", r.Line(), err)
		}
		n++
	}
	if want := bytes.Count(data, []byte("\nPackage: ")) + 1; n != want {
		t.Errorf("read %d paragraphs, want %d", n, want)
	}
	if !bytes.Equal(trimLines(data), trimLines(out.Bytes())) {
		t.Errorf("formatting the parsed paragraphs does not reproduce the input")
	}
	return n
}

func TestRealPackagesIndex(t *testing.T) {
	n := realCorpus(t, packagesIndex(t))
	t.Logf("%d paragraphs", n)
}

func TestRealDpkgStatus(t *testing.T) {
	data, err := os.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		testdeb.Unavailable(t, "reading the dpkg database: %v", err)
	}
	n := realCorpus(t, data)
	t.Logf("%d paragraphs", n)
}

func BenchmarkReader(b *testing.B) {
	data := packagesIndex(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := deb822.NewReader(bytes.NewReader(data))
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func trimLines(b []byte) []byte {
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	for i, l := range lines {
		lines[i] = bytes.TrimRight(l, " \t")
	}
	return bytes.Join(lines, []byte("\n"))
}
