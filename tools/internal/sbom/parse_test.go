package sbom_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/sbom"
)

func TestParseDpkgStatus(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []sbom.DebRecord
		err      string
	}{
		{"status.d record", "Package: libc++1-16\nStatus: install ok installed\nVersion: 1:16.0.6-15~deb12u1\nArchitecture: amd64\nSource: llvm-toolchain-16\n",
			[]sbom.DebRecord{{"libc++1-16", "1:16.0.6-15~deb12u1", "amd64", "llvm-toolchain-16", "1:16.0.6-15~deb12u1"}}, ""},
		{"source with version", "Package: libgcc-s1\nVersion: 12.2.0-14+deb12u1\nArchitecture: amd64\nSource: gcc-12 (12.2.0-14)\n",
			[]sbom.DebRecord{{"libgcc-s1", "12.2.0-14+deb12u1", "amd64", "gcc-12", "12.2.0-14"}}, ""},
		{"status file, removed packages left out",
			"Package: a1\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\nPackage: b1\nStatus: deinstall ok config-files\nVersion: 2\nArchitecture: amd64\n\nPackage: c1\nStatus: purge ok not-installed\nVersion: 3\nArchitecture: amd64\n",
			[]sbom.DebRecord{{"a1", "1", "all", "a1", "1"}}, ""},
		{"empty", "", nil, ""},
		{"no package", "Version: 1\nArchitecture: all\n", nil, "Package"},
		{"bad version", "Package: a1\nVersion: 1 2\nArchitecture: all\n", nil, "not a Debian version"},
		{"bad architecture", "Package: a1\nVersion: 1\nArchitecture: AMD64\n", nil, "not a Debian architecture"},
		{"bad source", "Package: a1\nVersion: 1\nArchitecture: all\nSource: x (1) y\n", nil, "Source"},
		{"comment line", "#x\nPackage: a1\n", nil, "comment lines"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sbom.ParseDpkgStatus([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseMD5Sums(t *testing.T) {
	got, err := sbom.ParseMD5Sums([]byte("0123456789abcdef0123456789abcdef  usr/lib/x.so.1\n0123456789abcdef0123456789abcdef  ./lib/y.so\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"usr/lib/x.so.1", "lib/y.so"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"abc  x\n", "0123456789abcdef0123456789abcdeg  x\n", "0123456789abcdef0123456789abcdef\n"} {
		if _, err := sbom.ParseMD5Sums([]byte(bad)); err == nil {
			t.Errorf("ParseMD5Sums(%q): no error", bad)
		}
	}
}

func TestParseCopyright(t *testing.T) {
	dep5 := "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: x\n\n"
	for _, tc := range []struct {
		name, in, want string
		dep5           bool
	}{
		{"not DEP-5", "This is free software.\n\nCopyright 1999 Someone\n", "", false},
		{"one license", dep5 + "Files: *\nCopyright: 2020 A\nLicense: Apache-2.0 with LLVM exception\n", "Apache-2.0 WITH LLVM-exception", true},
		{"several", dep5 + "Files: *\nLicense: GPL-2+\n\nFiles: a/*\nLicense: expat\n\nFiles: b/*\nLicense: GPL-2+\n\nLicense: GPL-2+\n On Debian systems...\n", "GPL-2.0-or-later AND MIT", true},
		{"or", dep5 + "Files: *\nLicense: GPL-1+ or Artistic\n", "GPL-1.0-or-later OR Artistic-1.0", true},
		{"or joined with another", dep5 + "Files: *\nLicense: GPL-1+ or Artistic\n\nFiles: x\nLicense: public-domain\n", "(GPL-1.0-or-later OR Artistic-1.0) AND LicenseRef-public-domain", true},
		{"comments and CRLF", dep5 + "# comment\r\nFiles: *\r\nLicense: BSD-3-clause\r\n", "BSD-3-Clause", true},
		{"old DEP-5 URL", "Format: http://dep.debian.net/deps/dep5\n\nFiles: *\nLicense: MIT\n", "MIT", true},
		{"broken DEP-5", dep5 + " continuation\n", "", false},
		{"unknown exception", dep5 + "Files: *\nLicense: GPL-3+ with OpenSSL exception\n", "LicenseRef-GPL-3.0-or-later-with-OpenSSL-exception", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sbom.ParseCopyright([]byte(tc.in))
			if (err == nil) != tc.dep5 {
				t.Fatalf("machine-readable: got error %v, want dep5=%v", err, tc.dep5)
			}
			if got != tc.want {
				t.Errorf("license %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDEP5License(t *testing.T) {
	for in, want := range map[string]string{
		"MIT":                            "MIT",
		"gpl-2+":                         "GPL-2.0-or-later",
		"LGPL-2.1+ and GPL-2+":           "LGPL-2.1-or-later AND GPL-2.0-or-later",
		"(MIT OR Apache-2.0)":            "(MIT OR Apache-2.0)",
		"Apache-2.0 WITH LLVM-exception": "Apache-2.0 WITH LLVM-exception",
		"GPL-2+, and LGPL-2+":            "GPL-2.0-or-later AND LGPL-2.0-or-later",
		"MIT Apache-2.0":                 "LicenseRef-MIT-Apache-2.0",
		"or MIT":                         "LicenseRef-or-MIT",
		"(MIT":                           "LicenseRef-MIT",
		"Some License 2":                 "LicenseRef-Some-License-2",
		"":                               "LicenseRef-unknown",
	} {
		if got := sbom.DEP5License(in); got != want {
			t.Errorf("DEP5License(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParsePythonMetadata(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     sbom.PythonMetadata
		err      string
	}{
		{"METADATA", "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0.post1\nLicense: MIT\nClassifier: License :: OSI Approved :: MIT License\nClassifier: Programming Language :: Python\n\nLong: description\n",
			sbom.PythonMetadata{Name: "Foo_Bar", Version: "1.0.post1", License: "MIT", Classifiers: []string{"License :: OSI Approved :: MIT License", "Programming Language :: Python"}}, ""},
		{"continuation", "Name: x\nVersion: 2\nLicense: Copyright (c)\n        all rights\nLicense-Expression: Apache-2.0\n",
			sbom.PythonMetadata{Name: "x", Version: "2", License: "Copyright (c)\nall rights", LicenseExpression: "Apache-2.0"}, ""},
		{"CRLF", "Name: x\r\nVersion: 2\r\n", sbom.PythonMetadata{Name: "x", Version: "2"}, ""},
		{"no name", "Version: 1\n", sbom.PythonMetadata{}, "Name"},
		{"bad name", "Name: -x\nVersion: 1\n", sbom.PythonMetadata{}, "is not a valid name"},
		{"no version", "Name: x\n", sbom.PythonMetadata{}, "Version"},
		{"two names", "Name: x\nName: y\nVersion: 1\n", sbom.PythonMetadata{}, "second Name"},
		{"garbage", "hello world\n", sbom.PythonMetadata{}, "not a \"Name: value\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sbom.ParsePythonMetadata([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePomProperties(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     sbom.MavenCoordinates
		err      string
	}{
		{"maven", "#Generated by Maven\n#Tue Jan 01 00:00:00 UTC 2020\ngroupId=com.google.guava\nartifactId=guava\nversion=31.1-jre\n", sbom.MavenCoordinates{"com.google.guava", "guava", "31.1-jre"}, ""},
		{"separators and escapes", "! comment\ngroupId : org.ex\\\n  ample\nartifactId a\\u0062c\nversion=1.0\n", sbom.MavenCoordinates{"org.example", "abc", "1.0"}, ""},
		{"missing version", "groupId=a\nartifactId=b\n", sbom.MavenCoordinates{}, "version"},
		{"bad group", "groupId=a b\nartifactId=b\nversion=1\n", sbom.MavenCoordinates{}, "groupId"},
		{"bad escape", "groupId=\\u12\n", sbom.MavenCoordinates{}, "escape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sbom.ParsePomProperties([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseManifest(t *testing.T) {
	got, err := sbom.ParseManifest([]byte("Manifest-Version: 1.0\r\nImplementation-Title: a-very-long-title-that-wraps-at-se\r\n venty-two-bytes\r\nImplementation-Version: 3\r\n\r\nName: x\r\nY: z\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Manifest-Version": "1.0", "Implementation-Title": "a-very-long-title-that-wraps-at-seventy-two-bytes", "Implementation-Version": "3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := sbom.ParseManifest([]byte(" x\n")); err == nil {
		t.Error("continuation without header: no error")
	}
}

func TestPURLs(t *testing.T) {
	for got, want := range map[string]string{
		sbom.DebPURL("libc++1-16", "1:16.0.6-15~deb12u1", "amd64"): "pkg:deb/debian/libc%2B%2B1-16@1%3A16.0.6-15~deb12u1?arch=amd64",
		sbom.PythonPURL("Foo_Bar.baz", "1.0"):                      "pkg:pypi/foo-bar-baz@1.0",
		sbom.MavenPURL("com.google.guava", "guava", "31.1-jre"):    "pkg:maven/com.google.guava/guava@31.1-jre",
		sbom.OCIPURL("gcr.io/distroless/Java17", "sha256:ab"):      "pkg:oci/java17@sha256%3Aab?repository_url=gcr.io%2Fdistroless%2FJava17",
		sbom.OCIPURL("base", "sha256:ab"):                          "pkg:oci/base@sha256%3Aab",
	} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}
