"""deb_layer: one deterministic OCI layer from one Debian package."""

load(":toolchain.bzl", "ODPTOOL_TOOLCHAIN", "odptool")

OdpLayerInfo = provider(
    doc = "One OCI layer (a tar, possibly gzip-compressed), as image rules consume it.",
    fields = {
        "layer": "File: the layer tar (`.tar` or `.tar.gz`).",
        "media_type": "string: its OCI media type.",
    },
)

_MEDIA_TYPES = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
}

_EXTENSIONS = {
    "none": ".tar",
    "gzip": ".tar.gz",
}

def _deb_layer_impl(ctx):
    # `values` cannot relate two attributes: a level makes sense only for gzip.
    if ctx.attr.gzip_level and ctx.attr.compression != "gzip":
        fail("attribute gzip_level: set to %d, but compression is %r; a level applies only to compression = \"gzip\"" % (
            ctx.attr.gzip_level,
            ctx.attr.compression,
        ))
    if ctx.attr.gzip_level < 0 or ctx.attr.gzip_level > 9:
        fail("attribute gzip_level: %d is not a gzip level (1-9, or 0 for odptool's default)" % ctx.attr.gzip_level)

    # The seed's layer name, <package>_<arch>.tar: the package is the target's
    # name (deb_packages names it so), the arch is the .deb's.
    deb = ctx.file.deb
    fields = deb.basename[:-len(".deb")].split("_")
    arch = fields[-1]
    if len(fields) != 3 or not arch or "." in arch:
        fail("attribute deb: %s is not named NAME_VERSION_ARCH.deb, so the layer's architecture is unknown" % deb.short_path)
    out = ctx.actions.declare_file("%s_%s%s" % (ctx.label.name, arch, _EXTENSIONS[ctx.attr.compression]))

    args = ctx.actions.args()
    args.add("deb")
    args.add("repack")
    args.add("--out", out)
    args.add("--merged-usr=%s" % ("true" if ctx.attr.merged_usr else "false"))
    args.add("--status-record=%s" % ("true" if ctx.attr.status_record else "false"))

    # Fixed mtime for every entry, whatever the caller's environment.
    args.add("--source-date-epoch", "0")
    if ctx.attr.gzip_level:
        args.add("--gzip-level", str(ctx.attr.gzip_level))
    args.add(deb)

    ctx.actions.run(
        executable = odptool(ctx),
        arguments = [args],
        inputs = [deb],
        outputs = [out],
        mnemonic = "OdpDebRepack",
        progress_message = "Repacking %s into layer %s" % (deb.basename, out.short_path),
    )
    return [
        # runfiles too, so that `data = [":layer"]` makes it available.
        DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out])),
        OdpLayerInfo(layer = out, media_type = _MEDIA_TYPES[ctx.attr.compression]),
    ]

deb_layer = rule(
    implementation = _deb_layer_impl,
    doc = """Repacks one `.deb` into one deterministic layer, `NAME_ARCH.tar[.gz]`.

Runs `odptool deb repack` (sorted entries, fixed mtimes, numeric owners, no
setuid/setgid/sticky bits, merged /usr, a dpkg status record). `NAME` is the
target's name; `ARCH` comes from the `.deb` file name. Returns
`OdpLayerInfo`.""",
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
        "compression": attr.string(
            default = "none",
            values = ["none", "gzip"],
            doc = "`none` writes `NAME_ARCH.tar`, `gzip` writes `NAME_ARCH.tar.gz`.",
        ),
        "gzip_level": attr.int(
            default = 0,
            doc = "gzip level 1-9; only with `compression = \"gzip\"`. 0: odptool's default.",
        ),
    },
    toolchains = [ODPTOOL_TOOLCHAIN],
)
