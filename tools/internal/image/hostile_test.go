package image_test

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/rules-odp/rules_odp/tools/internal/budget/budgettest"
	"github.com/rules-odp/rules_odp/tools/internal/image"
)

// rawTar writes headers (and, for regular files, size zero bytes or
// body) as given, including what writeTar cannot express.
func rawTar(t testing.TB, path string, entries ...*tar.Header) string {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range entries {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("test tar %q: %v", h.Name, err)
		}
		if h.Typeflag == tar.TypeReg && h.Size > 0 {
			io.CopyN(tw, zeroReader{}, h.Size)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func gzipFile(t testing.TB, path string, tarPath string) string {
	t.Helper()
	in, err := os.ReadFile(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(in)
	zw.Close()
	os.WriteFile(path, b.Bytes(), 0o644)
	return path
}

// gzipBomb is a gzip layer holding one file of n zero bytes, compressed as
// it streams: about a thousandfold smaller than its content.
func gzipBomb(t testing.TB, path string, n int64) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: n})
	io.CopyN(tw, zeroReader{}, n)
	tw.Close()
	zw.Close()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func mkfifo(t testing.TB, path string) string {
	t.Helper()
	os.Remove(path)
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func reg(name string) *tar.Header {
	return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644}
}

// TestHostileInputs: one case per class of hostile input to assemble. Each
// is made here, must be refused with an error naming the input (and the
// entry), leave nothing behind, not panic, and stay within a fixed amount
// of memory (whatever the input claims or expands to).
func TestHostileInputs(t *testing.T) {
	type input = hostileInput
	layerCase := func(entries ...*tar.Header) func(t *testing.T, dir string) input {
		return func(t *testing.T, dir string) input {
			p := rawTar(t, filepath.Join(dir, "hostile.tar"), entries...)
			return input{opts: image.AssembleOptions{Layers: []string{p}}, want: []string{fmt.Sprintf("layer %q", p), fmt.Sprintf("entry %.256q", entries[len(entries)-1].Name)}}
		}
	}
	// A base copied from testdata whose file or blob kind is replaced.
	baseWith := func(damage func(t *testing.T, base string, img *image.Image) string) func(t *testing.T, dir string) input {
		return func(t *testing.T, dir string) input {
			base := copyDir(t, td("base-oci"), filepath.Join(dir, "base"))
			img, err := image.ReadImage(base, image.DefaultPlatform)
			if err != nil {
				t.Fatal(err)
			}
			what := damage(t, base, img)
			return input{opts: image.AssembleOptions{Base: base, Layers: []string{td("layers", "app.tar")}}, want: []string{what}}
		}
	}
	synthetic := func(layers []baseLayer, edit baseEdits, want ...string) func(t *testing.T, dir string) input {
		return func(t *testing.T, dir string) input {
			base, _ := writeBaseWith(t, filepath.Join(dir, "base"), layers, edit)
			return input{opts: image.AssembleOptions{Base: base, Layers: []string{td("layers", "app.tar")}}, want: append([]string{base}, want...)}
		}
	}
	hello := []baseLayer{{files: []tarFile{{name: "etc/"}, {name: "etc/hello", body: "hi"}}}}
	long := strings.Repeat("d/", 40_000) + "f" // 80 KB: a PAX path record
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) input
		want  []string
	}{
		// Added layers: the repacker's entry rules.
		{"layer: parent traversal", layerCase(reg("../etc/passwd")), []string{`".." element`}},
		{"layer: inner traversal", layerCase(reg("usr/../../x")), []string{`".." element`}},
		{"layer: absolute name", layerCase(reg("/etc/passwd")), []string{"is absolute"}},
		{"layer: device node", layerCase(&tar.Header{Name: "dev/sda", Typeflag: tar.TypeBlock, Mode: 0o660, Devmajor: 8}), []string{"is a device node"}},
		{"layer: fifo entry", layerCase(&tar.Header{Name: "run/p", Typeflag: tar.TypeFifo, Mode: 0o644}), []string{"is a FIFO"}},
		{"layer: whiteout", layerCase(reg("usr/.wh.lib")), []string{"whiteout"}},
		{"layer: opaque whiteout", layerCase(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}, reg("etc/.wh..wh..opq")), []string{"whiteout"}},
		{"layer: write through its own symlink", layerCase(&tar.Header{Name: "usr/evil", Typeflag: tar.TypeSymlink, Linkname: "/etc"}, reg("usr/evil/passwd")), []string{`written through the symlink "usr/evil"`}},
		{"layer: hard link to no earlier entry", layerCase(reg("c"), &tar.Header{Name: "a", Typeflag: tar.TypeLink, Linkname: "b"}), []string{`is a hard link to "b", which is not an earlier entry`}},
		{"layer: gzip with traversal", func(t *testing.T, dir string) input {
			p := gzipFile(t, filepath.Join(dir, "hostile.tar.gz"), rawTar(t, filepath.Join(dir, "x.tar"), reg("../x")))
			return input{opts: image.AssembleOptions{Layers: []string{p}}, want: []string{fmt.Sprintf("layer %q", p), `entry "../x"`}}
		}, []string{`".." element`}},
		// Resource bombs.
		{"layer: long name (PAX path)", layerCase(reg(long)), []string{"over the budget for bytes of a tar entry name"}},
		{"layer: huge PAX records", layerCase(&tar.Header{Name: "f", Typeflag: tar.TypeReg, PAXRecords: map[string]string{"comment": strings.Repeat("x", 900_000)}}), []string{"over the budget for bytes of PAX records"}},
		{"layer: gzip bomb", func(t *testing.T, dir string) input {
			p := gzipBomb(t, filepath.Join(dir, "bomb.tar.gz"), 256<<20)
			return input{opts: image.AssembleOptions{Layers: []string{p}}, want: []string{fmt.Sprintf("layer %q", p)}}
		}, []string{"over the budget for decompression"}},
		{"layer: gzip bomb, --compress gzip", func(t *testing.T, dir string) input {
			p := gzipBomb(t, filepath.Join(dir, "bomb.tar.gz"), 256<<20)
			return input{opts: image.AssembleOptions{Layers: []string{p}, Compression: image.Gzip}, want: []string{fmt.Sprintf("layer %q", p)}}
		}, []string{"over the budget for decompression"}},
		{"base: gzip bomb layer", func(t *testing.T, dir string) input {
			base, _ := writeBase(t, filepath.Join(dir, "base"), hello)
			return bombBase(t, base, gzipBomb(t, filepath.Join(dir, "bomb.tar.gz"), 256<<20))
		}, []string{"over the budget for decompression"}},
		{"base: nested indexes fan out", func(t *testing.T, dir string) input {
			base := copyDir(t, td("base-oci"), filepath.Join(dir, "base"))
			blobs := filepath.Join(base, "blobs", "sha256")
			leaf, _ := json.Marshal(image.Index{SchemaVersion: 2, MediaType: image.MediaTypeOCIIndex, Manifests: []image.Descriptor{}})
			os.WriteFile(filepath.Join(blobs, digestOf(leaf)[7:]), leaf, 0o644)
			d := image.Descriptor{MediaType: image.MediaTypeOCIIndex, Digest: digestOf(leaf), Size: int64(len(leaf))}
			fan := image.Index{SchemaVersion: 2, MediaType: image.MediaTypeOCIIndex}
			for i := 0; i < 40; i++ {
				fan.Manifests = append(fan.Manifests, d)
			}
			// Each level lists the one below 40 times: 40^3 reads without a
			// bound on breadth.
			for level := 0; level < 3; level++ {
				b, _ := json.Marshal(fan)
				os.WriteFile(filepath.Join(blobs, digestOf(b)[7:]), b, 0o644)
				d = image.Descriptor{MediaType: image.MediaTypeOCIIndex, Digest: digestOf(b), Size: int64(len(b))}
				fan.Manifests = nil
				for i := 0; i < 40; i++ {
					fan.Manifests = append(fan.Manifests, d)
				}
			}
			idx, _ := json.Marshal(image.Index{SchemaVersion: 2, Manifests: []image.Descriptor{d}})
			os.WriteFile(filepath.Join(base, "index.json"), idx, 0o644)
			return input{opts: image.AssembleOptions{Base: base}, want: []string{fmt.Sprintf("%q", base)}}
		}, []string{"over the budget for descriptors in the image indexes of one layout"}},
		// Special files where a file is expected: refused, not waited on.
		{"layer is a FIFO", func(t *testing.T, dir string) input {
			p := mkfifo(t, filepath.Join(dir, "layer.tar"))
			return input{opts: image.AssembleOptions{Layers: []string{p}}, want: []string{p}}
		}, []string{"is a named pipe (FIFO), not a regular file"}},
		{"base index.json is a FIFO", baseWith(func(t *testing.T, base string, _ *image.Image) string {
			return mkfifo(t, filepath.Join(base, "index.json"))
		}), []string{"FIFO"}},
		{"base oci-layout is a FIFO", baseWith(func(t *testing.T, base string, _ *image.Image) string {
			return mkfifo(t, filepath.Join(base, "oci-layout"))
		}), []string{"FIFO"}},
		{"base config blob is a FIFO", baseWith(func(t *testing.T, base string, img *image.Image) string {
			return mkfifo(t, filepath.Join(base, "blobs", "sha256", img.Manifest.Config.Digest[7:]))
		}), []string{"FIFO"}},
		{"base layer blob is a FIFO", baseWith(func(t *testing.T, base string, img *image.Image) string {
			return mkfifo(t, filepath.Join(base, "blobs", "sha256", img.Manifest.Layers[0].Digest[7:]))
		}), []string{"FIFO"}},
		{"base layer blob is a device", baseWith(func(t *testing.T, base string, img *image.Image) string {
			p := filepath.Join(base, "blobs", "sha256", img.Manifest.Layers[0].Digest[7:])
			os.Remove(p)
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Fatal(err)
			}
			return p
		}), []string{"is a character device, not a regular file"}},
		// Unverified base content.
		{"base: gzip layer whose diff_id lies", synthetic(hello, baseEdits{diffIDs: func(ids []string) { ids[0] = digestOf([]byte("other")) }}),
			[]string{"uncompressed content hashes to", "but the config lists diff_id " + digestOf([]byte("other"))}},
		{"base: uncompressed layer whose diff_id is not its digest", synthetic([]baseLayer{{files: hello[0].files, mediaType: image.MediaTypeLayerTar}}, baseEdits{diffIDs: func(ids []string) { ids[0] = digestOf([]byte("other")) }}),
			[]string{"the config lists diff_id " + digestOf([]byte("other")) + " for the uncompressed layer"}},
		// Ambiguous values.
		{"base config: duplicate key", synthetic(hello, baseEdits{rawJSON: func(kind string, b []byte) []byte {
			if kind == "config" {
				return bytes.Replace(b, []byte(`"os":"linux"`), []byte(`"os":"linux","os":"windows"`), 1)
			}
			return b
		}}), []string{`key "os" appears twice`}},
		{"base manifest: duplicate key", synthetic(hello, baseEdits{rawJSON: func(kind string, b []byte) []byte {
			if kind == "manifest" {
				return bytes.Replace(b, []byte(`"schemaVersion":2`), []byte(`"schemaVersion":2,"schemaVersion":2`), 1)
			}
			return b
		}}), []string{`key "schemaVersion" appears twice`}},
		{"base index.json: invalid UTF-8", synthetic(hello, baseEdits{rawJSON: func(kind string, b []byte) []byte {
			if kind == "index.json" {
				return bytes.Replace(b, []byte(`{`), []byte("{\"annotations\":{\"x\":\"\xff\"},"), 1)
			}
			return b
		}}), []string{"invalid UTF-8"}},
		{"base config: Env value with a newline", synthetic(hello, baseEdits{config: func(c map[string]any) {
			c["config"] = map[string]any{"Env": []string{"PATH=/bin\nLD_PRELOAD=/evil.so"}}
		}}), []string{`config: field "Env":`, "contains a newline"}},
		{"base config: Entrypoint with a NUL byte", synthetic(hello, baseEdits{config: func(c map[string]any) {
			c["config"] = map[string]any{"Entrypoint": []string{"/bin/app\x00--debug"}}
		}}), []string{`config: field "Entrypoint": argument 0`, "contains a NUL byte"}},
		// The base's launch policy must not leak into an image unseen.
		{"base with launch-policy labels, no policy declared", synthetic(hello, baseEdits{config: func(c map[string]any) {
			c["config"] = map[string]any{"Labels": map[string]string{"tee.launch_policy.allow_cmd_override": "true"}}
		}}), []string{"carries the launch-policy labels tee.launch_policy.allow_cmd_override=true", "--launch-policy", "--inherit-launch-policy"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := tc.setup(t, dir)
			outDir := filepath.Join(dir, "out")
			os.Mkdir(outDir, 0o755)
			opts := in.opts
			opts.Out = filepath.Join(outDir, "layout")
			opts.DigestFile = filepath.Join(outDir, "digest")
			opts.OCIArchive = filepath.Join(outDir, "oci.tar")
			err := budgettest.Bounded(t, 96<<20, func() error { _, err := image.Assemble(opts); return err })
			if err == nil {
				t.Fatal("Assemble succeeded, want a refusal")
			}
			for _, w := range append(in.want, tc.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not say %q", err, w)
				}
			}
			if left, _ := os.ReadDir(outDir); len(left) != 0 {
				t.Errorf("a refused assemble left %v behind", left)
			}
		})
	}
}

// hostileInput is what a case of TestHostileInputs gives Assemble, and
// what the error must name.
type hostileInput struct {
	opts image.AssembleOptions
	want []string
}

// bombBase makes the one layer of base the gzip file bomb, with its digest
// and size, and lists that digest as its diff_id: the budget must stop the
// read long before the diff_id could be found wrong.
func bombBase(t *testing.T, base, bomb string) hostileInput {
	t.Helper()
	img, err := image.ReadImage(base, image.DefaultPlatform)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(bomb)
	if err != nil {
		t.Fatal(err)
	}
	d := digestOf(b)
	blobs := filepath.Join(base, "blobs", "sha256")
	os.WriteFile(filepath.Join(blobs, d[7:]), b, 0o644)
	var cfg map[string]any
	json.Unmarshal(img.RawConfig, &cfg)
	cfg["rootfs"] = map[string]any{"type": "layers", "diff_ids": []string{d}}
	cb, _ := json.Marshal(cfg)
	os.WriteFile(filepath.Join(blobs, digestOf(cb)[7:]), cb, 0o644)
	m := img.Manifest
	m.Config = image.Descriptor{MediaType: image.MediaTypeOCIConfig, Digest: digestOf(cb), Size: int64(len(cb))}
	m.Layers = []image.Descriptor{{MediaType: image.MediaTypeLayerGzip, Digest: d, Size: int64(len(b))}}
	mb, _ := json.Marshal(m)
	os.WriteFile(filepath.Join(blobs, digestOf(mb)[7:]), mb, 0o644)
	idx, _ := json.Marshal(image.Index{SchemaVersion: 2, Manifests: []image.Descriptor{{MediaType: image.MediaTypeOCIManifest, Digest: digestOf(mb), Size: int64(len(mb))}}})
	os.WriteFile(filepath.Join(base, "index.json"), idx, 0o644)
	return hostileInput{opts: image.AssembleOptions{Base: base}, want: []string{fmt.Sprintf("%q", base), "base layer 1 (" + d + ")"}}
}
