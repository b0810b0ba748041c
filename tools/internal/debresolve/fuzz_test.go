package debresolve_test

import (
	"bytes"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
)

// FuzzResolve reads arbitrary bytes as an index and resolves every package
// in it: neither step may panic, and a resolution holds its root and only
// packages whose dependencies name packages of the result.
func FuzzResolve(f *testing.F) {
	const sha = "SHA256: 0000000000000000000000000000000000000000000000000000000000000000\nFilename: f\nSize: 1\n"
	f.Add([]byte("Package: x\nVersion: 1\nArchitecture: all\n" + sha + "Depends: x | y (>= 1), z:any\nProvides: y (= 2)\n"))
	f.Add([]byte("Package: a\nVersion: 1\nArchitecture: amd64\n" + sha + "Pre-Depends: b\nDepends: c | d, v (>= 2)\n\n" +
		"Package: b\nVersion: 1:2-3\nArchitecture: all\n" + sha + "Depends: a\n\n" +
		"Package: c\nVersion: 1\nArchitecture: amd64\n" + sha + "Depends: missing\n\n" +
		"Package: d\nVersion: 1\nArchitecture: amd64\nMulti-Arch: allowed\n" + sha + "Provides: v (= 2)\n\n" +
		"Package: e\nVersion: 1\nArchitecture: amd64\nPriority: required\nEssential: yes\n" + sha + "Provides: v (= 3)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ix := debresolve.NewIndex("amd64")
		if err := ix.Read(bytes.NewReader(data), "fuzz"); err != nil {
			return
		}
		seen := map[string]bool{}
		for _, line := range bytes.Split(data, []byte("\n")) {
			name, ok := bytes.CutPrefix(line, []byte("Package: "))
			if !ok || seen[string(name)] || len(ix.Versions(string(name))) == 0 {
				continue
			}
			seen[string(name)] = true
			pkgs, err := debresolve.Resolve(ix, debresolve.Request{Roots: []string{string(name)}})
			if err != nil {
				continue
			}
			in := map[string]bool{}
			for _, p := range pkgs {
				in[p.Name] = true
			}
			if !in[string(name)] {
				t.Fatalf("closure of %s lacks it: %v", name, in)
			}
			for _, p := range pkgs {
				for _, d := range p.Depends {
					if !in[d] {
						t.Fatalf("%s depends on %s, which is not in the closure", p.Name, d)
					}
				}
			}
		}
	})
}
