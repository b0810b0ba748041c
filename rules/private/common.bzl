"""What every rule of rules_odp shares: attributes, checks and messages.

One owner per byte-deciding parameter: the compression vocabulary
(`compression = "none" | "gzip"`) and the timestamp (`source_date_epoch`)
are declared here once and passed to odptool the same way by every rule.
"""

load(":providers.bzl", "OdpLayerInfo")
load(":toolchain.bzl", "ODPTOOL_TOOLCHAIN", _odptool = "odptool")

# The one compression vocabulary, the same as odptool's --compression.
COMPRESSIONS = {
    "gzip": struct(
        extension = ".tar.gz",
        media_type = "application/vnd.oci.image.layer.v1.tar+gzip",
    ),
    "none": struct(
        extension = ".tar",
        media_type = "application/vnd.oci.image.layer.v1.tar",
    ),
}

# `compression`: the one compression vocabulary of every layer-writing rule.
COMPRESSION_ATTR = attr.string(
    default = "none",
    values = ["gzip", "none"],
    doc = "Compression of the layer(s) written: `none` (default) writes a plain tar; `gzip` compresses it with odptool's pinned gzip (level 6, fixed blocks, zeroed header), so the bytes are the same everywhere. For image assembly: what happens to uncompressed tar layers (compressed ones are never recompressed).",
)

SOURCE_DATE_EPOCH_DOC = """Timestamp written into the output (layer entries' mtimes, jar entries' times, the image config's `created`), in seconds since 1970-01-01 UTC. Default (`-1`): `--define=SOURCE_DATE_EPOCH=SECONDS` if given, else 0. Never the build's clock, never the action's environment: the same value gives the same bytes on every machine. (The attribute is a 32-bit integer, so up to 2038-01-19; `--define` goes further.)"""

# `source_date_epoch`: the one timestamp of every rule that writes bytes.
SOURCE_DATE_EPOCH_ATTR = attr.int(default = -1, doc = SOURCE_DATE_EPOCH_DOC)

# What a USTAR header holds (odptool's sde.Max).
_MAX_SOURCE_DATE_EPOCH = 8589934591

def source_date_epoch(ctx, kind):
    """The timestamp of a rule with `SOURCE_DATE_EPOCH_ATTR`, as a string for odptool."""
    value = ctx.attr.source_date_epoch
    if value == -1:
        define = ctx.var.get("SOURCE_DATE_EPOCH", "")
        if not define:
            return "0"
        if not define.isdigit() or int(define) > _MAX_SOURCE_DATE_EPOCH:
            fail("%s %s: --define=SOURCE_DATE_EPOCH=%s is not a decimal number of seconds in [0, %d]" % (kind, ctx.label, define, _MAX_SOURCE_DATE_EPOCH))
        return define
    if value < 0 or value > _MAX_SOURCE_DATE_EPOCH:
        attr_fail(kind, ctx.label, "source_date_epoch", "%d is not in [0, %d] (or -1 for the default)" % (value, _MAX_SOURCE_DATE_EPOCH))
    return str(value)

def attr_fail(kind, label, attribute, message):
    """Fails with the house format: `<rule> <label>: attribute <name>: <message>`."""
    fail("%s %s: attribute %s: %s" % (kind, label, attribute, message))

def check_service(kind, name, service):
    """Fails unless `service` can name files and directories in the image (a-z, 0-9, _ and -)."""
    if not service:
        attr_fail(kind, name, "service", "empty")
    for c in service.elems():
        if not (c.islower() or c.isdigit() or c in "_-"):
            attr_fail(kind, name, "service", "%r may hold only a-z, 0-9, _ and - (it names files in the image)" % service)

def check_image_dir(kind, name, attribute, path):
    """Fails unless `path` is an absolute, clean directory in the image."""
    if not path.startswith("/") or (path != "/" and path.endswith("/")) or "//" in path or "/./" in path + "/" or "/../" in path + "/":
        attr_fail(kind, name, attribute, "%r must be an absolute, clean path in the image (e.g. /app)" % path)

def check_exposed_ports(kind, name, ports):
    """Normalises `exposed_ports` ("8082" or "8082/tcp") to the config's "PORT/PROTO" keys, sorted."""
    out = {}
    for port in ports:
        number, _, proto = port.partition("/")
        proto = proto or "tcp"
        if not number.isdigit() or int(number) < 1 or int(number) > 65535 or proto not in ("tcp", "udp", "sctp"):
            attr_fail(kind, name, "exposed_ports", "%r is not PORT or PORT/PROTO (1-65535, tcp/udp/sctp), e.g. \"8082/tcp\"" % port)
        key = "%s/%s" % (int(number), proto)
        if key in out:
            attr_fail(kind, name, "exposed_ports", "%r is given twice" % key)
        out[key] = True
    return sorted(out.keys())

def layer_info(file, compression):
    """The OdpLayerInfo of a layer written with `compression`."""
    return OdpLayerInfo(layer = file, media_type = COMPRESSIONS[compression].media_type)

def run_odptool(ctx, arguments, inputs, outputs, mnemonic, progress_message):
    """Runs the toolchain's odptool for the execution platform."""
    ctx.actions.run(
        executable = _odptool(ctx),
        arguments = arguments,
        inputs = inputs,
        outputs = outputs,
        mnemonic = mnemonic,
        progress_message = progress_message,
    )

# Every rule that runs odptool lists it.
TOOLCHAINS = [ODPTOOL_TOOLCHAIN]
