"""odp_sbom: the SBOM of an image built by rules_odp, from its exact layer contents."""

load(":common.bzl", "SOURCE_DATE_EPOCH_ATTR", "TOOLCHAINS", "run_odptool", "source_date_epoch")
load(":providers.bzl", "OdpImageInfo")

_EXTENSIONS = {"cyclonedx": ".cdx.json", "spdx": ".spdx.json"}

def _odp_sbom_impl(ctx):
    info = ctx.attr.image[OdpImageInfo]
    out = ctx.actions.declare_file(ctx.label.name + _EXTENSIONS[ctx.attr.format])
    args = ctx.actions.args()
    args.add_all(["image", "sbom"])
    args.add("--layout", info.layout.path)
    args.add("--out", out)
    args.add("--format", ctx.attr.format)
    args.add("--name", ctx.attr.document_name or str(ctx.attr.image.label))
    inputs = [info.layout]
    bases = info.base_layouts.to_list()
    if bases:
        # The nearest base: its layers are the image's first ones.
        args.add("--base-layout", "base=" + bases[0].path)
        inputs.append(bases[0])
    for lock in ctx.files.locks:
        args.add("--deb-lock", lock)
        inputs.append(lock)
    args.add("--source-date-epoch", source_date_epoch(ctx, "odp_sbom"))
    run_odptool(
        ctx,
        arguments = [args],
        inputs = inputs,
        outputs = [out],
        mnemonic = "OdpSbom",
        progress_message = "Writing the %s SBOM of %s" % (ctx.attr.format, ctx.attr.image.label),
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

odp_sbom = rule(
    implementation = _odp_sbom_impl,
    doc = """The SBOM of an image (`odptool image sbom`): SPDX 2.3 JSON
(`NAME.spdx.json`) or CycloneDX 1.5 JSON (`NAME.cdx.json`), computed from the
exact contents of its layers: every Debian package (with the `.deb`
SHA-256 of `locks`), Python distribution, jar (Maven coordinates) and native
library, and the base image by digest. The same image gives the same bytes
(docs/supply-chain.md). The image macros declare one as `NAME.sbom`.

```starlark
odp_sbom(
    name = "aggregator_image.sbom",
    image = ":aggregator_image",
    locks = ["//bases:java17.lock.json"],
)
```""",
    attrs = {
        "image": attr.label(mandatory = True, providers = [OdpImageInfo], doc = "The image."),
        "format": attr.string(default = "spdx", values = ["cyclonedx", "spdx"], doc = "`spdx` (SPDX 2.3 JSON) or `cyclonedx` (CycloneDX 1.5 JSON)."),
        "locks": attr.label_list(allow_files = [".json"], doc = "Lock files (`odptool deb lock`) giving the SHA-256 of the `.deb` files the image's Debian packages came from."),
        "document_name": attr.string(doc = "Name of the image in the document, e.g. its repository; default the image's label."),
        "source_date_epoch": SOURCE_DATE_EPOCH_ATTR,
    },
    toolchains = TOOLCHAINS,
)
