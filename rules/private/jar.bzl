"""odp_normalized_jar: a jar rewritten deterministically by `odptool jar normalize`."""

load(":common.bzl", "TOOLCHAINS", "attr_fail", "run_odptool", "source_date_epoch", "SOURCE_DATE_EPOCH_ATTR")

_KIND = "odp_normalized_jar"

def _odp_normalized_jar_impl(ctx):
    out = ctx.actions.declare_file(ctx.attr.out or ctx.label.name + ".jar")
    if not out.basename.endswith(".jar"):
        attr_fail(_KIND, ctx.label, "out", "%r must end in .jar" % out.basename)
    args = ctx.actions.args()
    args.add_all(["jar", "normalize"])
    args.add("--out", out)
    args.add("--source-date-epoch", source_date_epoch(ctx, _KIND))
    for attribute in ctx.attr.drop_manifest_attributes:
        if not attribute or ":" in attribute or " " in attribute:
            attr_fail(_KIND, ctx.label, "drop_manifest_attributes", "%r is not a manifest attribute name" % attribute)
        args.add("--drop-manifest-attr", attribute)
    if ctx.attr.sort_entries:
        args.add("--sort-entries")
    args.add(ctx.file.jar)
    run_odptool(
        ctx,
        arguments = [args],
        inputs = [ctx.file.jar],
        outputs = [out],
        mnemonic = "OdpJarNormalize",
        progress_message = "Normalising %s" % ctx.file.jar.short_path,
    )
    return [DefaultInfo(files = depset([out]))]

odp_normalized_jar = rule(
    implementation = _odp_normalized_jar_impl,
    doc = """A jar rewritten deterministically (`odptool jar normalize`): one fixed
timestamp (`source_date_epoch`, clamped to 1980), no extra fields,
compression methods kept, volatile manifest attributes (`Build-Jdk`,
`Built-By`, `Created-By`, ...) removed, nested jars normalised. The
entries keep their order (only `META-INF/MANIFEST.MF` moves first): a
Spring Boot jar without `BOOT-INF/classpath.idx` builds its class path from
it, so sorting could change which of two classes of one name wins;
`sort_entries` sorts them anyway.

```starlark
odp_normalized_jar(
    name = "app_jar",
    jar = ":app_deploy.jar",
)
```""",
    attrs = {
        "jar": attr.label(
            mandatory = True,
            allow_single_file = [".jar"],
            doc = "The jar (e.g. a `java_binary`'s `NAME_deploy.jar`, a Spring Boot jar).",
        ),
        "out": attr.string(doc = "Output file name; default `NAME.jar`."),
        "drop_manifest_attributes": attr.string_list(doc = "More main-section manifest attributes to remove."),
        "sort_entries": attr.bool(doc = "Sort the entries by name (nested jars too). Off by default: the order of a jar's entries can decide which class wins."),
        "source_date_epoch": SOURCE_DATE_EPOCH_ATTR,
    },
    toolchains = TOOLCHAINS,
)
