// Package launchpolicy checks and renders the Confidential Space launch
// policy of an image: the `tee.launch_policy.*` labels of its config. It
// also writes the Workload Identity Pool attribute condition that pins an
// image for relying parties (AttributeCondition).
//
// The Confidential Space launcher reads these labels when the VM boots and
// refuses to start the workload if it cannot parse one of them. A mistake
// there would only show up in production, after the image digest has been
// attested to, so rules_odp refuses such images at build time instead. The
// rules mirror the launcher's parsing (google/go-tpm-tools,
// launcher/spec/launch_policy.go) and, in a few documented places, are
// stricter than it where its leniency would silently disable a policy.
//
// # JSON format
//
// A launch policy file is one JSON object; every field is optional, an
// absent field keeps the launcher's default and is not rendered as a label.
// Unknown fields, fields spelled with a different case, duplicate fields,
// null values and trailing data are errors.
//
//	{
//	  "allow_env_override":       ["FCP_OPTS"],    // tee-env-NAME the operator may set; default none
//	  "allow_cmd_override":       true,            // operator may replace Cmd (tee-cmd); default false
//	  "log_redirect":             "always",        // always | never | debugonly (default)
//	  "monitoring_memory_allow":  "always",        // legacy: always | never | debugonly
//	  "hardened_monitoring":      "memoryonly",    // none (default) | memoryonly | all
//	  "debug_monitoring":         "all",           // none | memoryonly (default) | all
//	  "allow_mount_destinations": ["/run/data"],   // absolute paths under which tee-mount may mount
//	  "allow_capabilities":       false,           // operator may add capabilities; default false
//	  "allow_cgroups":            false,           // namespaced cgroup mount; default false
//	  "acknowledge_risks":        ["cmd_override"] // risky settings taken on purpose; not a label
//	}
//
// (The comments above are for the reader; JSON has none.) Each field
// becomes the label LabelPrefix + field name. Lists are joined without
// spaces ("," for env names, ":" for mount paths), booleans are rendered as
// "true" and a false boolean is not rendered at all, since false is the
// launcher's default. Enum values are accepted the way the launcher accepts
// them (log_redirect " Always " is trimmed and lower-cased by the launcher)
// but always rendered canonically ("always"). monitoring_memory_allow cannot
// be combined with hardened_monitoring or debug_monitoring.
//
// An absent label is the launcher's default: GetLaunchPolicy in
// launcher/spec/launch_policy.go starts from the zero LaunchPolicy and sets
// a field only when its label is present. odptool image assemble relies on
// it: a declared policy replaces every launch-policy label of the base image
// (they are removed, only the policy's are written), so the image carries
// exactly the policy its build declared.
//
// # Risky settings
//
// A setting that lets the operator, who is not trusted by the relying party,
// change what code runs in the attested container is refused unless
// acknowledge_risks names it (see Risk): "ld_env_override" (an LD_* variable
// in allow_env_override), "mount_root" (allow_mount_destinations lists "/"),
// "cmd_override" (allow_cmd_override). An unknown, repeated or unneeded
// acknowledgement is an error too. The acknowledgement is not rendered as a
// label; odptool tee policy warns about each risky setting an image carries.
//
// # Checks that go beyond the launcher
//
//   - An unknown label under `tee.launch_policy.` (compared case-insensitively
//     and with `-` read as `_`) is refused: the launcher ignores it, so a
//     typo such as `tee.launch_policy.log_redirct` silently drops the policy
//     the author meant.
//   - An env name with spaces around it is refused: the launcher does not
//     trim, so in "A, B" the name " B" can never match tee-env-B.
//   - An env name that is not a valid variable name is refused: the launcher
//     only accepts tee-env-NAME with NAME matching ^[a-zA-Z_][a-zA-Z0-9_]*$,
//     so such an entry can never be used.
//   - A relative mount destination is refused: the launcher rejects every
//     tee-mount that reaches a relative entry while checking the list.
//   - allow_cmd_override=true with an empty Entrypoint is refused: every
//     tee-cmd would then fail the launcher's "Entrypoint must be set" check.
//   - An image that yields no argument at all (Entrypoint and Cmd both
//     empty) is refused when it carries any `tee.launch_policy.` label, which
//     marks it as a Confidential Space workload; the launcher cannot start
//     it. Images without such labels (base images) are not checked.
package launchpolicy
