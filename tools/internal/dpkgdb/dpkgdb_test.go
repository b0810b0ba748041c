package dpkgdb_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/dpkgdb"
)

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []dpkgdb.Record
		err      string
	}{
		{"status.d record as our repacker writes it",
			"Package: libc6\nStatus: install ok installed\nSource: glibc\nVersion: 2.36-9+deb12u9\nArchitecture: amd64\nMulti-Arch: same\nProvides: libc6-amd64 (= 2.36-9+deb12u9)\nDepends: libgcc-s1\n",
			[]dpkgdb.Record{{Package: "libc6", Version: "2.36-9+deb12u9", Architecture: "amd64", Source: "glibc", SourceVersion: "2.36-9+deb12u9",
				MultiArch: "same", Provides: "libc6-amd64 (= 2.36-9+deb12u9)"}}, ""},
		{"status file with conffiles, removed packages left out",
			"Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u10\nArchitecture: amd64\nConffiles:\n /etc/debian_version 1234\n /etc/issue 5678 obsolete\n\n" +
				"Package: b1\nStatus: deinstall ok config-files\nVersion: 2\nArchitecture: amd64\n\nPackage: c1\nStatus: purge ok not-installed\nVersion: 3\nArchitecture: amd64\n",
			[]dpkgdb.Record{{Package: "base-files", Version: "12.4+deb12u10", Architecture: "amd64", Source: "base-files", SourceVersion: "12.4+deb12u10",
				Conffiles: []string{"etc/debian_version", "etc/issue"}}}, ""},
		{"source with its own version",
			"Package: libgcc-s1\nVersion: 12.2.0-14+deb12u1\nArchitecture: amd64\nSource: gcc-12 (12.2.0-14)\n",
			[]dpkgdb.Record{{Package: "libgcc-s1", Version: "12.2.0-14+deb12u1", Architecture: "amd64", Source: "gcc-12", SourceVersion: "12.2.0-14"}}, ""},
		{"empty", "", nil, ""},
		{"no package", "Version: 1\nArchitecture: all\n", nil, "Package"},
		{"bad version", "Package: a1\nVersion: 1 2\nArchitecture: all\n", nil, "not a Debian version"},
		{"bad architecture", "Package: a1\nVersion: 1\nArchitecture: AMD64\n", nil, "not a Debian architecture"},
		{"bad source", "Package: a1\nVersion: 1\nArchitecture: all\nSource: x (1) y\n", nil, "Source"},
		{"comment line", "#x\nPackage: a1\n", nil, "comment lines"},
		{"bad conffiles", "Package: a1\nVersion: 1\nArchitecture: all\nConffiles:\n etc/x 1234\n", nil, "field Conffiles: line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dpkgdb.ParseStatus([]byte(tc.in))
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

func TestParseLists(t *testing.T) {
	got, err := dpkgdb.ParseList([]byte("/.\n/lib\n/lib/x86_64-linux-gnu/libc.so.6\n/usr/share/doc/libc6\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"lib", "lib/x86_64-linux-gnu/libc.so.6", "usr/share/doc/libc6"}, got); diff != "" {
		t.Errorf("ParseList (-want +got):\n%s", diff)
	}
	if _, err := dpkgdb.ParseList([]byte("/a\nrelative\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("ParseList of a relative path: %v", err)
	}
	got, err = dpkgdb.ParseMD5Sums([]byte("0123456789abcdef0123456789abcdef  usr/lib/x.so.1\n0123456789abcdef0123456789abcdef  ./lib/y.so\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"usr/lib/x.so.1", "lib/y.so"}, got); diff != "" {
		t.Errorf("ParseMD5Sums (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"abc  x\n", "0123456789abcdef0123456789abcdeg  x\n", "0123456789abcdef0123456789abcdef\n"} {
		if _, err := dpkgdb.ParseMD5Sums([]byte(bad)); err == nil {
			t.Errorf("ParseMD5Sums(%q): no error", bad)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		path string
		kind dpkgdb.Kind
		pkg  string
		err  string
	}{
		{"var/lib/dpkg/status", dpkgdb.Status, "", ""},
		{"var/lib/dpkg/status.d/libc6", dpkgdb.StatusRecord, "libc6", ""},
		{"var/lib/dpkg/status.d/libc6.md5sums", dpkgdb.MD5Sums, "libc6", ""},
		{"var/lib/dpkg/status.d/Bad_Name", dpkgdb.NotDatabase, "", "neither a package's status record"},
		{"var/lib/dpkg/info/libc6:amd64.list", dpkgdb.List, "libc6", ""},
		{"var/lib/dpkg/info/libc6:amd64.md5sums", dpkgdb.MD5Sums, "libc6", ""},
		{"var/lib/dpkg/info/base-files.list", dpkgdb.List, "base-files", ""},
		{"var/lib/dpkg/info/base-files.postinst", dpkgdb.NotDatabase, "", ""},
		{"var/lib/dpkg/status-old", dpkgdb.NotDatabase, "", ""},
		{"usr/lib/libc.so.6", dpkgdb.NotDatabase, "", ""},
	} {
		kind, pkg, err := dpkgdb.Classify(tc.path)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Classify(%q) error %v, want %q", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil || kind != tc.kind || pkg != tc.pkg {
			t.Errorf("Classify(%q) = %v, %q, %v; want %v, %q", tc.path, kind, pkg, err, tc.kind, tc.pkg)
		}
	}
}

func file(p, data string) dpkgdb.Entry {
	return dpkgdb.Entry{Path: p, Kind: dpkgdb.Other, Data: []byte(data)}
}

const md5 = "0123456789abcdef0123456789abcdef"

func TestViewAndOwners(t *testing.T) {
	base := []dpkgdb.Entry{
		{Path: "var/lib/dpkg", Kind: dpkgdb.Dir},
		file("var/lib/dpkg/status", "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u9\nArchitecture: amd64\n\n"+
			"Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\nConffiles:\n /etc/issue 1234\n\n"+
			"Package: gone\nStatus: deinstall ok config-files\nVersion: 1\nArchitecture: amd64\n"),
		file("var/lib/dpkg/info/libc6:amd64.list", "/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n/usr/share/doc/libc6\n"),
		file("var/lib/dpkg/info/libc6:amd64.md5sums", md5+"  lib/x86_64-linux-gnu/libc.so.6\n"),
		file("var/lib/dpkg/info/base-files.list", "/etc/issue\n/usr/share/doc\n/lib\n"),
		file("var/lib/dpkg/info/gone.list", "/etc/gone.conf\n"),
		file("var/lib/dpkg/info/libc6:amd64.postinst", "#!/bin/sh\n"),
	}
	// A layer of ours on top: a status.d record (which wins over the
	// status file), then one that is deleted again.
	upper := []dpkgdb.Entry{
		file("var/lib/dpkg/status.d/libc6", "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u10\nArchitecture: amd64\n"),
		file("var/lib/dpkg/status.d/libc6.md5sums", md5+"  lib/x86_64-linux-gnu/libm.so.6\n"),
		file("var/lib/dpkg/status.d/zlib1g", "Package: zlib1g\nVersion: 1\nArchitecture: amd64\n"),
	}
	top := []dpkgdb.Entry{
		{Path: "var/lib/dpkg/status.d/zlib1g", Kind: dpkgdb.Whiteout},
		{Path: "var/lib/dpkg/info/gone.list", Kind: dpkgdb.Whiteout},
	}
	var v dpkgdb.View
	for _, l := range [][]dpkgdb.Entry{base, upper, top} {
		if err := v.Apply(l); err != nil {
			t.Fatal(err)
		}
	}
	db, err := v.DB()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range db.Packages {
		got = append(got, r.Package+"="+r.Version)
	}
	if diff := cmp.Diff([]string{"base-files=12.4", "libc6=2.36-9+deb12u10"}, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	for p, want := range map[string][]string{
		"lib/x86_64-linux-gnu/libc.so.6": {"libc6"},
		"lib/x86_64-linux-gnu/libm.so.6": {"libc6"},
		"lib":                            {"base-files", "libc6"},
		"etc/issue":                      nil, // a conffile
		"etc/gone.conf":                  nil, // not installed, list deleted
		"usr/bin/nothing":                nil,
	} {
		if diff := cmp.Diff(want, db.Owners(p)); diff != "" {
			t.Errorf("Owners(%q) (-want +got):\n%s", p, diff)
		}
	}

	// An opaque var/lib/dpkg empties the database of the layers below;
	// a file replacing status.d deletes what was under it.
	var w dpkgdb.View
	for _, l := range [][]dpkgdb.Entry{base, upper, {{Path: "var/lib/dpkg/status.d", Kind: dpkgdb.Other}}, {{Path: "var/lib/dpkg", Kind: dpkgdb.Opaque}}} {
		if err := w.Apply(l); err != nil {
			t.Fatal(err)
		}
	}
	if db, err := w.DB(); err != nil || len(db.Packages) != 0 {
		t.Errorf("after an opaque var/lib/dpkg: %v, %v", db.Packages, err)
	}
}

func TestViewErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []dpkgdb.Entry
		want    string
	}{
		{"bad status", []dpkgdb.Entry{file("var/lib/dpkg/status", "Package: X\n")}, "var/lib/dpkg/status: paragraph 1"},
		{"bad list", []dpkgdb.Entry{file("var/lib/dpkg/info/a1.list", "x\n")}, "var/lib/dpkg/info/a1.list: line 1"},
		{"two versions", []dpkgdb.Entry{file("var/lib/dpkg/status", "Package: a1\nVersion: 1\nArchitecture: all\n\nPackage: a1\nVersion: 2\nArchitecture: all\n")}, "installed in versions 1 and 2"},
		{"bad record name", []dpkgdb.Entry{file("var/lib/dpkg/status.d/A", "Package: a1\nVersion: 1\nArchitecture: all\n")}, "neither a package's status record"},
	} {
		var v dpkgdb.View
		if err := v.Apply(tc.entries); err != nil {
			t.Fatal(err)
		}
		if _, err := v.DB(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestViewBudget(t *testing.T) {
	var v dpkgdb.View
	chunk := strings.Repeat("x", 32<<20)
	var err error
	for i := 0; err == nil && i <= budget.DpkgTotalBytes/len(chunk); i++ {
		err = v.Apply([]dpkgdb.Entry{file("var/lib/dpkg/info/p"+strings.Repeat("a", i+1)+".list", chunk)})
	}
	var be *budget.Error
	if !errors.As(err, &be) || be.Limit != budget.DpkgTotalBytes {
		t.Fatalf("Apply over the budget: %v", err)
	}
	// Replacing a file releases what it held.
	var w dpkgdb.View
	for i := 0; i < 2*budget.DpkgTotalBytes/len(chunk); i++ {
		if err := w.Apply([]dpkgdb.Entry{file("var/lib/dpkg/status", chunk)}); err != nil {
			t.Fatalf("replacing the same file %d times: %v", i+1, err)
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("Package: a1\nStatus: install ok installed\nVersion: 1:2-3\nArchitecture: amd64\nSource: b (4)\nConffiles:\n /etc/a 123\n"))
	f.Add([]byte("Package: a1\nVersion: 1\nArchitecture: all\n\nPackage: b2\nStatus: deinstall ok config-files\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := dpkgdb.ParseStatus(data)
		if err != nil {
			return
		}
		for _, r := range recs {
			if !dpkgdb.ValidName(r.Package) || r.Version == "" || r.Architecture == "" || r.Source == "" || r.SourceVersion == "" {
				t.Fatalf("accepted an incomplete record %+v", r)
			}
			for _, c := range r.Conffiles {
				checkRel(t, c)
			}
		}
	})
}

func FuzzParseLists(f *testing.F) {
	f.Add([]byte(md5 + "  usr/lib/x.so\n"))
	f.Add([]byte("/.\n/usr/lib/x.so\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func([]byte) ([]string, error){dpkgdb.ParseMD5Sums, dpkgdb.ParseList} {
			paths, err := parse(data)
			if err != nil {
				continue
			}
			for _, p := range paths {
				checkRel(t, p)
			}
		}
	})
}

func checkRel(t *testing.T, p string) {
	t.Helper()
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains("/"+p+"/", "/../") || strings.Contains("/"+p+"/", "/./") {
		t.Fatalf("path %q is not clean and relative", p)
	}
}
