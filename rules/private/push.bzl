"""odp_push and odp_tarball: publishing an image built by rules_odp."""

load(":image.bzl", "OdpImageInfo")
load(":toolchain.bzl", "ODPTOOL_TOOLCHAIN", "odptool", "odptool_runfiles")

def _shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"

def _check_repository(attr, repo):
    if not repo:
        return
    if "://" in repo or repo.startswith("/") or repo.endswith("/") or " " in repo:
        fail("attribute %s: %r is not REGISTRY/PATH (no scheme, no leading or trailing slash)" % (attr, repo))
    if "@" in repo or repo.split("/")[-1].count(":") > 0:
        fail("attribute %s: %r carries a tag or digest; give tags with remote_tags" % (attr, repo))

def _check_tag(attr, tag):
    # The distribution spec's tag grammar: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
    if not tag or len(tag) > 128 or tag[0] in ".-":
        fail("attribute %s: %r is not a valid tag" % (attr, tag))
    for c in tag.elems():
        if not (c.isalnum() or c in "._-"):
            fail("attribute %s: %r is not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]*)" % (attr, tag))

def _odp_push_impl(ctx):
    _check_repository("repository", ctx.attr.repository)
    for tag in ctx.attr.remote_tags:
        _check_tag("remote_tags", tag)
    info = ctx.attr.image[OdpImageInfo]

    defaults = []
    if ctx.attr.repository:
        defaults += ["--repository", _shell_quote(ctx.attr.repository)]
    for tag in ctx.attr.remote_tags:
        defaults += ["--tag", _shell_quote(tag)]

    # Provenance inputs, used when the caller asks for --provenance FILE.
    extra = []
    runfiles = [info.layout, odptool(ctx)]
    for i, layout in enumerate(info.base_layouts.to_list()):
        extra.append('extra+=(--base "base%d=$(resolve %s)")' % (i, _shell_quote(layout.short_path)))
        runfiles.append(layout)
    for lock in ctx.files.locks:
        extra.append('extra+=(--lock "%s=$(resolve %s)")' % (lock.basename, _shell_quote(lock.short_path)))
        runfiles.append(lock)

    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        is_executable = True,
        substitutions = {
            "{{LABEL}}": str(ctx.label),
            "{{WORKSPACE}}": ctx.workspace_name,
            "{{ODPTOOL}}": odptool(ctx).short_path,
            "{{LAYOUT}}": info.layout.short_path,
            "{{DEFAULTS}}": " ".join(defaults),
            "{{EXTRA}}": "\n".join(extra),
        },
    )
    rf = ctx.runfiles(files = runfiles).merge(odptool_runfiles(ctx))
    return [DefaultInfo(executable = script, runfiles = rf)]

odp_push = rule(
    implementation = _odp_push_impl,
    executable = True,
    doc = """`bazel run` target that pushes an image to a registry (like rules_oci's `oci_push`).

```sh
bazel run //svc:image_publish
bazel run //svc:image_publish -- --repository 127.0.0.1:5000/svc --tag v1 --record push.jsonl --provenance push.intoto.json
```

The manifest is pushed with its exact bytes by digest, the registry is
checked to serve that digest, then each tag is set (`odptool image push`).
`--repository` given at run time replaces `repository`; `--tag` adds to
`remote_tags`. `--provenance FILE` writes an in-toto / SLSA provenance
statement listing the base images and `locks`.""",
    attrs = {
        "image": attr.label(
            mandatory = True,
            providers = [OdpImageInfo],
            doc = "The image (`odp_image` or one of the macros' `NAME` targets).",
        ),
        "repository": attr.string(doc = "Default `REGISTRY/PATH`, e.g. `europe-docker.pkg.dev/project/repo/aggregator`; overridable with `--repository`."),
        "remote_tags": attr.string_list(doc = "Tags set after the push by digest."),
        "locks": attr.label_list(
            allow_files = [".json"],
            doc = "Lock files (`odptool deb lock`) listed as resolved dependencies in `--provenance`.",
        ),
        "_template": attr.label(
            default = Label("//rules/private:push.sh.tpl"),
            allow_single_file = True,
        ),
    },
    toolchains = [ODPTOOL_TOOLCHAIN],
)

def _odp_tarball_impl(ctx):
    info = ctx.attr.image[OdpImageInfo]
    tag = ctx.attr.repo_tag
    if ":" not in tag.split("/")[-1] or tag.startswith("/") or " " in tag:
        fail("attribute repo_tag: %r is not REPO:TAG" % tag)
    out = ctx.actions.declare_file(ctx.label.name + ".tar")
    args = ctx.actions.args()
    args.add_all(["image", "archive", "--format", ctx.attr.format])
    if ctx.attr.format == "docker":
        args.add("--tag", tag)
    args.add("--out", out)
    args.add(info.layout.path)
    ctx.actions.run(
        executable = odptool(ctx),
        arguments = [args],
        inputs = [info.layout],
        outputs = [out],
        mnemonic = "OdpImageArchive",
        progress_message = "Writing %s tarball of %s" % (ctx.attr.format, ctx.attr.image.label),
    )
    return [DefaultInfo(files = depset([out]))]

odp_tarball = rule(
    implementation = _odp_tarball_impl,
    doc = """A tarball of an image for `podman load` / `docker load` (`NAME.tar`).

`format = "docker"` (default) writes a docker-archive naming the image
`repo_tag`; `"oci"` an oci-archive. Both are deterministic.""",
    attrs = {
        "image": attr.label(
            mandatory = True,
            providers = [OdpImageInfo],
            doc = "The image.",
        ),
        "repo_tag": attr.string(
            default = "localhost/rules_odp/image:latest",
            doc = "`REGISTRY/REPO:TAG` the loaded image is named (docker format); the registry part is required.",
        ),
        "format": attr.string(
            default = "docker",
            values = ["docker", "oci"],
            doc = "`docker` (docker-archive) or `oci` (oci-archive).",
        ),
    },
    toolchains = [ODPTOOL_TOOLCHAIN],
)
