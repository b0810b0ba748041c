package debresolve_test

import (
	"context"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
)

// BenchmarkResolveOpenJDK measures resolution alone, on the machine's apt
// indexes read once.
func BenchmarkResolveOpenJDK(b *testing.B) {
	ix, _ := realIndex(b, "amd64")
	b.ResetTimer()
	for b.Loop() {
		pkgs, err := debresolve.Resolve(ix, debresolve.Request{Roots: []string{"openjdk-17-jre-headless"}})
		if err != nil {
			b.Fatal(err)
		}
		if len(pkgs) < 50 {
			b.Fatalf("only %d packages", len(pkgs))
		}
	}
}

// BenchmarkReadIndexes measures reading and parsing the machine's
// (decompressed) apt indexes, which dominates `odptool deb lock`.
func BenchmarkReadIndexes(b *testing.B) {
	_, sources := realIndex(b, "amd64")
	b.ResetTimer()
	for b.Loop() {
		if _, err := debresolve.ReadIndexes(context.Background(), "amd64", sources, nil); err != nil {
			b.Fatal(err)
		}
	}
}
