"""odp_files_layer: one deterministic layer from files, directories and symlinks named explicitly."""

load(":common.bzl", "COMPRESSIONS", "TOOLCHAINS", "attr_fail", "COMPRESSION_ATTR", "layer_info", "run_odptool", "source_date_epoch", "SOURCE_DATE_EPOCH_ATTR")

def _check_image_path(kind, label, attr, path):
    if not path.startswith("/") or "/../" in path + "/" or "/./" in path + "/" or "//" in path:
        attr_fail(kind, label, attr, "%r must be a clean absolute path in the image" % path)

def _check_mode(kind, label, attr, path, mode):
    if not mode or len(mode) > 4 or [c for c in mode.elems() if c not in "01234567"]:
        attr_fail(kind, label, attr, "mode %r of %r is not an octal mode like \"0644\"" % (mode, path))

def _check_owner(kind, label, attr, path, owner):
    parts = owner.split(":")
    if len(parts) != 2 or not parts[0].isdigit() or not parts[1].isdigit():
        attr_fail(kind, label, attr, "owner %r of %r is not numeric UID:GID" % (owner, path))
    return int(parts[0]), int(parts[1])

def files_layer_spec(kind, label, files, directories, symlinks, modes, owners):
    """The JSON spec of `odptool layer files --spec` (a list of dicts).

    kind, label: the calling rule, for messages. files: list of (image
    path, File); directories: list of image paths; symlinks: dict image path
    -> target; modes / owners: dicts keyed by image path ("0644",
    "UID:GID"). Every path of modes/owners must be one of the entries, so
    that a typo is an error and not a silently default mode."""
    items = []
    known = {}
    for path, src in files:
        _check_image_path(kind, label, "files", path)
        items.append({"path": path, "src": src.path})
        known[path] = True
    for path in directories:
        _check_image_path(kind, label, "directories", path)
        items.append({"path": path, "type": "dir"})
        known[path] = True
    for path in sorted(symlinks):
        _check_image_path(kind, label, "symlinks", path)
        if not symlinks[path]:
            attr_fail(kind, label, "symlinks", "%r has an empty target" % path)
        items.append({"path": path, "type": "symlink", "target": symlinks[path]})
        known[path] = True
    for path in modes:
        if path not in known:
            attr_fail(kind, label, "modes", "%r is not a path of files, directories or symlinks" % path)
        _check_mode(kind, label, "modes", path, modes[path])
    for path in owners:
        if path not in known:
            attr_fail(kind, label, "owners", "%r is not a path of files, directories or symlinks" % path)
        _check_owner(kind, label, "owners", path, owners[path])
    for item in items:
        path = item["path"]
        if path in modes and item.get("type") != "symlink":
            item["mode"] = modes[path]
        if path in owners:
            uid, gid = _check_owner(kind, label, "owners", path, owners[path])
            if uid:
                item["uid"] = uid
            if gid:
                item["gid"] = gid
    return items

def run_files_layer(ctx, kind, out, spec_items, inputs, compression = "none", keep_special_bits = False):
    """Writes the spec and runs `odptool layer files` into `out`; returns OdpLayerInfo.

    The calling rule must have `SOURCE_DATE_EPOCH_ATTR` and `TOOLCHAINS`."""
    spec = ctx.actions.declare_file(ctx.label.name + ".spec.json")
    ctx.actions.write(spec, json.encode(spec_items))
    args = ctx.actions.args()
    args.add_all(["layer", "files"])
    args.add("--out", out)
    args.add("--spec", spec)
    args.add("--compression", compression)
    args.add("--source-date-epoch", source_date_epoch(ctx, kind))
    if keep_special_bits:
        args.add("--keep-special-bits")
    run_odptool(
        ctx,
        arguments = [args],
        inputs = [spec] + inputs,
        outputs = [out],
        mnemonic = "OdpFilesLayer",
        progress_message = "Writing layer %s" % out.short_path,
    )
    return layer_info(out, compression)

def _odp_files_layer_impl(ctx):
    extension = COMPRESSIONS[ctx.attr.compression].extension
    out_name = ctx.attr.out or ctx.label.name + extension
    if not out_name.endswith(extension):
        attr_fail("odp_files_layer", ctx.label, "out", "%r must end in %s (compression = %r)" % (out_name, extension, ctx.attr.compression))
    out = ctx.actions.declare_file(out_name)

    files = []
    inputs = []
    for target, path in ctx.attr.files.items():
        found = target.files.to_list()
        if path.endswith("/"):
            # A directory in the image: every file of the target, by base name.
            for f in found:
                files.append((path + f.basename, f))
        elif len(found) == 1:
            files.append((path, found[0]))
        else:
            attr_fail("odp_files_layer", ctx.label, "files", "%s has %d files; map it to a directory path ending in \"/\"" % (target.label, len(found)))
        inputs.extend(found)
    seen = {}
    for path, _ in files:
        if path in seen:
            attr_fail("odp_files_layer", ctx.label, "files", "%r is given twice" % path)
        seen[path] = True

    items = files_layer_spec("odp_files_layer", ctx.label, files, ctx.attr.directories, ctx.attr.symlinks, ctx.attr.modes, ctx.attr.owners)
    info = run_files_layer(ctx, "odp_files_layer", out, items, inputs, ctx.attr.compression, ctx.attr.keep_special_bits)
    return [DefaultInfo(files = depset([out])), info]

odp_files_layer = rule(
    implementation = _odp_files_layer_impl,
    doc = """One deterministic layer from files named explicitly (`odptool layer files`).

```starlark
odp_files_layer(
    name = "config_layer",
    files = {":app.yaml": "/etc/app/app.yaml", ":plugins": "/opt/plugins/"},
    symlinks = {"/usr/bin/app": "/opt/app/bin/app"},
    modes = {"/etc/app/app.yaml": "0640"},
    owners = {"/etc/app/app.yaml": "0:65532"},
)
```

Entries are sorted, parents added, mtime `source_date_epoch` (0), owner 0:0 unless `owners` says
otherwise; modes default to 0755 for directories and executables, 0644
otherwise, whatever the checkout's umask. Returns `OdpLayerInfo`.""",
    attrs = {
        "files": attr.label_keyed_string_dict(
            allow_files = True,
            doc = "Source -> absolute image path. A path ending in `/` is a directory receiving every file of the target by base name.",
        ),
        "directories": attr.string_list(doc = "Empty directories to create (absolute image paths)."),
        "symlinks": attr.string_dict(doc = "Absolute image path -> link target (kept verbatim)."),
        "modes": attr.string_dict(doc = "Image path -> octal mode, e.g. `\"0755\"`; each path must be an entry of this layer."),
        "owners": attr.string_dict(doc = "Image path -> numeric `UID:GID`; default `0:0`."),
        "keep_special_bits": attr.bool(doc = "Keep setuid/setgid/sticky bits given in `modes` (dropped otherwise)."),
        "out": attr.string(doc = "Output file name, ending in `.tar` (or `.tar.gz` with `compression = \"gzip\"`); default `NAME.tar` / `NAME.tar.gz`."),
        "compression": COMPRESSION_ATTR,
        "source_date_epoch": SOURCE_DATE_EPOCH_ATTR,
    },
    toolchains = TOOLCHAINS,
)
