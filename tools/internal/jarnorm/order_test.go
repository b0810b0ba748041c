package jarnorm_test

import (
	"archive/zip"
	"bytes"
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/jarnorm"
)

const probeClass = "com/example/shared/ClasspathProbe.class"

// nestedJar is a dependency jar whose entries come in the given order.
func nestedJar(t testing.TB, names ...string) []byte {
	z := &rawZip{}
	for i, name := range names {
		var e *rawEntry
		switch {
		case strings.HasSuffix(name, "/"):
			e = entry(t, name, zip.Store, nil)
		case name == "META-INF/MANIFEST.MF":
			e = entry(t, name, zip.Deflate, []byte("Manifest-Version: 1.0\nCreated-By: 17.0.15 (Debian)\n\n")).withDescriptor()
		default:
			e = entry(t, name, zip.Deflate, []byte("content of "+name+" in jar "+names[len(names)-1])).unixish(0o100644, 1700000000+int64(i))
		}
		z.entries = append(z.entries, e)
	}
	return z.bytes()
}

// springBootJar is shaped like the jars rules_spring builds: no
// BOOT-INF/classpath.idx, so Spring Boot's class path follows the entry
// order, and zeta.jar comes before alpha.jar; both hold ClasspathProbe.
// Every entry list is out of name order.
func springBootJar(t testing.TB, top []string, nested map[string][]byte) []byte {
	z := &rawZip{}
	for _, name := range top {
		switch {
		case nested[name] != nil:
			z.entries = append(z.entries, entry(t, name, zip.Store, nested[name]).unixish(0o100644, 1700000100))
		case strings.HasSuffix(name, "/"):
			z.entries = append(z.entries, entry(t, name, zip.Store, nil).unixish(0o40755, 1700000200))
		case name == "META-INF/MANIFEST.MF":
			z.entries = append(z.entries, entry(t, name, zip.Deflate, []byte(
				"Manifest-Version: 1.0\nMain-Class: org.springframework.boot.loader.launch.JarLauncher\nStart-Class: com.example.App\nBuilt-By: bazel\n\n")))
		default:
			z.entries = append(z.entries, entry(t, name, zip.Deflate, []byte("bytes of "+name)).withDescriptor())
		}
	}
	return z.bytes()
}

var (
	zetaNames = []string{
		"META-INF/", "META-INF/MANIFEST.MF",
		"com/", "com/example/", "com/example/shared/",
		probeClass, "com/example/zeta/Zeta.class", "com/example/zeta/Alpha.class",
	}
	alphaNames = []string{
		"META-INF/MANIFEST.MF",
		"z/Last.class", probeClass, "a/First.class",
	}
	bootNames = []string{
		"META-INF/", "META-INF/MANIFEST.MF",
		"org/springframework/boot/loader/launch/JarLauncher.class",
		"BOOT-INF/", "BOOT-INF/classes/",
		"BOOT-INF/classes/com/example/App.class",
		"BOOT-INF/classes/application.properties",
		"BOOT-INF/classes/com/example/Another.class",
		"BOOT-INF/lib/",
		"BOOT-INF/lib/zeta.jar",
		"BOOT-INF/lib/alpha.jar",
	}
)

// nestedNames returns the entry names of every nested jar.
func nestedNames(t *testing.T, jar []byte) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	zr, err := zip.NewReader(bytes.NewReader(jar), int64(len(jar)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".jar") {
			out[f.Name] = names(t, readEntry(t, f))
		}
	}
	return out
}

// classpathWinner is the nested jar of BOOT-INF/lib/ from which Spring
// Boot without classpath.idx loads class: the first, in entry order, that
// holds it ("" if none does).
func classpathWinner(t *testing.T, jar []byte, class string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(jar), int64(len(jar)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if path.Dir(f.Name) != "BOOT-INF/lib" || !strings.HasSuffix(f.Name, ".jar") {
			continue
		}
		for _, n := range names(t, readEntry(t, f)) {
			if n == class {
				return path.Base(f.Name)
			}
		}
	}
	return ""
}

// TestEntryOrderKept: by default the order of every entry, top level and
// nested, is the input's (but for "META-INF/" and the manifest, which go
// first), so the class Spring Boot loads is the same before and after.
func TestEntryOrderKept(t *testing.T) {
	zeta, alpha := nestedJar(t, zetaNames...), nestedJar(t, alphaNames...)
	for _, tc := range []struct {
		name                 string
		top, zeta, alpha     []string // input order
		wantTop, wantZeta    []string // nil: as the input
		wantAlpha            []string
		mf                   bool
		recompress, skipNest bool
	}{
		{name: "spring boot jar", top: bootNames, zeta: zetaNames, alpha: alphaNames},
		{name: "recompressed", top: bootNames, zeta: zetaNames, alpha: alphaNames, recompress: true},
		{name: "nested jars not normalised", top: bootNames, zeta: zetaNames, alpha: alphaNames, skipNest: true},
		{
			name: "manifest moved to the front, nothing else",
			top: []string{
				"BOOT-INF/lib/zeta.jar", "META-INF/MANIFEST.MF", "BOOT-INF/classes/b.txt", "META-INF/", "BOOT-INF/lib/alpha.jar", "BOOT-INF/classes/a.txt",
			},
			wantTop: []string{
				"META-INF/", "META-INF/MANIFEST.MF", "BOOT-INF/lib/zeta.jar", "BOOT-INF/classes/b.txt", "BOOT-INF/lib/alpha.jar", "BOOT-INF/classes/a.txt",
			},
			zeta:      []string{"z.class", probeClass, "META-INF/MANIFEST.MF"},
			wantZeta:  []string{"META-INF/MANIFEST.MF", "z.class", probeClass},
			alpha:     []string{probeClass, "META-INF/", "a/", "META-INF/MANIFEST.MF"},
			wantAlpha: []string{"META-INF/", "META-INF/MANIFEST.MF", probeClass, "a/"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z, a := zeta, alpha
			if !cmp.Equal(tc.zeta, zetaNames) {
				z = nestedJar(t, tc.zeta...)
			}
			if !cmp.Equal(tc.alpha, alphaNames) {
				a = nestedJar(t, tc.alpha...)
			}
			in := springBootJar(t, tc.top, map[string][]byte{"BOOT-INF/lib/zeta.jar": z, "BOOT-INF/lib/alpha.jar": a})
			out := normalize(t, in, jarnorm.Options{Recompress: tc.recompress, SkipNested: tc.skipNest})
			if bytes.Equal(in, out) {
				t.Fatal("the input is already normalised; the test proves nothing")
			}
			or := func(want, in []string) []string {
				if want != nil {
					return want
				}
				return in
			}
			if diff := cmp.Diff(or(tc.wantTop, tc.top), names(t, out)); diff != "" {
				t.Errorf("top-level order (-want +got):\n%s", diff)
			}
			if tc.wantTop == nil {
				if diff := cmp.Diff(names(t, in), names(t, out)); diff != "" {
					t.Errorf("top-level order changed (-before +after):\n%s", diff)
				}
			}
			want := map[string][]string{"BOOT-INF/lib/zeta.jar": or(tc.wantZeta, tc.zeta), "BOOT-INF/lib/alpha.jar": or(tc.wantAlpha, tc.alpha)}
			if tc.skipNest {
				want = nestedNames(t, in)
			}
			if diff := cmp.Diff(want, nestedNames(t, out)); diff != "" {
				t.Errorf("nested order (-want +got):\n%s", diff)
			}
			if before, after := classpathWinner(t, in, probeClass), classpathWinner(t, out, probeClass); before != "zeta.jar" || after != before {
				t.Errorf("%s loaded from %q before and %q after normalisation, want zeta.jar both times", probeClass, before, after)
			}
		})
	}
}

// TestSortEntries: the option sorts every level, and so changes which
// nested jar wins; that is why it is not the default.
func TestSortEntries(t *testing.T) {
	in := springBootJar(t, bootNames, map[string][]byte{
		"BOOT-INF/lib/zeta.jar":  nestedJar(t, zetaNames...),
		"BOOT-INF/lib/alpha.jar": nestedJar(t, alphaNames...),
	})
	out := normalize(t, in, jarnorm.Options{SortEntries: true})
	wantTop := []string{
		"META-INF/", "META-INF/MANIFEST.MF",
		"BOOT-INF/", "BOOT-INF/classes/",
		"BOOT-INF/classes/application.properties",
		"BOOT-INF/classes/com/example/Another.class",
		"BOOT-INF/classes/com/example/App.class",
		"BOOT-INF/lib/",
		"BOOT-INF/lib/alpha.jar",
		"BOOT-INF/lib/zeta.jar",
		"org/springframework/boot/loader/launch/JarLauncher.class",
	}
	if diff := cmp.Diff(wantTop, names(t, out)); diff != "" {
		t.Errorf("top-level order (-want +got):\n%s", diff)
	}
	wantNested := map[string][]string{
		"BOOT-INF/lib/zeta.jar": {
			"META-INF/", "META-INF/MANIFEST.MF",
			"com/", "com/example/", "com/example/shared/", probeClass,
			"com/example/zeta/Alpha.class", "com/example/zeta/Zeta.class",
		},
		"BOOT-INF/lib/alpha.jar": {"META-INF/MANIFEST.MF", "a/First.class", probeClass, "z/Last.class"},
	}
	if diff := cmp.Diff(wantNested, nestedNames(t, out)); diff != "" {
		t.Errorf("nested order (-want +got):\n%s", diff)
	}
	if got := classpathWinner(t, out, probeClass); got != "alpha.jar" {
		t.Errorf("sorted: %s loaded from %q, want alpha.jar (sorting moves it first)", probeClass, got)
	}
}

// TestNormalizedJarIsFixedPoint: a jar normalised once is not changed by
// normalising it again, with any options, at every level.
func TestNormalizedJarIsFixedPoint(t *testing.T) {
	in := springBootJar(t, bootNames, map[string][]byte{
		"BOOT-INF/lib/zeta.jar":  nestedJar(t, zetaNames...),
		"BOOT-INF/lib/alpha.jar": nestedJar(t, alphaNames...),
	})
	for _, opts := range []jarnorm.Options{{}, {SortEntries: true}, {Recompress: true}, {SkipNested: true}, {SortEntries: true, Recompress: true}} {
		once := normalize(t, in, opts)
		if bytes.Equal(once, in) {
			t.Fatalf("%+v: the input is already normalised; the test proves nothing", opts)
		}
		if twice := normalize(t, once, opts); !bytes.Equal(once, twice) {
			t.Errorf("%+v: normalising a normalised jar changed it:\n%s\n%s", opts, listing(t, once, ""), listing(t, twice, ""))
		}
	}
	// A jar sorted already keeps its bytes when normalised in input order.
	sorted := normalize(t, in, jarnorm.Options{SortEntries: true})
	if got := normalize(t, sorted, jarnorm.Options{}); !bytes.Equal(got, sorted) {
		t.Error("normalising a sorted normalised jar in input order changed it")
	}
}
