package image_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/launchpolicy"
)

func TestLayoutStructure(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	res := mustAssemble(t, image.AssembleOptions{Out: out, Base: td("base-docker"), Layers: []string{td("layers", "app.tar"), td("layers", "data.tar.gz")}})

	var idx image.Index
	readJSON(t, filepath.Join(out, "index.json"), &idx)
	if len(idx.Manifests) != 1 {
		t.Fatalf("index.json lists %d manifests, want 1", len(idx.Manifests))
	}
	wantDesc := image.Descriptor{MediaType: image.MediaTypeOCIManifest, Digest: res.ManifestDigest, Size: res.ManifestSize}
	if diff := cmp.Diff(wantDesc, idx.Manifests[0]); diff != "" {
		t.Errorf("index.json descriptor (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(filepath.Join(out, "oci-layout"))
	if err != nil || string(b) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout = %q, %v", b, err)
	}

	info, err := image.Inspect(out)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, l := range info.Layers {
		types = append(types, l.MediaType)
	}
	// The Docker base's gzip layers are declared with the OCI type (same
	// bytes), the plain tar stays a tar, the gzip input stays gzip.
	wantTypes := []string{image.MediaTypeLayerGzip, image.MediaTypeLayerGzip, image.MediaTypeLayerTar, image.MediaTypeLayerGzip}
	if diff := cmp.Diff(wantTypes, types); diff != "" {
		t.Errorf("layer media types (-want +got):\n%s", diff)
	}
	if info.Layers[2].Digest != info.Layers[2].DiffID {
		t.Errorf("uncompressed layer: digest %s != diff_id %s", info.Layers[2].Digest, info.Layers[2].DiffID)
	}
	if info.ImageID != res.ConfigDigest || info.ManifestDigest != res.ManifestDigest {
		t.Errorf("Inspect = %+v, want ids of %+v", info, res)
	}

	// No volatile annotations, nothing but what the spec needs.
	raw, err := os.ReadFile(filepath.Join(out, "blobs", "sha256", res.ManifestDigest[7:]))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("annotations")) {
		t.Errorf("manifest has annotations: %s", raw)
	}
	d, err := image.Digest(out)
	if err != nil || d != res.ManifestDigest {
		t.Errorf("Digest = %q, %v; want %q", d, err, res.ManifestDigest)
	}
}

func TestBaseBlobsAreLinkedNotCopied(t *testing.T) {
	base := copyDir(t, td("base-oci"), filepath.Join(t.TempDir(), "base"))
	out := filepath.Join(t.TempDir(), "out")
	mustAssemble(t, image.AssembleOptions{Out: out, Base: base, Layers: []string{td("layers", "app.tar")}})
	img, err := image.ReadImage(base, image.DefaultPlatform)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range img.Manifest.Layers {
		src, _ := os.Stat(filepath.Join(base, "blobs", "sha256", l.Digest[7:]))
		dst, err := os.Stat(filepath.Join(out, "blobs", "sha256", l.Digest[7:]))
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(src, dst) {
			t.Errorf("base blob %s was copied, want a hard link", l.Digest)
		}
	}
}

// Bazel stages inputs as symlinks; linking must reach the real file and
// the result must not be a symlink.
func TestSymlinkedInputsAreResolved(t *testing.T) {
	dir := t.TempDir()
	abs, _ := filepath.Abs(td("layers", "app.tar"))
	link := filepath.Join(dir, "app.tar")
	if err := os.Symlink(abs, link); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	mustAssemble(t, image.AssembleOptions{Out: out, Layers: []string{link}})
	info, err := image.Inspect(out)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(filepath.Join(out, "blobs", "sha256", info.Layers[0].Digest[7:]))
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() {
		t.Errorf("layer blob is %v, want a regular file", fi.Mode())
	}
}

func TestConfigMerge(t *testing.T) {
	tests := []struct {
		name     string
		override string
		want     string // the config object
	}{
		{"inherit", `{}`, `{"Cmd":["/bin/sh"],"Env":["PATH=/usr/local/bin:/usr/bin:/bin","LANG=C.UTF-8"],"Labels":{"org.example.base":"yes"},"Volumes":{"/data":{}},"WorkingDir":"/"}`},
		{"env merged by name", `{"Env":["LANG=en_US.UTF-8","NEW=1","ALSO=2"]}`,
			`{"Cmd":["/bin/sh"],"Env":["PATH=/usr/local/bin:/usr/bin:/bin","LANG=en_US.UTF-8","NEW=1","ALSO=2"],"Labels":{"org.example.base":"yes"},"Volumes":{"/data":{}},"WorkingDir":"/"}`},
		{"entrypoint resets cmd", `{"Entrypoint":["/app"]}`,
			`{"Entrypoint":["/app"],"Env":["PATH=/usr/local/bin:/usr/bin:/bin","LANG=C.UTF-8"],"Labels":{"org.example.base":"yes"},"Volumes":{"/data":{}},"WorkingDir":"/"}`},
		{"entrypoint and cmd", `{"Entrypoint":["/app"],"Cmd":["x"]}`,
			`{"Cmd":["x"],"Entrypoint":["/app"],"Env":["PATH=/usr/local/bin:/usr/bin:/bin","LANG=C.UTF-8"],"Labels":{"org.example.base":"yes"},"Volumes":{"/data":{}},"WorkingDir":"/"}`},
		{"empty cmd clears", `{"Cmd":[]}`,
			`{"Env":["PATH=/usr/local/bin:/usr/bin:/bin","LANG=C.UTF-8"],"Labels":{"org.example.base":"yes"},"Volumes":{"/data":{}},"WorkingDir":"/"}`},
		{"labels merged, ports added, scalars replaced", `{"Labels":{"org.example.base":"no","b":"c"},"ExposedPorts":{"53/udp":{}},"User":"nobody","WorkingDir":"/srv","StopSignal":"SIGINT"}`,
			`{"Cmd":["/bin/sh"],"Env":["PATH=/usr/local/bin:/usr/bin:/bin","LANG=C.UTF-8"],"ExposedPorts":{"53/udp":{}},"Labels":{"b":"c","org.example.base":"no"},"StopSignal":"SIGINT","User":"nobody","Volumes":{"/data":{}},"WorkingDir":"/srv"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			res := mustAssemble(t, image.AssembleOptions{Out: out, Base: td("base-oci"), Config: mustOverride(t, tc.override)})
			var cfg struct {
				Config any `json:"config"`
			}
			readJSON(t, filepath.Join(out, "blobs", "sha256", res.ConfigDigest[7:]), &cfg)
			var want any
			if err := jsonUnmarshal(tc.want, &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, cfg.Config); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseConfigOverrideRejects(t *testing.T) {
	tests := []struct{ name, in, wantErr string }{
		{"unknown field", `{"Entrypoint":["/a"],"Volumes":{}}`, `unknown field "Volumes"`},
		{"wrong case", `{"entrypoint":["/a"]}`, `unknown field "entrypoint"`},
		{"duplicate", `{"Cmd":["a"],"Cmd":["b"]}`, `appears twice`},
		{"null", `{"Cmd":null}`, `is null`},
		{"null element", `{"Cmd":["a",null]}`, `null is not allowed`},
		{"trailing data", `{} {}`, `after the JSON object`},
		{"not object", `["a"]`, `want a JSON object`},
		{"env without =", `{"Env":["A"]}`, `not NAME=VALUE`},
		{"env empty name", `{"Env":["=x"]}`, `not NAME=VALUE`},
		{"env twice", `{"Env":["A=1","A=2"]}`, `set twice`},
		{"label twice", `{"Labels":{"a":"1","a":"2"}}`, `appears twice`},
		{"label padded", `{"Labels":{" a":"1"}}`, `padded`},
		{"port bad proto", `{"ExposedPorts":{"80/http":{}}}`, `want PORT`},
		{"port range", `{"ExposedPorts":{"70000":{}}}`, `out of range`},
		{"port value", `{"ExposedPorts":{"80":{"x":1}}}`, `unknown field "x"`},
		{"relative workdir", `{"WorkingDir":"app"}`, `not an absolute path`},
		{"wrong type", `{"User":1000}`, `cannot unmarshal`},
		{"entrypoint with a newline", `{"Entrypoint":["/app","--a\nb"]}`, `field "Entrypoint": argument 1: "--a\nb" contains a newline at byte 3`},
		{"cmd with a NUL", `{"Cmd":["/app\u0000x"]}`, `field "Cmd": argument 0: "/app\x00x" contains a NUL byte`},
		{"cmd with a carriage return", `{"Cmd":["a\rb"]}`, `contains a carriage return`},
		{"user with a newline", `{"User":"app\nroot"}`, `field "User": "app\nroot" contains a newline`},
		{"env value with a newline", `{"Env":["A=1\nB=2"]}`, `"A=1\nB=2" contains a newline`},
		{"env value with a NUL", `{"Env":["A=1\u0000"]}`, `contains a NUL byte`},
		{"duplicate key deep down", `{"Labels":{"a":"1"},"ExposedPorts":{"80":{},"80":{}}}`, `appears twice`},
		{"invalid UTF-8", "{\"User\":\"\xff\"}", `invalid UTF-8`},
		{"unpaired surrogate", `{"User":"\ud800"}`, `unpaired UTF-16 surrogate`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := image.ParseConfigOverride([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ParseConfigOverride(%s) = %v, want error containing %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

func TestLayerInputs(t *testing.T) {
	dir := t.TempDir()
	good := writeTar(t, filepath.Join(dir, "good.tar"), []tarFile{{name: "a.txt", body: "a"}})
	goodBytes, _ := os.ReadFile(good)
	gz := func(parts ...[]byte) []byte {
		var out bytes.Buffer
		for _, p := range parts {
			zw := gzip.NewWriter(&out)
			zw.Write(p)
			zw.Close()
		}
		return out.Bytes()
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		path    string
		wantErr string
	}{
		{"empty", write("empty.tar", nil), "is empty"},
		{"not a tar", write("text.tar", bytes.Repeat([]byte("not a tar "), 100)), "not a valid tar"},
		{"multi-member gzip", write("multi.tar.gz", gz(goodBytes, goodBytes)), "data after the first gzip member"},
		{"gzip trailing garbage", write("trail.tar.gz", append(gz(goodBytes), "junk"...)), "data after the first gzip member"},
		{"gzip of text", write("gztext.tar.gz", gz(bytes.Repeat([]byte("x"), 1024))), "not a valid tar"},
		{"tar trailing data", write("trail.tar", append(append([]byte{}, goodBytes...), bytes.Repeat([]byte("x"), 512)...)), "data after the end of the tar"},
		{"zstd", write("l.tar.zst", []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0}), "unsupported compression"},
		{"missing", filepath.Join(dir, "nope.tar"), "no such file"},
		{"truncated gzip", write("trunc.tar.gz", gz(goodBytes)[:30]), "gzip"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			_, err := image.Assemble(image.AssembleOptions{Out: out, Layers: []string{tc.path}})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Assemble = %v, want error containing %q", err, tc.wantErr)
			}
			if got := leftovers(t, filepath.Dir(out)); len(got) != 0 {
				t.Errorf("left behind: %v", got)
			}
		})
	}
	t.Run("gzip with zero padding after the tar is fine", func(t *testing.T) {
		padded := append(append([]byte{}, goodBytes...), make([]byte, 10240)...)
		p := write("padded.tar.gz", gz(padded))
		mustAssemble(t, image.AssembleOptions{Out: filepath.Join(t.TempDir(), "out"), Layers: []string{p}})
	})
}

func TestBasePlatformSelection(t *testing.T) {
	tests := []struct {
		name     string
		base     string
		platform image.Platform
		wantErr  string
		wantArch string
	}{
		{"index default amd64", td("base-index"), image.Platform{}, "", "amd64"},
		{"index arm64", td("base-index"), image.Platform{OS: "linux", Architecture: "arm64"}, "", "arm64"},
		{"index arm64 v8", td("base-index"), image.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, "", "arm64"},
		{"index missing platform", td("base-index"), image.Platform{OS: "linux", Architecture: "s390x"}, "no manifest for platform linux/s390x (it has: linux/amd64, linux/arm64/v8)", ""},
		{"single manifest other platform", td("base-oci"), image.Platform{OS: "linux", Architecture: "arm64"}, "is for linux/amd64, not linux/arm64", ""},
		{"not a layout", td("layers"), image.Platform{}, "is not an OCI image layout", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			_, err := image.Assemble(image.AssembleOptions{Out: out, Base: tc.base, Platform: tc.platform})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Assemble = %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			info, err := image.Inspect(out)
			if err != nil {
				t.Fatal(err)
			}
			if info.Platform.Architecture != tc.wantArch {
				t.Errorf("platform %s, want arch %s", info.Platform, tc.wantArch)
			}
		})
	}
}

func TestCorruptBase(t *testing.T) {
	img, err := image.ReadImage(td("base-oci"), image.DefaultPlatform)
	if err != nil {
		t.Fatal(err)
	}
	layer0 := img.Manifest.Layers[0].Digest
	cfg := img.Manifest.Config.Digest
	flip := func(p string) { // same size, different bytes
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0xff
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	truncate := func(p string) {
		if err := os.Truncate(p, 10); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		blob    string
		damage  func(string)
		trust   bool
		wantErr string
	}{
		{"config digest mismatch", cfg, flip, false, "corrupt blob " + cfg},
		{"layer truncated", layer0, truncate, false, "corrupt blob " + layer0},
		// The masking check decompresses every compressed base layer,
		// which verifies it.
		{"gzip layer same size", layer0, flip, false, "corrupt blob " + layer0},
		{"gzip layer same size, --trust-base-layers", layer0, flip, true, "corrupt blob " + layer0},
		{"layer missing", layer0, func(p string) { os.Remove(p) }, false, layer0[7:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := copyDir(t, td("base-oci"), filepath.Join(t.TempDir(), "base"))
			tc.damage(filepath.Join(base, "blobs", "sha256", tc.blob[7:]))
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			_, err := image.Assemble(image.AssembleOptions{Out: out, Base: base, TrustBaseLayers: tc.trust, Layers: []string{td("layers", "app.tar")}})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Assemble = %v, want error containing %q", err, tc.wantErr)
			}
			var corrupt *image.CorruptBlobError
			if strings.HasPrefix(tc.wantErr, "corrupt") && !errors.As(err, &corrupt) {
				t.Errorf("error %v is not a *CorruptBlobError", err)
			}
			if got := leftovers(t, parent); len(got) != 0 {
				t.Errorf("left behind: %v", got)
			}
		})
	}
}

// An uncompressed base layer is read in full and verified by default; with
// --trust-base-layers it is checked by size and seeked through for the
// masking check, so a same-size corruption passes (and is caught by
// whatever reads it later: an archive, a push, the registry).
func TestCorruptUncompressedBase(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	mustAssemble(t, image.AssembleOptions{Out: base, Layers: []string{td("layers", "app.tar")}})
	info, err := image.Inspect(base)
	if err != nil {
		t.Fatal(err)
	}
	layer := info.Layers[0].Digest
	p := filepath.Join(base, "blobs", "sha256", layer[7:])
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[1024] ^= 0xff // the first byte of app/hello.txt: the tar stays valid
	os.Remove(p)    // a hard link of testdata: do not damage that
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, trust := range []bool{false, true} {
		parent := t.TempDir()
		_, err := image.Assemble(image.AssembleOptions{Out: filepath.Join(parent, "out"), Base: base, TrustBaseLayers: trust})
		var corrupt *image.CorruptBlobError
		switch {
		case trust && err != nil:
			t.Errorf("with --trust-base-layers: Assemble = %v, want the documented size-only check to pass", err)
		case !trust && (!errors.As(err, &corrupt) || corrupt.Digest != layer):
			t.Errorf("by default: Assemble = %v, want corrupt blob %s", err, layer)
		}
	}
}

// A corrupt base blob that must be copied (no hard link possible) is
// caught by the copy, which reads it anyway.
func TestCorruptBaseCaughtWhenArchiving(t *testing.T) {
	base := copyDir(t, td("base-oci"), filepath.Join(t.TempDir(), "base"))
	img, _ := image.ReadImage(base, image.DefaultPlatform)
	p := filepath.Join(base, "blobs", "sha256", img.Manifest.Layers[1].Digest[7:])
	b, _ := os.ReadFile(p)
	b[20] ^= 1
	os.WriteFile(p, b, 0o644)
	parent := t.TempDir()
	_, err := image.Assemble(image.AssembleOptions{Out: filepath.Join(parent, "out"), Base: base, OCIArchive: filepath.Join(parent, "img.tar")})
	if err == nil || !strings.Contains(err.Error(), img.Manifest.Layers[1].Digest) {
		t.Fatalf("Assemble = %v, want the corrupt blob named", err)
	}
	if got := leftovers(t, parent); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

func TestLaunchPolicyRefusals(t *testing.T) {
	tests := []struct {
		name   string
		config string
		policy string
	}{
		{"policy unknown field", `{"Entrypoint":["/app"]}`, `{"log_redirct":"always"}`},
		{"policy bad enum", `{"Entrypoint":["/app"]}`, `{"log_redirect":"sometimes"}`},
		{"policy bad env name", `{"Entrypoint":["/app"]}`, `{"allow_env_override":["FCP OPTS"]}`},
		{"policy null", `{"Entrypoint":["/app"]}`, `{"log_redirect":null}`},
		{"policy monitoring conflict", `{"Entrypoint":["/app"]}`, `{"monitoring_memory_allow":"always","hardened_monitoring":"all"}`},
		{"policy not json", `{"Entrypoint":["/app"]}`, `log_redirect=always`},
		{"no args with policy", `{}`, `{"log_redirect":"always"}`},
		{"cmd override without entrypoint", `{"Cmd":["/app"]}`, `{"allow_cmd_override":true}`},
		{"raw label bad bool", `{"Entrypoint":["/app"],"Labels":{"tee.launch_policy.allow_cmd_override":"yes"}}`, ``},
		{"raw label typo", `{"Entrypoint":["/app"],"Labels":{"tee.launch_policy.log_redirct":"always"}}`, ``},
		{"raw label spaced env list", `{"Entrypoint":["/app"],"Labels":{"tee.launch_policy.allow_env_override":"A, B"}}`, ``},
		{"label conflicts with policy", `{"Entrypoint":["/app"],"Labels":{"tee.launch_policy.log_redirect":"never"}}`, `{"log_redirect":"always"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			opts := image.AssembleOptions{Out: out, Layers: []string{td("layers", "app.tar")}, Config: mustOverride(t, tc.config)}
			if tc.policy != "" {
				opts.LaunchPolicy = []byte(tc.policy)
			}
			_, err := image.Assemble(opts)
			if err == nil {
				t.Fatal("Assemble succeeded, want a refusal")
			}
			t.Logf("refused: %v", err)
			if got := leftovers(t, parent); len(got) != 0 {
				t.Errorf("refused assemble left behind: %v", got)
			}
		})
	}
	t.Run("refusals are RefusalErrors", func(t *testing.T) {
		_, err := image.Assemble(image.AssembleOptions{Out: filepath.Join(t.TempDir(), "out"),
			Config: mustOverride(t, `{"Labels":{"tee.launch_policy.allow_cgroups":"maybe"}}`)})
		var re *launchpolicy.RefusalError
		if !errors.As(err, &re) {
			t.Fatalf("error %v does not wrap a *launchpolicy.RefusalError", err)
		}
	})
	t.Run("existing output is kept on refusal", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		res := mustAssemble(t, image.AssembleOptions{Out: out, Layers: []string{td("layers", "app.tar")}})
		_, err := image.Assemble(image.AssembleOptions{Out: out, LaunchPolicy: []byte(`{"log_redirect":"x"}`)})
		if err == nil {
			t.Fatal("want refusal")
		}
		if d, err := image.Digest(out); err != nil || d != res.ManifestDigest {
			t.Errorf("previous output changed: %q, %v", d, err)
		}
	})
}

func TestNoPolicyNoTEELabels(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	res := mustAssemble(t, image.AssembleOptions{Out: out, Base: td("base-oci"), Layers: []string{td("layers", "app.tar")}, Config: mustOverride(t, `{"Entrypoint":["/app/hello"]}`)})
	b, err := os.ReadFile(filepath.Join(out, "blobs", "sha256", res.ConfigDigest[7:]))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("tee.")) {
		t.Errorf("config without a policy has tee. labels: %s", b)
	}
}

func TestArchivesNeedTag(t *testing.T) {
	dir := t.TempDir()
	_, err := image.Assemble(image.AssembleOptions{Out: filepath.Join(dir, "out"), DockerArchive: filepath.Join(dir, "d.tar")})
	if err == nil || !strings.Contains(err.Error(), "tag") {
		t.Fatalf("Assemble = %v, want a missing-tag error", err)
	}
	_, err = image.Assemble(image.AssembleOptions{Out: filepath.Join(dir, "out"), DockerArchive: filepath.Join(dir, "d.tar"), Tag: "Bad Tag"})
	if err == nil {
		t.Fatal("bad tag accepted")
	}
	if got := leftovers(t, dir); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

func TestArchivesAreDeterministic(t *testing.T) {
	var sums []string
	for i := 0; i < 2; i++ {
		dir := t.TempDir()
		mustAssemble(t, image.AssembleOptions{Out: filepath.Join(dir, "out"), Base: td("base-oci"), Layers: []string{td("layers", "app.tar")},
			DockerArchive: filepath.Join(dir, "d.tar"), OCIArchive: filepath.Join(dir, "o.tar"), Tag: "localhost/odp/test:1"})
		for _, f := range []string{"d.tar", "o.tar"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			sums = append(sums, digestOf(b))
		}
	}
	if sums[0] != sums[2] || sums[1] != sums[3] {
		t.Errorf("archives differ between runs: %v", sums)
	}
}
