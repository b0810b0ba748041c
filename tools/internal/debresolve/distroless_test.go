package debresolve_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
	"github.com/rules-odp/rules_odp/tools/internal/golden"
)

// The samples under testdata/distroless are written by hand in the format
// of rules_distroless's lockfile.bzl (0.5: "urls"; 0.3 and 0.4: "url"),
// with made-up mirrors and digests.
func TestImportDistrolessLockGolden(t *testing.T) {
	for _, tc := range []struct{ in, arch, golden string }{
		{"bookworm-0.5.lock.json", "", "imported-0.5.lock.json"},
		{"bookworm-0.4.lock.json", "arm64", "imported-0.4-arm64.lock.json"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "distroless", tc.in))
			if err != nil {
				t.Fatal(err)
			}
			l, err := debresolve.ImportDistrolessLock(data, tc.arch)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := l.Encode(&got); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "golden", tc.golden), got.Bytes())
			back, err := debresolve.DecodeLock(bytes.NewReader(got.Bytes()))
			if err != nil {
				t.Fatalf("our reader refuses the imported lock: %v", err)
			}
			if diff := cmp.Diff(l, back); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}
			// Every package keeps its version and SHA-256.
			var in struct {
				Packages []struct{ Name, Version, SHA256, Arch string }
			}
			if err := json.Unmarshal(data, &in); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for _, p := range in.Packages {
				if tc.arch == "" || p.Arch == tc.arch {
					want[p.Name] = p.Version + " " + p.SHA256
				}
			}
			have := map[string]string{}
			for _, p := range l.Packages {
				have[p.Name] = p.Version + " " + p.SHA256
				if !strings.HasPrefix(p.Filename, "pool/") || !strings.HasSuffix(p.Filename, "_"+p.Arch+".deb") {
					t.Errorf("%s: filename %q, arch %q", p.Name, p.Filename, p.Arch)
				}
			}
			if diff := cmp.Diff(want, have); diff != "" {
				t.Errorf("versions and digests (-rules_distroless +ours):\n%s", diff)
			}
		})
	}
}

func TestImportDistrolessLockErrors(t *testing.T) {
	const sha = "4588695fd0c014b317f299a84df486109eb20f0faa717d0dc67317f503e66b6c"
	pkg := func(fields string) string {
		return `{"version": 1, "packages": [` + fields + `]}`
	}
	good := func(name, version, arch, url string) string {
		return `{"arch": "` + arch + `", "dependencies": [], "key": "k", "name": "` + name + `", "sha256": "` + sha + `", "url": "` + url + `", "version": "` + version + `"}`
	}
	const u = "https://mirror.example/debian/pool/main/t/tzdata/tzdata_2025a-0+deb12u1_all.deb"
	for _, tc := range []struct {
		name, in, arch, want string
	}{
		{"empty", "  \n", "", "the lock is empty"},
		{"not json", "{", "", "parsing rules_distroless lock"},
		{"unknown field", `{"version": 1, "packages": [], "extra": 1}`, "", "unknown field"},
		{"unknown package field", pkg(`{"name": "a1", "size": 3}`), "", "unknown field"},
		{"version 2", `{"version": 2, "packages": []}`, "", "lock version 2 is not supported"},
		{"no version", `{"packages": []}`, "", "lock version none is not supported"},
		{"two architectures", pkg(good("tzdata", "2025a-0+deb12u1", "amd64", u) + "," + good("tzdata", "2025a-0+deb12u1", "arm64", u)), "", "architectures amd64, arm64: choose one"},
		{"architecture absent", pkg(good("tzdata", "2025a-0+deb12u1", "amd64", u)), "s390x", `no package for the architecture "s390x"`},
		{"no pool", pkg(good("tzdata", "2025a-0+deb12u1", "amd64", "https://mirror.example/files/tzdata_2025a-0+deb12u1_all.deb")), "", "package tzdata: URL \"https://mirror.example/files/tzdata_2025a-0+deb12u1_all.deb\" has no /pool/ path"},
		{"query", pkg(good("tzdata", "2025a-0+deb12u1", "amd64", u+"?token=x")), "", "package tzdata: URL"},
		{"bad sha256", pkg(strings.Replace(good("tzdata", "2025a-0+deb12u1", "amd64", u), sha, "ABC", 1)), "", `package tzdata: sha256 "ABC"`},
		{"bad version", pkg(good("tzdata", "2025a 1", "amd64", u)), "", "package tzdata: version"},
		{"bad name", pkg(good("Tz", "1", "amd64", u)), "", "package Tz"},
		{"file of another package", pkg(good("tzdata", "2025b-0+deb12u1", "amd64", u)), "", "package tzdata: the pool file tzdata_2025a-0+deb12u1_all.deb is not named tzdata_2025b-0+deb12u1_ARCH.deb"},
		{"file of another architecture", pkg(good("tzdata", "2025a-0+deb12u1", "amd64", strings.Replace(u, "_all", "_arm64", 1))), "", "is a package for arm64, but the lock lists it for amd64"},
		{"url and urls", pkg(strings.Replace(good("tzdata", "2025a-0+deb12u1", "amd64", u), `"url":`, `"urls": ["`+u+`"], "url":`, 1)), "", `package tzdata: has both "url" and "urls"`},
		{"no url", pkg(`{"arch": "amd64", "dependencies": [], "key": "k", "name": "tzdata", "sha256": "` + sha + `", "version": "1"}`), "", "package tzdata: has no URL"},
		{"urls disagree", pkg(strings.Replace(good("tzdata", "2025a-0+deb12u1", "amd64", u), `"url": "`+u+`"`, `"urls": ["`+u+`", "https://mirror.example/debian/pool/contrib/t/tzdata/tzdata_2025a-0+deb12u1_all.deb"]`, 1)), "", "its URLs name different pool files"},
		{"twice", pkg(good("tzdata", "2025a-0+deb12u1", "amd64", u) + "," + good("tzdata", "2025b-0+deb12u1", "amd64", strings.ReplaceAll(u, "2025a", "2025b"))), "", "package tzdata is listed twice, in versions 2025a-0+deb12u1 and 2025b-0+deb12u1"},
		{"missing dependency", pkg(strings.Replace(good("tzdata", "2025a-0+deb12u1", "amd64", u), `"dependencies": []`, `"dependencies": [{"key": "k", "name": "debconf", "version": "1.5.82"}]`, 1)), "", "package tzdata depends on debconf 1.5.82, which the lock does not hold for amd64"},
		{"traversal", pkg(good("tzdata", "2025a-0+deb12u1", "amd64", "https://mirror.example/debian/pool/../../tzdata_2025a-0+deb12u1_all.deb")), "", "is not a clean path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := debresolve.ImportDistrolessLock([]byte(tc.in), tc.arch)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// FuzzImportDistrolessLock: any input is refused or becomes a lock our
// reader takes back unchanged, whose packages all have a pool filename and
// a SHA-256.
func FuzzImportDistrolessLock(f *testing.F) {
	for _, name := range []string{"bookworm-0.5.lock.json", "bookworm-0.4.lock.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "distroless", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "")
		f.Add(data, "amd64")
	}
	f.Add([]byte(`{"version":1,"packages":[]}`), "amd64")
	f.Fuzz(func(t *testing.T, data []byte, arch string) {
		l, err := debresolve.ImportDistrolessLock(data, arch)
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := l.Encode(&b); err != nil {
			t.Fatal(err)
		}
		back, err := debresolve.DecodeLock(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatalf("imported lock refused by DecodeLock: %v\n%s", err, b.Bytes())
		}
		if diff := cmp.Diff(l, back); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		for _, p := range l.Packages {
			if !strings.HasPrefix(p.Filename, "pool/") || len(p.SHA256) != 64 || p.Name == "" || p.Version == "" || (p.Arch != l.Arch && p.Arch != "all") {
				t.Fatalf("imported package %+v", p)
			}
		}
	})
}
