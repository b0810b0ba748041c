"""odp_launch_policy: a Confidential Space launch policy for an image's labels."""

load(":common.bzl", "attr_fail")
load(":providers.bzl", "OdpLaunchPolicyInfo")

_KIND = "odp_launch_policy"

# The environment variable names the launcher accepts in
# tee.launch_policy.allow_env_override (POSIX portable names).
def _check_env_name(name):
    if not name or name[0].isdigit():
        return False
    for c in name.elems():
        if not (c.isalnum() or c == "_"):
            return False
    return True

def _odp_launch_policy_impl(ctx):
    seen = {}
    for name in ctx.attr.allow_env_override:
        if not _check_env_name(name):
            attr_fail(_KIND, ctx.label, "allow_env_override", "%r is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)" % name)
        if name in seen:
            attr_fail(_KIND, ctx.label, "allow_env_override", "%r is listed twice" % name)
        seen[name] = True
    for dest in ctx.attr.allow_mount_destinations:
        if not dest.startswith("/"):
            attr_fail(_KIND, ctx.label, "allow_mount_destinations", "%r is not an absolute path" % dest)
    if ctx.attr.monitoring_memory_allow and (ctx.attr.hardened_monitoring or ctx.attr.debug_monitoring):
        attr_fail(_KIND, ctx.label, "monitoring_memory_allow", "the legacy field cannot be combined with hardened_monitoring / debug_monitoring (the launcher refuses both)")

    # Only the fields that are set: the rendered labels are exactly these.
    policy = {}
    if ctx.attr.allow_env_override:
        policy["allow_env_override"] = ctx.attr.allow_env_override
    if ctx.attr.allow_cmd_override:
        policy["allow_cmd_override"] = True
    if ctx.attr.log_redirect:
        policy["log_redirect"] = ctx.attr.log_redirect
    if ctx.attr.monitoring_memory_allow:
        policy["monitoring_memory_allow"] = ctx.attr.monitoring_memory_allow
    if ctx.attr.hardened_monitoring:
        policy["hardened_monitoring"] = ctx.attr.hardened_monitoring
    if ctx.attr.debug_monitoring:
        policy["debug_monitoring"] = ctx.attr.debug_monitoring
    if ctx.attr.allow_mount_destinations:
        policy["allow_mount_destinations"] = ctx.attr.allow_mount_destinations
    if ctx.attr.allow_capabilities:
        policy["allow_capabilities"] = True
    if ctx.attr.allow_cgroups:
        policy["allow_cgroups"] = True
    if ctx.attr.acknowledge_risks:
        # Not a label: odptool refuses the risky settings without it.
        policy["acknowledge_risks"] = ctx.attr.acknowledge_risks

    out = ctx.actions.declare_file(ctx.label.name + ".launch_policy.json")
    ctx.actions.write(out, json.encode(policy))
    return [
        DefaultInfo(files = depset([out])),
        OdpLaunchPolicyInfo(json = out, allow_env_override = ctx.attr.allow_env_override),
    ]

odp_launch_policy = rule(
    implementation = _odp_launch_policy_impl,
    doc = """A Confidential Space launch policy, rendered by the image rules as
`tee.launch_policy.*` labels and checked as the launcher would
(docs/image.md, ../notes on Confidential Space). The seed's TEE images use

```starlark
odp_launch_policy(
    name = "tee_policy",
    allow_env_override = ["FCP_OPTS"],
    log_redirect = "always",
    monitoring_memory_allow = "always",
)
```

Only the attributes that are set become labels.""",
    attrs = {
        "allow_env_override": attr.string_list(doc = "`tee.launch_policy.allow_env_override`: variables the operator may set at launch (e.g. `FCP_OPTS`). The image must not set them itself."),
        "allow_cmd_override": attr.bool(doc = "`tee.launch_policy.allow_cmd_override`: the operator may replace `Cmd`."),
        "log_redirect": attr.string(
            values = ["", "always", "never", "debugonly"],
            doc = "`tee.launch_policy.log_redirect`.",
        ),
        "monitoring_memory_allow": attr.string(
            values = ["", "always", "never", "debugonly"],
            doc = "`tee.launch_policy.monitoring_memory_allow` (the launcher's legacy memory-monitoring field, as in the seed).",
        ),
        "hardened_monitoring": attr.string(
            values = ["", "none", "memoryonly", "all"],
            doc = "`tee.launch_policy.hardened_monitoring`.",
        ),
        "debug_monitoring": attr.string(
            values = ["", "none", "memoryonly", "all"],
            doc = "`tee.launch_policy.debug_monitoring`.",
        ),
        "allow_mount_destinations": attr.string_list(doc = "`tee.launch_policy.allow_mount_destinations`: absolute paths."),
        "allow_capabilities": attr.bool(doc = "`tee.launch_policy.allow_capabilities`."),
        "allow_cgroups": attr.bool(doc = "`tee.launch_policy.allow_cgroups`."),
        "acknowledge_risks": attr.string_list(doc = "Risky settings this policy takes on deliberately; without them image assembly refuses the policy (docs/inputs.md): `ld_env_override` (an `LD_*` variable such as `LD_PRELOAD` in `allow_env_override`: the operator could load code into the workload), `mount_root` (`/` in `allow_mount_destinations`), `cmd_override` (`allow_cmd_override`: the operator could run another command in the attested image). Not rendered as a label; `odptool tee policy` warns about each."),
    },
)
