package sbom_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/golden"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/sbom"
)

const dep5Header = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: foo\n\n"

// testImage builds a base (one layer) and an image on it (one more
// layer) exercising every kind of evidence, replacement and whiteout.
func testImage(t testing.TB) (layout, baseLayout string) {
	t.Helper()
	dir := t.TempDir()
	l1 := writeTar(t, dir, "base.tar",
		dir_("var/lib/dpkg/"),
		file("var/lib/dpkg/status", "Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u5\nArchitecture: amd64\n\n"+
			"Package: oldpkg\nStatus: deinstall ok config-files\nVersion: 1\nArchitecture: amd64\n"),
		file("var/lib/dpkg/info/base-files.md5sums", "0123456789abcdef0123456789abcdef  usr/lib/x86_64-linux-gnu/libbase.so.1\n"),
		file("usr/lib/x86_64-linux-gnu/libbase.so.1", "base lib"),
		file("usr/share/doc/base-files/copyright", "This is Debian's base-files package.\n"),
		file("usr/lib/python3/dist-packages/gone-1.0.dist-info/METADATA", "Name: gone\nVersion: 1.0\n"),
		file("usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n\nsix\n"),
		file("opt/libs/old.so", "replaced later"),
	)
	appJar := makeJar(t,
		zentry{name: "META-INF/MANIFEST.MF", body: "Manifest-Version: 1.0\r\nImplementation-Version: 0.1\r\n\r\n"},
		zentry{name: "BOOT-INF/lib/guava-31.1-jre.jar", store: true, body: makeJar(t, pom("com.google.guava", "guava", "31.1-jre"))},
		zentry{name: "BOOT-INF/lib/shaded-1.0.jar", body: makeJar(t, pom("org.example", "shaded", "1.0"), pom("org.inner", "inner", "2.0"))},
		zentry{name: "BOOT-INF/lib/plain.jar", store: true, body: makeJar(t, zentry{name: "META-INF/MANIFEST.MF", body: "Bundle-Version: 2.0\n"})},
	)
	l2 := writeTar(t, dir, "app.tar",
		file("var/lib/dpkg/status.d/libfoo1", "Package: libfoo1\nStatus: install ok installed\nVersion: 1.2-3\nArchitecture: amd64\nSource: foo (1.2-1)\n"),
		file("var/lib/dpkg/status.d/libfoo1.md5sums", "0123456789abcdef0123456789abcdef  lib/x86_64-linux-gnu/libfoo.so.1\n"),
		file("usr/lib/x86_64-linux-gnu/libfoo.so.1", "foo lib"),
		hardlink("usr/lib/x86_64-linux-gnu/libfoo.so.1.2", "usr/lib/x86_64-linux-gnu/libfoo.so.1"),
		symlink("usr/share/doc/libfoo1", "foo-common"),
		file("usr/share/doc/foo-common/copyright", dep5Header+"Files: *\nCopyright: 2020 Foo\nLicense: GPL-2+ or Artistic\n\nFiles: debian/*\nLicense: public-domain\n"),
		file("usr/lib/python3/dist-packages/.wh.gone-1.0.dist-info", ""),
		file("usr/lib/python3/dist-packages/attrs.egg-info", "Metadata-Version: 1.1\nName: attrs\nVersion: 23.1.0\nClassifier: License :: OSI Approved :: MIT License\n"),
		symlink("opt/libs/old.so", "../../usr/lib/x86_64-linux-gnu/libfoo.so.1"),
		file("app/app.jar", appJar),
		file("libaggregation-jni.so", "jni"),
	)
	baseLayout = makeImage(t, "", image.KeepAsIs, l1)
	layout = rawImage(t, baseLayout, true, l2)
	return layout, baseLayout
}

func dir_(name string) tentry { return dir(name) }

// summary is the inventory in a form easy to compare.
func summary(inv *sbom.Inventory) []string {
	var out []string
	for _, p := range inv.Packages {
		parent := ""
		if p.Parent >= 0 {
			parent = " in " + inv.Packages[p.Parent].Name
		}
		out = append(out, fmt.Sprintf("%s %s %s %s purl=%s license=%q layer=%d path=%s%s", p.Kind, p.Group, p.Name, p.Version, p.PURL, p.License, p.Layer, p.Path, parent))
	}
	for _, f := range inv.Files {
		owner := ""
		if f.Owner >= 0 {
			owner = " owned by " + inv.Packages[f.Owner].Name
		}
		out = append(out, fmt.Sprintf("file %s layer=%d%s", f.Path, f.Layer, owner))
	}
	return out
}

func TestScan(t *testing.T) {
	layout, base := testImage(t)
	baseImg, err := image.ReadSingle(base)
	if err != nil {
		t.Fatal(err)
	}
	var baseLayers []string
	for _, l := range baseImg.Manifest.Layers {
		baseLayers = append(baseLayers, l.Digest)
	}
	inv, err := sbom.Scan(layout, sbom.Options{
		Name:       "127.0.0.1:5000/odp/app",
		Base:       &sbom.Base{Name: "examples/bases:debian", Digest: baseImg.Descriptor.Digest},
		BaseLayers: baseLayers,
		DebSHA256:  map[sbom.DebKey]string{{Name: "libfoo1", Version: "1.2-3", Arch: "amd64"}: strings.Repeat("ab", 32)},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`deb  base-files 12.4+deb12u5 purl=pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64 license="" layer=0 path=var/lib/dpkg/status`,
		`deb  libfoo1 1.2-3 purl=pkg:deb/debian/libfoo1@1.2-3?arch=amd64 license="(GPL-2.0-or-later OR Artistic-1.0) AND LicenseRef-public-domain" layer=1 path=var/lib/dpkg/status.d/libfoo1`,
		`python  attrs 23.1.0 purl=pkg:pypi/attrs@23.1.0 license="MIT" layer=1 path=usr/lib/python3/dist-packages/attrs.egg-info`,
		`python  six 1.16.0 purl=pkg:pypi/six@1.16.0 license="MIT" layer=0 path=usr/lib/python3/dist-packages/six-1.16.0.dist-info`,
		`java  app 0.1 purl= license="" layer=1 path=app/app.jar`,
		`java com.google.guava guava 31.1-jre purl=pkg:maven/com.google.guava/guava@31.1-jre license="" layer=1 path=app/app.jar!BOOT-INF/lib/guava-31.1-jre.jar in app`,
		`java org.inner inner 2.0 purl=pkg:maven/org.inner/inner@2.0 license="" layer=1 path=app/app.jar!BOOT-INF/lib/shaded-1.0.jar in shaded`,
		`java  plain 2.0 purl= license="" layer=1 path=app/app.jar!BOOT-INF/lib/plain.jar in app`,
		`java org.example shaded 1.0 purl=pkg:maven/org.example/shaded@1.0 license="" layer=1 path=app/app.jar!BOOT-INF/lib/shaded-1.0.jar in app`,
		`file libaggregation-jni.so layer=1`,
		`file usr/lib/x86_64-linux-gnu/libbase.so.1 layer=0 owned by base-files`,
		`file usr/lib/x86_64-linux-gnu/libfoo.so.1 layer=1 owned by libfoo1`,
		`file usr/lib/x86_64-linux-gnu/libfoo.so.1.2 layer=1`,
	}
	if diff := cmp.Diff(want, summary(inv)); diff != "" {
		t.Errorf("inventory (-want +got):\n%s", diff)
	}
	if inv.Base == nil || inv.Base.Layers != 1 {
		t.Errorf("base %+v, want one layer", inv.Base)
	}
	if got := inv.Packages[1].SHA256; got != strings.Repeat("ab", 32) {
		t.Errorf("libfoo1 .deb sha256 %q (from the lock)", got)
	}
	for _, p := range inv.Packages {
		if p.Kind == sbom.KindJava && (len(p.SHA256) != 64 || len(p.SHA1) != 40) && p.Name != "inner" {
			t.Errorf("jar %s has no digests", p.Path)
		}
	}

	spdx, err := inv.SPDX(sbom.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "scan.spdx.json"), spdx)
	cdx, err := inv.CycloneDX(sbom.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "scan.cdx.json"), cdx)
	checkSPDX(t, spdx)

	// Same inputs, same bytes.
	again, err := sbom.Scan(layout, sbom.Options{
		Name: "127.0.0.1:5000/odp/app", Base: &sbom.Base{Name: "examples/bases:debian", Digest: baseImg.Descriptor.Digest}, BaseLayers: baseLayers,
		DebSHA256: map[sbom.DebKey]string{{Name: "libfoo1", Version: "1.2-3", Arch: "amd64"}: strings.Repeat("ab", 32)},
	})
	if err != nil {
		t.Fatal(err)
	}
	spdx2, err := again.SPDX(sbom.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if string(spdx2) != string(spdx) {
		t.Error("a second scan gives other SPDX bytes")
	}
}

// checkSPDX checks the document's internal consistency: unique IDs, every
// relationship names known elements, every LicenseRef is declared, the
// namespace is derived from the content.
func checkSPDX(t *testing.T, doc []byte) {
	t.Helper()
	var d struct {
		DocumentNamespace string `json:"documentNamespace"`
		Packages          []struct {
			SPDXID          string `json:"SPDXID"`
			LicenseDeclared string `json:"licenseDeclared"`
		} `json:"packages"`
		Files []struct {
			SPDXID string `json:"SPDXID"`
		} `json:"files"`
		Extracted []struct {
			LicenseID string `json:"licenseId"`
		} `json:"hasExtractedLicensingInfos"`
		Relationships []struct {
			A    string `json:"spdxElementId"`
			Type string `json:"relationshipType"`
			B    string `json:"relatedSpdxElement"`
		} `json:"relationships"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{"SPDXRef-DOCUMENT": true}
	for _, p := range d.Packages {
		if ids[p.SPDXID] {
			t.Errorf("duplicate SPDXID %s", p.SPDXID)
		}
		ids[p.SPDXID] = true
	}
	for _, f := range d.Files {
		if ids[f.SPDXID] {
			t.Errorf("duplicate SPDXID %s", f.SPDXID)
		}
		ids[f.SPDXID] = true
	}
	contained := map[string]bool{}
	for _, r := range d.Relationships {
		if !ids[r.A] || !ids[r.B] {
			t.Errorf("relationship %s %s %s names an unknown element", r.A, r.Type, r.B)
		}
		contained[r.B] = true
	}
	for id := range ids {
		if id != "SPDXRef-DOCUMENT" && !contained[id] {
			t.Errorf("%s is in no relationship", id)
		}
	}
	declared := map[string]bool{}
	for _, e := range d.Extracted {
		declared[e.LicenseID] = true
	}
	for _, p := range d.Packages {
		for _, tok := range strings.FieldsFunc(p.LicenseDeclared, func(r rune) bool { return r == ' ' || r == '(' || r == ')' }) {
			if strings.HasPrefix(tok, "LicenseRef-") && !declared[tok] {
				t.Errorf("%s uses undeclared %s", p.SPDXID, tok)
			}
		}
	}
	if !strings.HasPrefix(d.DocumentNamespace, sbom.NamespaceBase+"/sha256-") {
		t.Errorf("documentNamespace %q", d.DocumentNamespace)
	}
}

func TestScanRefuses(t *testing.T) {
	dir := t.TempDir()
	deep := makeJar(t, pom("a", "a", "1"))
	for i := 0; i < 4; i++ {
		deep = makeJar(t, zentry{name: fmt.Sprintf("lib/l%d.jar", i), body: deep, store: i%2 == 0})
	}
	for _, tc := range []struct {
		name    string
		entries []tentry
		limits  sbom.Limits
		want    string
	}{
		{"bad status record", []tentry{file("var/lib/dpkg/status.d/x1", "Package: x1\nVersion: 1\n")}, sbom.Limits{}, "var/lib/dpkg/status.d/x1: paragraph 1 (x1): Architecture"},
		{"stray file in status.d", []tentry{file("var/lib/dpkg/status.d/X.list", "a")}, sbom.Limits{}, "neither a package's status record"},
		{"bad METADATA", []tentry{file("site/x-1.dist-info/METADATA", "Version: 1\n")}, sbom.Limits{}, "site/x-1.dist-info/METADATA: distribution Name"},
		{"METADATA over budget", []tentry{file("site/x-1.dist-info/METADATA", "Name: x\nVersion: 1\n")}, withLimit(func(l *sbom.Limits) { l.TextFile = 10 }), "more than the 10 bytes"},
		{"jar nested too deep", []tentry{file("deep.jar", deep)}, sbom.Limits{}, "nested more than 4 jars deep"},
		{"corrupt jar", []tentry{file("x.jar", "not a zip")}, sbom.Limits{}, "jar x.jar"},
		{"bad pom.properties", []tentry{file("x.jar", makeJar(t, zentry{name: "META-INF/maven/g/a/pom.properties", body: "groupId=g\n"}))}, sbom.Limits{}, "pom.properties"},
		{"too many entries", []tentry{file("a", ""), file("b", ""), file("c", "")}, withLimit(func(l *sbom.Limits) { l.LayerEntries = 2 }), "more than 2 entries"},
		{"nested jar over budget", []tentry{file("x.jar", makeJar(t, zentry{name: "lib/big.jar", body: strings.Repeat("\x00", 8<<20)}))}, withLimit(func(l *sbom.Limits) { l.NestedJar = 1 << 20 }), "lib/big.jar is 8388608 bytes (the budget is 1048576)"},
		{"jar over budget", []tentry{file("x.jar", deep)}, withLimit(func(l *sbom.Limits) { l.Jar = 10 }), "jar x.jar is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Written as a pulled image: image assemble refuses a layer
			// whose own dpkg records do not parse.
			layout := rawImage(t, "", false, writeTar(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".tar", tc.entries...))
			_, err := sbom.Scan(layout, sbom.Options{Limits: tc.limits})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "layer 1 (sha256:") {
				t.Errorf("error %q does not name the layer", err)
			}
		})
	}
}

func withLimit(f func(*sbom.Limits)) sbom.Limits {
	l := sbom.DefaultLimits
	f(&l)
	return l
}

func TestScanWrongBase(t *testing.T) {
	layout, _ := testImage(t)
	other := makeImage(t, "", image.KeepAsIs, writeTar(t, t.TempDir(), "o.tar", file("x", "y")))
	oimg, err := image.ReadSingle(other)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sbom.Scan(layout, sbom.Options{Base: &sbom.Base{Name: "other", Digest: oimg.Descriptor.Digest}, BaseLayers: []string{oimg.Manifest.Layers[0].Digest}})
	if err == nil || !strings.Contains(err.Error(), "not the image's base") {
		t.Fatalf("got %v", err)
	}
}

func TestOpaqueWhiteout(t *testing.T) {
	dir := t.TempDir()
	l1 := writeTar(t, dir, "1.tar", file("site/a-1.dist-info/METADATA", "Name: a\nVersion: 1\n"), file("site/lib.so", "x"))
	l2 := writeTar(t, dir, "2.tar", file("site/.wh..wh..opq", ""), file("site/b-2.dist-info/METADATA", "Name: b\nVersion: 2\n"))
	layout := rawImage(t, "", false, l1, l2)
	inv, err := sbom.Scan(layout, sbom.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`python  b 2 purl=pkg:pypi/b@2 license="" layer=1 path=site/b-2.dist-info`}
	if diff := cmp.Diff(want, summary(inv)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
