package imagediff_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/rules-odp/rules_odp/tools/internal/budget/budgettest"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
)

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func sum(b []byte) string { s := sha256.Sum256(b); return "sha256:" + hex.EncodeToString(s[:]) }

// oneLayerLayout writes a layout whose only layer is the gzip blob given,
// listed with diff_id diffID, by hand: assemble would refuse a bomb.
func oneLayerLayout(t testing.TB, dir string, blob []byte, diffID string) string {
	t.Helper()
	blobs := filepath.Join(dir, "blobs", "sha256")
	os.MkdirAll(blobs, 0o755)
	put := func(b []byte) string {
		d := sum(b)
		os.WriteFile(filepath.Join(blobs, d[7:]), b, 0o644)
		return d
	}
	cfg, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{diffID}}})
	m, _ := json.Marshal(image.Manifest{SchemaVersion: 2, MediaType: image.MediaTypeOCIManifest,
		Config: image.Descriptor{MediaType: image.MediaTypeOCIConfig, Digest: put(cfg), Size: int64(len(cfg))},
		Layers: []image.Descriptor{{MediaType: image.MediaTypeLayerGzip, Digest: put(blob), Size: int64(len(blob))}}})
	idx, _ := json.Marshal(image.Index{SchemaVersion: 2, Manifests: []image.Descriptor{{MediaType: image.MediaTypeOCIManifest, Digest: put(m), Size: int64(len(m))}}})
	os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644)
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	return dir
}

// gzipTar returns a gzip layer and its diff_id.
func gzipTar(t testing.TB, write func(tw *tar.Writer)) ([]byte, string) {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	h := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(zw, h))
	write(tw)
	tw.Close()
	zw.Close()
	return b.Bytes(), "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// TestDiffHostileLayouts: layers that expand a thousandfold or carry huge
// headers, and special files, are refused (exit 2) in bounded memory,
// naming the image and the layer.
func TestDiffHostileLayouts(t *testing.T) {
	small, smallID := gzipTar(t, func(tw *tar.Writer) {
		tw.WriteHeader(&tar.Header{Name: "a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
		tw.Write([]byte("a"))
	})
	bomb, _ := gzipTar(t, func(tw *tar.Writer) {
		tw.WriteHeader(&tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: 256 << 20})
		io.CopyN(tw, zeros{}, 256<<20)
	})
	longNames, _ := gzipTar(t, func(tw *tar.Writer) {
		for i := 0; i < 3; i++ {
			tw.WriteHeader(&tar.Header{Name: strings.Repeat("d/", 50_000) + string(rune('a'+i)), Typeflag: tar.TypeReg, Mode: 0o644})
		}
	})
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns B
		want  []string
	}{
		{"gzip bomb", func(t *testing.T, dir string) string { return oneLayerLayout(t, dir, bomb, sum([]byte("x"))) },
			[]string{"layer 1 (" + sum(bomb) + ")", "over the budget for decompression"}},
		{"long names", func(t *testing.T, dir string) string { return oneLayerLayout(t, dir, longNames, sum([]byte("x"))) },
			[]string{"layer 1 (" + sum(longNames) + ")", "over the budget for bytes of a tar entry name"}},
		{"index.json is a FIFO", func(t *testing.T, dir string) string {
			d := oneLayerLayout(t, dir, small, sum([]byte("x")))
			os.Remove(filepath.Join(d, "index.json"))
			syscall.Mkfifo(filepath.Join(d, "index.json"), 0o644)
			return d
		}, []string{"index.json", "is a named pipe (FIFO)"}},
		{"layer blob is a FIFO", func(t *testing.T, dir string) string {
			d := oneLayerLayout(t, dir, bomb, sum([]byte("x")))
			p := filepath.Join(d, "blobs", "sha256", sum(bomb)[7:])
			os.Remove(p)
			syscall.Mkfifo(p, 0o644)
			return d
		}, []string{sum(bomb), "is a named pipe (FIFO)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// Different diff_ids: the layers are read.
			a := oneLayerLayout(t, filepath.Join(dir, "a"), small, smallID)
			b := tc.setup(t, filepath.Join(dir, "b"))
			var stderr string
			var code int
			budgettest.Bounded(t, 96<<20, func() error { _, stderr, code = runDiff(t, a, b); return nil })
			if code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			for _, w := range append([]string{b}, tc.want...) {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not say %q", stderr, w)
				}
			}
		})
	}
}

// TestDiffMisbehavingRegistry: a remote diff against a registry that
// stops answering, or sends us to another host over plain HTTP, fails
// (exit 2) instead of hanging or following.
func TestDiffMisbehavingRegistry(t *testing.T) {
	f := newFixture(t)
	a := f.layout(t, "a", image.AssembleOptions{}, f.common, f.app1)
	b := f.layout(t, "b", image.AssembleOptions{}, f.common, f.app2)
	for _, tc := range []struct {
		name string
		mis  func(sink *testregistry.Sink) testregistry.Misbehavior
		want string
	}{
		{"hangs at /v2/", func(*testregistry.Sink) testregistry.Misbehavior { return testregistry.Misbehavior{HangPing: true} }, "no progress for 300ms"},
		{"stalls in a blob", func(*testregistry.Sink) testregistry.Misbehavior { return testregistry.Misbehavior{HangBlobRead: true} }, "no progress for 300ms"},
		{"redirects blobs to another host over plain HTTP", func(s *testregistry.Sink) testregistry.Misbehavior {
			return testregistry.Misbehavior{RedirectBlobsTo: s.URL}
		}, "which is not the registry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := testregistry.StartSink(t)
			fake := testregistry.StartFake(t, testregistry.Misbehavior{})
			pushed, err := registry.Push(context.Background(), a, registry.PushOptions{Repository: fake.Host + "/diff/app", Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			fake.Misbehave(tc.mis(sink))
			_, stderr, code := runDiff(t, "--timeout", "300ms", "registry:"+pushed.Reference(), b)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit code %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
			if seen := sink.Seen(); len(seen) > 0 {
				t.Errorf("the other host was reached: %v", seen)
			}
		})
	}
}
