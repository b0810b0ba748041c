package launchpolicy

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// LabelPrefix starts every launch-policy label.
const LabelPrefix = "tee.launch_policy."

// The labels the Confidential Space launcher reads.
const (
	LabelAllowEnvOverride       = LabelPrefix + "allow_env_override"
	LabelAllowCmdOverride       = LabelPrefix + "allow_cmd_override"
	LabelLogRedirect            = LabelPrefix + "log_redirect"
	LabelMonitoringMemoryAllow  = LabelPrefix + "monitoring_memory_allow"
	LabelHardenedMonitoring     = LabelPrefix + "hardened_monitoring"
	LabelDebugMonitoring        = LabelPrefix + "debug_monitoring"
	LabelAllowMountDestinations = LabelPrefix + "allow_mount_destinations"
	LabelAllowCapabilities      = LabelPrefix + "allow_capabilities"
	LabelAllowCgroups           = LabelPrefix + "allow_cgroups"
)

var knownLabels = []string{
	LabelAllowCapabilities,
	LabelAllowCgroups,
	LabelAllowCmdOverride,
	LabelAllowEnvOverride,
	LabelAllowMountDestinations,
	LabelDebugMonitoring,
	LabelHardenedMonitoring,
	LabelLogRedirect,
	LabelMonitoringMemoryAllow,
}

// envNameRE is what the launcher accepts as NAME in tee-env-NAME.
var envNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// RefusalError is one reason why the Confidential Space launcher would not
// start the image, or would silently ignore part of its policy. Label is
// empty when the problem is in the image's Entrypoint/Cmd rather than in a
// label.
type RefusalError struct {
	Label, Value, Reason string
}

func (e *RefusalError) Error() string {
	if e.Label == "" {
		return "image config: " + e.Reason
	}
	return fmt.Sprintf("label %q=%q: %s", e.Label, e.Value, e.Reason)
}

// Validate checks every launch-policy label of an image, together with the
// image's Entrypoint and Cmd, the way the Confidential Space launcher will
// read them. It returns nil or the errors.Join of every *RefusalError found,
// sorted by label, so that all problems are reported at once.
func Validate(entrypoint, cmd []string, labels map[string]string) error {
	var v validator
	v.labels(labels)
	v.args(entrypoint, cmd, labels, false)
	return v.err()
}

type validator struct {
	refusals []*RefusalError
}

func (v *validator) refuse(label, value, format string, a ...any) {
	v.refusals = append(v.refusals, &RefusalError{Label: label, Value: value, Reason: fmt.Sprintf(format, a...)})
}

func (v *validator) err() error {
	if len(v.refusals) == 0 {
		return nil
	}
	sort.SliceStable(v.refusals, func(i, j int) bool { return v.refusals[i].Label < v.refusals[j].Label })
	errs := make([]error, len(v.refusals))
	for i, r := range v.refusals {
		errs[i] = r
	}
	return errors.Join(errs...)
}

// labels checks the labels on their own, without the image's arguments.
func (v *validator) labels(labels map[string]string) {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		if isPolicyLabel(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := labels[k]
		switch k {
		case LabelAllowEnvOverride:
			v.envList(k, val)
		case LabelAllowCmdOverride, LabelAllowCapabilities, LabelAllowCgroups:
			v.boolean(k, val)
		case LabelLogRedirect, LabelMonitoringMemoryAllow:
			v.legacyPolicy(k, val)
		case LabelHardenedMonitoring, LabelDebugMonitoring:
			v.monitoring(k, val)
		case LabelAllowMountDestinations:
			v.mountList(k, val)
		default:
			v.unknown(k, val)
		}
	}
	v.monitoringConflict(labels)
}

// isPolicyLabel reports whether a label looks meant for the launcher, so
// that near misses (case, "-" for "_", stray spaces) are caught as typos.
func isPolicyLabel(key string) bool {
	return strings.HasPrefix(fuzzyKey(key), strings.TrimSuffix(LabelPrefix, "."))
}

func fuzzyKey(key string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(key)), "-", "_")
}

func (v *validator) unknown(key, val string) {
	const ignored = "the Confidential Space launcher does not know this label and ignores it, so the launch policy you meant is silently not applied"
	if best := closestLabel(key); best != "" {
		v.refuse(key, val, "%s; did you mean %q?", ignored, best)
		return
	}
	v.refuse(key, val, "%s; known labels: %s", ignored, strings.Join(knownLabels, ", "))
}

// closestLabel suggests the known label a typo was probably meant to be.
func closestLabel(key string) string {
	fk := fuzzyKey(key)
	best, bestDist := "", 4 // suggest only within 3 edits
	for _, l := range knownLabels {
		if d := editDistance(fk, l); d < bestDist {
			best, bestDist = l, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		return 1 << 30 // a label that long is no typo of ours; bound the work
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (v *validator) boolean(key, val string) {
	if _, err := strconv.ParseBool(val); err != nil {
		v.refuse(key, val, `the Confidential Space launcher parses it with strconv.ParseBool and refuses to start the container; use "true" or "false"`)
	}
}

// parseLegacyPolicy mirrors the launcher's toPolicy: lower-cased, then
// trimmed.
func parseLegacyPolicy(val string) (string, bool) {
	s := strings.TrimSpace(strings.ToLower(val))
	switch s {
	case "always", "never", "debugonly":
		return s, true
	}
	return "", false
}

func (v *validator) legacyPolicy(key, val string) {
	if _, ok := parseLegacyPolicy(val); ok {
		return
	}
	hint := ""
	if s := strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(val)); s == "debugonly" {
		hint = `; did you mean "debugonly"?`
	}
	v.refuse(key, val, `the Confidential Space launcher accepts only "always", "never" or "debugonly" (it trims and lower-cases the value) and refuses to start the container%s`, hint)
}

// parseMonitoring mirrors the launcher's toMonitoringType: lower-cased but,
// unlike the legacy policies, not trimmed.
func parseMonitoring(val string) (string, bool) {
	s := strings.ToLower(val)
	switch s {
	case "none", "memoryonly", "all":
		return s, true
	}
	return "", false
}

func (v *validator) monitoring(key, val string) {
	if _, ok := parseMonitoring(val); ok {
		return
	}
	hint := ""
	switch s := strings.ToLower(strings.TrimSpace(val)); {
	case s != strings.ToLower(val) && (s == "none" || s == "memoryonly" || s == "all"):
		hint = "; remove the surrounding spaces, the launcher does not trim this label"
	case strings.NewReplacer("_", "", "-", "", " ", "").Replace(s) == "memoryonly":
		hint = `; did you mean "memoryonly"? (the launcher's log messages spell it memory_only, but it accepts only memoryonly)`
	}
	v.refuse(key, val, `the Confidential Space launcher accepts only "none", "memoryonly" or "all" (it lower-cases but does not trim the value) and refuses to start the container%s`, hint)
}

// monitoringConflict mirrors the launcher: the mere presence of the legacy
// label next to a newer one fails the launch, whatever the values.
func (v *validator) monitoringConflict(labels map[string]string) {
	memVal, memOK := labels[LabelMonitoringMemoryAllow]
	if !memOK {
		return
	}
	var newer []string
	for _, l := range []string{LabelHardenedMonitoring, LabelDebugMonitoring} {
		if _, ok := labels[l]; ok {
			newer = append(newer, l)
		}
	}
	if len(newer) == 0 {
		return
	}
	equivalent := ""
	if p, ok := parseLegacyPolicy(memVal); ok {
		hardened, debug := legacyMonitoring(p)
		equivalent = fmt.Sprintf(" (%s=%s means %s=%s and %s=%s)", LabelMonitoringMemoryAllow, p, LabelHardenedMonitoring, hardened, LabelDebugMonitoring, debug)
	}
	v.refuse(LabelMonitoringMemoryAllow, memVal, "set together with %s; the Confidential Space launcher refuses to start the container when the legacy label is combined with %s or %s; keep only the newer labels%s",
		strings.Join(newer, " and "), LabelHardenedMonitoring, LabelDebugMonitoring, equivalent)
}

// legacyMonitoring is how the launcher translates monitoring_memory_allow.
func legacyMonitoring(p string) (hardened, debug string) {
	switch p {
	case "always":
		return "memoryonly", "memoryonly"
	case "never":
		return "none", "none"
	default: // debugonly
		return "none", "memoryonly"
	}
}

func (v *validator) envList(key, val string) {
	var trimmed []string
	for _, item := range strings.Split(val, ",") {
		if t := strings.TrimSpace(item); t != "" {
			trimmed = append(trimmed, t)
		}
	}
	for _, item := range strings.Split(val, ",") {
		switch {
		case item == "":
			// The launcher drops empty items; so do we.
		case item != strings.TrimSpace(item):
			v.refuse(key, val, `entry %q has spaces around it; the Confidential Space launcher splits the list on "," without trimming, so tee-env-%s never matches it; write %q`,
				item, strings.TrimSpace(item), strings.Join(trimmed, ","))
		case !envNameRE.MatchString(item):
			v.refuse(key, val, "entry %q is not an environment variable name; the Confidential Space launcher accepts only tee-env-NAME with NAME matching %s, so this entry can never be overridden",
				item, envNameRE)
		}
	}
}

// mountList mirrors the launcher's filepath.SplitList on Linux: ":"
// separated, empty entries dropped. path (not path/filepath) keeps the rules
// of the VM whatever machine builds the image.
func (v *validator) mountList(key, val string) {
	for _, item := range strings.Split(val, ":") {
		if item == "" || path.IsAbs(item) {
			continue
		}
		v.refuse(key, val, "entry %q is not an absolute path; the Confidential Space launcher rejects every tee-mount that reaches a relative entry in this list, so mounts would fail; write %q",
			item, path.Clean("/"+item))
	}
}

// args checks what the launcher requires of Entrypoint and Cmd. tee says
// the image is known to be a Confidential Space workload even without
// launch-policy labels.
func (v *validator) args(entrypoint, cmd []string, labels map[string]string, tee bool) {
	if val, ok := labels[LabelAllowCmdOverride]; ok && len(entrypoint) == 0 {
		if allowed, err := strconv.ParseBool(val); err == nil && allowed {
			v.refuse(LabelAllowCmdOverride, val, "the image's Entrypoint is empty; tee-cmd replaces Cmd and the Confidential Space launcher refuses to start the container unless the Entrypoint adds at least one argument, so every command override would fail; set an Entrypoint or drop the label")
		}
	}
	if len(entrypoint)+len(cmd) > 0 {
		return
	}
	const reason = "the image has neither Entrypoint nor Cmd; the Confidential Space launcher refuses to start a container without an argument"
	if tee {
		v.refuse("", "", "%s; set an Entrypoint", reason)
		return
	}
	for k := range labels {
		if isPolicyLabel(k) {
			v.refuse("", "", "%s, and this image carries %s labels, so it is meant for Confidential Space; set an Entrypoint", reason, strings.TrimSuffix(LabelPrefix, "."))
			return
		}
	}
}
