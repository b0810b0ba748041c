package sbom_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/dpkgdb"
	"github.com/rules-odp/rules_odp/tools/internal/sbom"
)

// validExpression checks the shape of a license expression we emit:
// identifiers of [A-Za-z0-9.+-], AND/OR/WITH between operands, balanced
// parentheses.
func validExpression(t *testing.T, in, expr string) {
	t.Helper()
	depth := 0
	operand := true
	toks := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(expr))
	for i, tok := range toks {
		switch tok {
		case "(":
			depth++
		case ")":
			depth--
			if depth < 0 {
				t.Fatalf("%q -> %q: unbalanced", in, expr)
			}
		case "AND", "OR", "WITH":
			if operand {
				t.Fatalf("%q -> %q: operator %s at %d without operand", in, expr, tok, i)
			}
			operand = true
		default:
			for _, c := range tok {
				if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '+') {
					t.Fatalf("%q -> %q: bad identifier %q", in, expr, tok)
				}
			}
			operand = false
		}
	}
	if depth != 0 || (len(toks) > 0 && operand) {
		t.Fatalf("%q -> %q: incomplete", in, expr)
	}
}

func FuzzParseCopyright(f *testing.F) {
	f.Add([]byte(dep5Header + "Files: *\nLicense: GPL-2+ or (MIT and BSD-3-clause)\n"))
	f.Add([]byte(dep5Header + "Files: *\nLicense: Apache-2.0 with LLVM exception\n"))
	f.Add([]byte("Format: copyright-format/1.0\n\nFiles: x\nLicense: with\n"))
	f.Add([]byte("free text"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lic, err := sbom.ParseCopyright(data)
		if err != nil {
			return
		}
		validExpression(t, string(data), lic)
	})
}

func FuzzDEP5License(f *testing.F) {
	for _, s := range []string{"GPL-2+ or Artistic", "(MIT", "a with b exception or c", "MIT and and", ")("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		validExpression(t, s, sbom.DEP5License(s))
	})
}

// FuzzDebPURL: every record the dpkg parser accepts gives a purl without
// spaces or line breaks (the parser itself is fuzzed in package dpkgdb).
func FuzzDebPURL(f *testing.F) {
	f.Add([]byte("Package: a1\nStatus: install ok installed\nVersion: 1:2-3\nArchitecture: amd64\nSource: b (4)\n"))
	f.Add([]byte("Package: a1\nVersion: 1\nArchitecture: all\n\nPackage: b2\nStatus: deinstall ok config-files\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := dpkgdb.ParseStatus(data)
		if err != nil {
			return
		}
		for _, r := range recs {
			if p := sbom.DebPURL(r.Package, r.Version, r.Architecture); strings.ContainsAny(p, " \n") {
				t.Fatalf("purl %q", p)
			}
		}
	})
}

func FuzzParsePythonMetadata(f *testing.F) {
	f.Add([]byte("Metadata-Version: 2.1\nName: a\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\n\nbody"))
	f.Add([]byte("Name: a\n License continuation\nVersion: 2\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := sbom.ParsePythonMetadata(data)
		if err != nil {
			return
		}
		if m.Name == "" || m.Version == "" || strings.ContainsAny(sbom.PythonPURL(m.Name, m.Version), " \n") {
			t.Fatalf("accepted %+v", m)
		}
	})
}

func FuzzParsePomProperties(f *testing.F) {
	f.Add([]byte("groupId=a\nartifactId=b\nversion=1\n"))
	f.Add([]byte("groupId : a\\\n b\nartifactId b\\u0063\nversion=1\\\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := sbom.ParsePomProperties(data)
		if err != nil {
			return
		}
		if c.Group == "" || c.Artifact == "" || c.Version == "" {
			t.Fatalf("accepted %+v", c)
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte("Manifest-Version: 1.0\r\nA: b\r\n c\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = sbom.ParseManifest(data)
	})
}

// FuzzInspectJar feeds arbitrary zips (and nested zips) to the jar reader.
func FuzzInspectJar(f *testing.F) {
	f.Add([]byte(makeJar(f, pom("g", "a", "1"), zentry{name: "lib/n.jar", store: true, body: makeJar(f, pom("g", "n", "2"))})))
	f.Add([]byte(makeJar(f, zentry{name: "x.jar", body: makeJar(f, zentry{name: "META-INF/MANIFEST.MF", body: "Bundle-Version: 1\n"})})))
	f.Add([]byte("PK\x05\x06"))
	lim := sbom.DefaultLimits
	lim.NestedJar = 1 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := sbom.InspectJar(bytes.NewReader(data), int64(len(data)), "f.jar", lim)
		if err != nil {
			return
		}
		if len(pkgs) == 0 || pkgs[0].Path != "f.jar" {
			t.Fatalf("no package for the jar itself: %+v", pkgs)
		}
		for _, p := range pkgs {
			if p.Parent >= len(pkgs) {
				t.Fatalf("parent %d out of range", p.Parent)
			}
		}
	})
}
