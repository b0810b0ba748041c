package launchpolicy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/launchpolicy"
)

const p = launchpolicy.LabelPrefix

// seedLabels are the labels of the seed's TEE images; they must pass.
var seedLabels = map[string]string{
	p + "allow_env_override":      "FCP_OPTS",
	p + "log_redirect":            "always",
	p + "monitoring_memory_allow": "always",
}

var entry = []string{"/usr/bin/java", "-jar", "/app.jar"}

const (
	boolMsg     = `: the Confidential Space launcher parses it with strconv.ParseBool and refuses to start the container; use "true" or "false"`
	legacyMsg   = `: the Confidential Space launcher accepts only "always", "never" or "debugonly" (it trims and lower-cases the value) and refuses to start the container`
	monitorMsg  = `: the Confidential Space launcher accepts only "none", "memoryonly" or "all" (it lower-cases but does not trim the value) and refuses to start the container`
	unknownMsg  = `: the Confidential Space launcher does not know this label and ignores it, so the launch policy you meant is silently not applied`
	envNameMsg  = ` is not an environment variable name; the Confidential Space launcher accepts only tee-env-NAME with NAME matching ^[a-zA-Z_][a-zA-Z0-9_]*$, so this entry can never be overridden`
	relMountMsg = ` is not an absolute path; the Confidential Space launcher rejects every tee-mount that reaches a relative entry in this list, so mounts would fail; write `
	knownList   = "tee.launch_policy.allow_capabilities, tee.launch_policy.allow_cgroups, tee.launch_policy.allow_cmd_override, tee.launch_policy.allow_env_override, tee.launch_policy.allow_mount_destinations, tee.launch_policy.debug_monitoring, tee.launch_policy.hardened_monitoring, tee.launch_policy.log_redirect, tee.launch_policy.monitoring_memory_allow"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name       string
		entrypoint []string
		cmd        []string
		labels     map[string]string
		want       []string
	}{
		{name: "seed labels", entrypoint: entry, labels: seedLabels},
		{name: "no labels, no args: not a TEE image", labels: map[string]string{"org.opencontainers.image.title": "x"}},
		{name: "no labels at all", entrypoint: entry},
		{
			name:       "every label, canonical",
			entrypoint: entry,
			labels: map[string]string{
				p + "allow_env_override":       "A,_B,c9",
				p + "allow_cmd_override":       "true",
				p + "log_redirect":             "never",
				p + "hardened_monitoring":      "none",
				p + "debug_monitoring":         "all",
				p + "allow_mount_destinations": "/run/data:/tmp",
				p + "allow_capabilities":       "false",
				p + "allow_cgroups":            "true",
			},
		},
		{
			name:       "what the launcher accepts loosely",
			entrypoint: entry,
			labels: map[string]string{
				p + "allow_env_override":       ",A,,B,",
				p + "allow_cmd_override":       "T",
				p + "allow_capabilities":       "0",
				p + "allow_cgroups":            "FALSE",
				p + "log_redirect":             " Always ",
				p + "hardened_monitoring":      "MemoryOnly",
				p + "debug_monitoring":         "ALL",
				p + "allow_mount_destinations": "::/a/../b/:",
			},
		},
		{name: "empty lists are allowed", entrypoint: entry, labels: map[string]string{p + "allow_env_override": "", p + "allow_mount_destinations": ""}},
		{name: "cmd only, no entrypoint, no override", cmd: []string{"/bin/app"}, labels: seedLabels},
		{name: "override allowed with entrypoint", entrypoint: []string{"/bin/app"}, labels: map[string]string{p + "allow_cmd_override": "1"}},
		{name: "override disabled without entrypoint", cmd: []string{"/bin/app"}, labels: map[string]string{p + "allow_cmd_override": "false"}},
		{
			name:       "bad booleans",
			entrypoint: entry,
			labels: map[string]string{
				p + "allow_cmd_override": "yes",
				p + "allow_capabilities": "",
				p + "allow_cgroups":      " true",
			},
			want: []string{
				`label "tee.launch_policy.allow_capabilities"=""` + boolMsg,
				`label "tee.launch_policy.allow_cgroups"=" true"` + boolMsg,
				`label "tee.launch_policy.allow_cmd_override"="yes"` + boolMsg,
			},
		},
		{
			name:       "bad legacy enums",
			entrypoint: entry,
			labels:     map[string]string{p + "log_redirect": "sometimes", p + "monitoring_memory_allow": "debug_only"},
			want: []string{
				`label "tee.launch_policy.log_redirect"="sometimes"` + legacyMsg,
				`label "tee.launch_policy.monitoring_memory_allow"="debug_only"` + legacyMsg + `; did you mean "debugonly"?`,
			},
		},
		{
			name:       "empty log_redirect",
			entrypoint: entry,
			labels:     map[string]string{p + "log_redirect": ""},
			want:       []string{`label "tee.launch_policy.log_redirect"=""` + legacyMsg},
		},
		{
			name:       "bad monitoring enums",
			entrypoint: entry,
			labels:     map[string]string{p + "hardened_monitoring": "memory_only", p + "debug_monitoring": " all"},
			want: []string{
				`label "tee.launch_policy.debug_monitoring"=" all"` + monitorMsg + `; remove the surrounding spaces, the launcher does not trim this label`,
				`label "tee.launch_policy.hardened_monitoring"="memory_only"` + monitorMsg + `; did you mean "memoryonly"? (the launcher's log messages spell it memory_only, but it accepts only memoryonly)`,
			},
		},
		{
			name:       "monitoring enum that is not close to anything",
			entrypoint: entry,
			labels:     map[string]string{p + "debug_monitoring": "health"},
			want:       []string{`label "tee.launch_policy.debug_monitoring"="health"` + monitorMsg},
		},
		{
			name:       "env list with spaces and bad names",
			entrypoint: entry,
			labels:     map[string]string{p + "allow_env_override": "A, B,1X,C-D"},
			want: []string{
				`label "tee.launch_policy.allow_env_override"="A, B,1X,C-D": entry " B" has spaces around it; the Confidential Space launcher splits the list on "," without trimming, so tee-env-B never matches it; write "A,B,1X,C-D"`,
				`label "tee.launch_policy.allow_env_override"="A, B,1X,C-D": entry "1X"` + envNameMsg,
				`label "tee.launch_policy.allow_env_override"="A, B,1X,C-D": entry "C-D"` + envNameMsg,
			},
		},
		{
			name:       "legacy monitoring with both newer labels",
			entrypoint: entry,
			labels:     map[string]string{p + "monitoring_memory_allow": "always", p + "hardened_monitoring": "all", p + "debug_monitoring": "none"},
			want: []string{
				`label "tee.launch_policy.monitoring_memory_allow"="always": set together with tee.launch_policy.hardened_monitoring and tee.launch_policy.debug_monitoring; the Confidential Space launcher refuses to start the container when the legacy label is combined with tee.launch_policy.hardened_monitoring or tee.launch_policy.debug_monitoring; keep only the newer labels (tee.launch_policy.monitoring_memory_allow=always means tee.launch_policy.hardened_monitoring=memoryonly and tee.launch_policy.debug_monitoring=memoryonly)`,
			},
		},
		{
			name:       "legacy monitoring with one newer label, both values bad",
			entrypoint: entry,
			labels:     map[string]string{p + "monitoring_memory_allow": "sure", p + "debug_monitoring": ""},
			want: []string{
				`label "tee.launch_policy.debug_monitoring"=""` + monitorMsg,
				`label "tee.launch_policy.monitoring_memory_allow"="sure"` + legacyMsg,
				`label "tee.launch_policy.monitoring_memory_allow"="sure": set together with tee.launch_policy.debug_monitoring; the Confidential Space launcher refuses to start the container when the legacy label is combined with tee.launch_policy.hardened_monitoring or tee.launch_policy.debug_monitoring; keep only the newer labels`,
			},
		},
		{
			name:       "relative mount destination",
			entrypoint: entry,
			labels:     map[string]string{p + "allow_mount_destinations": "/a:data/x:/b:."},
			want: []string{
				`label "tee.launch_policy.allow_mount_destinations"="/a:data/x:/b:.": entry "data/x"` + relMountMsg + `"/data/x"`,
				`label "tee.launch_policy.allow_mount_destinations"="/a:data/x:/b:.": entry "."` + relMountMsg + `"/"`,
			},
		},
		{
			name:   "cmd override with empty entrypoint",
			cmd:    []string{"/bin/app"},
			labels: map[string]string{p + "allow_cmd_override": "true"},
			want: []string{
				`label "tee.launch_policy.allow_cmd_override"="true": the image's Entrypoint is empty; tee-cmd replaces Cmd and the Confidential Space launcher refuses to start the container unless the Entrypoint adds at least one argument, so every command override would fail; set an Entrypoint or drop the label`,
			},
		},
		{
			name:   "no arguments at all",
			labels: map[string]string{p + "log_redirect": "always"},
			want: []string{
				`image config: the image has neither Entrypoint nor Cmd; the Confidential Space launcher refuses to start a container without an argument, and this image carries tee.launch_policy labels, so it is meant for Confidential Space; set an Entrypoint`,
			},
		},
		{
			name:   "no arguments, only a typo label, both reported",
			labels: map[string]string{p + "log_redirct": "always"},
			want: []string{
				`image config: the image has neither Entrypoint nor Cmd; the Confidential Space launcher refuses to start a container without an argument, and this image carries tee.launch_policy labels, so it is meant for Confidential Space; set an Entrypoint`,
				`label "tee.launch_policy.log_redirct"="always"` + unknownMsg + `; did you mean "tee.launch_policy.log_redirect"?`,
			},
		},
		{
			name:       "unknown labels and near misses",
			entrypoint: entry,
			labels: map[string]string{
				p + "log_redirct":                     "always",
				"TEE.Launch-Policy.Log_Redirect":      "always",
				" tee.launch_policy.allow_cgroups":    "true",
				p + "frobnicate":                      "1",
				"tee.launch_policy":                   "x",
				"tee.launchpolicy.allow_cmd_override": "true",
				"tee.other":                           "ignored: not a launch policy label",
			},
			want: []string{
				`label " tee.launch_policy.allow_cgroups"="true"` + unknownMsg + `; did you mean "tee.launch_policy.allow_cgroups"?`,
				`label "TEE.Launch-Policy.Log_Redirect"="always"` + unknownMsg + `; did you mean "tee.launch_policy.log_redirect"?`,
				`label "tee.launch_policy"="x"` + unknownMsg + `; known labels: ` + knownList,
				`label "tee.launch_policy.frobnicate"="1"` + unknownMsg + `; known labels: ` + knownList,
				`label "tee.launch_policy.log_redirct"="always"` + unknownMsg + `; did you mean "tee.launch_policy.log_redirect"?`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := messages(t, launchpolicy.Validate(tc.entrypoint, tc.cmd, tc.labels))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate refusals (-want +got):\n%s", diff)
			}
		})
	}
}

// messages flattens the errors.Join Validate returns, checking that every
// part is a *RefusalError that names its label and value.
func messages(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error %v is not an errors.Join", err)
	}
	var out []string
	for _, e := range joined.Unwrap() {
		var r *launchpolicy.RefusalError
		if !errors.As(e, &r) {
			t.Fatalf("error %v is not a *RefusalError", e)
		}
		if r.Label != "" && !strings.Contains(e.Error(), r.Label) {
			t.Errorf("error %q does not name its label %q", e, r.Label)
		}
		out = append(out, e.Error())
	}
	if strings.Join(out, "\n") != err.Error() {
		t.Errorf("Error() = %q, want the parts joined by newlines", err)
	}
	return out
}
