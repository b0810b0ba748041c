"""odp_push and odp_tarball: publishing an image built by rules_odp."""

load(":common.bzl", "TOOLCHAINS", "attr_fail", "run_odptool")
load(":providers.bzl", "OdpImageInfo")
load(":toolchain.bzl", "odptool", "odptool_runfiles")

def _shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"

def _rpath(ctx, f):
    """The runfiles path of f (`../repo/x` is `repo/x`)."""
    if f.short_path.startswith("../"):
        return f.short_path[len("../"):]
    return ctx.workspace_name + "/" + f.short_path

def check_repository(kind, label, attribute, repo):
    """Fails unless repo is REGISTRY/PATH without scheme, tag or digest."""
    if not repo:
        return
    if "://" in repo or repo.startswith("/") or repo.endswith("/") or " " in repo:
        attr_fail(kind, label, attribute, "%r is not REGISTRY/PATH (no scheme, no leading or trailing slash)" % repo)
    if "@" in repo or repo.split("/")[-1].count(":") > 0:
        attr_fail(kind, label, attribute, "%r carries a tag or digest; give tags with remote_tags" % repo)

def check_tag(kind, label, attribute, tag):
    """Fails unless tag follows the distribution spec: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}."""
    if not tag or len(tag) > 128 or tag[0] in ".-":
        attr_fail(kind, label, attribute, "%r is not a valid tag" % tag)
    for c in tag.elems():
        if not (c.isalnum() or c in "._-"):
            attr_fail(kind, label, attribute, "%r is not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]*)" % tag)

def check_repo_tag(kind, label, attribute, repo_tag):
    """Fails unless repo_tag is REPO:TAG as docker/podman name images (registry optional)."""
    repo, sep, tag = repo_tag.rpartition(":")
    if not sep or not repo or "/" in tag or "@" in repo_tag or " " in repo_tag or repo.startswith("/") or repo.endswith("/"):
        attr_fail(kind, label, attribute, "%r is not REPO:TAG (e.g. \"aggregator_image:latest\" or \"registry.example/odp/aggregator:v1\")" % repo_tag)
    check_tag(kind, label, attribute, tag)
    for c in repo.elems():
        if c.isupper():
            attr_fail(kind, label, attribute, "%r: the repository part must be lower case" % repo_tag)

def _odp_push_impl(ctx):
    check_repository("odp_push", ctx.label, "repository", ctx.attr.repository)
    for tag in ctx.attr.remote_tags:
        check_tag("odp_push", ctx.label, "remote_tags", tag)
    info = ctx.attr.image[OdpImageInfo]

    defaults = []
    if ctx.attr.repository:
        defaults += ["--repository", _shell_quote(ctx.attr.repository)]
    for tag in ctx.attr.remote_tags:
        defaults += ["--tag", _shell_quote(tag)]

    # Provenance inputs, used when the caller asks for --provenance FILE.
    extra = []
    tool = odptool(ctx)
    runfiles = [info.layout, tool]
    for i, layout in enumerate(info.base_layouts.to_list()):
        extra.append('extra+=(--base-layout "base%d=$(resolve %s)")' % (i, _shell_quote(_rpath(ctx, layout))))
        runfiles.append(layout)
    for lock in ctx.files.locks:
        extra.append('extra+=(--lock "%s=$(resolve %s)")' % (lock.basename, _shell_quote(_rpath(ctx, lock))))
        runfiles.append(lock)
    sbom = ""
    if ctx.file.sbom:
        sbom = _rpath(ctx, ctx.file.sbom)
        runfiles.append(ctx.file.sbom)

    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        is_executable = True,
        substitutions = {
            "{{LABEL}}": str(ctx.label),
            "{{ODPTOOL}}": _rpath(ctx, tool),
            "{{LAYOUT}}": _rpath(ctx, info.layout),
            "{{DEFAULTS}}": " ".join(defaults),
            "{{SBOM}}": sbom,
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
`--repository` given at run time replaces `repository` (the registry is
chosen at publish time); `--tag` adds to `remote_tags`. `--provenance FILE`
writes an in-toto / SLSA provenance statement listing the base images and
`locks`. `--sign-key KEY` (a PEM private key, read at run time, never a
build input) then signs the pushed digest as cosign does, in a form
Confidential Space's launcher accepts (`odptool image sign`), and attaches
the provenance (with `--provenance`) and the `sbom` as attestations
(`odptool image attest`); `--signature-repository REPO` stores them
elsewhere. The odptool that runs is the toolchain's for the host (the
execution platform), whatever `--platforms` says.

```sh
bazel run //svc:image_publish -- --repository 127.0.0.1:5000/svc --tag v1 \
    --provenance push.intoto.json --sign-key cosign.key
cosign verify --key cosign.pub --insecure-ignore-tlog 127.0.0.1:5000/svc:v1
```""",
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
        "sbom": attr.label(
            allow_single_file = [".json"],
            doc = "The image's SBOM (`odp_sbom`), attached as an attestation with `--sign-key`.",
        ),
        "_template": attr.label(
            default = Label("//rules/private:push.sh.tpl"),
            allow_single_file = True,
        ),
    },
    toolchains = TOOLCHAINS,
)

def _odp_tarball_impl(ctx):
    info = ctx.attr.image[OdpImageInfo]
    repo_tags = ctx.attr.repo_tags or [ctx.attr.image.label.name + ":latest"]
    for rt in repo_tags:
        check_repo_tag("odp_tarball", ctx.label, "repo_tags", rt)
    if ctx.attr.format == "oci" and ctx.attr.repo_tags:
        attr_fail("odp_tarball", ctx.label, "repo_tags", "an oci-archive names no tag; use format = \"docker\" for repo_tags")
    out = ctx.actions.declare_file(ctx.label.name + ".tar")
    args = ctx.actions.args()
    args.add_all(["image", "archive", "--format", ctx.attr.format])
    if ctx.attr.format == "docker":
        args.add_all(repo_tags, before_each = "--repo-tag")
    args.add("--out", out)
    args.add(info.layout.path)
    run_odptool(
        ctx,
        arguments = [args],
        inputs = [info.layout],
        outputs = [out],
        mnemonic = "OdpImageArchive",
        progress_message = "Writing %s tarball of %s" % (ctx.attr.format, ctx.attr.image.label),
    )

    # `bazel run` loads the tarball (like rules_oci's oci_load).
    loader = ctx.actions.declare_file(ctx.label.name + ".load.sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = loader,
        is_executable = True,
        substitutions = {
            "{{LABEL}}": str(ctx.label),
            "{{TARBALL}}": _rpath(ctx, out),
            "{{REPO_TAGS}}": " ".join(repo_tags),
        },
    )
    return [DefaultInfo(
        files = depset([out]),
        executable = loader,
        runfiles = ctx.runfiles(files = [out]),
    )]

odp_tarball = rule(
    implementation = _odp_tarball_impl,
    executable = True,
    doc = """A tarball of an image (`NAME.tar`); `bazel run` loads it into podman or docker.

```sh
bazel build //svc:aggregator_image_tarball   # bazel-bin/svc/aggregator_image_tarball.tar
bazel run //svc:aggregator_image_tarball     # podman load (or docker load) -> aggregator_image:latest
bazel run //svc:aggregator_image_tarball -- --runtime docker
```

`format = "docker"` (default) writes a docker-archive naming the image by
`repo_tags`; `"oci"` an oci-archive. Both are deterministic. When run, the
container runtime is `--runtime` (podman or docker), else
`$ODP_CONTAINER_RUNTIME`, else podman if it is installed, else docker.""",
    attrs = {
        "image": attr.label(
            mandatory = True,
            providers = [OdpImageInfo],
            doc = "The image.",
        ),
        "repo_tags": attr.string_list(
            doc = "`REPO:TAG` names of the loaded image, as docker/podman name images; a registry is optional (`aggregator_image:latest` loads as `localhost/aggregator_image:latest` in podman). Default: `[<image name>:latest]`, the seed's `<svc>_image:latest`.",
        ),
        "format": attr.string(
            default = "docker",
            values = ["docker", "oci"],
            doc = "`docker` (docker-archive) or `oci` (oci-archive).",
        ),
        "_template": attr.label(
            default = Label("//rules/private:load.sh.tpl"),
            allow_single_file = True,
        ),
    },
    toolchains = TOOLCHAINS,
)
