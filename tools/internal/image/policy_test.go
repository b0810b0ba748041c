package image_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/image"
)

// TestLaunchPolicyAndBaseLabels: the attested image carries exactly the
// launch policy its build declared. A declared policy replaces every
// launch-policy label of the base (an absent label is the launcher's
// default); without one, a base's labels are kept only on request, and
// risky labels only from a policy that acknowledges them.
func TestLaunchPolicyAndBaseLabels(t *testing.T) {
	const p = "tee.launch_policy."
	wide := map[string]string{
		p + "allow_cmd_override":          "true",
		p + "allow_env_override":          "FCP_OPTS,LD_PRELOAD",
		p + "allow_mount_destinations":    "/",
		p + "log_redirect":                "always",
		"TEE.Launch-Policy.allow_cgroups": "true", // a near miss counts as one
		"org.example.keep":                "yes",
	}
	tests := []struct {
		name       string
		baseLabels map[string]string
		config     string
		policy     string
		inherit    bool
		want       map[string]string // the image's labels
		wantErr    []string
	}{
		{
			name: "narrower policy replaces the base's wider one", baseLabels: wide, policy: `{"allow_env_override":["FCP_OPTS"]}`,
			want: map[string]string{p + "allow_env_override": "FCP_OPTS", "org.example.keep": "yes"},
		},
		{
			name: "empty policy removes them all", baseLabels: wide, policy: `{}`,
			want: map[string]string{"org.example.keep": "yes"},
		},
		{
			name: "policy on a base without labels", policy: `{"log_redirect":"always","monitoring_memory_allow":"always"}`,
			want: map[string]string{p + "log_redirect": "always", p + "monitoring_memory_allow": "always"},
		},
		{
			name: "inherited on request", baseLabels: map[string]string{p + "log_redirect": "always"}, inherit: true,
			want: map[string]string{p + "log_redirect": "always"},
		},
		{
			name: "not inherited unseen", baseLabels: map[string]string{p + "log_redirect": "always"},
			wantErr: []string{"carries the launch-policy labels tee.launch_policy.log_redirect=always", "--launch-policy", "--inherit-launch-policy"},
		},
		{
			name: "risky labels are not inherited", baseLabels: map[string]string{p + "allow_cmd_override": "true"}, inherit: true,
			wantErr: []string{`label "tee.launch_policy.allow_cmd_override"="true"`, `lists "cmd_override" in acknowledge_risks`},
		},
		{
			name: "inherited labels are validated", baseLabels: map[string]string{p + "log_redirect": "sometimes"}, inherit: true,
			wantErr: []string{`label "tee.launch_policy.log_redirect"="sometimes"`},
		},
		{
			name: "risky label in CONFIG.json without a policy", config: `{"Entrypoint":["/app"],"Labels":{"tee.launch_policy.allow_env_override":"LD_LIBRARY_PATH"}}`,
			wantErr: []string{"LD_LIBRARY_PATH", `"ld_env_override"`},
		},
		{
			name: "CONFIG.json may not add to a declared policy", config: `{"Entrypoint":["/app"],"Labels":{"tee.launch_policy.allow_cmd_override":"true"}}`, policy: `{"log_redirect":"always"}`,
			wantErr: []string{`label "tee.launch_policy.allow_cmd_override"="true" is set in the config but not by the launch policy`},
		},
		{
			name: "acknowledged risks pass", policy: `{"allow_cmd_override":true,"allow_env_override":["LD_PRELOAD"],"acknowledge_risks":["cmd_override","ld_env_override"]}`,
			want: map[string]string{p + "allow_cmd_override": "true", p + "allow_env_override": "LD_PRELOAD"},
		},
		{
			name: "unacknowledged risk in a policy", baseLabels: wide, policy: `{"allow_mount_destinations":["/"]}`,
			wantErr: []string{`"mount_root"`},
		},
		{
			name: "policy and inherit together", baseLabels: wide, policy: `{}`, inherit: true,
			wantErr: []string{"cannot be combined with inheriting"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			base, _ := writeBaseWith(t, filepath.Join(dir, "base"), []baseLayer{{files: []tarFile{{name: "app", body: "#!/bin/sh\n"}}}}, baseEdits{config: func(c map[string]any) {
				c["config"] = map[string]any{"Entrypoint": []string{"/app"}, "Labels": tc.baseLabels}
			}})
			config := tc.config
			if config == "" {
				config = `{"Entrypoint":["/app"]}`
			}
			outDir := filepath.Join(dir, "out")
			os.Mkdir(outDir, 0o755)
			opts := image.AssembleOptions{Out: filepath.Join(outDir, "layout"), Base: base, Config: mustOverride(t, config), InheritLaunchPolicy: tc.inherit}
			if tc.policy != "" {
				opts.LaunchPolicy = []byte(tc.policy)
			}
			res, err := image.Assemble(opts)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatal("Assemble succeeded, want a refusal")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				if left, _ := os.ReadDir(outDir); len(left) != 0 {
					t.Errorf("left behind: %v", left)
				}
				return
			}
			if err != nil {
				t.Fatalf("Assemble: %v", err)
			}
			var cfg struct {
				Config struct{ Labels map[string]string } `json:"config"`
			}
			readJSON(t, filepath.Join(opts.Out, "blobs", "sha256", res.ConfigDigest[7:]), &cfg)
			if diff := cmp.Diff(tc.want, cfg.Config.Labels); diff != "" {
				t.Errorf("image labels (-want +got):\n%s", diff)
			}
		})
	}
}
