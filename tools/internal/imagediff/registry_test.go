package imagediff_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
)

func TestDiffRegistry(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	f := newFixture(t)
	a := f.layout(t, "a", image.AssembleOptions{}, f.common, f.app1)
	b := f.layout(t, "b", image.AssembleOptions{}, f.common, f.app2)
	pushed, err := registry.Push(context.Background(), a, registry.PushOptions{Repository: reg.Host + "/diff/app", Tags: []string{"v1"}})
	if err != nil {
		t.Fatal(err)
	}
	byDigest := "registry:" + pushed.Reference()
	byTag := "registry:" + reg.Host + "/diff/app:v1"

	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{name: "registry vs its own layout", args: []string{byDigest, a}},
		{name: "tag vs digest", args: []string{byTag, byDigest}},
		{name: "oci: prefix", args: []string{byTag, "oci:" + a}},
		{
			name: "registry vs another layout", args: []string{byDigest, b}, wantCode: 1,
			want: []string{"index: manifest.digest", "layer 2: diff_id", "layer 2: digest", "layer 2 /app/y: content", "manifest: config.digest"},
		},
		{
			name: "semantic", args: []string{"--semantic", b, byTag}, wantCode: 1,
			want: []string{"layer 2 /app/y: content"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, code, _ := diffJSON(t, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d", code, tc.wantCode)
			}
			sortStrings(tc.want)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("named differences (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("unknown digest", func(t *testing.T) {
		ref := "registry:" + reg.Host + "/diff/app@sha256:" + sha("nothing")
		_, stderr, code := runDiff(t, ref, a)
		if code != 2 {
			t.Errorf("exit code %d, want 2; stderr: %s", code, stderr)
		}
	})
}

// TestDiffSkopeoCopies compares an image with copies skopeo re-encoded
// (zstd layers; Docker v2s2 manifest with gzip layers): different bytes,
// no file named, the same in semantic mode.
func TestDiffSkopeoCopies(t *testing.T) {
	skopeo := testregistry.Require(t, "skopeo")
	f := newFixture(t)
	a := f.layout(t, "a", image.AssembleOptions{}, f.common, f.app1)
	other := f.layout(t, "other", image.AssembleOptions{}, f.common, f.app2)
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"zstd", []string{"--dest-compress", "--dest-compress-format", "zstd"}},
		{"docker v2s2 gzip", []string{"--format", "v2s2", "--dest-compress"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := filepath.Join(f.dir, strings.ReplaceAll(tc.name, " ", "-"))
			args := append([]string{"copy", "--quiet"}, tc.flags...)
			if out, err := exec.Command(skopeo, append(args, "oci:"+a, "oci:"+b)...).CombinedOutput(); err != nil {
				t.Fatalf("skopeo copy: %v\n%s", err, out)
			}
			got, code, _ := diffJSON(t, a, b)
			if code != 1 {
				t.Errorf("strict: exit code %d, want 1", code)
			}
			for _, g := range got {
				if strings.Contains(g, " /") {
					t.Errorf("strict: named a file: %s", g)
				}
			}
			if got, code, _ := diffJSON(t, "--semantic", a, b); code != 0 {
				t.Errorf("semantic: exit code %d, named %v", code, got)
			}
			// A changed file under the other compression: the layers are
			// decompressed, checked against their diff_ids and compared.
			c := b + "-other"
			if out, err := exec.Command(skopeo, append(args, "oci:"+other, "oci:"+c)...).CombinedOutput(); err != nil {
				t.Fatalf("skopeo copy: %v\n%s", err, out)
			}
			if got, code, _ := diffJSON(t, "--semantic", a, c); code != 1 || !cmp.Equal(got, []string{"layer 2 /app/y: content"}) {
				t.Errorf("semantic, changed file: exit code %d, named %v", code, got)
			}
		})
	}
}
