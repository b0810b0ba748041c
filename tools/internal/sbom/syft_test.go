package sbom_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/debrepack"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/sbom"
	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
	"github.com/rules-odp/rules_odp/tools/internal/testtool"
)

// realDebs are small bookworm packages: a DEP-5 copyright (zlib1g,
// libunwind-16), a doc directory that is a symlink to another package's
// (libgcc-s1 -> gcc-12-base), libraries under lib/ moved to usr/lib by
// the merged-/usr repack.
var realDebs = []string{"zlib1g", "libunwind-16", "libgcc-s1", "gcc-12-base"}

// syftArtifact is what we read of syft's JSON output.
type syftArtifact struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Type     string `json:"type"`
	PURL     string `json:"purl"`
	Licenses []struct {
		Value string `json:"value"`
	} `json:"licenses"`
	Locations []struct {
		Path string `json:"path"`
	} `json:"locations"`
}

// realImage builds an image of real repacked .debs, a Python tree and a
// Spring Boot style jar.
func realImage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var layers []string
	for _, name := range realDebs {
		deb := testdeb.Fetch(t, name)
		out, _, err := debrepack.RepackFile(deb, dir, debrepack.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, out)
	}
	site := "usr/local/lib/python3.11/site-packages/"
	layers = append(layers, writeTar(t, dir, "python.tar",
		file(site+"requests-2.31.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\nClassifier: License :: OSI Approved :: Apache Software License\n\nPython HTTP for Humans.\n"),
		file(site+"requests-2.31.0.dist-info/RECORD", "requests/__init__.py,sha256=abc,10\n"),
		file(site+"requests-2.31.0.dist-info/top_level.txt", "requests\n"),
		file(site+"requests/__init__.py", "# requests\n"),
		file(site+"charset_normalizer-3.2.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: charset-normalizer\nVersion: 3.2.0\nLicense: MIT\n"),
		file(site+"charset_normalizer-3.2.0.dist-info/RECORD", ""),
		file(site+"six-1.16.0-py3.11.egg-info/PKG-INFO", "Metadata-Version: 1.2\nName: six\nVersion: 1.16.0\nLicense: MIT\n"),
		file(site+"six-1.16.0-py3.11.egg-info/top_level.txt", "six\n"),
	))
	appJar := makeJar(t,
		zentry{name: "META-INF/MANIFEST.MF", body: "Manifest-Version: 1.0\r\nImplementation-Title: app\r\nImplementation-Version: 0.1\r\n\r\n"},
		zentry{name: "BOOT-INF/lib/guava-31.1-jre.jar", store: true, body: makeJar(t,
			zentry{name: "META-INF/MANIFEST.MF", body: "Manifest-Version: 1.0\r\nBundle-SymbolicName: com.google.guava\r\nBundle-Version: 31.1.0.jre\r\n\r\n"},
			pom("com.google.guava", "guava", "31.1-jre"))},
		zentry{name: "BOOT-INF/lib/jackson-core-2.15.2.jar", store: true, body: makeJar(t, pom("com.fasterxml.jackson.core", "jackson-core", "2.15.2"))},
	)
	layers = append(layers, writeTar(t, dir, "app.tar",
		file("app_application.jar", appJar),
		file("libaggregation-jni.so", "\x7fELF not really"),
	))
	return makeImage(t, "", image.Gzip, layers...)
}

// TestSyftFindsNothingWeMiss is the referee: syft scanning the same
// layout must find no Debian or Python package that our inventory does
// not list. Other differences are logged (run with -v) for the record.
func TestSyftFindsNothingWeMiss(t *testing.T) {
	syft := testtool.Require(t, "syft")
	layout := realImage(t)
	inv, err := sbom.Scan(layout, sbom.Options{Name: "test/app"})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "syft.json")
	home := t.TempDir()
	cmd := exec.Command(syft, "scan", "oci-dir:"+layout, "-o", "syft-json="+out, "-q")
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "SYFT_CHECK_FOR_APP_UPDATE=false", "TMPDIR=" + t.TempDir()}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("syft: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Artifacts []syftArtifact `json:"artifacts"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}

	ours := map[string]sbom.Package{}
	for _, p := range inv.Packages {
		ours[string(p.Kind)+" "+keyName(p.Kind, p.Name)+" "+p.Version] = p
	}
	kinds := map[string]sbom.Kind{"deb": sbom.KindDeb, "python": sbom.KindPython, "java-archive": sbom.KindJava}
	var syftKeys []string
	found := map[string]bool{}
	for _, a := range doc.Artifacts {
		k, ok := kinds[a.Type]
		if !ok {
			t.Logf("syft finds %s %s %s (a kind we do not list), at %v", a.Type, a.Name, a.Version, a.Locations)
			continue
		}
		key := string(k) + " " + keyName(k, a.Name) + " " + a.Version
		syftKeys = append(syftKeys, key)
		p, ok := ours[key]
		if !ok {
			if k == sbom.KindJava {
				t.Logf("syft finds java %s %s (purl %s) that we list otherwise or not", a.Name, a.Version, a.PURL)
				continue
			}
			t.Errorf("syft finds %s %s %s (purl %s) at %v, which our SBOM does not list", a.Type, a.Name, a.Version, a.PURL, a.Locations)
			continue
		}
		found[key] = true
		var lic []string
		for _, l := range a.Licenses {
			lic = append(lic, l.Value)
		}
		if p.PURL != a.PURL {
			t.Logf("purl differs for %s: ours %s, syft %s", key, p.PURL, a.PURL)
		}
		if strings.Join(lic, ",") != p.License {
			t.Logf("license differs for %s: ours %q, syft %q", key, p.License, lic)
		}
	}
	var onlyOurs []string
	for k := range ours {
		if !found[k] {
			onlyOurs = append(onlyOurs, k)
		}
	}
	sort.Strings(onlyOurs)
	for _, k := range onlyOurs {
		t.Logf("we list %s, which syft does not find as such", k)
	}
	// The referee saw what we put in: a failure to scan would pass the
	// subset check vacuously.
	for _, want := range []string{"deb zlib1g", "deb libgcc-s1", "python requests", "python six"} {
		seen := false
		for _, k := range syftKeys {
			seen = seen || strings.HasPrefix(k, want+" ")
		}
		if !seen {
			t.Errorf("syft did not find %s at all: the comparison proves nothing", want)
		}
	}
	// What the test image is meant to exercise on our side.
	for _, p := range inv.Packages {
		switch p.Name {
		case "zlib1g":
			if p.License != "Zlib" {
				t.Errorf("zlib1g license %q, want Zlib (DEP-5)", p.License)
			}
		case "libgcc-s1":
			if p.License != "" {
				t.Errorf("libgcc-s1 license %q: gcc-12-base's copyright is not machine-readable", p.License)
			}
		}
	}
	owned := map[string]string{}
	for _, f := range inv.Files {
		if f.Owner >= 0 {
			owned[f.Path] = inv.Packages[f.Owner].Name
		}
	}
	if owned["usr/lib/x86_64-linux-gnu/libz.so.1.2.13"] != "zlib1g" || owned["usr/lib/x86_64-linux-gnu/libgcc_s.so.1"] != "libgcc-s1" {
		t.Errorf("library owners (merged /usr) %v", owned)
	}
}

// keyName compares Python names in normal form.
func keyName(k sbom.Kind, name string) string {
	if k == sbom.KindPython {
		return sbom.NormalizePythonName(name)
	}
	return name
}

// TestSyftReadsOurSBOM converts our SPDX and CycloneDX documents with
// syft, which decodes them with the SPDX and CycloneDX libraries, and
// checks it reads back the packages we wrote.
func TestSyftReadsOurSBOM(t *testing.T) {
	syft := testtool.Require(t, "syft")
	layout, _ := testImage(t)
	inv, err := sbom.Scan(layout, sbom.Options{Name: "127.0.0.1:5000/odp/app"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []struct {
		name   string
		render func(sbom.Meta) ([]byte, error)
	}{{"sbom.spdx.json", inv.SPDX}, {"sbom.cdx.json", inv.CycloneDX}} {
		b, err := f.render(sbom.Meta{ToolVersion: "v0.0.0-test"})
		if err != nil {
			t.Fatal(err)
		}
		in := filepath.Join(dir, f.name)
		if err := os.WriteFile(in, b, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(syft, "convert", in, "-o", "syft-json", "-q")
		cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "SYFT_CHECK_FOR_APP_UPDATE=false"}
		outb, err := cmd.Output()
		if err != nil {
			t.Fatalf("syft convert %s: %v", f.name, err)
		}
		var doc struct {
			Artifacts []syftArtifact `json:"artifacts"`
		}
		if err := json.Unmarshal(outb, &doc); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, a := range doc.Artifacts {
			got[a.PURL] = true
		}
		for _, p := range inv.Packages {
			if p.PURL != "" && !got[p.PURL] {
				t.Errorf("%s: syft does not read back %s", f.name, p.PURL)
			}
		}
	}
}
