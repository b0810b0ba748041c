package launchpolicy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/launchpolicy"
)

func TestRisksNeedAcknowledgement(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       string // "" accepted
	}{
		{"LD_PRELOAD", `{"allow_env_override":["FCP_OPTS","LD_PRELOAD"]}`, `label "tee.launch_policy.allow_env_override"="FCP_OPTS,LD_PRELOAD": the operator may set LD_PRELOAD`},
		{"LD_LIBRARY_PATH", `{"allow_env_override":["LD_LIBRARY_PATH"]}`, `add "ld_env_override" to acknowledge_risks`},
		{"other LD_ variable", `{"allow_env_override":["LD_AUDIT"]}`, "LD_AUDIT"},
		{"mount root", `{"allow_mount_destinations":["/run/data","/"]}`, `add "mount_root" to acknowledge_risks`},
		{"mount root spelled differently", `{"allow_mount_destinations":["/./"]}`, `"mount_root"`},
		{"cmd override", `{"allow_cmd_override":true}`, `label "tee.launch_policy.allow_cmd_override"="true": the operator may replace the container's arguments`},
		{"all three acknowledged", `{"allow_env_override":["LD_PRELOAD"],"allow_mount_destinations":["/"],"allow_cmd_override":true,"acknowledge_risks":["ld_env_override","mount_root","cmd_override"]}`, ""},
		{"not LD_", `{"allow_env_override":["OLD_PRELOAD","LDX"]}`, ""},
		{"unknown risk", `{"acknowledge_risks":["everything"]}`, `acknowledge_risks: unknown risk "everything" (known: ld_env_override, mount_root, cmd_override)`},
		{"risk twice", `{"allow_cmd_override":true,"acknowledge_risks":["cmd_override","cmd_override"]}`, `acknowledge_risks: "cmd_override" is listed twice`},
		{"risk not taken", `{"log_redirect":"always","acknowledge_risks":["mount_root"]}`, `acknowledge_risks: mount_root acknowledged but the policy does not take that risk; remove it`},
		{"wrong risk acknowledged", `{"allow_cmd_override":true,"acknowledge_risks":["mount_root"]}`, `add "cmd_override" to acknowledge_risks`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := launchpolicy.Parse([]byte(tc.json))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				labels, err := pol.Labels()
				if err != nil {
					t.Fatal(err)
				}
				for k := range labels {
					if strings.Contains(k, "acknowledge") {
						t.Errorf("the acknowledgement was rendered as label %q", k)
					}
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestFindRisksAndCheckRisks(t *testing.T) {
	labels := map[string]string{
		launchpolicy.LabelAllowEnvOverride:       "A,LD_PRELOAD,LD_LIBRARY_PATH",
		launchpolicy.LabelAllowMountDestinations: "/a:/",
		launchpolicy.LabelAllowCmdOverride:       "True",
		launchpolicy.LabelLogRedirect:            "always",
	}
	var got []launchpolicy.Risk
	for _, f := range launchpolicy.FindRisks(labels) {
		got = append(got, f.Risk)
	}
	if diff := cmp.Diff(launchpolicy.Risks, got); diff != "" {
		t.Errorf("FindRisks (-want +got):\n%s", diff)
	}
	if err := launchpolicy.CheckRisks(labels, []string{"ld_env_override", "mount_root", "cmd_override"}); err != nil {
		t.Errorf("all acknowledged: %v", err)
	}
	err := launchpolicy.CheckRisks(labels, []string{"mount_root"})
	var re *launchpolicy.RefusalError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "LD_PRELOAD, LD_LIBRARY_PATH") || !strings.Contains(err.Error(), "allow_cmd_override") || strings.Contains(err.Error(), "mount anything") {
		t.Errorf("CheckRisks = %v, want refusals of the env and cmd overrides only", err)
	}
	if fs := launchpolicy.FindRisks(map[string]string{launchpolicy.LabelAllowCmdOverride: "false"}); len(fs) != 0 {
		t.Errorf("allow_cmd_override=false is a risk: %v", fs)
	}
}
