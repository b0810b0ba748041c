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
	for _, name := range []string{"META-INF/MANIFEST.MF", "a/A.class", "b/B.txt"} {
		w, err := zw.Create(name)
		if err != nil {
			panic(err)
		}
		w.Write([]byte(strings.Repeat(name+" content\n", 200)))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}
