"""odp_pull: a base image from a registry, pinned by digest (a repository rule).

The fetch runs the host's prebuilt odptool (`odptool image pull`) to resolve
the pinned reference, choose the platform from an index and verify the
manifest and config; the layer blobs are then fetched by Bazel's downloader
with their sha256, so they land in Bazel's repository cache and are
downloaded once per machine, not once per output base (`downloader =
"odptool"` has odptool fetch them instead). In the build, `@NAME//:NAME`
copies the files into a layout directory, reading and verifying every blob
again. See docs/base-images.md, "Bases from a registry".
"""

load(":common.bzl", "TOOLCHAINS", "run_odptool")

# `uname -m` (and Bazel's os.arch) -> the release binaries' architecture.
_ARCH = {"amd64": "amd64", "x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}

_HEX = "0123456789abcdef"

def _rules_odp_label(name):
    # "@rules_odp//..." in WORKSPACE mode; the canonical name under bzlmod.
    label = str(Label(name))
    return label if label.startswith("@") else "@rules_odp" + label

def _apparent_name(name):
    # Under bzlmod a repository's name is canonical (`rules_odp~~pull~base`,
    # `rules_odp++pull+base`); users name the target by the tag's name.
    return name.split("~")[-1].split("+")[-1]

def _host_platform(rctx, what):
    os = rctx.os.name.lower()
    if os.startswith("linux"):
        os = "linux"
    elif os.startswith("mac") or os.startswith("darwin"):
        os = "darwin"
    else:
        fail("%s: no prebuilt odptool for host OS %r: give attribute odptool" % (what, rctx.os.name))

    # repository_ctx.os.arch exists only on newer Bazel (not on 4.2.3).
    arch = getattr(rctx.os, "arch", "")
    if not arch:
        res = rctx.execute(["uname", "-m"])
        if res.return_code != 0:
            fail("%s: uname -m failed (%s): give attribute odptool" % (what, res.stderr.strip()))
        arch = res.stdout.strip()
    if arch not in _ARCH:
        fail("%s: no prebuilt odptool for host architecture %r: give attribute odptool" % (what, arch))
    return "%s_%s" % (os, _ARCH[arch])

def _reference_error(ref):
    """What is wrong with `ref` as a pinned image reference, or ""."""
    repo, at, digest = ref.partition("@")
    if not at:
        tag = ref.rpartition("/")[2]
        return ("%r is not pinned by digest%s: give REGISTRY/REPOSITORY@sha256:<64 hex> " +
                "(a tag can move, and the base's digest decides your image's digest; " +
                "`skopeo inspect --format '{{.Digest}}' docker://%s` prints the digest the tag points to now)") % (
            ref,
            " (only a tag)" if ":" in tag else "",
            ref,
        )
    digest_hex = digest[len("sha256:"):]
    if not digest.startswith("sha256:") or len(digest_hex) != 64 or [c for c in digest_hex.elems() if c not in _HEX]:
        return "%r: the digest must be sha256:<64 lower-case hex digits>" % ref
    first = repo.partition("/")[0]
    if "/" not in repo or not (first == "localhost" or "." in first or ":" in first or "[" in first):
        return "%r does not start with a registry host (e.g. gcr.io/distroless/java21-debian12@sha256:...); a bare name would silently mean Docker Hub" % ref
    return ""

def _platform_error(platform):
    """What is wrong with `platform` as os/arch[/variant], or ""."""
    parts = platform.split("/")
    if len(parts) not in (2, 3) or [p for p in parts if not p or p.strip() != p]:
        return "%r is not os/arch[/variant], e.g. linux/amd64" % platform
    return ""

# Pure helpers, for unit tests.
pull_checks = struct(
    reference_error = _reference_error,
    platform_error = _platform_error,
    apparent_name = _apparent_name,
)

def _pull(rctx, odptool, what):
    args = [
        odptool,
        "image",
        "pull",
        "--reference",
        rctx.attr.image,
        "--platform",
        rctx.attr.platform,
        "--out",
        "layout",
        "--json",
    ]
    if rctx.attr.downloader == "bazel":
        args += ["--manifest-only", "--print-authorization"]
    if rctx.attr.insecure:
        args.append("--insecure")
    rctx.report_progress("Pulling %s for %s" % (rctx.attr.image, rctx.attr.platform))
    res = rctx.execute(args, timeout = rctx.attr.timeout, quiet = True)
    if res.return_code != 0:
        fail("%s: %s\n(the fetch ran: odptool image pull --reference %s --platform %s; credentials come from the environment of the Bazel client, e.g. --repo_env=DOCKER_CONFIG=DIR or --repo_env=REGISTRY_AUTH_FILE=FILE)" % (
            what,
            (res.stderr.strip() or res.stdout.strip() or "exit status %d" % res.return_code).replace("odptool: ", "", 1),
            rctx.attr.image,
            rctx.attr.platform,
        ))
    return json.decode(res.stdout)

def _auth(plan, url):
    header = plan.get("authorization", "")
    if not header:
        return None
    scheme, _, credentials = header.partition(" ")
    return {url: {"type": "pattern", "pattern": scheme + " <password>", "password": credentials}}

def _download_layers(rctx, plan):
    """Downloads the missing layer blobs; returns the first that failed, or None."""
    for layer in plan["layers"]:
        blob_hex = layer["digest"][len("sha256:"):]
        kwargs = {
            "allow_fail": True,
            "output": "layout/blobs/sha256/" + blob_hex,
            "sha256": blob_hex,
            "url": [layer["url"]],
        }
        auth = _auth(plan, layer["url"])
        if auth:
            kwargs["auth"] = auth
        res = rctx.download(**kwargs)
        if not res.success:
            return layer
    return None

def _odp_pull_impl(rctx):
    name = _apparent_name(rctx.name)
    what = "odp_pull %s" % name
    for attribute, error in [("image", _reference_error(rctx.attr.image)), ("platform", _platform_error(rctx.attr.platform))]:
        if error:
            fail("%s: attribute %s: %s" % (what, attribute, error))
    if rctx.attr.odptool:
        odptool = rctx.path(rctx.attr.odptool)
    else:
        host = _host_platform(rctx, what)
        odptool = rctx.path(Label("@rules_odp_odptool_%s//:odptool" % host))

    plan = _pull(rctx, odptool, what)
    if plan["layersMissing"]:
        failed = _download_layers(rctx, plan)
        if failed:
            # A short-lived token may have expired: ask again, once. What
            # was downloaded is in the repository cache already.
            plan = _pull(rctx, odptool, what)
            failed = _download_layers(rctx, plan)
        if failed:
            fail(("%s: Bazel's downloader could not fetch layer %s (%d bytes) of %s from\n  %s\n" +
                  "with that sha256 (see the WARNING above). Either the registry served other bytes than the pinned " +
                  "manifest names (then it does not hold the image pinned, and nothing can fetch it), or it refused the " +
                  "request (an expired token, a redirect that needs credentials: downloader = \"odptool\" fetches " +
                  "the layers with odptool instead, without the repository cache).") % (
                what,
                failed["digest"],
                failed["size"],
                rctx.attr.image,
                failed["url"],
            ))

    blobs = ["layout/blobs/sha256/" + d[len("sha256:"):] for d in [plan["digest"], plan["config"]] + [layer["digest"] for layer in plan["layers"]]]

    rctx.file("digest", plan["digest"])
    rctx.file("WORKSPACE", "workspace(name = %r)\n" % name)
    rctx.file("BUILD.bazel", """# Generated by rules_odp's odp_pull: {image} for {platform}.
# The layout's index.json names manifest {digest}{index}.
load("{pull}", "odp_pulled_layout")

package(default_visibility = ["//visibility:public"])

odp_pulled_layout(
    name = {name},
    blobs = {blobs},
    digest = {digest_repr},
    index = "layout/index.json",
    oci_layout = "layout/oci-layout",
    platform = {platform_repr},
)

exports_files(["digest"])
""".format(
        image = rctx.attr.image,
        platform = plan["platform"],
        digest = plan["digest"],
        index = " (chosen from index %s)" % plan["index"] if plan.get("index") else "",
        pull = _rules_odp_label("//rules/private:pull.bzl"),
        name = repr(name),
        blobs = repr(sorted({b: None for b in blobs}.keys())),
        digest_repr = repr(plan["digest"]),
        platform_repr = repr(rctx.attr.platform),
    ))

odp_pull = repository_rule(
    implementation = _odp_pull_impl,
    doc = """A base image from a registry, pinned by digest, as an OCI layout.

```starlark
load("@rules_odp//rules:repositories.bzl", "odp_pull")

odp_pull(
    name = "distroless_java21",
    image = "gcr.io/distroless/java21-debian12@sha256:<64 hex>",
    platform = "linux/amd64",
)
```

then `base = "@distroless_java21//:distroless_java21"` in `odp_image` or
the image macros. The repository has:

- `@NAME//:NAME`: the layout directory (one image manifest, its config and
  layers), each blob read and verified against its digest when it is made;
- `@NAME//:digest`: a file holding the digest of the manifest the layout
  names (`sha256:<hex>`, no newline): `image`'s digest when it names an
  image manifest, the digest of the manifest chosen for `platform` when it
  names an index.

The fetch runs `odptool image pull` (the prebuilt odptool for the host, or
`odptool`): it refuses a reference without a digest, chooses exactly
`platform` from an index (an error lists the platforms it has) or checks
that a single image's config declares it, and verifies the manifest (and
index) against the pinned digest and the config against the manifest. With
`downloader = "bazel"` the layers are then fetched by Bazel's downloader
with their sha256 (into the repository cache: once per machine), with the
`Authorization` the registry accepted for odptool. Credentials come from
the Bazel client's environment as for `odptool image push`:
`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
`~/.config/containers/auth.json`, `$DOCKER_CONFIG/config.json`,
`~/.docker/config.json` (credential helpers included); pass e.g.
`--repo_env=DOCKER_CONFIG=DIR`. A wrong digest, a missing platform, refused
credentials or an unreachable registry fail the fetch with a message saying
which.""",
    attrs = {
        "image": attr.string(
            mandatory = True,
            doc = "`REGISTRY/REPOSITORY@sha256:<64 hex>` (a tag before the `@` is allowed and ignored). A reference without a digest is refused: a tag can move, and the base's digest decides the digest of every image built on it.",
        ),
        "platform": attr.string(
            mandatory = True,
            doc = "`os/arch[/variant]`, e.g. `linux/amd64` (what Confidential Space runs). Chosen from an index exactly; a single image's config must declare it. Never guessed from the host.",
        ),
        "odptool": attr.label(
            doc = "An odptool binary to run at fetch time. Default: the prebuilt release for the host, `@rules_odp_odptool_<os>_<arch>//:odptool`, which `rules_odp_register_toolchains()` / `odptool_repositories()` declare (a workspace on the from-source toolchain calls `odptool_repositories()` as well, or gives this).",
        ),
        "downloader": attr.string(
            default = "bazel",
            values = ["bazel", "odptool"],
            doc = "Who fetches the layer blobs: `bazel` (default): Bazel's downloader, checking each blob's sha256, so they are kept in the repository cache; `odptool`: odptool fetches and verifies them, each read bounded by its size and the registry's redirects held to odptool's host rules, but nothing is kept in the repository cache (use it for registries whose blob downloads need what Bazel's downloader cannot send).",
        ),
        "insecure": attr.bool(
            doc = "Allow plain HTTP to the registry (and hosts it redirects to). Registries on localhost, 127.0.0.1 and [::1] get plain HTTP anyway.",
        ),
        "timeout": attr.int(
            default = 3600,
            doc = "Seconds the fetch's odptool may run in all (each registry request also fails after 60 s without progress).",
        ),
    },
)

def _odp_pulled_layout_impl(ctx):
    layout = ctx.actions.declare_directory(ctx.label.name)
    args = ctx.actions.args()
    args.add_all(["image", "pull"])
    args.add("--layout", ctx.file.index.dirname)
    args.add("--digest", ctx.attr.digest)
    args.add("--platform", ctx.attr.platform)
    args.add("--out", layout.path)
    run_odptool(
        ctx,
        arguments = [args],
        inputs = [ctx.file.index, ctx.file.oci_layout] + ctx.files.blobs,
        outputs = [layout],
        mnemonic = "OdpPulledLayout",
        progress_message = "Verifying pulled image %s" % ctx.label,
    )
    return [DefaultInfo(files = depset([layout]), runfiles = ctx.runfiles(files = [layout]))]

odp_pulled_layout = rule(
    implementation = _odp_pulled_layout_impl,
    doc = "The layout directory of an odp_pull repository: its files copied (hard linked where possible) after every blob was read and verified (`odptool image pull --layout`). Generated by odp_pull; not for direct use.",
    attrs = {
        "index": attr.label(mandatory = True, allow_single_file = ["index.json"], doc = "The layout's index.json."),
        "oci_layout": attr.label(mandatory = True, allow_single_file = True, doc = "The layout's oci-layout file."),
        "blobs": attr.label_list(mandatory = True, allow_files = True, doc = "Every blob of the image: manifest, config, layers."),
        "digest": attr.string(mandatory = True, doc = "The manifest digest the layout must name."),
        "platform": attr.string(mandatory = True, doc = "The platform of the image."),
    },
    toolchains = TOOLCHAINS,
)
