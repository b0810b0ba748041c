package launchpolicy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/launchpolicy"
)

// splitArgs turns a fuzz string into a list: NUL-separated, "" is nil.
func splitArgs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}

// FuzzValidate feeds arbitrary labels ("key=value" lines) and arguments.
// Validate must not panic and must return only *RefusalError parts.
func FuzzValidate(f *testing.F) {
	f.Add("/bin/app", "", p+"allow_env_override=FCP_OPTS\n"+p+"log_redirect=always\n"+p+"monitoring_memory_allow=always")
	f.Add("", "", p+"allow_cmd_override=true")
	f.Add("", "x", p+"allow_cmd_override=yes\n"+p+"allow_cgroups=\n"+p+"allow_capabilities=1")
	f.Add("a\x00b", "c", p+"hardened_monitoring=memory_only\n"+p+"debug_monitoring= all\n"+p+"monitoring_memory_allow=x")
	f.Add("a", "", p+"allow_env_override=A, B,,1X\n"+p+"allow_mount_destinations=/a::b:.")
	f.Add("a", "", "TEE.LAUNCH-POLICY.log_redirct=Always\ntee.launch_policy=\n"+p+"\xff=\xff")
	f.Fuzz(func(t *testing.T, entrypoint, cmd, labelLines string) {
		labels := map[string]string{}
		for _, line := range strings.Split(labelLines, "\n") {
			k, v, _ := strings.Cut(line, "=")
			labels[k] = v
		}
		err := launchpolicy.Validate(splitArgs(entrypoint), splitArgs(cmd), labels)
		if err == nil {
			return
		}
		joined, ok := err.(interface{ Unwrap() []error })
		if !ok {
			t.Fatalf("error %v is not an errors.Join", err)
		}
		for _, e := range joined.Unwrap() {
			var r *launchpolicy.RefusalError
			if !errors.As(e, &r) || r.Reason == "" {
				t.Fatalf("part %v is not a *RefusalError with a reason", e)
			}
		}
	})
}

// FuzzParse: Parse must not panic, and whatever it accepts renders labels
// that Validate accepts and that render the same again.
func FuzzParse(f *testing.F) {
	f.Add(`{"allow_env_override": ["FCP_OPTS"], "log_redirect": "always", "monitoring_memory_allow": "always"}`)
	f.Add(`{"allow_cmd_override": true, "hardened_monitoring": "MemoryOnly", "debug_monitoring": "all", "allow_mount_destinations": ["/a/", "/b/../c"]}`)
	f.Add(`{"log_redirect": " Never ", "allow_capabilities": true, "allow_cgroups": false}`)
	f.Add(`{"allow_env_override": ["A", " B"], "Log_Redirect": "x"}`)
	f.Add(`{"a": 1} trailing`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, data string) {
		pol, err := launchpolicy.Parse([]byte(data))
		if err != nil {
			return
		}
		labels, err := pol.Labels()
		if err != nil {
			t.Fatalf("Parse accepted a policy whose Labels fails: %v", err)
		}
		if err := launchpolicy.Validate([]string{"/bin/app"}, nil, labels); err != nil {
			t.Fatalf("rendered labels %v fail Validate: %v", labels, err)
		}
	})
}
