"""java_binary of the Bazel 4 harness: an executable jar compiled by the host JDK.

Bazel's java_* rules cannot run offline on Bazel 4.2.3 (they download
`remote_java_tools`), so the harness's `@rules_java//java:defs.bzl` stand-in
(bazel4/stubs.bzl) implements `java_binary` with the host's `javac` and `jar`
(see host_tools.bzl), without a shell: one action compiles, one packs. Like
Bazel's own java_binary it has an output `NAME_deploy.jar`, which is what
rules_odp's `odp_java_image(binary = ...)` takes; unlike it, it has no
dependencies (`deps`): the sources may use the Java platform only. A
`java_library` stand-in (`libNAME.jar`) feeds the springboot stand-in of
spring.bzl.
"""

# The earliest instant `jar --date` accepts (DOS time starts in 1980 and
# has a two-second granularity); the image macros normalise jars anyway,
# this makes the rule's own output byte-identical already.
_JAR_DATE = "1980-01-01T00:00:02Z"

# No perf-data file in /tmp (the sandbox may not allow it, and it is a
# machine-specific side effect of the build).
_JVM_FLAGS = ["-J-XX:-UsePerfData"]

def _manifest(main_class):
    # Written by us rather than by `jar --main-class`, so that no
    # "Created-By: <JDK version>" line ends up in the jar.
    return "Manifest-Version: 1.0\nCreated-By: rules_odp host_java_jar\nMain-Class: %s\n\n" % main_class

def _resource_entry(f, strip_prefix):
    """Returns (-C directory, entry path) of a resource file."""
    rel = f.short_path
    if strip_prefix:
        if not rel.startswith(strip_prefix + "/"):
            fail("resource_strip_prefix: resource %r is not under %r; move it or change resource_strip_prefix" % (f.short_path, strip_prefix))
        rel = rel[len(strip_prefix) + 1:]
    directory = f.path[:len(f.path) - len(rel)].rstrip("/")
    return directory or ".", rel

def _valid_java_name(name):
    for part in name.split("."):
        if not part or not (part[0].isalpha() or part[0] in "_$"):
            return False
        if not part.replace("_", "a").replace("$", "a").isalnum():
            return False
    return True

def _java_binary_impl(ctx):
    jar = ctx.outputs.deploy_jar
    _compile_and_pack(ctx, jar)

    # In runfiles too, so that tests can take it as data.
    return [DefaultInfo(
        files = depset([jar]),
        runfiles = ctx.runfiles(files = [jar]),
    )]

def javac(ctx, srcs, classes, javacopts = [], classpath = []):
    """Compiles srcs with the host JDK into the tree artifact `classes`.

    The caller needs the attributes `_javac` (and `_jar` to pack)."""
    jvm_args = ctx.actions.args()
    jvm_args.add_all(_JVM_FLAGS)
    args = ctx.actions.args()
    args.add_all([
        "--release",
        "17",
        "-encoding",
        "UTF-8",
        "-implicit:class",
        # Empty paths (not "."): only what srcs name is compiled, nothing
        # lying around in the execroot can slip in.
        "-sourcepath",
        "",
        "-classpath",
        ":".join([f.path for f in classpath]),
        "-proc:none",
        "-d",
        classes.path,
    ])
    args.add_all(javacopts)
    args.add_all(srcs)
    args.use_param_file("@%s", use_always = False)
    args.set_param_file_format("shell")
    ctx.actions.run(
        executable = ctx.file._javac,
        # JVM flags cannot go into an @argfile, so they get their own Args.
        arguments = [jvm_args, args],
        inputs = srcs + classpath,
        outputs = [classes],
        mnemonic = "HostJavac",
        progress_message = "Compiling %d Java files of %s with the host JDK" % (len(srcs), ctx.label),
    )

def pack(ctx, jar, manifest_text, parts, inputs):
    """Packs `parts` (a list of `-C DIR ENTRY` triples, in entry order) into jar.

    The jar tool keeps the order of the entries it is given and sorts what
    it finds in a directory, so the bytes do not depend on the file system."""
    manifest = ctx.actions.declare_file(ctx.label.name + "_MANIFEST.MF")
    ctx.actions.write(manifest, manifest_text)
    jar_args = ctx.actions.args()
    jar_args.add_all(_JVM_FLAGS)
    jar_args.add_all([
        "--create",
        "--file",
        jar.path,
        "--manifest",
        manifest.path,
        "--date",
        _JAR_DATE,
    ])
    for directory, entry in parts:
        jar_args.add_all(["-C", directory, entry])
    ctx.actions.run(
        executable = ctx.file._jar,
        arguments = [jar_args],
        inputs = [manifest] + inputs,
        outputs = [jar],
        mnemonic = "HostJar",
        progress_message = "Packing %s" % jar.short_path,
    )

def _resources(ctx):
    strip_prefix = ctx.attr.resource_strip_prefix
    if strip_prefix == "" and ctx.files.resources:
        strip_prefix = ctx.label.package
    if strip_prefix.startswith("/") or strip_prefix.endswith("/"):
        fail("resource_strip_prefix: %r must be a workspace-relative directory without leading or trailing '/'" % strip_prefix)
    return [_resource_entry(f, strip_prefix) for f in ctx.files.resources]

def _compile_and_pack(ctx, jar):
    if not _valid_java_name(ctx.attr.main_class):
        fail("main_class: %r is not a fully qualified Java class name (e.g. com.example.app.Main)" % ctx.attr.main_class)
    classes = ctx.actions.declare_directory(ctx.label.name + "_classes")
    javac(ctx, ctx.files.srcs, classes, ctx.attr.javacopts)
    pack(ctx, jar, _manifest(ctx.attr.main_class), [(classes.path, ".")] + _resources(ctx), [classes] + ctx.files.resources)

_ATTRS = {
    "srcs": attr.label_list(
        allow_files = [".java"],
        allow_empty = False,
        mandatory = True,
        doc = "The `.java` files to compile, all of them (mandatory, non-empty). The directory layout does not matter: classes land by package.",
    ),
    "main_class": attr.string(
        mandatory = True,
        doc = "The fully qualified class with `public static void main(String[])`, written to the manifest's `Main-Class` (mandatory), e.g. `com.example.app.Main`.",
    ),
    "resources": attr.label_list(
        allow_files = True,
        doc = "Files copied into the jar as they are, at their path below `resource_strip_prefix`. Default: none.",
    ),
    "resource_strip_prefix": attr.string(
        doc = "Workspace-relative directory cut from the front of each resource's path to give its path in the jar; every resource must be below it. Default (empty): the package of this target.",
    ),
    "javacopts": attr.string_list(
        doc = "Extra javac flags, after the fixed ones (`--release 17 -encoding UTF-8 -implicit:class -proc:none`). Do not pass flags that write machine paths into classes. Default: none.",
    ),
    "_javac": attr.label(
        default = "@odp_host_tools//:javac",
        allow_single_file = True,
        cfg = "exec",
    ),
    "_jar": attr.label(
        default = "@odp_host_tools//:jar",
        allow_single_file = True,
        cfg = "exec",
    ),
}

_java_binary = rule(
    implementation = _java_binary_impl,
    doc = """Compiles Java sources with the host JDK into an executable `NAME_deploy.jar`.

The jar holds the classes, the resources and a manifest naming `main_class`;
every entry has the same fixed timestamp. Class files contain no machine
paths (javac records only the base name of each source). The JDK is the one
`@odp_host_tools` found (see host_tools.bzl); sources are compiled with
`--release 17`, so any JDK >= 17 can compile them, though a different JDK
version may produce different class bytes.""",
    attrs = _ATTRS,
    outputs = {"deploy_jar": "%{name}_deploy.jar"},
)

def java_binary(name, srcs, main_class, resources = [], resource_strip_prefix = "", javacopts = [], deps = [], runtime_deps = [], **kwargs):
    """The harness's java_binary: `NAME_deploy.jar` compiled by the host JDK.

    Args:
      name: target name; the jar is `NAME_deploy.jar`.
      srcs: the `.java` files.
      main_class: the `Main-Class` of the manifest.
      resources: files copied into the jar.
      resource_strip_prefix: cut from the resources' paths.
      javacopts: extra javac flags.
      deps: must be empty (the stand-in compiles against the Java platform only).
      runtime_deps: must be empty, likewise.
      **kwargs: visibility, tags, testonly.
    """
    if deps or runtime_deps:
        fail("java_binary %s: the Bazel 4 harness's java_binary (bazel4/java.bzl) compiles against the Java platform only; deps are not supported" % name)
    _java_binary(
        name = name,
        srcs = srcs,
        main_class = main_class,
        resources = resources,
        resource_strip_prefix = resource_strip_prefix,
        javacopts = javacopts,
        **kwargs
    )

HostJavaLibraryInfo = provider(
    doc = "A java_library of the Bazel 4 harness: its sources and jar (what the springboot stand-in needs).",
    fields = {
        "srcs": "list of File: the .java sources.",
        "jar": "File: libNAME.jar.",
    },
)

def _java_library_impl(ctx):
    classes = ctx.actions.declare_directory(ctx.label.name + "_classes")
    javac(ctx, ctx.files.srcs, classes, ctx.attr.javacopts)
    jar = ctx.outputs.jar
    pack(ctx, jar, "Manifest-Version: 1.0\n\n", [(classes.path, ".")] + _resources(ctx), [classes] + ctx.files.resources)
    return [
        DefaultInfo(files = depset([jar]), runfiles = ctx.runfiles(files = [jar])),
        HostJavaLibraryInfo(srcs = ctx.files.srcs, jar = jar),
    ]

_java_library = rule(
    implementation = _java_library_impl,
    doc = "Compiles Java sources with the host JDK into `libNAME.jar` (no Main-Class).",
    attrs = {k: v for k, v in _ATTRS.items() if k != "main_class"},
    outputs = {"jar": "lib%{name}.jar"},
)

def java_library(name, srcs, resources = [], resource_strip_prefix = "", javacopts = [], deps = [], **kwargs):
    """The harness's java_library: `libNAME.jar` compiled by the host JDK.

    Args:
      name: target name; the jar is `libNAME.jar`.
      srcs: the `.java` files.
      resources: files copied into the jar.
      resource_strip_prefix: cut from the resources' paths.
      javacopts: extra javac flags.
      deps: must be empty (the stand-in compiles against the Java platform only).
      **kwargs: visibility, tags, testonly.
    """
    if deps:
        fail("java_library %s: the Bazel 4 harness's java_library (bazel4/java.bzl) compiles against the Java platform only; deps are not supported" % name)
    _java_library(
        name = name,
        srcs = srcs,
        resources = resources,
        resource_strip_prefix = resource_strip_prefix,
        javacopts = javacopts,
        **kwargs
    )
