package testdeb_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

func TestFetchPicksNewestCached(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  string
	}{
		{"epoch wins", []string{"foo_1.0-1_amd64.deb", "foo_1%3a0.9-1_amd64.deb", "foo_0.5_all.deb"}, "foo_1%3a0.9-1_amd64.deb"},
		{"tilde sorts before release", []string{"foo_1.0~rc1-1_amd64.deb", "foo_1.0-1_amd64.deb"}, "foo_1.0-1_amd64.deb"},
		{"numeric not lexical", []string{"foo_1.9-1_amd64.deb", "foo_1.10-1_amd64.deb"}, "foo_1.10-1_amd64.deb"},
		{"security update", []string{"foo_2.36-9+deb12u10_amd64.deb", "foo_2.36-9+deb12u4_amd64.deb", "foo_2.36-9_amd64.deb"}, "foo_2.36-9+deb12u10_amd64.deb"},
		{"revision compared last", []string{"foo_16.0.6-15~deb12u1_amd64.deb", "foo_16.0.6-15_amd64.deb"}, "foo_16.0.6-15_amd64.deb"},
		{"letters before other characters", []string{"foo_1.0a_amd64.deb", "foo_1.0+_amd64.deb"}, "foo_1.0+_amd64.deb"},
		{"other packages and files ignored", []string{"foo_1.0_amd64.deb", "foo-bar_9_amd64.deb", "foo_9_amd64.deb.part", "foo_9.deb", "xfoo_9_all.deb"}, "foo_1.0_amd64.deb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := t.TempDir()
			t.Setenv("ODP_DEB_CACHE", cache)
			for _, f := range tc.files {
				if err := os.WriteFile(filepath.Join(cache, f), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := testdeb.Fetch(t, "foo"); got != filepath.Join(cache, tc.want) {
				t.Errorf("Fetch = %q, want %q", got, filepath.Join(cache, tc.want))
			}
		})
	}
}

func TestFetchDownloads(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("ODP_DEB_CACHE", cache)
	p := testdeb.Fetch(t, "hostname")
	if dir, base := filepath.Split(p); filepath.Clean(dir) != cache || !strings.HasPrefix(base, "hostname_") || !strings.HasSuffix(base, ".deb") {
		t.Errorf("Fetch = %q, want %s/hostname_*.deb", p, cache)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("!<arch>\ndebian-binary")) {
		t.Errorf("%s does not start like a .deb: %q", p, data[:min(len(data), 24)])
	}
	entries, err := os.ReadDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("cache holds %d entries, want only the .deb (no leftover download directory)", len(entries))
	}
	// The second call must come from the cache: make apt-get unusable.
	t.Setenv("PATH", t.TempDir())
	if again := testdeb.Fetch(t, "hostname"); again != p {
		t.Errorf("second Fetch = %q, want cached %q", again, p)
	}
}
