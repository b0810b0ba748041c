"""odp_normalized_jar: a jar rewritten deterministically by `odptool jar normalize`."""

load(":toolchain.bzl", "ODPTOOL_TOOLCHAIN", "odptool")

def _odp_normalized_jar_impl(ctx):
    out = ctx.actions.declare_file(ctx.attr.out or ctx.label.name + ".jar")
    if not out.basename.endswith(".jar"):
        fail("attribute out: %r must end in .jar" % out.basename)
    args = ctx.actions.args()
    args.add_all(["jar", "normalize"])
    args.add("--out", out)
    for attribute in ctx.attr.drop_manifest_attributes:
        if not attribute or ":" in attribute or " " in attribute:
            fail("attribute drop_manifest_attributes: %r is not a manifest attribute name" % attribute)
        args.add("--drop-manifest-attr", attribute)
    args.add(ctx.file.jar)
    ctx.actions.run(
        executable = odptool(ctx),
        arguments = [args],
        inputs = [ctx.file.jar],
        outputs = [out],
        mnemonic = "OdpJarNormalize",
        progress_message = "Normalising %s" % ctx.file.jar.short_path,
    )
    return [DefaultInfo(files = depset([out]))]

odp_normalized_jar = rule(
    implementation = _odp_normalized_jar_impl,
    doc = """A jar rewritten deterministically (`odptool jar normalize`): entries
sorted with the manifest first, one fixed timestamp, no extra fields,
compression methods kept, volatile manifest attributes (`Build-Jdk`,
`Built-By`, `Created-By`, ...) removed, nested jars normalised.""",
    attrs = {
        "jar": attr.label(
            mandatory = True,
            allow_single_file = [".jar"],
            doc = "The jar (e.g. a `java_binary`'s `NAME_deploy.jar`, a Spring Boot jar).",
        ),
        "out": attr.string(doc = "Output file name; default `NAME.jar`."),
        "drop_manifest_attributes": attr.string_list(doc = "More main-section manifest attributes to remove."),
    },
    toolchains = [ODPTOOL_TOOLCHAIN],
)
