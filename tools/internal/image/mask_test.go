package image_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
	"github.com/rules-odp/rules_odp/tools/internal/image"
)

// tarBytes is writeTar into memory.
func tarBytes(t testing.TB, files []tarFile) []byte {
	t.Helper()
	p := writeTar(t, filepath.Join(t.TempDir(), "l.tar"), files)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// baseLayer is a layer of a synthetic base: its tar and how it is stored.
type baseLayer struct {
	files     []tarFile
	raw       []byte // the tar itself, instead of files
	mediaType string // "" means gzip
}

// writeBase writes an OCI layout by hand, so that a base may hold what
// assemble would refuse to make (a masking base) and media types it never
// writes (zstd).
func writeBase(t testing.TB, dir string, layers []baseLayer) (string, []string) {
	return writeBaseWith(t, dir, layers, baseEdits{})
}

// baseEdits change a synthetic base on its way to disk, for bases that lie
// (the edited documents are hashed as written, so only what is edited is
// wrong).
type baseEdits struct {
	config  func(cfg map[string]any)           // the config object, before encoding
	rawJSON func(kind string, b []byte) []byte // "config", "manifest", "index.json" bytes
	diffIDs func(ids []string)
}

func writeBaseWith(t testing.TB, dir string, layers []baseLayer, edit baseEdits) (string, []string) {
	t.Helper()
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		t.Fatal(err)
	}
	put := func(b []byte) string {
		d := digestOf(b)
		if err := os.WriteFile(filepath.Join(blobs, d[7:]), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return d
	}
	raw := func(kind string, b []byte) []byte {
		if edit.rawJSON != nil {
			return edit.rawJSON(kind, b)
		}
		return b
	}
	var descs []image.Descriptor
	var diffIDs, digests []string
	for _, l := range layers {
		raw := l.raw
		if raw == nil {
			raw = tarBytes(t, l.files)
		}
		blob := raw
		mt := l.mediaType
		switch mt {
		case "":
			mt = image.MediaTypeLayerGzip
			fallthrough
		case image.MediaTypeDockerLayerGzip:
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(raw)
			zw.Close()
			blob = b.Bytes()
		case image.MediaTypeLayerZstd:
			zw, _ := zstd.NewWriter(nil)
			blob = zw.EncodeAll(raw, nil)
		}
		d := put(blob)
		digests = append(digests, d)
		descs = append(descs, image.Descriptor{MediaType: mt, Digest: d, Size: int64(len(blob))})
		diffIDs = append(diffIDs, digestOf(raw))
	}
	if edit.diffIDs != nil {
		edit.diffIDs(diffIDs)
	}
	cfgObj := map[string]any{"architecture": "amd64", "os": "linux", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs}}
	if edit.config != nil {
		edit.config(cfgObj)
	}
	cfg, _ := json.Marshal(cfgObj)
	cfg = raw("config", cfg)
	cd := image.Descriptor{MediaType: image.MediaTypeOCIConfig, Digest: put(cfg), Size: int64(len(cfg))}
	m, _ := json.Marshal(image.Manifest{SchemaVersion: 2, MediaType: image.MediaTypeOCIManifest, Config: cd, Layers: descs})
	m = raw("manifest", m)
	md := image.Descriptor{MediaType: image.MediaTypeOCIManifest, Digest: put(m), Size: int64(len(m))}
	idx, _ := json.Marshal(image.Index{SchemaVersion: 2, Manifests: []image.Descriptor{md}})
	idx = raw("index.json", idx)
	os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644)
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	return dir, digests
}

var usrMerged = []tarFile{
	{name: "usr/"}, {name: "usr/lib/"}, {name: "usr/lib/x86_64-linux-gnu/"},
	{name: "usr/lib/x86_64-linux-gnu/libc.so.6", body: "libc"},
	{name: "lib", link: "usr/lib"},
	{name: "lib64", link: "usr/lib64"},
	{name: "bin", link: "usr/bin"},
}

func TestMasking(t *testing.T) {
	// The wanted error names the layers by index: "base N" is the base's
	// Nth layer, "add N" the Nth added layer.
	type wantMask struct {
		layer, entry, symlink, target, lower string
	}
	tests := []struct {
		name string
		base []baseLayer
		add  [][]tarFile
		want *wantMask
	}{
		{
			name: "directory at a base symlink",
			base: []baseLayer{{files: usrMerged}},
			add:  [][]tarFile{{{name: "lib/"}}},
			want: &wantMask{"add 1", "lib", "lib", "usr/lib", "base 1"},
		},
		{
			name: "file below a base symlink, no directory entries",
			base: []baseLayer{{files: usrMerged}},
			add:  [][]tarFile{{{name: "usr/share/doc/x", body: "x"}, {name: "lib/x86_64-linux-gnu/libc.so.6", body: "new"}}},
			want: &wantMask{"add 1", "lib/x86_64-linux-gnu/libc.so.6", "lib", "usr/lib", "base 1"},
		},
		// Added layers may hold neither absolute names nor whiteouts
		// (layer.InputChecker); base layers may, and are stacked the same
		// way.
		{
			name: "names with ./ and a leading slash",
			base: []baseLayer{{files: []tarFile{{name: "./lib", link: "usr/lib"}}}, {files: []tarFile{{name: "/lib/x86_64-linux-gnu/"}}}},
			add:  [][]tarFile{{{name: "app/"}}},
			want: &wantMask{"base 2", "lib/x86_64-linux-gnu", "lib", "usr/lib", "base 1"},
		},
		{
			name: "merged-usr layer on a merged-usr base",
			base: []baseLayer{{files: usrMerged}},
			add:  [][]tarFile{{{name: "usr/"}, {name: "usr/lib/"}, {name: "usr/lib/x86_64-linux-gnu/libfoo.so.1", body: "foo"}, {name: "usr/bin/foo", body: "foo"}}},
		},
		{
			name: "file replaces a symlink",
			base: []baseLayer{{files: usrMerged}},
			add:  [][]tarFile{{{name: "lib64", body: "not a link any more"}}},
		},
		{
			name: "symlink replaces a symlink",
			base: []baseLayer{{files: usrMerged}},
			add:  [][]tarFile{{{name: "lib", link: "usr/lib32"}}},
		},
		{
			name: "base whiteout removes the symlink",
			base: []baseLayer{{files: usrMerged}, {files: []tarFile{{name: ".wh.lib", body: ""}}}},
			add:  [][]tarFile{{{name: "lib/"}, {name: "lib/x", body: "x"}}},
		},
		{
			name: "whiteout and directory in one layer",
			base: []baseLayer{{files: usrMerged}, {files: []tarFile{{name: "lib/"}, {name: "lib/x", body: "x"}, {name: ".wh.lib"}}}},
			add:  [][]tarFile{{{name: "lib/y", body: "y"}}},
		},
		{
			name: "opaque directory removes a nested symlink",
			base: []baseLayer{
				{files: []tarFile{{name: "opt/"}, {name: "opt/app/"}, {name: "opt/app/current", link: "v1"}}},
				{files: []tarFile{{name: "opt/"}, {name: "opt/app/"}, {name: "opt/app/.wh..wh..opq"}}},
			},
			add: [][]tarFile{{{name: "opt/app/current/"}}},
		},
		{
			name: "opaque marker spares its own layer",
			base: []baseLayer{{files: []tarFile{{name: "lib", link: "usr/lib"}, {name: ".wh..wh..opq"}}}},
			add:  [][]tarFile{{{name: "lib/x", body: "x"}}},
			want: &wantMask{"add 1", "lib/x", "lib", "usr/lib", "base 1"},
		},
		{
			name: "symlink in layer 1 masked by layer 3",
			add: [][]tarFile{
				{{name: "lib", link: "usr/lib"}},
				{{name: "usr/"}, {name: "usr/lib/"}, {name: "usr/lib/a", body: "a"}},
				{{name: "etc/"}, {name: "lib/"}, {name: "lib/b", body: "b"}},
			},
			want: &wantMask{"add 3", "lib", "lib", "usr/lib", "add 1"},
		},
		{
			name: "nested symlink",
			base: []baseLayer{{files: []tarFile{{name: "etc/"}, {name: "etc/alternatives/"}, {name: "etc/alternatives/java", link: "/usr/lib/jvm/bin/java"}}}},
			add:  [][]tarFile{{{name: "etc/alternatives/java/x", body: "x"}}},
			want: &wantMask{"add 1", "etc/alternatives/java/x", "etc/alternatives/java", "/usr/lib/jvm/bin/java", "base 1"},
		},
		{
			name: "a file in between hides the symlinks below it",
			add: [][]tarFile{
				{{name: "a/"}, {name: "a/b", link: "c"}},
				{{name: "a", body: "file"}},
				{{name: "a/"}, {name: "a/b/"}},
			},
		},
		{
			name: "whiteout marker below a symlink",
			base: []baseLayer{{files: usrMerged}, {files: []tarFile{{name: "lib/.wh.libc.so.6"}}}},
			add:  [][]tarFile{{{name: "app/"}}},
			want: &wantMask{"base 2", "lib/libc.so.6", "lib", "usr/lib", "base 1"},
		},
		{
			name: "masking inside the base",
			base: []baseLayer{{files: usrMerged, mediaType: image.MediaTypeLayerTar}, {files: []tarFile{{name: "bin/"}, {name: "bin/sh", body: "sh"}}, mediaType: image.MediaTypeLayerZstd}},
			add:  [][]tarFile{{{name: "app/"}}},
			want: &wantMask{"base 2", "bin", "bin", "usr/bin", "base 1"},
		},
		{
			name: "docker gzip and zstd base layers",
			base: []baseLayer{
				{files: usrMerged, mediaType: image.MediaTypeDockerLayerGzip},
				{files: []tarFile{{name: "sbin", link: "usr/sbin"}}, mediaType: image.MediaTypeLayerZstd},
			},
			add:  [][]tarFile{{{name: "sbin/init", body: "x"}}},
			want: &wantMask{"add 1", "sbin/init", "sbin", "usr/sbin", "base 2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := image.AssembleOptions{Out: filepath.Join(dir, "out"), DigestFile: filepath.Join(dir, "digest"), OCIArchive: filepath.Join(dir, "oci.tar")}
			labels := map[string]string{}
			if tc.base != nil {
				var digests []string
				opts.Base, digests = writeBase(t, t.TempDir(), tc.base)
				for i, d := range digests {
					labels[fmt.Sprintf("base %d", i+1)] = fmt.Sprintf("base layer %d (%s)", i+1, d)
				}
			}
			for i, files := range tc.add {
				p := writeTar(t, filepath.Join(t.TempDir(), fmt.Sprintf("add%d.tar", i+1)), files)
				opts.Layers = append(opts.Layers, p)
				labels[fmt.Sprintf("add %d", i+1)] = fmt.Sprintf("layer %q", p)
			}
			_, err := image.Assemble(opts)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Assemble: %v", err)
				}
				return
			}
			var me *image.MaskError
			if !errors.As(err, &me) {
				t.Fatalf("Assemble = %v, want a *MaskError", err)
			}
			want := image.MaskError{Layer: labels[tc.want.layer], Entry: tc.want.entry, Symlink: tc.want.symlink, Target: tc.want.target, LowerLayer: labels[tc.want.lower]}
			if diff := cmp.Diff(want, *me); diff != "" {
				t.Errorf("MaskError (-want +got):\n%s", diff)
			}
			for _, s := range []string{want.Layer, want.Entry, "/" + want.Symlink + " -> " + want.Target, want.LowerLayer, "--merged-usr", "merged_usr = True"} {
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

// TestMaskingGzipLayer checks that a gzip layer file is read for the check
// as well as a tar, with and without --compress gzip.
func TestMaskingGzipLayer(t *testing.T) {
	dir := t.TempDir()
	links := writeTar(t, filepath.Join(dir, "links.tar"), []tarFile{{name: "lib", link: "usr/lib"}})
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(tarBytes(t, []tarFile{{name: "lib/"}}))
	zw.Close()
	masking := filepath.Join(dir, "masking.tar.gz")
	os.WriteFile(masking, b.Bytes(), 0o644)
	for _, comp := range []image.Compression{image.KeepAsIs, image.Gzip} {
		_, err := image.Assemble(image.AssembleOptions{Out: filepath.Join(dir, "out"), Layers: []string{links, masking}, Compression: comp})
		var me *image.MaskError
		if !errors.As(err, &me) || me.Layer != fmt.Sprintf("layer %q", masking) {
			t.Errorf("compression %v: Assemble = %v, want %s named as masking", comp, err, masking)
		}
	}
}

func TestMaskingStackAdd(t *testing.T) {
	var s image.Stack
	if err := s.Add("layer 1", bytes.NewReader(tarBytes(t, usrMerged))); err != nil {
		t.Fatal(err)
	}
	err := s.Add("layer 2", bytes.NewReader(tarBytes(t, []tarFile{{name: "lib/"}})))
	var me *image.MaskError
	if !errors.As(err, &me) || me.LowerLayer != "layer 1" || me.Layer != "layer 2" {
		t.Fatalf("Add = %v, want layer 2 masking layer 1", err)
	}
	if err := s.Add("layer 3", strings.NewReader("garbage that is no tar at all, really, not one bit")); err == nil || !strings.Contains(err.Error(), "layer 3") {
		t.Errorf("Add(garbage) = %v, want an error naming layer 3", err)
	}
}
