package image_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/image"
)

const md5 = "0123456789abcdef0123456789abcdef"

// statusRecord is a status.d record as our repacker writes it.
func statusRecord(pkg, version string) tarFile {
	return tarFile{name: "var/lib/dpkg/status.d/" + pkg, body: fmt.Sprintf("Package: %s\nStatus: install ok installed\nVersion: %s\nArchitecture: amd64\n", pkg, version)}
}

// md5sums lists paths as a package's md5sums does (relative).
func md5sums(file string, paths ...string) tarFile {
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(md5 + "  " + p + "\n")
	}
	return tarFile{name: file, body: b.String()}
}

var dpkgDirs = []tarFile{{name: "var/"}, {name: "var/lib/"}, {name: "var/lib/dpkg/"}, {name: "var/lib/dpkg/status.d/"}}

// distrolessBase is shaped like distroless debian12: /lib a real
// directory, packages recorded in status.d.
var distrolessBase = append(append([]tarFile{}, dpkgDirs...),
	tarFile{name: "lib/"}, tarFile{name: "lib/x86_64-linux-gnu/"},
	tarFile{name: "lib/x86_64-linux-gnu/libc.so.6", body: "libc u9"},
	tarFile{name: "lib64/"}, tarFile{name: "lib64/ld-linux-x86-64.so.2", link: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
	tarFile{name: "etc/"}, tarFile{name: "etc/os-release", body: "debian"},
	statusRecord("libc6", "2.36-9+deb12u9"),
	md5sums("var/lib/dpkg/status.d/libc6.md5sums", "lib/x86_64-linux-gnu/libc.so.6", "lib64/ld-linux-x86-64.so.2"),
	statusRecord("base-files", "12.4+deb12u10"),
	md5sums("var/lib/dpkg/status.d/base-files.md5sums", "etc/os-release"),
)

// dpkgBase is a merged-/usr base made by dpkg: var/lib/dpkg/status with
// Conffiles, info/*.list naming paths as packages ship them (/lib/...).
var dpkgBase = []tarFile{
	{name: "usr/"}, {name: "usr/lib/"}, {name: "usr/lib/x86_64-linux-gnu/"},
	{name: "usr/lib/x86_64-linux-gnu/libc.so.6", body: "libc"},
	{name: "lib", link: "usr/lib"},
	{name: "etc/"}, {name: "etc/gai.conf", body: "# config"},
	{name: "var/"}, {name: "var/lib/"}, {name: "var/lib/dpkg/"}, {name: "var/lib/dpkg/info/"},
	{name: "var/lib/dpkg/status", body: "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u9\nArchitecture: amd64\n" +
		"Conffiles:\n /etc/gai.conf 1234abcd\n"},
	{name: "var/lib/dpkg/info/libc6:amd64.list", body: "/.\n/etc\n/etc/gai.conf\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n"},
}

// debLayer is a layer as `odptool deb repack` writes it for pkg.
func debLayer(pkg, version string, files []tarFile, shipped ...string) []tarFile {
	out := append(append([]tarFile{}, files...), dpkgDirs...)
	out = append(out, statusRecord(pkg, version))
	if len(shipped) > 0 {
		out = append(out, md5sums("var/lib/dpkg/status.d/"+pkg+".md5sums", shipped...))
	}
	return out
}

func TestOwnership(t *testing.T) {
	libc := []tarFile{{name: "lib/"}, {name: "lib/x86_64-linux-gnu/"}, {name: "lib/x86_64-linux-gnu/libc.so.6", body: "libc u10"}}
	type want struct {
		kind   string // "owner", "mergedusr", "mask"
		layer  int    // 1-based added layer
		entry  string
		owners []string
		pkgs   []string
		says   []string
	}
	for _, tc := range []struct {
		name  string
		base  []baseLayer
		add   [][]tarFile
		trust bool
		want  *want
	}{
		{
			name: "deb layer overwrites another package's file",
			base: []baseLayer{{files: distrolessBase}},
			add:  [][]tarFile{debLayer("libgcc-s1", "12.2.0-14", libc, "lib/x86_64-linux-gnu/libc.so.6")},
			want: &want{kind: "owner", layer: 1, entry: "lib/x86_64-linux-gnu/libc.so.6", owners: []string{"libc6 2.36-9+deb12u9"}, pkgs: []string{"libgcc-s1"},
				says: []string{"(package libgcc-s1)", "/lib/x86_64-linux-gnu/libc.so.6", "libc6 2.36-9+deb12u9", "--exclude-installed"}},
		},
		{
			name:  "same, base read by seeking (trusted uncompressed layers)",
			base:  []baseLayer{{files: distrolessBase, mediaType: image.MediaTypeLayerTar}},
			add:   [][]tarFile{debLayer("libgcc-s1", "12.2.0-14", libc, "lib/x86_64-linux-gnu/libc.so.6")},
			trust: true,
			want:  &want{kind: "owner", layer: 1, entry: "lib/x86_64-linux-gnu/libc.so.6", owners: []string{"libc6 2.36-9+deb12u9"}, pkgs: []string{"libgcc-s1"}},
		},
		{
			name: "deb layer re-installs the base's package",
			base: []baseLayer{{files: distrolessBase}},
			add:  [][]tarFile{debLayer("libc6", "2.36-9+deb12u10", libc, "lib/x86_64-linux-gnu/libc.so.6")},
		},
		{
			name: "workload layer overwrites a package's file",
			base: []baseLayer{{files: distrolessBase}},
			add:  [][]tarFile{{{name: "app/"}, {name: "app/main", body: "x"}}, {{name: "etc/"}, {name: "etc/os-release", body: "mine"}}},
			want: &want{kind: "owner", layer: 2, entry: "etc/os-release", owners: []string{"base-files 12.4+deb12u10"},
				says: []string{"(no Debian package)", "/etc/os-release", "base-files 12.4+deb12u10"}},
		},
		{
			name: "workload layer replaces a package's symlink",
			base: []baseLayer{{files: distrolessBase}},
			add:  [][]tarFile{{{name: "lib64/"}, {name: "lib64/ld-linux-x86-64.so.2", link: "/opt/my-ld.so"}}},
			want: &want{kind: "owner", layer: 1, entry: "lib64/ld-linux-x86-64.so.2", owners: []string{"libc6 2.36-9+deb12u9"}},
		},
		{
			name: "the same symlink again changes nothing",
			base: []baseLayer{{files: distrolessBase}},
			add:  [][]tarFile{{{name: "lib64/"}, {name: "lib64/ld-linux-x86-64.so.2", link: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"}}},
		},
		{
			name: "paths no package owns are free",
			base: []baseLayer{{files: distrolessBase}},
			add:  [][]tarFile{{{name: "etc/"}, {name: "etc/hostname", body: "h"}, {name: "lib/"}, {name: "lib/x86_64-linux-gnu/"}, {name: "lib/x86_64-linux-gnu/libapp.so", body: "x"}}},
		},
		{
			name: "a base whiteout deletes the package's record",
			base: []baseLayer{{files: distrolessBase}, {files: []tarFile{{name: "var/lib/dpkg/status.d/.wh.base-files"}}}},
			add:  [][]tarFile{{{name: "etc/"}, {name: "etc/os-release", body: "mine"}}},
		},
		{
			name: "dpkg-made merged base: owners through the /lib symlink",
			base: []baseLayer{{files: dpkgBase}},
			add: [][]tarFile{debLayer("libstdc++6", "12.2.0-14",
				[]tarFile{{name: "usr/"}, {name: "usr/lib/"}, {name: "usr/lib/x86_64-linux-gnu/"}, {name: "usr/lib/x86_64-linux-gnu/libc.so.6", body: "x"}},
				"usr/lib/x86_64-linux-gnu/libc.so.6")},
			want: &want{kind: "owner", layer: 1, entry: "usr/lib/x86_64-linux-gnu/libc.so.6", owners: []string{"libc6 2.36-9+deb12u9"}, pkgs: []string{"libstdc++6"}},
		},
		{
			name: "dpkg-made base: conffiles are free",
			base: []baseLayer{{files: dpkgBase}},
			add:  [][]tarFile{{{name: "etc/"}, {name: "etc/gai.conf", body: "precedence ::ffff:0:0/96 100"}}},
		},
		{
			name: "merged-usr layer over a base whose /lib is a directory",
			base: []baseLayer{{files: distrolessBase}},
			add: [][]tarFile{debLayer("libc++1-16", "1:16.0.6-15~deb12u1",
				[]tarFile{{name: "usr/"}, {name: "usr/lib/"}, {name: "usr/lib/x86_64-linux-gnu/"},
					{name: "usr/lib/x86_64-linux-gnu/libc++.so.1", body: "x"}, {name: "usr/lib/x86_64-linux-gnu/libc++.so.1.0", body: "y"},
					{name: "usr/share/"}, {name: "usr/share/doc/"}, {name: "usr/share/doc/libc++1-16/"}, {name: "usr/share/doc/libc++1-16/copyright", body: "c"}},
				"lib/x86_64-linux-gnu/libc++.so.1.0", "lib/x86_64-linux-gnu/libc++.so.1", "usr/share/doc/libc++1-16/copyright")},
			want: &want{kind: "mergedusr", layer: 1, entry: "lib/x86_64-linux-gnu/libc++.so.1",
				says: []string{"(package libc++1-16)", "/lib/x86_64-linux-gnu/libc++.so.1 as /usr/lib/x86_64-linux-gnu/libc++.so.1", "(and 1 more paths)", "/lib of the base is a real directory", "merged_usr = False", "--merged-usr=false"}},
		},
		{
			name: "merged-usr layer over a merged base",
			base: []baseLayer{{files: dpkgBase}},
			add: [][]tarFile{debLayer("libc++1-16", "1:16.0.6-15~deb12u1",
				[]tarFile{{name: "usr/"}, {name: "usr/lib/"}, {name: "usr/lib/x86_64-linux-gnu/"}, {name: "usr/lib/x86_64-linux-gnu/libc++.so.1", body: "x"}},
				"lib/x86_64-linux-gnu/libc++.so.1")},
		},
		{
			name: "non-merged layer over a merged base names its package",
			base: []baseLayer{{files: dpkgBase}},
			add: [][]tarFile{debLayer("libc++1-16", "1:16.0.6-15~deb12u1",
				[]tarFile{{name: "lib/"}, {name: "lib/x86_64-linux-gnu/"}, {name: "lib/x86_64-linux-gnu/libc++.so.1", body: "x"}},
				"lib/x86_64-linux-gnu/libc++.so.1")},
			want: &want{kind: "mask", layer: 1, entry: "lib", pkgs: []string{"libc++1-16"}, says: []string{"(package libc++1-16)", "would mask the symlink /lib -> usr/lib"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			base, _ := writeBase(t, t.TempDir(), tc.base)
			opts := image.AssembleOptions{Out: filepath.Join(dir, "out"), Base: base, TrustBaseLayers: tc.trust}
			for i, files := range tc.add {
				opts.Layers = append(opts.Layers, writeTar(t, filepath.Join(t.TempDir(), fmt.Sprintf("add%d.tar", i+1)), files))
			}
			_, err := image.Assemble(opts)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Assemble: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Assemble succeeded, want a refusal")
			}
			layer := fmt.Sprintf("layer %q", opts.Layers[tc.want.layer-1])
			var oe *image.OwnershipError
			var me *image.MergedUsrError
			var ke *image.MaskError
			switch tc.want.kind {
			case "owner":
				if !errors.As(err, &oe) {
					t.Fatalf("Assemble = %v, want an *OwnershipError", err)
				}
				w := image.OwnershipError{Layer: layer, Entry: tc.want.entry, Path: tc.want.entry, Owners: tc.want.owners, Packages: tc.want.pkgs}
				if diff := cmp.Diff(w, *oe); diff != "" {
					t.Errorf("OwnershipError (-want +got):\n%s", diff)
				}
			case "mergedusr":
				if !errors.As(err, &me) {
					t.Fatalf("Assemble = %v, want a *MergedUsrError", err)
				}
				if me.Layer != layer || me.Path != tc.want.entry || me.LayerPath != "usr/"+tc.want.entry || me.Dir != "lib" {
					t.Errorf("MergedUsrError %+v", *me)
				}
			case "mask":
				if !errors.As(err, &ke) {
					t.Fatalf("Assemble = %v, want a *MaskError", err)
				}
				if ke.Layer != layer || ke.Entry != tc.want.entry || !cmp.Equal(ke.Packages, tc.want.pkgs) {
					t.Errorf("MaskError %+v", *ke)
				}
			}
			for _, s := range append(tc.want.says, layer) {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if got := leftovers(t, dir); len(got) != 0 {
				t.Errorf("a refused image left %v behind", got)
			}
		})
	}
}

func TestOwnershipBrokenDatabase(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []tarFile
		want  string
	}{
		{"bad status", []tarFile{{name: "var/lib/dpkg/status", body: "Package: libc6\nVersion: 1 2\nArchitecture: amd64\n"}}, "reading its dpkg database: var/lib/dpkg/status: paragraph 1 (libc6)"},
		{"stray status.d file", []tarFile{{name: "var/lib/dpkg/status.d/README.txt", body: "hello"}}, "var/lib/dpkg/status.d/README.txt is neither a package's status record nor its md5sums"},
		{"bad md5sums", []tarFile{statusRecord("a1", "1"), {name: "var/lib/dpkg/status.d/a1.md5sums", body: "garbage\n"}}, "var/lib/dpkg/status.d/a1.md5sums: line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, _ := writeBase(t, t.TempDir(), []baseLayer{{files: tc.files}})
			_, err := image.Assemble(image.AssembleOptions{Out: filepath.Join(t.TempDir(), "out"), Base: base})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), base) {
				t.Errorf("Assemble = %v, want an error naming the base and saying %q", err, tc.want)
			}
		})
	}
}

func TestInstalledPackages(t *testing.T) {
	layout, _ := writeBase(t, t.TempDir(), []baseLayer{
		{files: distrolessBase},
		{files: []tarFile{statusRecord("zlib1g", "1:1.2.13.dfsg-1"), {name: "var/lib/dpkg/status.d/.wh.base-files"}}},
	})
	db, err := image.InstalledPackages(layout, image.DefaultPlatform)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range db.Packages {
		got = append(got, r.Package+" "+r.Version+" "+r.Architecture)
	}
	if diff := cmp.Diff([]string{"libc6 2.36-9+deb12u9 amd64", "zlib1g 1:1.2.13.dfsg-1 amd64"}, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if _, err := image.InstalledPackages(layout, image.Platform{OS: "linux", Architecture: "arm64"}); err == nil || !strings.Contains(err.Error(), "arm64") {
		t.Errorf("wrong platform: %v", err)
	}
}

func TestAddedLayerBrokenRecords(t *testing.T) {
	p := writeTar(t, filepath.Join(t.TempDir(), "l.tar"), []tarFile{{name: "var/lib/dpkg/status.d/x1", body: "Package: x1\nVersion: 1\n"}})
	_, err := image.Assemble(image.AssembleOptions{Out: filepath.Join(t.TempDir(), "out"), Layers: []string{p}})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("layer %q: reading its dpkg records: var/lib/dpkg/status.d/x1: paragraph 1 (x1): Architecture", p)) {
		t.Errorf("Assemble = %v, want the layer's broken record refused", err)
	}
}
