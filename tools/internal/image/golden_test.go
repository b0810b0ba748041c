package image_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/golden"
	"github.com/rules-odp/rules_odp/tools/internal/image"
)

type goldenDigests struct {
	Manifest string `json:"manifest"`
	Config   string `json:"config"`
}

// goldenCases are fixed inputs whose digests are a contract: an unchanged
// input must keep its digest across releases of rules_odp.
func goldenCases(t testing.TB) []struct {
	name string
	opts image.AssembleOptions
} {
	policy := []byte(`{"allow_env_override":["FCP_OPTS"],"log_redirect":"always","monitoring_memory_allow":"always"}`)
	return []struct {
		name string
		opts image.AssembleOptions
	}{
		{"scratch", image.AssembleOptions{
			Layers: []string{td("layers", "app.tar"), td("layers", "data.tar.gz")},
			Config: mustOverride(t, `{"Entrypoint":["/app/hello"],"Cmd":["--flag"],"Env":["A=1","B=two words"],
				"ExposedPorts":{"8080/tcp":{}},"User":"1000:1000","WorkingDir":"/app","StopSignal":"SIGTERM",
				"Labels":{"org.example.app":"hello","html":"<&>"}}`),
		}},
		{"base-oci", image.AssembleOptions{
			Base:   td("base-oci"),
			Layers: []string{td("layers", "app.tar")},
			Config: mustOverride(t, `{"Env":["PATH=/app/bin:/usr/bin:/bin","APP=1"],"Entrypoint":["/app/hello"],"Labels":{"org.example.app":"1"}}`),
		}},
		{"base-docker", image.AssembleOptions{
			Base:   td("base-docker"),
			Layers: []string{td("layers", "data.tar.gz")},
		}},
		{"base-index-arm64", image.AssembleOptions{
			Base:     td("base-index"),
			Platform: image.Platform{OS: "linux", Architecture: "arm64"},
			Layers:   []string{td("layers", "app.tar")},
		}},
		{"base-only-config", image.AssembleOptions{
			Base:   td("base-oci"),
			Config: mustOverride(t, `{"Cmd":["/bin/sh","-c","true"]}`),
		}},
		{"launch-policy", image.AssembleOptions{
			Layers:       []string{td("layers", "app.tar")},
			Config:       mustOverride(t, `{"Entrypoint":["/app/hello"]}`),
			LaunchPolicy: policy,
		}},
		{"gzip", image.AssembleOptions{
			Layers:      []string{td("layers", "app.tar"), td("layers", "data.tar.gz")},
			Compression: image.Gzip,
		}},
		{"created", image.AssembleOptions{
			Layers:  []string{td("layers", "app.tar")},
			Created: time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600)),
		}},
	}
}

func TestGolden(t *testing.T) {
	goldenPath := td("golden", "digests.json")
	want := map[string]goldenDigests{}
	if !golden.Update() {
		readJSON(t, goldenPath, &want)
	}
	got := map[string]goldenDigests{}
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Out = filepath.Join(t.TempDir(), "out")
			res := mustAssemble(t, opts)
			cfgPath := filepath.Join(opts.Out, "blobs", "sha256", res.ConfigDigest[len("sha256:"):])
			cfg, err := os.ReadFile(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			got[tc.name] = goldenDigests{Manifest: res.ManifestDigest, Config: res.ConfigDigest}
			cfgGolden := td("golden", tc.name+".config.json")
			if golden.Update() {
				if err := os.MkdirAll(td("golden"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(cfgGolden, cfg, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCfg, err := os.ReadFile(cfgGolden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(wantCfg, cfg) {
				t.Errorf("config bytes changed (-want +got):\n%s", cmp.Diff(string(wantCfg), string(cfg)))
			}
			if diff := cmp.Diff(want[tc.name], got[tc.name]); diff != "" {
				t.Errorf("digests changed: an unchanged input must keep its digest (-want +got):\n%s", diff)
			}
		})
	}
	if golden.Update() {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
