package image_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/image"
)

// The parsers of untrusted bytes: CONFIG.json, a base layout's JSON
// documents, and layer files. None may panic or leave output behind; what
// they accept must assemble into a layout that reads back.

func FuzzParseConfigOverride(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"Entrypoint":["/a"],"Cmd":["b"]}`, `{"Env":["A=1","B="]}`, `{"Labels":{"a":"b"}}`,
		`{"ExposedPorts":{"80/tcp":{}}}`, `{"User":"1:1","WorkingDir":"/w","StopSignal":"SIGTERM"}`,
		`{"Cmd":null}`, `{"Labels":{"a":"1","a":"2"}}`, `{"Env":["=x"]}`, `[]`, `{"a":1}`,
		`{"Labels":{"tee.launch_policy.log_redirect":"always"},"Entrypoint":["/x"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := image.ParseConfigOverride(data)
		if err != nil {
			return
		}
		parent := t.TempDir()
		out := filepath.Join(parent, "out")
		if _, err := image.Assemble(image.AssembleOptions{Out: out, Base: td("base-oci"), Config: o}); err != nil {
			if ents, _ := os.ReadDir(parent); len(ents) != 0 {
				t.Fatalf("failed assemble left %v", ents)
			}
			return
		}
		if _, err := image.Inspect(out); err != nil {
			t.Fatalf("assembled layout does not read back: %v", err)
		}
	})
}

// FuzzBaseConfig puts fuzzed bytes in place of a base image's config (with
// a matching digest, so they reach the config parser).
func FuzzBaseConfig(f *testing.F) {
	img, err := image.ReadImage(td("base-oci"), image.DefaultPlatform)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(img.RawConfig)
	f.Add([]byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`))
	f.Add([]byte(`{"architecture":"amd64","os":"linux","config":null,"history":null,"rootfs":{"type":"layers","diff_ids":["sha256:x","sha256:y"]}}`))
	f.Add([]byte(`{"architecture":"amd64","os":"linux","config":{"Env":["bad"]}}`))
	f.Fuzz(func(t *testing.T, cfg []byte) {
		base := filepath.Join(t.TempDir(), "base")
		copyDir(t, td("base-oci"), base)
		sum := sha256.Sum256(cfg)
		d := "sha256:" + hex.EncodeToString(sum[:])
		os.WriteFile(filepath.Join(base, "blobs", "sha256", d[7:]), cfg, 0o644)
		m := img.Manifest
		m.Config.Digest, m.Config.Size = d, int64(len(cfg))
		mb, _ := json.Marshal(m)
		msum := sha256.Sum256(mb)
		md := "sha256:" + hex.EncodeToString(msum[:])
		os.WriteFile(filepath.Join(base, "blobs", "sha256", md[7:]), mb, 0o644)
		idx, _ := json.Marshal(image.Index{SchemaVersion: 2, Manifests: []image.Descriptor{{MediaType: image.MediaTypeOCIManifest, Digest: md, Size: int64(len(mb))}}})
		os.WriteFile(filepath.Join(base, "index.json"), idx, 0o644)
		out := filepath.Join(t.TempDir(), "out")
		if _, err := image.Assemble(image.AssembleOptions{Out: out, Base: base, Layers: []string{td("layers", "app.tar")}}); err != nil {
			return
		}
		if _, err := image.Inspect(out); err != nil {
			t.Fatalf("assembled layout does not read back: %v", err)
		}
	})
}

// FuzzBaseIndex fuzzes a base layout's index.json.
func FuzzBaseIndex(f *testing.F) {
	for _, dir := range []string{"base-oci", "base-docker", "base-index"} {
		b, err := os.ReadFile(td(dir, "index.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../etc","size":1}]}`))
	f.Fuzz(func(t *testing.T, idx []byte) {
		base := filepath.Join(t.TempDir(), "base")
		copyDir(t, td("base-index"), base)
		os.WriteFile(filepath.Join(base, "index.json"), idx, 0o644)
		image.ReadImage(base, image.DefaultPlatform)
	})
}

func FuzzLayer(f *testing.F) {
	for _, p := range []string{td("layers", "app.tar"), td("layers", "data.tar.gz")} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Add(tarBytes(f, []tarFile{{name: "../x", body: "x"}}))
	f.Add(tarBytes(f, []tarFile{{name: "a", link: "/etc"}, {name: "a/b", body: "x"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "layer")
		os.WriteFile(p, data, 0o644)
		out := filepath.Join(dir, "out")
		for _, comp := range []image.Compression{image.KeepAsIs, image.Gzip} {
			if _, err := image.Assemble(image.AssembleOptions{Out: out, Layers: []string{p}, Compression: comp}); err != nil {
				continue
			}
			info, err := image.Inspect(out)
			if err != nil {
				t.Fatalf("assembled layout does not read back: %v", err)
			}
			if len(info.Layers) != 1 {
				t.Fatalf("%d layers", len(info.Layers))
			}
		}
	})
}

// FuzzStack stacks two arbitrary layers: no panic, and a reported mask
// names an entry at or below the masked symlink.
func FuzzStack(f *testing.F) {
	f.Add(tarBytes(f, usrMerged), tarBytes(f, []tarFile{{name: "lib/"}, {name: "lib/.wh.x"}}))
	f.Add(tarBytes(f, []tarFile{{name: "a/"}, {name: "a/b", link: "c"}, {name: ".wh..wh..opq"}}), tarBytes(f, []tarFile{{name: "./a/b/../b/c", body: "x"}}))
	f.Fuzz(func(t *testing.T, lower, upper []byte) {
		var s image.Stack
		if err := s.Add("lower", bytes.NewReader(lower)); err != nil {
			return
		}
		err := s.Add("upper", bytes.NewReader(upper))
		var me *image.MaskError
		if errors.As(err, &me) {
			if me.Layer != "upper" || me.LowerLayer != "lower" {
				t.Fatalf("mask %+v names the wrong layers", me)
			}
			if me.Entry != me.Symlink && !strings.HasPrefix(me.Entry, me.Symlink+"/") {
				t.Fatalf("entry %q is not at or below symlink %q", me.Entry, me.Symlink)
			}
		}
	})
}

// FuzzOwnership assembles an arbitrary layer on an arbitrary base: no
// panic, no endless symlink walk, and a refusal for ownership names an
// entry of the added layer and an owner.
func FuzzOwnership(f *testing.F) {
	f.Add(tarBytes(f, distrolessBase), tarBytes(f, debLayer("libgcc-s1", "1", []tarFile{{name: "lib/x86_64-linux-gnu/libc.so.6", body: "x"}}, "lib/x86_64-linux-gnu/libc.so.6")))
	f.Add(tarBytes(f, dpkgBase), tarBytes(f, []tarFile{{name: "usr/lib/x86_64-linux-gnu/libc.so.6", body: "x"}}))
	f.Add(tarBytes(f, append([]tarFile{{name: "a", link: "b"}, {name: "b", link: "a"}}, statusRecord("p1", "1"), md5sums("var/lib/dpkg/status.d/p1.md5sums", "a/x"))),
		tarBytes(f, []tarFile{{name: "c", body: "x"}}))
	f.Fuzz(func(t *testing.T, base, layer []byte) {
		dir := t.TempDir()
		layout, _ := writeBase(t, filepath.Join(dir, "base"), []baseLayer{{raw: base, mediaType: image.MediaTypeLayerTar}})
		p := filepath.Join(dir, "layer.tar")
		os.WriteFile(p, layer, 0o644)
		_, err := image.Assemble(image.AssembleOptions{Out: filepath.Join(dir, "out"), Base: layout, Layers: []string{p}})
		var oe *image.OwnershipError
		if errors.As(err, &oe) {
			if oe.Entry == "" || len(oe.Owners) == 0 || oe.Layer != fmt.Sprintf("layer %q", p) {
				t.Fatalf("ownership error %+v", oe)
			}
		}
	})
}
