"""odp_base_image: a distroless-style base image from Debian package layers."""

load(":common.bzl", "COMPRESSIONS", "TOOLCHAINS", "attr_fail", "COMPRESSION_ATTR", "layer_info", "run_odptool", "source_date_epoch", "SOURCE_DATE_EPOCH_ATTR")
load(":files_layer.bzl", "files_layer_spec", "run_files_layer")
load(":image.bzl", "odp_image")

# The users and groups of a distroless base: root and nonroot (65532).
_PASSWD = """\
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
"""

_GROUP = """\
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
"""

# glibc reads it for getpwnam/gethostbyname; without it lookups depend on
# compiled-in defaults.
_NSSWITCH = """\
passwd:         files
group:          files
shadow:         files
hosts:          files dns
networks:       files
protocols:      files
services:       files
ethers:         files
rpc:            files
"""

# The merged-/usr links every layer of a base relies on: `deb_layer` moves
# bin/, sbin/ and lib*/ under usr/ (merged_usr = True) and these links make
# the old paths work, as on Debian 12.
MERGED_USR_LINKS = {
    "/bin": "usr/bin",
    "/lib": "usr/lib",
    "/lib64": "usr/lib64",
    "/sbin": "usr/sbin",
}

def _odp_base_files_impl(ctx):
    kind = "odp_base_files"
    out = ctx.actions.declare_file(ctx.label.name + COMPRESSIONS[ctx.attr.compression].extension)
    texts = []
    for path, content in [("/etc/passwd", _PASSWD), ("/etc/group", _GROUP), ("/etc/nsswitch.conf", _NSSWITCH)]:
        f = ctx.actions.declare_file("%s/%s" % (ctx.label.name, path.split("/")[-1]))
        ctx.actions.write(f, content)
        texts.append((path, f))

    symlinks = dict(MERGED_USR_LINKS)
    for path, target in ctx.attr.links.items():
        if path in symlinks:
            attr_fail(kind, ctx.label, "links", "%r is one of the merged-/usr links the base makes itself" % path)
        if not path.startswith("/usr/") and not path.startswith("/etc/"):
            attr_fail(kind, ctx.label, "links", "%r must be under /usr/ or /etc/ (the top-level directories of a merged-/usr base are links themselves)" % path)
        symlinks[path] = target

    directories = [
        "/etc",
        "/home",
        "/home/nonroot",
        "/root",
        "/tmp",
        "/usr",
        "/usr/bin",
        "/usr/lib",
        "/usr/lib64",
        "/usr/sbin",
        "/var",
        "/var/lib",
        "/var/lib/dpkg",
        "/var/lib/dpkg/status.d",
    ]
    modes = {
        "/etc/passwd": "0644",
        "/etc/group": "0644",
        "/etc/nsswitch.conf": "0644",
        "/tmp": "1777",
        "/root": "0700",
        "/home/nonroot": "0700",
    }
    owners = {"/home/nonroot": "65532:65532"}
    items = files_layer_spec(kind, ctx.label, texts, directories, symlinks, modes, owners)
    info = run_files_layer(ctx, kind, out, items, [f for _, f in texts], ctx.attr.compression, keep_special_bits = True)
    return [DefaultInfo(files = depset([out])), info]

odp_base_files = rule(
    implementation = _odp_base_files_impl,
    doc = """The filesystem skeleton of a distroless-style base, as one layer:
`/etc/passwd` and `/etc/group` (root, nobody, nonroot 65532),
`/etc/nsswitch.conf`, `/tmp` (1777), `/root` (0700), `/home/nonroot`
(0700, 65532:65532), the merged-/usr links `/bin`, `/sbin`, `/lib`, `/lib64`
-> `usr/...`, and the links of attribute `links`. Returns `OdpLayerInfo`.""",
    attrs = {
        "links": attr.string_dict(doc = "Extra symlinks, image path -> target: the links a package's maintainer scripts would have made (e.g. `update-alternatives`' `/usr/bin/java`)."),
        "compression": COMPRESSION_ATTR,
        "source_date_epoch": SOURCE_DATE_EPOCH_ATTR,
    },
    toolchains = TOOLCHAINS,
)

def _odp_ca_bundle_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + COMPRESSIONS[ctx.attr.compression].extension)
    args = ctx.actions.args()
    args.add_all(["deb", "cacerts"])
    args.add("--out", out)
    args.add("--compression", ctx.attr.compression)
    args.add("--source-date-epoch", source_date_epoch(ctx, "odp_ca_bundle"))
    args.add(ctx.file.deb)
    run_odptool(
        ctx,
        arguments = [args],
        inputs = [ctx.file.deb],
        outputs = [out],
        mnemonic = "OdpCaBundle",
        progress_message = "Writing the CA bundle of %s" % ctx.file.deb.basename,
    )
    return [
        DefaultInfo(files = depset([out])),
        layer_info(out, ctx.attr.compression),
    ]

odp_ca_bundle = rule(
    implementation = _odp_ca_bundle_impl,
    doc = """`/etc/ssl/certs/ca-certificates.crt` as one layer, made from the
`ca-certificates` package as its maintainer script (`update-ca-certificates`)
would (`odptool deb cacerts`). Every certificate must parse; none is
skipped. Returns `OdpLayerInfo`.""",
    attrs = {
        "deb": attr.label(
            mandatory = True,
            allow_single_file = [".deb"],
            doc = "The `ca-certificates` `.deb`, e.g. `@java17_debs//ca-certificates:deb`.",
        ),
        "compression": COMPRESSION_ATTR,
        "source_date_epoch": SOURCE_DATE_EPOCH_ATTR,
    },
    toolchains = TOOLCHAINS,
)

# PATH of a Debian system; a scratch image has none.
DEFAULT_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}

def odp_base_image(
        name,
        packages,
        links = {},
        ca_certificates = None,
        env = None,
        user = "",
        workdir = "",
        labels = {},
        exposed_ports = [],
        platform = "linux/amd64",
        compression = "none",
        source_date_epoch = -1,
        visibility = None,
        tags = [],
        **kwargs):
    """A distroless-style base image: a skeleton layer, then one layer per Debian package.

    Targets: `NAME` (`odp_image`: the OCI layout), `NAME_files` (the
    skeleton layer, `odp_base_files`), `NAME_ca_bundle` (with
    `ca_certificates`).

    ```starlark
    odp_base_image(
        name = "java17",
        packages = ["@java17_debs//libc6", "@java17_debs//openjdk-17-jre-headless"],
        links = {"/usr/bin/java": "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"},
        ca_certificates = "@java17_debs//ca-certificates:deb",
        user = "65532",
        workdir = "/home/nonroot",
    )
    ```

    Args:
      name: target name.
      packages: `deb_layer` targets (e.g. `@java17_debs//libc6` from
        `deb_packages`), stacked in this order on top of the skeleton. Each
        must be repacked with merged /usr (the default): a layer with a
        `lib/` directory would mask the base's `/lib -> usr/lib` link, and
        image assembly refuses it.
      links: symlinks the packages' maintainer scripts would have made, e.g.
        `{"/usr/bin/java": "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"}`.
      ca_certificates: the `ca-certificates` `.deb` (e.g.
        `@java17_debs//ca-certificates:deb`): adds the layer `NAME_ca_bundle`
        with `/etc/ssl/certs/ca-certificates.crt`, which the package's
        maintainer script would have made. None: no bundle.
      env: config environment; default `PATH` only.
      user: config `User`; default root. `"65532"` for nonroot.
      workdir: config `WorkingDir`.
      labels: config labels.
      exposed_ports: config `ExposedPorts`.
      platform: `linux/amd64` (default) or `linux/arm64`.
      compression: `none` (default) or `gzip`, for the skeleton and CA
        layers and uncompressed package layers at assembly.
      source_date_epoch: timestamp of layer entries and the config's
        `created`; default `--define=SOURCE_DATE_EPOCH`, else 0.
      visibility: of `NAME`.
      tags: Bazel tags of every target.
      **kwargs: common Bazel attributes of the image target (`testonly`, ...).
    """
    if not packages:
        fail("odp_base_image %s: attribute packages: at least one package layer is needed" % name)
    odp_base_files(
        name = name + "_files",
        links = links,
        compression = compression,
        source_date_epoch = source_date_epoch,
        tags = tags + ["manual"],
        visibility = ["//visibility:private"],
    )
    extra = []
    if ca_certificates != None:
        odp_ca_bundle(
            name = name + "_ca_bundle",
            deb = ca_certificates,
            compression = compression,
            source_date_epoch = source_date_epoch,
            tags = tags + ["manual"],
            visibility = ["//visibility:private"],
        )
        extra.append(":" + name + "_ca_bundle")
    odp_image(
        name = name,
        layers = [":" + name + "_files"] + packages + extra,
        env = DEFAULT_ENV if env == None else env,
        user = user,
        workdir = workdir,
        labels = labels,
        exposed_ports = exposed_ports,
        platform = platform,
        compression = compression,
        source_date_epoch = source_date_epoch,
        visibility = visibility,
        tags = tags,
        **kwargs
    )
