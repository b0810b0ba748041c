package ar_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/ar"
)

// FuzzReader checks that no input makes the reader panic, return more bytes
// than a header announces, or hand out a name that could leave a directory.
func FuzzReader(f *testing.F) {
	files, err := filepath.Glob("testdata/*.a")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed archives in testdata: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(ar.Magic + bsdMember("a-very-long-bsd-member-name", "xyz") + bsdMember("b", "")))
	f.Add([]byte(ar.Magic + member("debian-binary", "2.0\n") + member("control.tar.gz", "abc")))
	f.Add([]byte(ar.Magic + member("//", "abc/\n") + member("/0", "x")))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := ar.NewReader(bytes.NewReader(data))
		r.MaxMemberSize = 1 << 20
		for {
			h, err := r.Next()
			if err != nil {
				return
			}
			if h.Name == "" || h.Name == "." || h.Name == ".." || strings.Contains(h.Name, "/") {
				t.Fatalf("unsafe name %q accepted", h.Name)
			}
			if h.Size < 0 || h.Size > r.MaxMemberSize {
				t.Fatalf("size %d accepted", h.Size)
			}
			n, err := io.Copy(io.Discard, r)
			if n > h.Size || (err == nil && n != h.Size) {
				t.Fatalf("member %q: read %d bytes (err %v), header says %d", h.Name, n, err, h.Size)
			}
			if err != nil {
				return
			}
		}
	})
}
