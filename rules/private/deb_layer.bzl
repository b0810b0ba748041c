"""deb_layer: one deterministic OCI layer from one Debian package."""

load(":common.bzl", "COMPRESSIONS", "TOOLCHAINS", "attr_fail", "COMPRESSION_ATTR", "layer_info", "run_odptool", "source_date_epoch", "SOURCE_DATE_EPOCH_ATTR")

def _deb_layer_impl(ctx):
    # The seed's layer name, <package>_<arch>.tar: the package is the target's
    # name (deb_packages names it so), the arch is the .deb's.
    deb = ctx.file.deb
    fields = deb.basename[:-len(".deb")].split("_")
    arch = fields[-1]
    if len(fields) != 3 or not arch or "." in arch:
        attr_fail("deb_layer", ctx.label, "deb", "%s is not named NAME_VERSION_ARCH.deb, so the layer's architecture is unknown" % deb.short_path)
    out = ctx.actions.declare_file("%s_%s%s" % (ctx.label.name, arch, COMPRESSIONS[ctx.attr.compression].extension))

    args = ctx.actions.args()
    args.add_all(["deb", "repack"])
    args.add("--out", out)
    args.add("--compression", ctx.attr.compression)
    args.add("--merged-usr=%s" % ("true" if ctx.attr.merged_usr else "false"))
    args.add("--status-record=%s" % ("true" if ctx.attr.status_record else "false"))
    args.add("--source-date-epoch", source_date_epoch(ctx, "deb_layer"))
    args.add(deb)
    run_odptool(
        ctx,
        arguments = [args],
        inputs = [deb],
        outputs = [out],
        mnemonic = "OdpDebRepack",
        progress_message = "Repacking %s into layer %s" % (deb.basename, out.short_path),
    )
    return [
        # runfiles too, so that `data = [":layer"]` makes it available.
        DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out])),
        layer_info(out, ctx.attr.compression),
    ]

deb_layer = rule(
    implementation = _deb_layer_impl,
    doc = """Repacks one `.deb` into one deterministic layer, `NAME_ARCH.tar[.gz]`.

Runs `odptool deb repack` (sorted entries, fixed mtimes, numeric owners, no
setuid/setgid/sticky bits, merged /usr, a dpkg status record). `NAME` is the
target's name; `ARCH` comes from the `.deb` file name. Returns
`OdpLayerInfo`.

```starlark
deb_layer(
    name = "libc6",
    deb = "@debs//libc6:deb",
)
```""",
    attrs = {
        "deb": attr.label(
            mandatory = True,
            allow_single_file = [".deb"],
            doc = "The `.deb`, named `NAME_VERSION_ARCH.deb` (as in the archive's pool or from `apt-get download`).",
        ),
        "merged_usr": attr.bool(
            default = True,
            doc = "Move `bin/`, `sbin/`, `lib*/` under `usr/`, for bases whose top-level directories are symlinks into `/usr`.",
        ),
        "status_record": attr.bool(
            default = True,
            doc = "Add `var/lib/dpkg/status.d/NAME` (+ `.md5sums`) so that scanners see the package.",
        ),
        "compression": COMPRESSION_ATTR,
        "source_date_epoch": SOURCE_DATE_EPOCH_ATTR,
    },
    toolchains = TOOLCHAINS,
)
