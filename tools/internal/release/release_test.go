package release_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/release"
)

var (
	d1 = "sha256:" + strings.Repeat("1", 64)
	d2 = "sha256:" + strings.Repeat("2", 64)
)

func TestParseDigestsFile(t *testing.T) {
	// What scripts/build_images.sh --write-expected writes.
	file := "# Expected image digests: LABEL MANIFEST_DIGEST IMAGE_ID, sorted.\n" +
		"# Written by scripts/build_images.sh --write-expected; checked with --check.\n" +
		"//examples/aggregator:aggregator_image " + d1 + " " + d2 + "\n" +
		"//examples/bases:java17 " + d2 + " " + d1 + "\n"
	got, err := release.ParseDigestsFile([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	want := []release.Expected{
		{Label: "//examples/aggregator:aggregator_image", Digest: d1, ImageID: d2},
		{Label: "//examples/bases:java17", Digest: d2, ImageID: d1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "# only comments\n", "no images"},
		{"two fields", "//a:b " + d1 + "\n", "line 1: want LABEL DIGEST IMAGE_ID, got 2 fields"},
		{"four fields", "//a:b " + d1 + " " + d2 + " x\n", "got 4 fields"},
		{"not a label", "a:b " + d1 + " " + d2 + "\n", "not a Bazel label"},
		{"bad digest", "//a:b sha256:XY " + d2 + "\n", "digest"},
		{"bad image ID", "//a:b " + d1 + " 123\n", "image ID"},
		{"twice", "//a:b " + d1 + " " + d2 + "\n\n//a:b " + d1 + " " + d2 + "\n", "line 3: //a:b again (first on line 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := release.ParseDigestsFile([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestMapping(t *testing.T) {
	repo := release.PrefixRepository("127.0.0.1:5000/odp/", map[string]string{"//x:y": "r.example/z"})
	for label, want := range map[string]string{
		"//examples/aggregator:aggregator_image": "127.0.0.1:5000/odp/aggregator_image",
		"//x:y":                                  "r.example/z",
	} {
		got, err := repo(label)
		if err != nil || got != want {
			t.Errorf("repository for %s: %q, %v; want %q", label, got, err, want)
		}
	}
	if _, err := release.PrefixRepository("", nil)("//a:b"); err == nil {
		t.Error("no prefix, no mapping: no error")
	}
	if got, want := release.LayoutFor("bazel-bin", "//examples/aggregator:aggregator_image"), filepath.Join("bazel-bin", "examples", "aggregator", "aggregator_image"); got != want {
		t.Errorf("LayoutFor = %q, want %q", got, want)
	}
	if got, want := release.LayoutFor("out", "//:img"), filepath.Join("out", "img"); got != want {
		t.Errorf("LayoutFor root package = %q, want %q", got, want)
	}
}

func FuzzParseDigestsFile(f *testing.F) {
	f.Add([]byte("# c\n//a:b " + d1 + " " + d2 + "\n"))
	f.Add([]byte("//a/b:c d e\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := release.ParseDigestsFile(data)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range got {
			if seen[e.Label] || !strings.HasPrefix(e.Label, "//") || len(e.Digest) != 71 || len(e.ImageID) != 71 {
				t.Fatalf("accepted %+v", e)
			}
			seen[e.Label] = true
		}
	})
}
