package cli_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/rules-odp/rules_odp/tools/internal/budget/budgettest"
	"github.com/rules-odp/rules_odp/tools/internal/cli"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
)

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func fifo(t *testing.T, path string) string {
	t.Helper()
	os.Remove(path)
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tarFile writes a tar of the given headers (regular files get Size zero
// bytes), compressed with gzip when the name ends in .gz.
func tarFile(t *testing.T, path string, headers ...*tar.Header) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var w io.Writer = f
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw, _ = gzip.NewWriterLevel(f, gzip.BestCompression)
		w = zw
	}
	tw := tar.NewWriter(w)
	for _, h := range headers {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			io.CopyN(tw, zeroReader{}, h.Size)
		}
	}
	tw.Close()
	if zw != nil {
		zw.Close()
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// deflateBombJar is a jar with one deflated entry of n zero bytes.
func deflateBombJar(t *testing.T, path string, n int64) string {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "zeros.bin", Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	io.CopyN(w, zeroReader{}, n)
	zw.Close()
	return writeFile(t, path, b.String())
}

// rewriteConfig edits the config of a single-manifest layout, writing new
// config, manifest and index.json with consistent digests.
func rewriteConfig(t *testing.T, layout string, edit func(cfg map[string]any)) {
	t.Helper()
	blob := func(d string) string {
		return filepath.Join(layout, "blobs", "sha256", strings.TrimPrefix(d, "sha256:"))
	}
	put := func(b []byte) (string, int) {
		s := sha256.Sum256(b)
		d := "sha256:" + hex.EncodeToString(s[:])
		writeFile(t, blob(d), string(b))
		return d, len(b)
	}
	var idx struct {
		SchemaVersion int              `json:"schemaVersion"`
		Manifests     []map[string]any `json:"manifests"`
	}
	json.Unmarshal([]byte(readString(t, filepath.Join(layout, "index.json"))), &idx)
	var m map[string]any
	json.Unmarshal([]byte(readString(t, blob(idx.Manifests[0]["digest"].(string)))), &m)
	c := m["config"].(map[string]any)
	var cfg map[string]any
	json.Unmarshal([]byte(readString(t, blob(c["digest"].(string)))), &cfg)
	edit(cfg)
	cb, _ := json.Marshal(cfg)
	c["digest"], c["size"] = put(cb)
	mb, _ := json.Marshal(m)
	idx.Manifests[0]["digest"], idx.Manifests[0]["size"] = put(mb)
	ib, _ := json.Marshal(idx)
	writeFile(t, filepath.Join(layout, "index.json"), string(ib))
}

// TestRefusedInputs: one case (at least) per class of hostile input of
// issue 14, through odptool's verbs as a build runs them. Each must exit
// non-zero with an error naming the input (and the entry where there is
// one), leave nothing at the output paths, not panic, and stay within a
// fixed amount of memory. No wall-clock time is asserted.
func TestRefusedInputs(t *testing.T) {
	app := filepath.Join(imageTestdata, "layers", "app.tar")
	// A base image that carries a launch policy of its own.
	teeBase := func(t *testing.T, dir string) string {
		base := filepath.Join(dir, "tee-base")
		policy := writeFile(t, filepath.Join(dir, "base-policy.json"), `{"allow_cmd_override":true,"allow_env_override":["FCP_OPTS","LD_PRELOAD"],"acknowledge_risks":["cmd_override","ld_env_override"]}`)
		config := writeFile(t, filepath.Join(dir, "base-config.json"), `{"Entrypoint":["/app/hello"]}`)
		mustRun(t, "image", "assemble", "--out", base, "--config", config, "--launch-policy", policy, app)
		return base
	}
	type c struct {
		args []string // "OUT" is replaced by the output directory
		want []string
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) c
	}{
		// A base must not widen (or silently set) the launch policy.
		{"base launch policy inherited unseen", func(t *testing.T, dir string) c {
			base := teeBase(t, dir)
			return c{[]string{"image", "assemble", "--out", "OUT/layout", "--base", base, app}, []string{base, "tee.launch_policy.allow_cmd_override=true", "--inherit-launch-policy"}}
		}},
		{"risky base policy inherited on request", func(t *testing.T, dir string) c {
			base := teeBase(t, dir)
			return c{[]string{"image", "assemble", "--out", "OUT/layout", "--base", base, "--inherit-launch-policy", app}, []string{"tee.launch_policy.allow_cmd_override", `"cmd_override"`}}
		}},
		// Special files where a file is expected.
		{"config is a FIFO", func(t *testing.T, dir string) c {
			p := fifo(t, filepath.Join(dir, "config.json"))
			return c{[]string{"image", "assemble", "--out", "OUT/layout", "--config", p, app}, []string{p, "named pipe"}}
		}},
		{"launch policy is a FIFO", func(t *testing.T, dir string) c {
			p := fifo(t, filepath.Join(dir, "policy.json"))
			return c{[]string{"image", "assemble", "--out", "OUT/layout", "--launch-policy", p, app}, []string{p, "named pipe"}}
		}},
		{"layer is a FIFO", func(t *testing.T, dir string) c {
			p := fifo(t, filepath.Join(dir, "layer.tar"))
			return c{[]string{"image", "assemble", "--out", "OUT/layout", p}, []string{p, "named pipe"}}
		}},
		{"base index.json is a FIFO", func(t *testing.T, dir string) c {
			base := filepath.Join(dir, "base")
			mustRun(t, "image", "assemble", "--out", base, app)
			p := fifo(t, filepath.Join(base, "index.json"))
			return c{[]string{"image", "assemble", "--out", "OUT/layout", "--base", base, app}, []string{p, "named pipe"}}
		}},
		{"file spec is a FIFO", func(t *testing.T, dir string) c {
			p := fifo(t, filepath.Join(dir, "spec.json"))
			return c{[]string{"layer", "files", "--out", "OUT/l.tar", "--spec", p}, []string{p, "named pipe"}}
		}},
		{"file source is a device", func(t *testing.T, dir string) c {
			return c{[]string{"layer", "files", "--out", "OUT/l.tar", "--file", "/x=/dev/zero"}, []string{"/dev/zero", "character device"}}
		}},
		{"jar is a FIFO", func(t *testing.T, dir string) c {
			p := fifo(t, filepath.Join(dir, "in.jar"))
			return c{[]string{"jar", "normalize", "--out", "OUT/out.jar", p}, []string{p, "named pipe"}}
		}},
		{"runfiles manifest is a FIFO", func(t *testing.T, dir string) c {
			p := fifo(t, filepath.Join(dir, "MANIFEST"))
			return c{[]string{"layer", "runfiles", "--manifest", p, "--launcher", app, "--workspace", "_main", "--service", "svc",
				"--interpreter-out", "OUT/i.tar", "--packages-out", "OUT/p.tar", "--app-out", "OUT/a.tar"}, []string{p, "named pipe"}}
		}},
		{"push record is a FIFO", func(t *testing.T, dir string) c {
			p := fifo(t, filepath.Join(dir, "push.jsonl"))
			return c{[]string{"provenance", "write", "--out", "OUT/st.json", "--push-record", p}, []string{p, "named pipe"}}
		}},
		// Resource bombs.
		{"gzip layer expanding a thousandfold", func(t *testing.T, dir string) c {
			p := tarFile(t, filepath.Join(dir, "bomb.tar.gz"), &tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: 256 << 20})
			return c{[]string{"image", "assemble", "--out", "OUT/layout", p}, []string{p, "over the budget for decompression"}}
		}},
		{"tar layer with huge header fields", func(t *testing.T, dir string) c {
			p := tarFile(t, filepath.Join(dir, "names.tar"), &tar.Header{Name: strings.Repeat("n/", 30_000) + "f", Typeflag: tar.TypeReg, Mode: 0o644})
			return c{[]string{"image", "assemble", "--out", "OUT/layout", p}, []string{p, "entry \"n/n/", "over the budget for bytes of a tar entry name"}}
		}},
		{"jar entry expanding a thousandfold", func(t *testing.T, dir string) c {
			p := deflateBombJar(t, filepath.Join(dir, "bomb.jar"), 256<<20)
			return c{[]string{"jar", "normalize", "--out", "OUT/out.jar", p}, []string{p, `entry "zeros.bin"`, "over the budget for decompression"}}
		}},
		// Unverified base content.
		{"base layer that does not hash to its diff_id", func(t *testing.T, dir string) c {
			base := filepath.Join(dir, "base")
			mustRun(t, "image", "assemble", "--out", base, "--compression", "gzip", app)
			rewriteConfig(t, base, func(cfg map[string]any) {
				cfg["rootfs"] = map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + strings.Repeat("0", 64)}}
			})
			return c{[]string{"image", "assemble", "--out", "OUT/layout", "--base", base, app}, []string{base, "base layer 1", "but the config lists diff_id sha256:0000"}}
		}},
		// Added layers are checked like packages.
		{"added layer writing outside the root", func(t *testing.T, dir string) c {
			p := tarFile(t, filepath.Join(dir, "evil.tar"), &tar.Header{Name: "../../etc/cron.d/x", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
			return c{[]string{"image", "assemble", "--out", "OUT/layout", p}, []string{p, `entry "../../etc/cron.d/x"`, `".." element`}}
		}},
		{"added layer with a device node", func(t *testing.T, dir string) c {
			p := tarFile(t, filepath.Join(dir, "dev.tar"), &tar.Header{Name: "dev/mem", Typeflag: tar.TypeChar, Mode: 0o600, Devmajor: 1, Devminor: 1})
			return c{[]string{"image", "assemble", "--out", "OUT/layout", p}, []string{p, `entry "dev/mem"`, "device node"}}
		}},
		// Values out of range or ambiguous.
		{"owner beyond USTAR", func(t *testing.T, dir string) c {
			spec := writeFile(t, filepath.Join(dir, "spec.json"), `[{"path":"/d","type":"dir","uid":3000000}]`)
			return c{[]string{"layer", "files", "--out", "OUT/l.tar", "--spec", spec}, []string{spec, `item "/d": owner 3000000:0 is outside [0, 2097151]`}}
		}},
		{"duplicate key in CONFIG.json", func(t *testing.T, dir string) c {
			p := writeFile(t, filepath.Join(dir, "config.json"), `{"Entrypoint":["/app"],"Labels":{"a":"1","a":"2"}}`)
			return c{[]string{"image", "assemble", "--out", "OUT/layout", "--config", p, app}, []string{p, `"a" appears twice`}}
		}},
		{"duplicate key in a launch policy", func(t *testing.T, dir string) c {
			p := writeFile(t, filepath.Join(dir, "policy.json"), `{"log_redirect":"always","log_redirect":"never"}`)
			return c{[]string{"image", "assemble", "--out", "OUT/layout", "--launch-policy", p, app}, []string{p, `"log_redirect" appears twice`}}
		}},
		{"invalid UTF-8 in a file spec", func(t *testing.T, dir string) c {
			spec := writeFile(t, filepath.Join(dir, "spec.json"), "[{\"path\":\"/caf\xe9\",\"type\":\"dir\"}]")
			return c{[]string{"layer", "files", "--out", "OUT/l.tar", "--spec", spec}, []string{spec, "invalid UTF-8"}}
		}},
		{"newline in Entrypoint", func(t *testing.T, dir string) c {
			p := writeFile(t, filepath.Join(dir, "config.json"), `{"Entrypoint":["/app","--flag\nrm -rf /"]}`)
			return c{[]string{"image", "assemble", "--out", "OUT/layout", "--config", p, app}, []string{p, `"Entrypoint": argument 1`, "newline"}}
		}},
		{"symlink out of a source directory", func(t *testing.T, dir string) c {
			src := filepath.Join(dir, "src")
			os.Mkdir(src, 0o755)
			key := writeFile(t, filepath.Join(dir, "id_rsa"), "-----BEGIN OPENSSH PRIVATE KEY-----")
			os.Symlink(key, filepath.Join(src, "key"))
			return c{[]string{"layer", "files", "--out", "OUT/l.tar", "--file", "/app=" + src}, []string{filepath.Join(src, "key"), key, "outside the source directory"}}
		}},
		// Risky Confidential Space policies.
		{"LD_PRELOAD override without acknowledgement", func(t *testing.T, dir string) c {
			p := writeFile(t, filepath.Join(dir, "policy.json"), `{"allow_env_override":["LD_PRELOAD"]}`)
			cfg := writeFile(t, filepath.Join(dir, "config.json"), `{"Entrypoint":["/app"]}`)
			return c{[]string{"image", "assemble", "--out", "OUT/layout", "--config", cfg, "--launch-policy", p, app}, []string{"LD_PRELOAD", `"ld_env_override"`}}
		}},
		{"mount at / without acknowledgement", func(t *testing.T, dir string) c {
			p := writeFile(t, filepath.Join(dir, "policy.json"), `{"allow_mount_destinations":["/"]}`)
			cfg := writeFile(t, filepath.Join(dir, "config.json"), `{"Entrypoint":["/app"]}`)
			return c{[]string{"image", "assemble", "--out", "OUT/layout", "--config", cfg, "--launch-policy", p, app}, []string{"allow_mount_destinations", `"mount_root"`}}
		}},
		// Network: a registry that lies about the blobs it has.
		{"registry lying on HEAD", func(t *testing.T, dir string) c {
			layout := filepath.Join(dir, "layout")
			mustRun(t, "image", "assemble", "--out", layout, app)
			fake := testregistry.StartFake(t, testregistry.Misbehavior{LieOnHead: true})
			return c{[]string{"image", "push", "--repository", fake.Host + "/odp/app", "--tag", "v1", "--record", "OUT/record.jsonl", layout}, []string{fake.Host, "the registry claims to have blob sha256:"}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := tc.setup(t, dir)
			out := filepath.Join(dir, "out")
			os.Mkdir(out, 0o755)
			args := make([]string, len(in.args))
			for i, a := range in.args {
				args[i] = strings.ReplaceAll(a, "OUT", out)
			}
			var stderr bytes.Buffer
			err := budgettest.Bounded(t, 96<<20, func() error {
				return cli.RunEnv(args, &cli.Env{Stdout: io.Discard, Stderr: &stderr, Getenv: func(string) string { return "" }})
			})
			if cli.ExitCode(err) == 0 {
				t.Fatalf("odptool %s succeeded, want a refusal", strings.Join(args, " "))
			}
			for _, w := range in.want {
				if w = strings.ReplaceAll(w, "OUT", out); !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not say %q", err, w)
				}
			}
			if left, _ := os.ReadDir(out); len(left) != 0 {
				t.Errorf("left behind in the output directory: %v", left)
			}
		})
	}
}

// TestDeclaredPolicyReplacesBase: the attested image carries exactly the
// declared policy, whatever the base's, and tee policy warns about the
// risks an image's policy acknowledges.
func TestDeclaredPolicyReplacesBase(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(imageTestdata, "layers", "app.tar")
	base := filepath.Join(dir, "base")
	wide := writeFile(t, filepath.Join(dir, "wide.json"), `{"allow_cmd_override":true,"allow_env_override":["FCP_OPTS","LD_PRELOAD"],"log_redirect":"always","acknowledge_risks":["cmd_override","ld_env_override"]}`)
	cfg := writeFile(t, filepath.Join(dir, "config.json"), `{"Entrypoint":["/app/hello"]}`)
	mustRun(t, "image", "assemble", "--out", base, "--config", cfg, "--launch-policy", wide, app)
	narrow := writeFile(t, filepath.Join(dir, "narrow.json"), `{"allow_env_override":["FCP_OPTS"]}`)
	img := filepath.Join(dir, "img")
	mustRun(t, "image", "assemble", "--out", img, "--base", base, "--launch-policy", narrow, app)

	labels := func(layout string) map[string]string {
		var info struct {
			ImageID string `json:"image_id"`
		}
		json.Unmarshal([]byte(mustRun(t, "image", "inspect", "--json", layout)), &info)
		var c struct {
			Config struct{ Labels map[string]string } `json:"config"`
		}
		json.Unmarshal([]byte(readString(t, filepath.Join(layout, "blobs", "sha256", strings.TrimPrefix(info.ImageID, "sha256:")))), &c)
		return c.Config.Labels
	}
	if got := labels(img); len(got) != 1 || got["tee.launch_policy.allow_env_override"] != "FCP_OPTS" {
		t.Errorf("image labels %v, want exactly the declared tee.launch_policy.allow_env_override=FCP_OPTS", got)
	}
	if got := labels(base); got["tee.launch_policy.allow_cmd_override"] != "true" {
		t.Fatalf("the base lacks its policy: %v", got)
	}

	stdout, stderr, err := runCLI(t, "tee", "policy", base)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "assertion.submods.container.image_digest") {
		t.Errorf("no condition printed: %q", stdout)
	}
	warnings := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(warnings) != 2 || !strings.HasPrefix(warnings[0], "warning: ") || !strings.Contains(stderr, `"ld_env_override"`) || !strings.Contains(stderr, `"cmd_override"`) || !strings.Contains(stderr, base) {
		t.Errorf("tee policy warnings:\n%s\nwant one line per acknowledged risk, naming the layout", stderr)
	}
	if _, stderr, err := runCLI(t, "tee", "policy", img); err != nil || stderr != "" {
		t.Errorf("tee policy of the narrow image: %v, stderr %q (want no warning)", err, stderr)
	}
}
