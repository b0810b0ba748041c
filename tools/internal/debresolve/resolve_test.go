package debresolve_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
)

var (
	indexA = filepath.Join("testdata", "a.Packages")
	indexB = filepath.Join("testdata", "b.Packages")
)

// base is the closure of the synthetic libc, which has a cycle
// (libc <-> libgcc) like Debian's libc6 and libgcc-s1.
var base = map[string]string{"libc": "2.36-9", "libgcc": "12.2.0-14", "gcc-base": "12.2.0-14"}

func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// aptAgrees says whether apt, given the same indexes and no exclusions,
// makes the same choice (or fails too). Where it does not, the reason is
// a deliberate difference documented in docs/deb-lock.md.
type aptVerdict int

const (
	aptSame aptVerdict = iota
	aptFailsCandidateOnly
	aptNotApplicable // apt has no exclude list, or the case is not about resolution
)

var resolveCases = []struct {
	name    string
	roots   []string
	exclude []string
	want    map[string]string // name -> version
	wantErr []string          // substrings of the error
	apt     aptVerdict
}{
	{name: "first satisfiable alternative", roots: []string{"app-alt"},
		want: with(base, "app-alt", "1.0", "beta", "2.0", "gamma", "1.0")},
	{name: "alternative whose versions do not match is skipped", roots: []string{"app-alt-version"},
		want: map[string]string{"app-alt-version": "1.0", "delta": "1.0"}},
	{name: "alternative failing deeper is rolled back", roots: []string{"app-alt-deep"},
		want: map[string]string{"app-alt-deep": "1.0", "delta": "1.0"}},
	{name: "alternative satisfied by a chosen package adds nothing", roots: []string{"app-order"},
		want: map[string]string{"app-order": "1.0", "omega": "1.0"}},
	{name: "virtual package providers ranked by priority", roots: []string{"app-virtual"},
		want: map[string]string{"app-virtual": "1.0", "zmta": "1.0"}},
	{name: "real package preferred over providers", roots: []string{"app-virtual-real"},
		want: map[string]string{"app-virtual-real": "1.0", "shell": "5.2"}},
	{name: "versioned provides", roots: []string{"app-virtual-versioned"},
		want: map[string]string{"app-virtual-versioned": "1.0", "libapi-two": "1.0"}},
	{name: "virtual package as later alternative", roots: []string{"app-virtual-alt"},
		want: map[string]string{"app-virtual-alt": "1.0", "zmta": "1.0"}},
	{name: "package providing its own dependency", roots: []string{"app-self"},
		want: map[string]string{"app-self": "1.0"}},
	{name: "version range across two relations", roots: []string{"app-range"},
		want: map[string]string{"app-range": "1.0", "libr": "1.7"}, apt: aptFailsCandidateOnly},
	{name: "highest of several candidate versions", roots: []string{"app-multi"},
		want: map[string]string{"app-multi": "1.0", "multi": "1:0.5"}},
	{name: "older candidate version when the newest does not satisfy", roots: []string{"app-multi-old"},
		want: map[string]string{"app-multi-old": "1.0", "multi": "1.0"}, apt: aptFailsCandidateOnly},
	{name: "exact version", roots: []string{"app-multi-exact"},
		want: map[string]string{"app-multi-exact": "1.0", "multi": "1:0.5"}},
	{name: "cycle", roots: []string{"cyc-a"},
		want: map[string]string{"cyc-a": "1.0", "cyc-b": "1.0", "cyc-c": "1.0"}},
	{name: "pre-depends", roots: []string{"app-pre"},
		want: with(base, "app-pre", "1.0", "pre-thing", "1.0")},
	{name: "arch all and own-arch qualifiers", roots: []string{"app-arch"},
		want: map[string]string{"app-arch": "1.0", "data-all": "1.0", "libq": "1.0"}},
	{name: "any qualifier on Multi-Arch allowed", roots: []string{"app-any"},
		want: map[string]string{"app-any": "1.0", "interp": "3.11"}},
	{name: "any qualifier on a virtual package", roots: []string{"app-any-virtual"},
		want: map[string]string{"app-any-virtual": "1.0", "runtime-impl": "1.0"}},
	{name: "virtual root with one provider", roots: []string{"lonely-virtual"},
		want: map[string]string{"lone-provider": "1.0"}},
	{name: "several roots", roots: []string{"app-order", "app-alt-version", "app-order"},
		want: map[string]string{"app-order": "1.0", "omega": "1.0", "app-alt-version": "1.0", "delta": "1.0"}},
	{name: "exclude by name, by provider and in alternatives", roots: []string{"app-excl"},
		exclude: []string{"base-thing", "mawk", "beta"},
		want:    map[string]string{"app-excl": "1.0"}, apt: aptNotApplicable},
	{name: "exclude one", roots: []string{"app-excl"}, exclude: []string{"base-thing"},
		want: with(base, "app-excl", "1.0", "mawk", "1.0", "beta", "2.0"), apt: aptNotApplicable},

	{name: "missing dependency", roots: []string{"app-missing"},
		wantErr: []string{`cannot resolve "app-missing"`, "app-missing -> mid -> needs-missing", `"nothere (>= 1)"`, "no package nothere"}},
	{name: "two dependents needing different versions", roots: []string{"app-clash"},
		wantErr: []string{"app-clash -> clash-old", `"libr (<< 1.5)"`, "libr 2.0 is already chosen"}},
	{name: "package of another architecture", roots: []string{"app-armonly"},
		wantErr: []string{"app-armonly depends on", "no package armonly"}},
	{name: "qualifier naming another architecture", roots: []string{"app-foreign-arch"},
		wantErr: []string{`"libq:i386"`, "libq 1.0 does not match libq:i386"}},
	{name: "any qualifier on a package not Multi-Arch allowed", roots: []string{"app-any-bad"},
		wantErr: []string{`"tool:any"`, "tool 1.0 is not Multi-Arch: allowed"}},
	{name: "virtual root with several providers", roots: []string{"mail-agent"},
		wantErr: []string{`"mail-agent" is virtual and provided by amta, bmta, zmta`}},
	{name: "unknown root", roots: []string{"nosuch"},
		wantErr: []string{`no package "nosuch"`}},
	{name: "requested and excluded", roots: []string{"app-alt"}, exclude: []string{"app-alt"},
		wantErr: []string{`"app-alt" is both requested and excluded`}, apt: aptNotApplicable},
	{name: "invalid root", roots: []string{"Bad_Name"},
		wantErr: []string{"requested package"}},
	{name: "no roots", wantErr: []string{"no packages requested"}, apt: aptNotApplicable},
}

func readSynthetic(t *testing.T, sources ...string) *debresolve.Index {
	t.Helper()
	ix, err := debresolve.ReadIndexes(context.Background(), "amd64", sources, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestResolve(t *testing.T) {
	ix := readSynthetic(t, indexA, indexB)
	for _, tc := range resolveCases {
		t.Run(tc.name, func(t *testing.T) {
			pkgs, err := debresolve.Resolve(ix, debresolve.Request{Roots: tc.roots, Exclude: tc.exclude})
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("Resolve succeeded with %v, want an error", names(pkgs))
				}
				for _, s := range tc.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, versions(pkgs)); diff != "" {
				t.Errorf("closure (-want +got):\n%s", diff)
			}
			for i := 1; i < len(pkgs); i++ {
				if pkgs[i-1].Name >= pkgs[i].Name {
					t.Errorf("result not sorted by name: %q before %q", pkgs[i-1].Name, pkgs[i].Name)
				}
			}
		})
	}
}

func TestResolveDepends(t *testing.T) {
	ix := readSynthetic(t, indexA, indexB)
	for _, tc := range []struct {
		roots, exclude []string
		want           map[string][]string
	}{
		{[]string{"app-alt"}, nil, map[string][]string{
			"app-alt": {"beta", "gamma"}, "beta": {"libc"}, "libc": {"libgcc"},
			"libgcc": {"gcc-base", "libc"}, "gcc-base": {}, "gamma": {},
		}},
		// Excluded packages are not named; a package satisfying its own
		// dependency is not either.
		{[]string{"app-excl", "app-self"}, []string{"base-thing"}, map[string][]string{
			"app-excl": {"beta", "mawk"}, "app-self": {}, "mawk": {}, "beta": {"libc"},
			"libc": {"libgcc"}, "libgcc": {"gcc-base", "libc"}, "gcc-base": {},
		}},
		{[]string{"cyc-c"}, nil, map[string][]string{
			"cyc-a": {"cyc-b"}, "cyc-b": {"cyc-a", "cyc-c"}, "cyc-c": {"cyc-a"},
		}},
	} {
		t.Run(strings.Join(tc.roots, ","), func(t *testing.T) {
			pkgs, err := debresolve.Resolve(ix, debresolve.Request{Roots: tc.roots, Exclude: tc.exclude})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for _, p := range pkgs {
				got[p.Name] = p.Depends
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("depends (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveRecordsIndex(t *testing.T) {
	ix := readSynthetic(t, indexA, indexB)
	pkgs, err := debresolve.Resolve(ix, debresolve.Request{Roots: []string{"app-multi", "gamma"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range pkgs {
		got[p.Name] = p.Index
	}
	// gamma is in both indexes with the same SHA256: the first one wins.
	want := map[string]string{"app-multi": indexA, "multi": indexB, "gamma": indexA}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("index of packages (-want +got):\n%s", diff)
	}
}

func TestReadIndexErrors(t *testing.T) {
	valid := "Package: ok\nVersion: 1.0\nArchitecture: amd64\nFilename: pool/o/ok.deb\nSize: 1\nSHA256: " + strings.Repeat("a", 64) + "\n"
	for _, tc := range []struct {
		name    string
		sources []string
		content string // written to a file appended to sources when set
		wantErr []string
	}{
		{name: "same package and version with another SHA256",
			sources: []string{indexA, filepath.Join("testdata", "conflict.Packages")},
			wantErr: []string{"gamma 1.0 (amd64) has SHA256", indexA, "conflict.Packages"}},
		{name: "no package for the architecture",
			sources: []string{filepath.Join("testdata", "arm64.Packages")},
			wantErr: []string{"no packages for architecture \"amd64\""}},
		{name: "missing file", sources: []string{filepath.Join("testdata", "nonexistent")},
			wantErr: []string{"opening index"}},
		{name: "missing SHA256", content: strings.Replace(valid, "SHA256", "MD5sum", 1),
			wantErr: []string{`package "ok" has no SHA256 field`, "line 1"}},
		{name: "bad version", content: "\n" + strings.Replace(valid, "1.0", "one", 1),
			wantErr: []string{"parsing version \"one\"", "line 2"}},
		{name: "bad depends", content: valid + "Depends: foo (> 1)\n",
			wantErr: []string{"field Depends", "foo (> 1)"}},
		{name: "bad SHA256", content: strings.Replace(valid, strings.Repeat("a", 64), strings.Repeat("A", 64), 1),
			wantErr: []string{"not 64 lowercase hex digits"}},
		{name: "bad size", content: strings.Replace(valid, "Size: 1", "Size: -1", 1),
			wantErr: []string{`invalid Size "-1"`}},
		{name: "bad multi-arch", content: valid + "Multi-Arch: sometimes\n",
			wantErr: []string{`invalid Multi-Arch "sometimes"`}},
		{name: "bad essential", content: valid + "Essential: maybe\n",
			wantErr: []string{`invalid Essential "maybe"`}},
		{name: "syntax error", content: valid + "not a field\n",
			wantErr: []string{"reading index"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sources := tc.sources
			if tc.content != "" {
				f := filepath.Join(t.TempDir(), "Packages")
				if err := os.WriteFile(f, []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
				sources = append(sources, f)
			}
			_, err := debresolve.ReadIndexes(context.Background(), "amd64", sources, nil)
			if err == nil {
				t.Fatal("ReadIndexes succeeded, want an error")
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestIndexSkipsOtherArchitectures(t *testing.T) {
	ix := readSynthetic(t, indexA)
	for _, p := range ix.Versions("data-all") {
		if p.Arch != "all" {
			t.Errorf("index for amd64 holds %v", p)
		}
	}
	if vs := ix.Versions("armonly"); len(vs) != 0 {
		t.Errorf("index for amd64 holds %v", vs)
	}
}

func versions(pkgs []debresolve.Resolved) map[string]string {
	m := map[string]string{}
	for _, p := range pkgs {
		m[p.Name] = p.Version
	}
	return m
}

func names(pkgs []debresolve.Resolved) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.Name)
	}
	return out
}

// TestResolveGivesUp checks that an index whose alternatives all fail at
// the bottom of a deep tree (2^n attempts) ends in an error, not a hang.
func TestResolveGivesUp(t *testing.T) {
	defer debresolve.SetMaxSteps(10000)()
	var b strings.Builder
	const levels = 30
	para := func(name, deps string) {
		fmt.Fprintf(&b, "Package: %s\nVersion: 1\nArchitecture: all\nFilename: f\nSize: 1\nSHA256: %s\nDepends: %s\n\n", name, strings.Repeat("0", 64), deps)
	}
	para("top", "l1a | l1b")
	for i := 1; i < levels; i++ {
		para(fmt.Sprintf("l%da", i), fmt.Sprintf("l%da | l%db", i+1, i+1))
		para(fmt.Sprintf("l%db", i), fmt.Sprintf("l%da | l%db", i+1, i+1))
	}
	para(fmt.Sprintf("l%da", levels), "missing")
	para(fmt.Sprintf("l%db", levels), "missing")
	ix := debresolve.NewIndex("amd64")
	if err := ix.Read(strings.NewReader(b.String()), "explode"); err != nil {
		t.Fatal(err)
	}
	_, err := debresolve.Resolve(ix, debresolve.Request{Roots: []string{"top"}})
	if err == nil || !strings.Contains(err.Error(), "gave up after 10000 attempts") {
		t.Fatalf("got %v, want the resolver to give up", err)
	}
}
