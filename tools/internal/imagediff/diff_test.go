package imagediff_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/imagediff"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

// fixture holds layers made by the real layer writer, shared by the cases.
type fixture struct {
	dir                                string
	common, app1, app2, stamp0, stamp1 string
	ab, ba                             string // hand-made tars: entry order a,b and b,a
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir}
	none := layer.Options{}
	f.common = writeLayer(t, dir, "common.tar", none,
		file{path: "etc/common.conf", body: "common=1\n"},
		file{path: "usr/share/doc/readme", body: "read me\n"})
	f.app1 = writeLayer(t, dir, "app1.tar", none,
		file{path: "app/x", body: "x"}, file{path: "app/y", body: "y1"}, file{path: "app/z", body: "z", mode: 0o755})
	f.app2 = writeLayer(t, dir, "app2.tar", none,
		file{path: "app/x", body: "x"}, file{path: "app/y", body: "y2!"}, file{path: "app/z", body: "z", mode: 0o755})
	// One top-level file, so that the mtime differs in exactly one entry.
	f.stamp0 = writeLayer(t, dir, "stamp0.tar", layer.Options{MTime: 0}, file{path: "stamp.txt", body: "s"})
	f.stamp1 = writeLayer(t, dir, "stamp1.tar", layer.Options{MTime: 1_000_000}, file{path: "stamp.txt", body: "s"})
	// package layer always sorts entries, so a layer that differs only in
	// entry order has to be written by hand.
	f.ab = handTar(t, filepath.Join(dir, "ab.tar"), "a", "b")
	f.ba = handTar(t, filepath.Join(dir, "ba.tar"), "b", "a")
	return f
}

func handTar(t *testing.T, p string, names ...string) string {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, n := range names {
		h := &tar.Header{Name: n, Mode: 0o644, Size: 1, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(n))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) layout(t *testing.T, name string, opts image.AssembleOptions, layers ...string) string {
	return assemble(t, filepath.Join(f.dir, name), opts, layers...)
}

func TestDiff(t *testing.T) {
	f := newFixture(t)
	plain := image.AssembleOptions{}
	base := f.layout(t, "base", plain, f.common, f.app1)
	digestLines := []string{"index: manifests[0].digest", "manifest: config.digest"}
	tests := []struct {
		name string
		a, b string
		// strict and semantic are what each mode must name, exactly.
		strict, semantic []string
	}{
		{
			name: "identical builds",
			a:    base, b: f.layout(t, "again", plain, f.common, f.app1),
		},
		{
			name: "copied layout",
			a:    base, b: copyTree(t, base, filepath.Join(f.dir, "copy")),
		},
		{
			name: "one file's content",
			a:    base, b: f.layout(t, "content", plain, f.common, f.app2),
			strict:   append(digestLines, "layer 2: digest", "layer 2: diff_id", "layer 2 /app/y: content"),
			semantic: []string{"layer 2 /app/y: content"},
		},
		{
			name:     "only a file's mtime",
			a:        f.layout(t, "stamp0", plain, f.common, f.stamp0),
			b:        f.layout(t, "stamp1", plain, f.common, f.stamp1),
			strict:   append(digestLines, "layer 2: digest", "layer 2: diff_id", "layer 2 /stamp.txt: mtime"),
			semantic: nil,
		},
		{
			name:     "a label",
			a:        f.layout(t, "label1", image.AssembleOptions{Config: labels("a", "1")}, f.common, f.app1),
			b:        f.layout(t, "label2", image.AssembleOptions{Config: labels("a", "2", "b", "3")}, f.common, f.app1),
			strict:   append(digestLines, "manifest: config.size", `config: config.Labels["a"]`, `config: config.Labels["b"]`),
			semantic: []string{`config: config.Labels["a"]`, `config: config.Labels["b"]`},
		},
		{
			name:     "layer order",
			a:        base,
			b:        f.layout(t, "swapped", plain, f.app1, f.common),
			strict:   append(digestLines, "layer 1: order", "layer 2: order"),
			semantic: []string{"layer 1: order", "layer 2: order"},
		},
		{
			name: "compression only",
			a:    base,
			b:    f.layout(t, "gzip", image.AssembleOptions{Compression: image.Gzip}, f.common, f.app1),
			strict: []string{
				"index: manifests[0].digest", "index: manifests[0].size",
				"layer 1: digest", "layer 1: mediaType", "layer 1: size",
				"layer 2: digest", "layer 2: mediaType", "layer 2: size",
			},
			semantic: nil,
		},
		{
			name: "added layer",
			a:    f.layout(t, "one", plain, f.common),
			b:    base,
			strict: append(digestLines, "config: history[1]", "index: manifests[0].size", "manifest: config.size",
				"layer 2: layer", "layer 2 /app: entry", "layer 2 /app/x: entry", "layer 2 /app/y: entry", "layer 2 /app/z: entry"),
			semantic: []string{"layer 2: layer", "layer 2 /app: entry", "layer 2 /app/x: entry", "layer 2 /app/y: entry", "layer 2 /app/z: entry"},
		},
		{
			name:     "entry order",
			a:        f.layout(t, "ab", plain, f.ab),
			b:        f.layout(t, "ba", plain, f.ba),
			strict:   append(digestLines, "layer 1: digest", "layer 1: diff_id", "layer 1 /a: order"),
			semantic: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []struct {
				flags []string
				want  []string
			}{{nil, tc.strict}, {[]string{"--semantic"}, tc.semantic}} {
				got, code, _ := diffJSON(t, append(mode.flags, tc.a, tc.b)...)
				wantCode := 0
				if len(mode.want) > 0 {
					wantCode = 1
				}
				if code != wantCode {
					t.Errorf("%v: exit code %d, want %d", mode.flags, code, wantCode)
				}
				sortStrings(mode.want)
				if diff := cmp.Diff(mode.want, got); diff != "" {
					t.Errorf("%v: named differences (-want +got):\n%s", mode.flags, diff)
				}
				// The text output has exactly one line per difference.
				stdout, _, textCode := runDiff(t, append(mode.flags, tc.a, tc.b)...)
				if textCode != code {
					t.Errorf("%v: text mode exit code %d, JSON mode %d", mode.flags, textCode, code)
				}
				if lines := strings.Count(stdout, "\n"); lines != len(mode.want) {
					t.Errorf("%v: %d text lines for %d differences:\n%s", mode.flags, lines, len(mode.want), stdout)
				}
			}
		})
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestDiffTextAndJSON(t *testing.T) {
	f := newFixture(t)
	a := f.layout(t, "a", image.AssembleOptions{}, f.common, f.app1)
	b := f.layout(t, "b", image.AssembleOptions{}, f.common, f.app2)

	stdout, stderr, code := runDiff(t, "--semantic", a, b)
	if code != 1 {
		t.Fatalf("exit code %d, want 1; stderr: %s", code, stderr)
	}
	want := "layer 2 /app/y: content: sha256:" + sha("y1") + " (2 bytes) -> sha256:" + sha("y2!") + " (3 bytes)\n"
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("text output (-want +got):\n%s", diff)
	}
	if !strings.Contains(stderr, "differ (1 differences)") {
		t.Errorf("stderr does not say the images differ: %q", stderr)
	}

	_, _, rep := diffJSON(t, "--semantic", a, b)
	wantRep := &imagediff.Report{A: a, B: b, Semantic: true, Differences: []imagediff.Difference{{
		Scope: "layer", Layer: 2, Path: "/app/y", Field: "content", Kind: imagediff.Changed,
		A: "sha256:" + sha("y1") + " (2 bytes)", B: "sha256:" + sha("y2!") + " (3 bytes)",
	}}}
	if diff := cmp.Diff(wantRep, rep); diff != "" {
		t.Errorf("JSON report (-want +got):\n%s", diff)
	}

	// --platform picks (and checks) the image of each layout.
	if stdout, stderr, code := runDiff(t, "--semantic", "--platform", "linux/amd64", a, b); code != 1 || stdout != want {
		t.Errorf("--platform linux/amd64: exit code %d, output %q, stderr %s", code, stdout, stderr)
	}

	// Same images print nothing in text mode and an empty list in JSON.
	if stdout, _, code := runDiff(t, a, a); code != 0 || stdout != "" {
		t.Errorf("a vs a: exit code %d, output %q", code, stdout)
	}
	if stdout, _, code := runDiff(t, "--json", a, a); code != 0 || !strings.Contains(stdout, `"differences": []`) || !strings.Contains(stdout, `"same": true`) {
		t.Errorf("a vs a --json: exit code %d, output %s", code, stdout)
	}
}

func TestDiffCannotCompare(t *testing.T) {
	f := newFixture(t)
	a := f.layout(t, "a", image.AssembleOptions{}, f.common, f.app1)
	b := f.layout(t, "b", image.AssembleOptions{}, f.common, f.app2)
	n := 0
	broken := func(src string, breakIt func(layout string)) string {
		n++
		dst := copyTree(t, src, filepath.Join(f.dir, "broken"+itoa(n)))
		breakIt(dst)
		return dst
	}
	tests := []struct {
		name    string
		a, b    string
		args    []string
		wantErr string
	}{
		{
			name: "broken index.json",
			a:    a,
			b: broken(b, func(l string) {
				os.WriteFile(filepath.Join(l, "index.json"), []byte("{"), 0o644)
			}),
			wantErr: "index.json",
		},
		{
			name: "not a layout",
			a:    a,
			b: broken(b, func(l string) {
				os.Remove(filepath.Join(l, "oci-layout"))
			}),
			wantErr: "is not an OCI image layout",
		},
		{
			name:    "no such directory",
			a:       a,
			b:       filepath.Join(f.dir, "nonexistent"),
			wantErr: "no such file or directory",
		},
		{
			// Layer 1 is the same in both and is not read, but its blob
			// must still be there.
			name: "missing blob of an unchanged layer",
			a:    a,
			b: broken(b, func(l string) {
				os.Remove(layerBlob(t, l, 1))
			}),
			wantErr: "is missing",
		},
		{
			name: "missing config blob",
			a:    a,
			b: broken(b, func(l string) {
				info, _ := image.Inspect(l)
				os.Remove(filepath.Join(l, "blobs", "sha256", strings.TrimPrefix(info.ImageID, "sha256:")))
			}),
			wantErr: "opening blob",
		},
		{
			name: "digest mismatch in a layer that is read",
			a:    a,
			b: broken(b, func(l string) {
				p := layerBlob(t, l, 2)
				data, _ := os.ReadFile(p)
				// Same size, one byte of app/x's content changed.
				i := bytes.Index(data, []byte("y2!"))
				data[i] = 'Y'
				os.WriteFile(p, data, 0o644)
			}),
			wantErr: "digest mismatch",
		},
		{
			name: "truncated layer blob",
			a:    a,
			b: broken(b, func(l string) {
				p := layerBlob(t, l, 2)
				data, _ := os.ReadFile(p)
				os.WriteFile(p, data[:len(data)-512], 0o644)
			}),
			wantErr: "size",
		},
		{
			name:    "platform not in the layout",
			args:    []string{"--platform", "linux/arm64", a, b},
			wantErr: "not linux/arm64",
		},
		{
			name:    "one argument",
			args:    []string{a},
			wantErr: "want two images",
		},
		{
			name:    "registry reference without a host",
			a:       a,
			b:       "registry:app:v1",
			wantErr: "does not start with a registry host",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args == nil {
				args = []string{tc.a, tc.b}
			}
			for _, flags := range [][]string{nil, {"--semantic"}, {"--json"}} {
				stdout, stderr, code := runDiff(t, append(flags, args...)...)
				if code != 2 {
					t.Errorf("%v: exit code %d, want 2\nstdout: %s\nstderr: %s", flags, code, stdout, stderr)
				}
				if testing.Verbose() && flags == nil {
					t.Logf("stderr: %s", stderr)
				}
				if !strings.Contains(stderr, tc.wantErr) {
					t.Errorf("%v: stderr does not mention %q: %s", flags, tc.wantErr, stderr)
				}
			}
		})
	}
}

func TestDiffUnchangedLayersAreNotRead(t *testing.T) {
	f := newFixture(t)
	a := f.layout(t, "a", image.AssembleOptions{}, f.common, f.app1)
	b := f.layout(t, "b", image.AssembleOptions{}, f.common, f.app2)
	// Corrupt layer 1 of both with bytes of the same size: a comparison
	// that read it would fail, one that trusts equal digests does not.
	for _, l := range []string{a, b} {
		p := layerBlob(t, l, 1)
		data, _ := os.ReadFile(p)
		os.Remove(p) // it is hard linked to the other layout's blob
		if err := os.WriteFile(p, bytes.Repeat([]byte{'!'}, len(data)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, code, _ := diffJSON(t, "--semantic", a, b)
	if code != 1 || !cmp.Equal(got, []string{"layer 2 /app/y: content"}) {
		t.Errorf("exit code %d, named %v", code, got)
	}
}
