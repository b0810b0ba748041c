package launchpolicy_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/launchpolicy"
)

func TestParseLabels(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       map[string]string
	}{
		{
			name: "seed policy",
			json: `{"allow_env_override": ["FCP_OPTS"], "log_redirect": "always", "monitoring_memory_allow": "always"}`,
			want: seedLabels,
		},
		{name: "empty object", json: `{}`, want: map[string]string{}},
		{
			name: "false booleans and empty lists are defaults, not rendered",
			json: `{"allow_cmd_override": false, "allow_capabilities": false, "allow_cgroups": false, "allow_env_override": [], "allow_mount_destinations": []}`,
			want: map[string]string{},
		},
		{
			name: "canonical forms",
			json: `{
				"allow_env_override": ["B", "A", "_c9"],
				"allow_cmd_override": true,
				"log_redirect": " Always ",
				"hardened_monitoring": "MemoryOnly",
				"debug_monitoring": "ALL",
				"allow_mount_destinations": ["/run/data/", "/a/../b", "/"],
				"allow_capabilities": true,
				"allow_cgroups": true,
				"acknowledge_risks": ["cmd_override", "mount_root"]
			}`,
			want: map[string]string{
				p + "allow_env_override":       "B,A,_c9",
				p + "allow_cmd_override":       "true",
				p + "log_redirect":             "always",
				p + "hardened_monitoring":      "memoryonly",
				p + "debug_monitoring":         "all",
				p + "allow_mount_destinations": "/run/data:/b:/",
				p + "allow_capabilities":       "true",
				p + "allow_cgroups":            "true",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := launchpolicy.Parse([]byte(tc.json))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := pol.Labels()
			if err != nil {
				t.Fatalf("Labels: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Labels (-want +got):\n%s", diff)
			}
			if err := launchpolicy.Validate(entry, nil, got); err != nil {
				t.Errorf("Validate of rendered labels: %v", err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, json, want string
	}{
		{name: "not JSON", json: `allow_cmd_override: true`, want: "parsing launch policy: invalid character 'a' looking for beginning of value"},
		{name: "not an object", json: `["FCP_OPTS"]`, want: "parsing launch policy: want a JSON object, got ["},
		{name: "null document", json: `null`, want: "parsing launch policy: want a JSON object, got <nil>"},
		{name: "empty document", json: ``, want: "parsing launch policy: EOF"},
		{
			name: "unknown field",
			json: `{"log_redirct": "always"}`,
			want: `parsing launch policy: unknown field "log_redirct" (known: allow_env_override, allow_cmd_override, log_redirect, monitoring_memory_allow, hardened_monitoring, debug_monitoring, allow_mount_destinations, allow_capabilities, allow_cgroups, acknowledge_risks)`,
		},
		{name: "field in another case", json: `{"Log_Redirect": "always"}`, want: `parsing launch policy: unknown field "Log_Redirect"`},
		{name: "duplicate field", json: `{"log_redirect": "never", "log_redirect": "always"}`, want: `parsing launch policy: field "log_redirect" appears twice`},
		{name: "null value", json: `{"allow_env_override": null}`, want: `parsing launch policy: field "allow_env_override" is null; omit the field to keep the launcher's default`},
		{name: "trailing data", json: `{} {}`, want: "parsing launch policy: unexpected data after the JSON object"},
		{name: "string for bool", json: `{"allow_cmd_override": "true"}`, want: "parsing launch policy: json: cannot unmarshal string into Go struct field Policy.allow_cmd_override of type bool"},
		{name: "string for list", json: `{"allow_env_override": "A,B"}`, want: "parsing launch policy: json: cannot unmarshal string into Go struct field Policy.allow_env_override of type []string"},
		{name: "bad enum", json: `{"hardened_monitoring": "memory_only"}`, want: `label "tee.launch_policy.hardened_monitoring"="memory_only"` + monitorMsg},
		{name: "env name with space", json: `{"allow_env_override": ["A", " B"]}`, want: `label "tee.launch_policy.allow_env_override"="A, B": entry " B" has spaces around it`},
		{name: "env item with separator", json: `{"allow_env_override": ["A,B"]}`, want: `label "tee.launch_policy.allow_env_override"="A,B": entry "A,B" contains the list separator ",", so the launcher would read it as several entries; give each as its own list element`},
		{name: "empty env item", json: `{"allow_env_override": ["A", ""]}`, want: `label "tee.launch_policy.allow_env_override"="A,": the list has an empty entry; remove it`},
		{name: "duplicate env item", json: `{"allow_env_override": ["A", "A"]}`, want: `label "tee.launch_policy.allow_env_override"="A,A": entry "A" is listed twice; remove the duplicate`},
		{name: "duplicate mount after cleaning", json: `{"allow_mount_destinations": ["/a", "/a/"]}`, want: `label "tee.launch_policy.allow_mount_destinations"="/a:/a/": entry "/a/" is listed twice; remove the duplicate`},
		{name: "mount with separator", json: `{"allow_mount_destinations": ["/a:/b"]}`, want: `label "tee.launch_policy.allow_mount_destinations"="/a:/b": entry "/a:/b" contains the list separator ":"`},
		{name: "relative mount", json: `{"allow_mount_destinations": ["data"]}`, want: `label "tee.launch_policy.allow_mount_destinations"="data": entry "data"` + relMountMsg + `"/data"`},
		{name: "legacy with newer monitoring", json: `{"monitoring_memory_allow": "never", "debug_monitoring": "none"}`, want: `label "tee.launch_policy.monitoring_memory_allow"="never": set together with tee.launch_policy.debug_monitoring;`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := launchpolicy.Parse([]byte(tc.json))
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want error %q", pol, tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Parse error:\n got %q\nwant prefix %q", err, tc.want)
			}
		})
	}
}

// A Policy built in Go, not parsed, is checked by Labels the same way.
func TestLabelsRefusesInvalidPolicy(t *testing.T) {
	pol := &launchpolicy.Policy{LogRedirect: "sometimes", AllowEnvOverride: []string{"OK", "NOT-OK"}}
	got := messages(t, func() error { _, err := pol.Labels(); return err }())
	want := []string{
		`label "tee.launch_policy.allow_env_override"="OK,NOT-OK": entry "NOT-OK"` + envNameMsg,
		`label "tee.launch_policy.log_redirect"="sometimes"` + legacyMsg,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Labels refusals (-want +got):\n%s", diff)
	}
}
