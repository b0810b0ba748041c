// Package fingerprint guards the bytes odptool writes. A fixed corpus goes
// through every path that decides output bytes (the tar writer, the pinned
// gzip, the jar re-deflater, image config and manifest rendering) and the
// digests must equal the golden ones recorded in golden.txt. A build of
// odptool with another compressor version or level, another Go whose
// archive/tar or encoding/json writes other bytes, or an edited writer then
// refuses to run instead of silently producing other image digests than
// everyone else's.
//
// Verify runs everything (odptool selfcheck); Require runs the probes of the
// paths a verb uses, once per process, before it writes anything.
package fingerprint

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rules-odp/rules_odp/tools/internal/buildinfo"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/jarnorm"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

//go:embed golden.txt
var goldenText string

// Probe names, in the order they run.
const (
	ProbeTar          = "tar layer"
	ProbeGzipSmall    = "gzip layer, one block"
	ProbeGzipBlocks   = "gzip layer, several blocks"
	ProbeJarDeflate   = "jar re-deflate"
	ProbeImageConfig  = "image config"
	ProbeImageLayout  = "image manifest"
	goldenProbeFormat = "%s\t%s\n"
)

// ProbesFor returns the probes of a layer writer with or without gzip.
func ProbesFor(gzip bool) []string {
	if gzip {
		return []string{ProbeTar, ProbeGzipSmall}
	}
	return []string{ProbeTar}
}

// Result is one probe's outcome.
type Result struct {
	Probe string
	Got   string
	Want  string
}

// OK reports whether the probe wrote the golden bytes.
func (r Result) OK() bool { return r.Got == r.Want }

// Golden returns the recorded digests, by probe.
func Golden() map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(goldenText, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, digest, ok := strings.Cut(line, "\t")
		if ok {
			m[name] = digest
		}
	}
	return m
}

// FormatGolden renders digests as golden.txt holds them.
func FormatGolden(digests map[string]string) string {
	var b strings.Builder
	b.WriteString("# Golden digests of the fingerprint probes (go test ./tools/internal/fingerprint -update).\n")
	b.WriteString("# A change here changes the bytes of every image rules_odp builds: never without a release note.\n")
	names := make([]string, 0, len(digests))
	for n := range digests {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, goldenProbeFormat, n, digests[n])
	}
	return b.String()
}

// Run runs the named probes (all when names is empty) and returns their
// digests. tmp is a scratch directory for the image probes.
func Run(tmp string, names ...string) (map[string]string, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	run := func(n string) bool { return len(names) == 0 || want[n] }
	out := map[string]string{}
	small := corpus(16<<10, 1)
	if run(ProbeTar) {
		res, err := writeLayer(small, layer.Uncompressed)
		if err != nil {
			return nil, err
		}
		out[ProbeTar] = res.Digest
	}
	if run(ProbeGzipSmall) {
		res, err := writeLayer(small, layer.Gzip)
		if err != nil {
			return nil, err
		}
		out[ProbeGzipSmall] = res.Digest
	}
	if run(ProbeGzipBlocks) {
		// Over two of the compressor's 1 MiB blocks: the block cut and the
		// dictionary carried across it decide bytes too.
		res, err := writeLayer(corpus(2<<20+300<<10, 2), layer.Gzip)
		if err != nil {
			return nil, err
		}
		out[ProbeGzipBlocks] = res.Digest
	}
	if run(ProbeJarDeflate) {
		d, err := jarDigest(small)
		if err != nil {
			return nil, err
		}
		out[ProbeJarDeflate] = d
	}
	if run(ProbeImageConfig) || run(ProbeImageLayout) {
		cfg, manifest, err := imageDigests(tmp, small)
		if err != nil {
			return nil, err
		}
		out[ProbeImageConfig] = cfg
		out[ProbeImageLayout] = manifest
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			return nil, fmt.Errorf("unknown fingerprint probe %q", n)
		}
	}
	return out, nil
}

// Check compares probe results with the golden digests.
func Check(got map[string]string) []Result {
	golden := Golden()
	var res []Result
	for n, d := range got {
		res = append(res, Result{Probe: n, Got: d, Want: golden[n]})
	}
	sort.Slice(res, func(i, j int) bool { return res[i].Probe < res[j].Probe })
	return res
}

// Mismatch is the error of a failed check.
type Mismatch struct {
	Failed []Result
	Build  buildinfo.Info
}

func (m *Mismatch) Error() string {
	var b strings.Builder
	b.WriteString("this odptool does not write the bytes rules_odp's golden fingerprint requires, so images built with it would get other digests than everyone else's:\n")
	for _, r := range m.Failed {
		want := r.Want
		if want == "" {
			want = "(no golden digest)"
		}
		fmt.Fprintf(&b, "  %s: got %s, want %s\n", r.Probe, r.Got, want)
	}
	fmt.Fprintf(&b, "it was built with %s", describe(m.Build))
	b.WriteString("; build odptool with the Go module versions of rules_odp's go.mod (scripts/release.sh does), or use the prebuilt toolchain (docs/toolchain.md)")
	return b.String()
}

// describe names what decides the bytes: the Go toolchain and the
// compression modules.
func describe(info buildinfo.Info) string {
	parts := []string{"odptool " + info.Version, info.GoVersion}
	for _, path := range []string{"github.com/klauspost/compress", "github.com/klauspost/pgzip"} {
		v := info.ModuleVersion(path)
		if v == "" {
			v = "(version not recorded in the binary)"
		}
		parts = append(parts, path+" "+v)
	}
	return strings.Join(parts, ", ")
}

// Verify runs every probe and returns a *Mismatch if any differs.
func Verify() ([]Result, error) {
	tmp, err := os.MkdirTemp("", "odptool-selfcheck-")
	if err != nil {
		return nil, fmt.Errorf("self-check: %w", err)
	}
	defer os.RemoveAll(tmp)
	got, err := Run(tmp)
	if err != nil {
		return nil, fmt.Errorf("self-check: %w", err)
	}
	return verdict(Check(got))
}

var (
	requireMu sync.Mutex
	required  = map[string]error{}
)

// Require runs the named probes, each at most once per process, and fails
// with a *Mismatch if one does not give its golden digest. Verbs call it
// before writing bytes, with the probes of the paths they use: the tar
// writer always, the gzip writer when compressing, the jar re-deflater for
// jars. It costs about 0.3 ms (tar) and 6 ms (gzip, jar) once.
func Require(probes ...string) error {
	requireMu.Lock()
	defer requireMu.Unlock()
	var todo []string
	for _, p := range probes {
		if err, done := required[p]; done {
			if err != nil {
				return err
			}
			continue
		}
		todo = append(todo, p)
	}
	if len(todo) == 0 {
		return nil
	}
	got, err := Run("", todo...)
	if err != nil {
		return fmt.Errorf("self-check: %w", err)
	}
	_, err = verdict(Check(got))
	for _, p := range todo {
		required[p] = err
	}
	return err
}

func verdict(res []Result) ([]Result, error) {
	var failed []Result
	for _, r := range res {
		if !r.OK() {
			failed = append(failed, r)
		}
	}
	if len(failed) > 0 {
		return res, &Mismatch{Failed: failed, Build: buildinfo.Read()}
	}
	return res, nil
}

// corpus returns n bytes of files: text-like lines, incompressible bytes,
// runs of zeros and repeats, from a fixed generator (not math/rand, whose
// sequence is not part of Go's compatibility promise).
func corpus(n int, seed uint64) []layer.Entry {
	words := strings.Fields("image layer digest attest enclave launcher policy deterministic bazel debian package manifest config gzip deflate tar jar runfiles interpreter service aggregator collector scheduler")
	x := seed*0x9E3779B97F4A7C15 + 1
	next := func() uint64 { // xorshift64*
		x ^= x >> 12
		x ^= x << 25
		x ^= x >> 27
		return x * 2685821657736338717
	}
	var files [][]byte
	total := 0
	for i := 0; total < n; i++ {
		var b bytes.Buffer
		size := 1<<10 + int(next()%(15<<10))
		switch i % 4 {
		case 0: // text
			for b.Len() < size {
				b.WriteString(words[next()%uint64(len(words))])
				if next()%11 == 0 {
					b.WriteByte('\n')
				} else {
					b.WriteByte(' ')
				}
			}
		case 1: // incompressible
			for b.Len() < size {
				v := next()
				for k := 0; k < 8; k++ {
					b.WriteByte(byte(v >> (8 * k)))
				}
			}
		case 2: // zeros
			b.Write(make([]byte, size))
		case 3: // repeats of a short random pattern
			pat := make([]byte, 1+next()%300)
			for k := range pat {
				pat[k] = byte(next())
			}
			for b.Len() < size {
				b.Write(pat)
			}
		}
		files = append(files, b.Bytes()[:size])
		total += size
	}
	entries := []layer.Entry{{Path: "probe", Type: layer.TypeDir, Mode: 0o755}}
	for i, f := range files {
		content := f
		entries = append(entries, layer.Entry{
			Path: fmt.Sprintf("probe/f%03d", i),
			Type: layer.TypeFile,
			Mode: 0o644,
			Size: int64(len(content)),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil },
		})
	}
	entries = append(entries, layer.Entry{Path: "probe/link", Type: layer.TypeSymlink, Link: "f000"})
	return entries
}

func writeLayer(entries []layer.Entry, c layer.Compression) (layer.Result, error) {
	res, err := layer.Write(io.Discard, entries, layer.Options{Compression: c, MTime: 1700000000})
	if err != nil {
		return res, fmt.Errorf("writing the probe layer: %w", err)
	}
	return res, nil
}

// jarDigest writes the corpus as a jar of deflated entries and returns the
// digest of jarnorm's output with recompression.
func jarDigest(entries []layer.Entry) (string, error) {
	var in bytes.Buffer
	zw := zip.NewWriter(&in)
	for _, e := range entries {
		if e.Type != layer.TypeFile {
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Path, Method: zip.Deflate, Modified: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return "", err
		}
		r, _ := e.Open()
		if _, err := io.Copy(w, r); err != nil {
			return "", err
		}
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	h := sha256.New()
	if err := jarnorm.Normalize(h, bytes.NewReader(in.Bytes()), int64(in.Len()), jarnorm.Options{Recompress: true}); err != nil {
		return "", fmt.Errorf("normalising the probe jar: %w", err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// imageDigests assembles a scratch image of the gzip probe layer with a
// config that exercises every field, and returns the config and manifest
// digests.
func imageDigests(tmp string, entries []layer.Entry) (string, string, error) {
	if tmp == "" {
		return "", "", fmt.Errorf("no scratch directory for the image probe")
	}
	layerPath := filepath.Join(tmp, "probe.tar")
	f, err := os.Create(layerPath)
	if err != nil {
		return "", "", err
	}
	_, err = layer.Write(f, entries, layer.Options{})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", err
	}
	cfg, err := image.ParseConfigOverride([]byte(`{"Entrypoint":["/probe/f000","--flag"],"Cmd":["arg <&>"],` +
		`"Env":["PATH=/usr/bin","B=é"],"Labels":{"b":"2","a":"1"},"User":"65532","WorkingDir":"/probe",` +
		`"ExposedPorts":{"8082/tcp":{}},"StopSignal":"SIGTERM"}`))
	if err != nil {
		return "", "", err
	}
	res, err := image.Assemble(image.AssembleOptions{
		Out:         filepath.Join(tmp, "layout"),
		Config:      cfg,
		Layers:      []string{layerPath},
		Created:     time.Unix(1700000000, 0),
		Compression: image.Gzip,
	})
	if err != nil {
		return "", "", fmt.Errorf("assembling the probe image: %w", err)
	}
	return res.ConfigDigest, res.ManifestDigest, nil
}
