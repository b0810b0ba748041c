"""odp_java_image and odp_jni_image: the seed's Java and Java + JNI workload images."""

load(":files_layer.bzl", "files_layer_spec", "run_files_layer")
load(":image_targets.bzl", "odp_image_targets")
load(":jar.bzl", "odp_normalized_jar")
load(":toolchain.bzl", "ODPTOOL_TOOLCHAIN")

def check_service(service):
    """Fails unless `service` can name a file and a directory in the image."""
    if not service:
        fail("attribute service: empty")
    for c in service.elems():
        if not (c.islower() or c.isdigit() or c in "_-"):
            fail("attribute service: %r may hold only a-z, 0-9, _ and - (it names <service>_application.jar)" % service)

def _odp_workload_layer_impl(ctx):
    if not ctx.attr.jar_path.startswith("/") or ctx.attr.jar_path.endswith("/"):
        fail("attribute jar_path: %r must be an absolute file path in the image" % ctx.attr.jar_path)
    files = [(ctx.attr.jar_path, ctx.file.jar)]
    inputs = [ctx.file.jar]
    seen = {ctx.attr.jar_path: True}
    for target in ctx.attr.native_libs:
        libs = [f for f in target[DefaultInfo].files.to_list() if f.basename.endswith(".so") or ".so." in f.basename]
        if not libs:
            fail("attribute native_libs: %s provides no shared library (.so); use cc_binary(linkshared = True) or a cc_shared_library" % target.label)
        for lib in libs:
            path = ctx.attr.native_lib_dir.rstrip("/") + "/" + lib.basename
            if path in seen:
                fail("attribute native_libs: two files land at %s (the second from %s)" % (path, target.label))
            seen[path] = True
            files.append((path, lib))
            inputs.append(lib)
    out = ctx.actions.declare_file(ctx.attr.out)
    items = files_layer_spec(files, [], {}, {}, {})
    info = run_files_layer(ctx, out, items, inputs)
    return [DefaultInfo(files = depset([out])), info]

odp_workload_layer = rule(
    implementation = _odp_workload_layer_impl,
    doc = "The seed's workload layer `binary_tar.tar`: the service jar and its native libraries.",
    attrs = {
        "jar": attr.label(mandatory = True, allow_single_file = [".jar"], doc = "The (normalised) jar."),
        "jar_path": attr.string(mandatory = True, doc = "Its path in the image, e.g. `/aggregator_application.jar`."),
        "native_libs": attr.label_list(allow_files = True, doc = "Targets whose `.so` files go to `native_lib_dir`."),
        "native_lib_dir": attr.string(default = "/", doc = "Directory of the native libraries in the image."),
        "out": attr.string(mandatory = True, doc = "Output path, e.g. `NAME_layers/binary_tar.tar`."),
    },
    toolchains = [ODPTOOL_TOOLCHAIN],
)

def _jar_label(name, jar, binary):
    if (jar == None) == (binary == None):
        fail("%s: give exactly one of attribute jar (a jar file or target) and attribute binary (a java_binary, whose _deploy.jar is used)" % name)
    if jar != None:
        return jar
    if type(binary) != "string":
        fail("%s: attribute binary must be a label string" % name)
    return binary + "_deploy.jar"

def _java_image(kind, name, service, base, jar, binary, native_libs, deb_layers, env, jvm_flags, labels, launch_policy, user, repository, remote_tags, locks, visibility, tags, **kwargs):
    check_service(service)
    for flag in jvm_flags:
        if not flag.startswith("-"):
            fail("%s %s: attribute jvm_flags: %r is not a JVM option (must start with -)" % (kind, name, flag))
    if base == None:
        fail("%s %s: attribute base is mandatory (e.g. an odp_base_image with a Java runtime)" % (kind, name))
    jar_name = service + "_application.jar"
    odp_normalized_jar(
        name = name + "_jar",
        jar = _jar_label(name, jar, binary),
        out = name + "_layers/" + jar_name,
        visibility = ["//visibility:private"],
        tags = tags + ["manual"],
    )
    odp_workload_layer(
        name = name + "_workload",
        jar = ":" + name + "_jar",
        jar_path = "/" + jar_name,
        native_libs = native_libs,
        out = name + "_layers/binary_tar.tar",
        visibility = ["//visibility:private"],
        tags = tags + ["manual"],
    )
    library_path = ["-Djava.library.path=."] if kind == "odp_jni_image" else []
    odp_image_targets(
        name = name,
        base = base,
        layers = deb_layers + [":" + name + "_workload"],
        entrypoint = ["java"] + library_path + jvm_flags + ["-jar", jar_name],
        workdir = "/",
        env = env,
        labels = labels,
        user = user,
        launch_policy = launch_policy,
        repository = repository,
        remote_tags = remote_tags,
        locks = locks,
        visibility = visibility,
        tags = tags,
        **kwargs
    )

def odp_java_image(name, service, base = None, jar = None, binary = None, env = {}, jvm_flags = [], labels = {}, launch_policy = None, user = "", repository = "", remote_tags = [], locks = [], visibility = None, tags = [], **kwargs):
    """A Java workload image as in the seed: base layers + `binary_tar.tar`.

    The workload layer holds `/<service>_application.jar` (the jar after
    `odptool jar normalize`); the entrypoint is
    `java [JVM_FLAGS] -jar <service>_application.jar` in `/`.

    Targets: `NAME` (OCI layout), `NAME.digest`, `NAME_tarball`,
    `NAME_publish` (see `odp_image_targets`), and manual helpers
    `NAME_jar`, `NAME_workload`.

    Args:
      name: image target name, e.g. `task_assignment_image`.
      service: service name, e.g. `task_assignment`; names the jar.
      base: base image with a Java runtime on `PATH` (an `odp_base_image`,
        an `odp_image` or an OCI layout directory such as `oci_pull`'s).
      jar: the application jar (a file or a target with one `.jar`).
      binary: instead of `jar`, a `java_binary`; its `NAME_deploy.jar` is used.
      env: environment variables baked into the image. Never one the launch
        policy lets the operator override (the seed's `FCP_OPTS` is read at
        run time).
      jvm_flags: JVM options placed before `-jar`.
      labels: config labels (`tee.*` only through `launch_policy`).
      launch_policy: an `odp_launch_policy` for Confidential Space images.
      user: config `User`; empty keeps the base's.
      repository: default push repository of `NAME_publish`.
      remote_tags: tags `NAME_publish` sets.
      locks: lock files listed in the publish provenance.
      visibility: of the public targets.
      tags: Bazel tags of every target.
      **kwargs: other `odp_image` attributes (`platform`, `compress`, `source_date_epoch`).
    """
    _java_image("odp_java_image", name, service, base, jar, binary, [], [], env, jvm_flags, labels, launch_policy, user, repository, remote_tags, locks, visibility, tags, **kwargs)

def odp_jni_image(name, service, base = None, jar = None, binary = None, native_libs = [], deb_layers = [], env = {}, jvm_flags = [], labels = {}, launch_policy = None, user = "", repository = "", remote_tags = [], locks = [], visibility = None, tags = [], **kwargs):
    """A Java + JNI workload image as in the seed.

    Layers: the base's, then one layer per Debian package in `deb_layers`
    (in the order given, e.g. libc++1-16, libc++abi1-16, libunwind-16 from
    `deb_packages`), then `binary_tar.tar` with `/<service>_application.jar`
    and the native libraries at `/`. Entrypoint:
    `java -Djava.library.path=. [JVM_FLAGS] -jar <service>_application.jar`
    in `/`.

    Args:
      name: image target name, e.g. `aggregator_image`.
      service: service name, e.g. `aggregator`.
      base: base image with a Java runtime.
      jar: the application jar.
      binary: instead of `jar`, a `java_binary` (its deploy jar is used).
      native_libs: targets whose `.so` files go to `/` (e.g.
        `cc_binary(linkshared = True)`).
      deb_layers: `deb_layer` targets (or any `OdpLayerInfo`), in order.
      env: as for `odp_java_image`.
      jvm_flags: JVM options after `-Djava.library.path=.`.
      labels: config labels.
      launch_policy: an `odp_launch_policy`; the seed's TEE images use
        `allow_env_override = ["FCP_OPTS"]`, `log_redirect = "always"`,
        `monitoring_memory_allow = "always"`.
      user: config `User`.
      repository: default push repository.
      remote_tags: tags the publish target sets.
      locks: lock files listed in the publish provenance.
      visibility: of the public targets.
      tags: Bazel tags of every target.
      **kwargs: other `odp_image` attributes.
    """
    if not native_libs:
        fail("odp_jni_image %s: attribute native_libs: at least one native library is needed (use odp_java_image otherwise)" % name)
    _java_image("odp_jni_image", name, service, base, jar, binary, native_libs, deb_layers, env, jvm_flags, labels, launch_policy, user, repository, remote_tags, locks, visibility, tags, **kwargs)
