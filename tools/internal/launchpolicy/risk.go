package launchpolicy

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Risk names a launch-policy setting that lets the operator of the VM, who
// is not trusted by the relying party, change what code runs inside the
// attested container. The attestation token records the overrides, but a
// relying party that pins only the image digest accepts them. Such a
// setting is refused unless the policy lists its Risk in acknowledge_risks.
type Risk string

const (
	// RiskLDEnvOverride: allow_env_override lists a dynamic-loader variable
	// (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, any LD_*), which makes every
	// dynamically linked program load code the operator chooses.
	RiskLDEnvOverride Risk = "ld_env_override"
	// RiskMountRoot: allow_mount_destinations lists "/", so the operator
	// may mount over any path of the container, binaries included.
	RiskMountRoot Risk = "mount_root"
	// RiskCmdOverride: allow_cmd_override is true, so the operator may
	// replace the container's arguments (tee-cmd).
	RiskCmdOverride Risk = "cmd_override"
)

// Risks are the acknowledgeable risks, in the order documented.
var Risks = []Risk{RiskLDEnvOverride, RiskMountRoot, RiskCmdOverride}

// Finding is one risky setting found in labels.
type Finding struct {
	Risk         Risk
	Label, Value string
	// Reason says what the setting lets the operator do.
	Reason string
}

func (f Finding) String() string {
	return fmt.Sprintf("label %q=%q: %s (acknowledged as %q)", f.Label, f.Value, f.Reason, f.Risk)
}

// FindRisks returns the risky settings of an image's labels, at most one
// per Risk, in the order of Risks. Labels the launcher could not parse
// are left to Validate.
func FindRisks(labels map[string]string) []Finding {
	var out []Finding
	if v, ok := labels[LabelAllowEnvOverride]; ok {
		var ld []string
		for _, name := range strings.Split(v, ",") {
			if strings.HasPrefix(name, "LD_") {
				ld = append(ld, name)
			}
		}
		if len(ld) > 0 {
			out = append(out, Finding{RiskLDEnvOverride, LabelAllowEnvOverride, v,
				fmt.Sprintf("the operator may set %s, which makes every dynamically linked program of the container load code of the operator's choosing", strings.Join(ld, ", "))})
		}
	}
	if v, ok := labels[LabelAllowMountDestinations]; ok {
		for _, d := range strings.Split(v, ":") {
			if d != "" && path.Clean(d) == "/" {
				out = append(out, Finding{RiskMountRoot, LabelAllowMountDestinations, v,
					"the operator may mount anything anywhere in the container, over its programs included"})
				break
			}
		}
	}
	if v, ok := labels[LabelAllowCmdOverride]; ok {
		if b, err := strconv.ParseBool(v); err == nil && b {
			out = append(out, Finding{RiskCmdOverride, LabelAllowCmdOverride, v,
				"the operator may replace the container's arguments (tee-cmd) of this Confidential Space image"})
		}
	}
	return out
}

// checkAcknowledged refuses findings whose Risk is not acknowledged, and
// acknowledgements that are unknown, repeated or not needed (a stale one
// would silently cover a risk added later).
func checkAcknowledged(findings []Finding, acknowledged []string) error {
	known := map[string]bool{}
	for _, r := range Risks {
		known[string(r)] = true
	}
	acked := map[string]bool{}
	for _, a := range acknowledged {
		switch {
		case !known[a]:
			return fmt.Errorf("acknowledge_risks: unknown risk %q (known: %s)", a, riskList())
		case acked[a]:
			return fmt.Errorf("acknowledge_risks: %q is listed twice", a)
		}
		acked[a] = true
	}
	var v validator
	found := map[string]bool{}
	for _, f := range findings {
		found[string(f.Risk)] = true
		if !acked[string(f.Risk)] {
			v.refuse(f.Label, f.Value, "%s; refused unless the launch policy acknowledges it: add %q to acknowledge_risks (odp_launch_policy acknowledge_risks) if this is intended", f.Reason, f.Risk)
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	var unneeded []string
	for a := range acked {
		if !found[a] {
			unneeded = append(unneeded, a)
		}
	}
	if len(unneeded) > 0 {
		sort.Strings(unneeded)
		return fmt.Errorf("acknowledge_risks: %s acknowledged but the policy does not take that risk; remove it", strings.Join(unneeded, ", "))
	}
	return nil
}

func riskList() string {
	s := make([]string, len(Risks))
	for i, r := range Risks {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// CheckRisks refuses an image whose labels take a risk (FindRisks) that
// acknowledged does not list. It is what odptool image assemble applies to
// the final labels: those of a declared policy (with its
// acknowledgements), or labels inherited from the base or set in
// CONFIG.json (with none: a risk must be declared in a policy).
func CheckRisks(labels map[string]string, acknowledged []string) error {
	var v validator
	acked := map[string]bool{}
	for _, a := range acknowledged {
		acked[a] = true
	}
	for _, f := range FindRisks(labels) {
		if !acked[string(f.Risk)] {
			v.refuse(f.Label, f.Value, "%s; refused unless a launch policy (--launch-policy) sets it and lists %q in acknowledge_risks", f.Reason, f.Risk)
		}
	}
	return v.err()
}

// IsPolicyLabel reports whether a label key is, or looks meant to be, a
// launch-policy label (compared case-insensitively, "-" read as "_"):
// exactly the labels a declared policy replaces.
func IsPolicyLabel(key string) bool { return isPolicyLabel(key) }
