package debresolve_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
	"github.com/rules-odp/rules_odp/tools/internal/golden"
)

func installed(nameVersions ...string) []debresolve.Installed {
	var out []debresolve.Installed
	for _, nv := range nameVersions {
		name, version, _ := strings.Cut(nv, "=")
		out = append(out, debresolve.Installed{Name: name, Version: version, Arch: "amd64"})
	}
	return out
}

func TestResolveInstalled(t *testing.T) {
	ix := readSynthetic(t, indexA, indexB)
	for _, tc := range []struct {
		name      string
		roots     []string
		exclude   []string
		installed []debresolve.Installed
		want      map[string]string
		dropped   []debresolve.Dropped
		wantErr   []string
	}{
		{
			name: "a dependency the base satisfies is dropped", roots: []string{"app-alt"},
			installed: installed("libc=2.36-8", "libgcc=12.2.0-14", "unrelated=1"),
			want:      map[string]string{"app-alt": "1.0", "beta": "2.0", "gamma": "1.0"},
			dropped:   []debresolve.Dropped{{Name: "libc", Version: "2.36-8", Arch: "amd64", IndexVersion: "2.36-9", RequiredBy: []string{"beta"}}},
		},
		{
			name: "a requested package the base has is dropped", roots: []string{"libc", "app-pre"},
			installed: installed("libc=2.36-9"),
			want:      map[string]string{"app-pre": "1.0", "pre-thing": "1.0"},
			dropped:   []debresolve.Dropped{{Name: "libc", Version: "2.36-9", Arch: "amd64", IndexVersion: "2.36-9", RequiredBy: []string{"(requested)", "app-pre"}}},
		},
		{
			name: "a provider in the base satisfies a virtual package", roots: []string{"app-virtual"},
			installed: []debresolve.Installed{{Name: "base-mta", Version: "1", Arch: "amd64", Provides: "mail-agent"}},
			want:      map[string]string{"app-virtual": "1.0"},
			dropped:   []debresolve.Dropped{{Name: "base-mta", Version: "1", Arch: "amd64", RequiredBy: []string{"app-virtual"}}},
		},
		{
			name: "exclude takes precedence", roots: []string{"app-alt"}, exclude: []string{"libc"},
			installed: installed("libc=2.29"),
			want:      map[string]string{"app-alt": "1.0", "beta": "2.0", "gamma": "1.0"},
		},
		{
			name: "the base's version does not satisfy", roots: []string{"app-alt"},
			installed: installed("libc=2.29"),
			wantErr:   []string{`cannot resolve "app-alt"`, "app-alt -> beta", `"libc (>= 2.30)"`, "the base image has libc 2.29, which does not satisfy libc (>= 2.30)", "cannot replace a package of the base"},
		},
		{
			name: "two bases, one too old", roots: []string{"app-alt"},
			installed: installed("libc=2.36-8", "libc=2.29"),
			wantErr:   []string{"the base image has libc 2.36-8, 2.29, which does not satisfy libc (>= 2.30)"},
		},
		{
			name: "everything requested is in the base", roots: []string{"libc"},
			installed: installed("libc=2.36-8"),
			wantErr:   []string{"every requested package is installed in the base already (libc)"},
		},
		{
			name: "bad installed version", roots: []string{"app-alt"},
			installed: installed("libc=not a version"),
			wantErr:   []string{"installed package libc not a version"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := debresolve.Solve(ix, debresolve.Request{Roots: tc.roots, Exclude: tc.exclude, Installed: tc.installed})
			if tc.wantErr != nil {
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, p := range res.Packages {
				got[p.Name] = p.Version
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("closure (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.dropped, res.Dropped); diff != "" {
				t.Errorf("dropped (-want +got):\n%s", diff)
			}
			for _, p := range res.Packages {
				for _, d := range p.Depends {
					if _, ok := got[d]; !ok {
						t.Errorf("%s depends on %s, which is not locked", p.Name, d)
					}
				}
			}
		})
	}
}

func TestLockDropped(t *testing.T) {
	sources := []string{indexA, indexB}
	req := debresolve.Request{Roots: []string{"app-alt"}, Installed: installed("libc=2.36-8")}
	res, err := debresolve.Solve(readSynthetic(t, sources...), req)
	if err != nil {
		t.Fatal(err)
	}
	l := debresolve.NewLock("amd64", req, sources, res.Packages)
	l.Dropped = debresolve.DroppedPackages(res.Dropped)
	var got bytes.Buffer
	if err := l.Encode(&got); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "golden", "lock-dropped.json"), got.Bytes())
	back, err := debresolve.DecodeLock(bytes.NewReader(got.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l, back); diff != "" {
		t.Errorf("decoded lock (-want +got):\n%s", diff)
	}
}
