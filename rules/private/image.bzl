"""odp_image: an OCI image layout from a base and layers, by `odptool image assemble`."""

load(":common.bzl", "COMPRESSIONS", "TOOLCHAINS", "attr_fail", "check_exposed_ports", "COMPRESSION_ATTR", "run_odptool", "source_date_epoch", "SOURCE_DATE_EPOCH_ATTR")
load(":providers.bzl", "OdpImageInfo", "OdpLaunchPolicyInfo", "OdpLayerInfo")

_KIND = "odp_image"

_LAYER_EXTENSIONS = [c.extension for c in COMPRESSIONS.values()] + [".tgz"]

def _layer_files(ctx):
    """The layer tars of attribute `layers`, in the order given."""
    files = []
    for target in ctx.attr.layers:
        if OdpLayerInfo in target:
            files.append(target[OdpLayerInfo].layer)
            continue
        found = target[DefaultInfo].files.to_list()
        if len(found) != 1 or not [e for e in _LAYER_EXTENSIONS if found[0].basename.endswith(e)]:
            attr_fail(_KIND, ctx.label, "layers", "%s must provide OdpLayerInfo or be exactly one .tar/.tar.gz file, got %s" % (
                target.label,
                [f.short_path for f in found],
            ))
        files.append(found[0])
    return files

def _base_layout(ctx):
    """The base layout directory (or None for scratch) and its own bases."""
    if not ctx.attr.base:
        return None, depset()
    base = ctx.attr.base
    if OdpImageInfo in base:
        info = base[OdpImageInfo]
        return info.layout, depset([info.layout], transitive = [info.base_layouts], order = "preorder")

    # Any OCI layout directory, e.g. rules_oci's oci_pull or oci_image.
    found = base[DefaultInfo].files.to_list()
    if len(found) != 1 or not found[0].is_directory:
        attr_fail(_KIND, ctx.label, "base", "%s must be an odp_image / odp_base_image or exactly one OCI layout directory, got %s (for rules_oci's oci_pull, name the per-platform repository, e.g. @NAME_linux_amd64)" % (
            base.label,
            [f.short_path for f in found],
        ))
    return found[0], depset([found[0]])

def check_env_against_policy(env, policy_overrides):
    """The variables env bakes in that the launch policy lets the operator set.

    The seed's FCP_OPTS is read at run time: a value in the image would be
    part of the attested digest and silently differ from what the operator
    passes. Returns the sorted offending names (empty when fine)."""
    return sorted([k for k in env if k in policy_overrides])

def _check_no_newline(label, attribute, values):
    for v in values:
        if "\n" in v:
            attr_fail(_KIND, label, attribute, "%r holds a newline" % v)

def config_json(ctx):
    """The CONFIG.json of `odptool image assemble --config`: only the fields
    that are set, so that an unset field keeps the base's value
    (docs/image.md, "Config merge")."""
    label = ctx.label
    for key in ctx.attr.env:
        if not key or "=" in key:
            attr_fail(_KIND, label, "env", "%r is not an environment variable name" % key)
    for key in ctx.attr.labels:
        if not key:
            attr_fail(_KIND, label, "labels", "empty label key")
    if ctx.attr.workdir and not ctx.attr.workdir.startswith("/"):
        attr_fail(_KIND, label, "workdir", "%r must be an absolute path in the image" % ctx.attr.workdir)
    _check_no_newline(label, "entrypoint", ctx.attr.entrypoint)
    _check_no_newline(label, "cmd", ctx.attr.cmd)
    _check_no_newline(label, "env", ctx.attr.env.values())
    _check_no_newline(label, "user", [ctx.attr.user])
    ports = check_exposed_ports(_KIND, label, ctx.attr.exposed_ports)

    config = {}
    if ctx.attr.entrypoint:
        config["Entrypoint"] = ctx.attr.entrypoint
    if ctx.attr.cmd:
        config["Cmd"] = ctx.attr.cmd
    if ctx.attr.env:
        config["Env"] = ["%s=%s" % (k, ctx.attr.env[k]) for k in sorted(ctx.attr.env)]
    if ports:
        config["ExposedPorts"] = {p: {} for p in ports}
    if ctx.attr.labels:
        config["Labels"] = {k: ctx.attr.labels[k] for k in sorted(ctx.attr.labels)}
    if ctx.attr.user:
        config["User"] = ctx.attr.user
    if ctx.attr.workdir:
        config["WorkingDir"] = ctx.attr.workdir
    return config

def _odp_image_impl(ctx):
    layout = ctx.actions.declare_directory(ctx.label.name)
    digest = ctx.actions.declare_file(ctx.label.name + ".digest")
    image_id = ctx.actions.declare_file(ctx.label.name + ".image_id")

    policy = None
    if ctx.attr.launch_policy:
        info = ctx.attr.launch_policy[OdpLaunchPolicyInfo]
        policy = info.json
        baked = check_env_against_policy(ctx.attr.env, info.allow_env_override)
        if baked:
            attr_fail(_KIND, ctx.label, "env", "%s may be set by the operator at run time (launch_policy %s allows overriding it); do not bake a value into the image" % (
                ", ".join(baked),
                ctx.attr.launch_policy.label,
            ))
    for key in ctx.attr.labels:
        if key.startswith("tee."):
            attr_fail(_KIND, ctx.label, "labels", "%r: Confidential Space labels come from launch_policy (odp_launch_policy), not from labels" % key)

    config_file = ctx.actions.declare_file(ctx.label.name + ".config.json")
    ctx.actions.write(config_file, json.encode(config_json(ctx)))

    layers = _layer_files(ctx)
    base, base_layouts = _base_layout(ctx)

    args = ctx.actions.args()
    args.add_all(["image", "assemble"])
    args.add("--out", layout.path)
    args.add("--digest-file", digest)
    args.add("--image-id-file", image_id)
    args.add("--config", config_file)
    args.add("--platform", ctx.attr.platform)
    args.add("--compression", ctx.attr.compression)

    # The image's created time is part of its digest: fixed, never the clock.
    args.add("--source-date-epoch", source_date_epoch(ctx, _KIND))
    inputs = [config_file] + layers
    if base:
        args.add("--base", base.path)
        inputs.append(base)
        if OdpImageInfo in ctx.attr.base:
            # Written by odptool in this build, which verified every layer
            # then; a layout from elsewhere (oci_pull) is read in full.
            args.add("--trust-base-layers")
    if ctx.attr.inherit_launch_policy:
        if policy:
            attr_fail(_KIND, ctx.label, "inherit_launch_policy", "True together with launch_policy: a declared policy replaces the base's")
        args.add("--inherit-launch-policy")
    if policy:
        args.add("--launch-policy", policy)
        inputs.append(policy)
    args.add_all(layers)

    run_odptool(
        ctx,
        arguments = [args],
        inputs = inputs,
        outputs = [layout, digest, image_id],
        mnemonic = "OdpImageAssemble",
        progress_message = "Assembling image %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset([layout]), runfiles = ctx.runfiles(files = [layout])),
        OdpImageInfo(
            layout = layout,
            digest = digest,
            image_id = image_id,
            base_layouts = base_layouts,
            launch_policy = policy,
        ),
        OutputGroupInfo(digest = depset([digest]), image_id = depset([image_id])),
    ]

IMAGE_ATTRS = {
    "base": attr.label(
        allow_files = True,
        doc = "Base image: an `odp_image` / `odp_base_image` target, a base pulled by digest with `odp_pull` (`@NAME//:NAME`, rules/repositories.bzl), or any target whose one output is an OCI image layout directory (rules_oci's `oci_pull`: name the per-platform repository, `@NAME_linux_amd64`, since `@NAME` is an alias that selects on the *target* platform). Empty: scratch.",
    ),
    "layers": attr.label_list(
        allow_files = _LAYER_EXTENSIONS,
        doc = "Layers added on top of the base, in this order: targets providing `OdpLayerInfo` (`deb_layer`, `odp_files_layer`, ...) or `.tar` / `.tar.gz` files.",
    ),
    "entrypoint": attr.string_list(doc = "Config `Entrypoint`; empty keeps the base's."),
    "cmd": attr.string_list(doc = "Config `Cmd`; empty keeps the base's."),
    "env": attr.string_dict(doc = "Environment variables, merged over the base's (a name set here replaces the base's value). Never a variable the launch policy lets the operator override."),
    "exposed_ports": attr.string_list(doc = "Config `ExposedPorts`, `\"PORT\"` or `\"PORT/PROTO\"` (tcp, udp, sctp; default tcp), merged with the base's. Confidential Space's launcher opens only these ports in the VM's firewall (the seed's TEE services expose `8082/tcp`)."),
    "labels": attr.string_dict(doc = "Config labels, merged over the base's. `tee.*` labels come only from `launch_policy`."),
    "user": attr.string(doc = "Config `User` (e.g. `65532` for nonroot); empty keeps the base's."),
    "workdir": attr.string(doc = "Config `WorkingDir` (absolute); empty keeps the base's (distroless `nonroot` bases have `/home/nonroot`)."),
    "launch_policy": attr.label(
        providers = [OdpLaunchPolicyInfo],
        doc = "An `odp_launch_policy`: rendered as `tee.launch_policy.*` labels and validated as Confidential Space's launcher would. Images without one carry no `tee.` labels.",
    ),
    "inherit_launch_policy": attr.bool(
        doc = "Keep the base's `tee.launch_policy.*` labels (validated) when there is no `launch_policy`. Without it, such a base is refused: the attested image must carry exactly the policy its build declared, never a wider one inherited from a base.",
    ),
    "platform": attr.string(
        default = "linux/amd64",
        values = ["linux/amd64", "linux/arm64"],
        doc = "Platform of the image (and the one picked from a multi-platform base).",
    ),
    "compression": COMPRESSION_ATTR,
    "source_date_epoch": SOURCE_DATE_EPOCH_ATTR,
}

odp_image = rule(
    implementation = _odp_image_impl,
    doc = """An OCI image layout (directory `NAME/`) from a base and layers.

Runs `odptool image assemble` (docs/image.md): the base's layers are linked,
never recompressed; `layers` follow in order; the config is merged from the
base's and the attributes; a layer whose directory would mask a lower
layer's symlink (the `/lib -> usr/lib` trap) fails the build. Also writes
`NAME.digest` (output group `digest`) and `NAME.image_id`. Returns
`OdpImageInfo`.

```starlark
odp_image(
    name = "app_image",
    base = "//bases:java17",
    layers = [":app_layer"],
    entrypoint = ["/app/run"],
    exposed_ports = ["8082/tcp"],
)
```""",
    attrs = IMAGE_ATTRS,
    toolchains = TOOLCHAINS,
)
