//go:build ignore

// mkjar writes a small jar of deflated entries (for guard_test.go).
package main

import (
	"archive/zip"
	"os"
	"strings"
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	zw := zip.NewWriter(f)
	for _, e := range []struct{ name, content string }{
		{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMain-Class: a.A\r\nBuild-Jdk: 17.0.9\r\n\r\n"},
		{"a/A.class", strings.Repeat("class content\n", 200)},
		{"b/B.txt", strings.Repeat("text content\n", 300)},
	} {
		w, err := zw.Create(e.name)
		if err != nil {
			panic(err)
		}
		w.Write([]byte(e.content))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}
