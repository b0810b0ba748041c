"""odp_java_image and odp_jni_image: the seed's Java and Java + JNI workload images."""

load(":common.bzl", "COMPRESSIONS", "TOOLCHAINS", "attr_fail", "check_image_dir", "check_service", "COMPRESSION_ATTR", "SOURCE_DATE_EPOCH_ATTR")
load(":files_layer.bzl", "files_layer_spec", "run_files_layer")
load(":image_targets.bzl", "odp_image_targets")
load(":jar.bzl", "odp_normalized_jar")

def _odp_workload_layer_impl(ctx):
    kind = "odp_workload_layer"
    if not ctx.attr.jar_path.startswith("/") or ctx.attr.jar_path.endswith("/"):
        attr_fail(kind, ctx.label, "jar_path", "%r must be an absolute file path in the image" % ctx.attr.jar_path)
    files = [(ctx.attr.jar_path, ctx.file.jar)]
    inputs = [ctx.file.jar]
    seen = {ctx.attr.jar_path: True}
    for target in ctx.attr.native_libs:
        libs = [f for f in target[DefaultInfo].files.to_list() if f.basename.endswith(".so") or ".so." in f.basename]
        if not libs:
            attr_fail(kind, ctx.label, "native_libs", "%s provides no shared library (.so); use cc_binary(linkshared = True) or a cc_shared_library" % target.label)
        for lib in libs:
            path = ctx.attr.native_lib_dir.rstrip("/") + "/" + lib.basename
            if path in seen:
                attr_fail(kind, ctx.label, "native_libs", "two files land at %s (the second from %s)" % (path, target.label))
            seen[path] = True
            files.append((path, lib))
            inputs.append(lib)
    out = ctx.actions.declare_file(ctx.attr.out + COMPRESSIONS[ctx.attr.compression].extension)
    items = files_layer_spec(kind, ctx.label, files, [], {}, {}, {})
    info = run_files_layer(ctx, kind, out, items, inputs, ctx.attr.compression)
    return [DefaultInfo(files = depset([out])), info]

odp_workload_layer = rule(
    implementation = _odp_workload_layer_impl,
    doc = "The seed's workload layer `binary_tar.tar`: the service jar and its native libraries.",
    attrs = {
        "jar": attr.label(mandatory = True, allow_single_file = [".jar"], doc = "The jar."),
        "jar_path": attr.string(mandatory = True, doc = "Its path in the image, e.g. `/aggregator_application.jar`."),
        "native_libs": attr.label_list(allow_files = True, doc = "Targets whose `.so` files go to `native_lib_dir`."),
        "native_lib_dir": attr.string(default = "/", doc = "Directory of the native libraries in the image."),
        "out": attr.string(mandatory = True, doc = "Output path without the extension, e.g. `NAME_layers/binary_tar`."),
        "compression": COMPRESSION_ATTR,
        "source_date_epoch": SOURCE_DATE_EPOCH_ATTR,
    },
    toolchains = TOOLCHAINS,
)

def _jar_label(kind, name, jar, binary):
    if (jar == None) == (binary == None):
        fail("%s %s: give exactly one of attribute jar (a jar file or target) and attribute binary (a java_binary, whose _deploy.jar is used)" % (kind, name))
    if jar != None:
        return jar
    if type(binary) != "string":
        fail("%s %s: attribute binary must be a label string" % (kind, name))
    return binary + "_deploy.jar"

def java_entrypoint(jar_path, java_library_path, jvm_flags):
    """`java [-Djava.library.path=DIR] [JVM_FLAGS] -jar JAR_PATH` (pure; tested)."""
    library = ["-Djava.library.path=" + java_library_path] if java_library_path else []
    return ["java"] + library + jvm_flags + ["-jar", jar_path]

def _java_image(
        kind,
        name,
        service,
        base,
        jar,
        binary,
        normalize_jar,
        native_libs,
        deb_layers,
        layers,
        jvm_flags,
        jar_dir,
        java_library_path,
        entrypoint,
        cmd,
        workdir,
        user,
        env,
        exposed_ports,
        labels,
        launch_policy,
        platform,
        compression,
        source_date_epoch,
        repository,
        remote_tags,
        repo_tags,
        locks,
        visibility,
        tags,
        **kwargs):
    check_service(kind, name, service)
    check_image_dir(kind, name, "jar_dir", jar_dir)
    for flag in jvm_flags:
        if not flag.startswith("-"):
            fail("%s %s: attribute jvm_flags: %r is not a JVM option (must start with -)" % (kind, name, flag))
    if base == None:
        fail("%s %s: attribute base is mandatory (e.g. an odp_base_image with a Java runtime on PATH)" % (kind, name))
    jar_name = service + "_application.jar"
    jar_path = jar_dir.rstrip("/") + "/" + jar_name
    if java_library_path == None:
        java_library_path = jar_dir if native_libs else ""
    elif java_library_path:
        check_image_dir(kind, name, "java_library_path", java_library_path)

    jar_file = _jar_label(kind, name, jar, binary)
    if normalize_jar:
        odp_normalized_jar(
            name = name + "_jar",
            jar = jar_file,
            out = name + "_layers/" + jar_name,
            source_date_epoch = source_date_epoch,
            visibility = ["//visibility:private"],
            tags = tags + ["manual"],
        )
        jar_file = ":" + name + "_jar"
    odp_workload_layer(
        name = name + "_workload",
        jar = jar_file,
        jar_path = jar_path,
        native_libs = native_libs,
        native_lib_dir = jar_dir,
        out = name + "_layers/binary_tar",
        compression = compression,
        source_date_epoch = source_date_epoch,
        visibility = ["//visibility:private"],
        tags = tags + ["manual"],
    )
    odp_image_targets(
        name = name,
        base = base,
        layers = deb_layers + layers + [":" + name + "_workload"],
        entrypoint = entrypoint if entrypoint != None else java_entrypoint(jar_path, java_library_path, jvm_flags),
        cmd = cmd,
        workdir = workdir,
        user = user,
        env = env,
        exposed_ports = exposed_ports,
        labels = labels,
        launch_policy = launch_policy,
        platform = platform,
        compression = compression,
        source_date_epoch = source_date_epoch,
        repository = repository,
        remote_tags = remote_tags,
        repo_tags = repo_tags,
        locks = locks,
        visibility = visibility,
        tags = tags,
        **kwargs
    )

def odp_java_image(
        name,
        service,
        base = None,
        jar = None,
        binary = None,
        normalize_jar = True,
        native_libs = [],
        deb_layers = [],
        layers = [],
        jvm_flags = [],
        jar_dir = "/",
        java_library_path = None,
        entrypoint = None,
        cmd = [],
        workdir = "",
        user = "",
        env = {},
        exposed_ports = [],
        labels = {},
        launch_policy = None,
        platform = "linux/amd64",
        compression = "none",
        source_date_epoch = -1,
        repository = "",
        remote_tags = [],
        repo_tags = [],
        locks = [],
        visibility = None,
        tags = [],
        **kwargs):
    """A Java workload image as in the seed: base layers + `binary_tar.tar`.

    Layers: the base's, then `deb_layers` (one per Debian package, e.g. from
    `deb_packages`), then `layers`, then the workload layer `binary_tar.tar`
    holding `JAR_DIR/<service>_application.jar` (the jar after
    `odptool jar normalize`, unless `normalize_jar = False`) and the `.so`
    files of `native_libs` in `JAR_DIR`. Entrypoint:
    `java [-Djava.library.path=JAR_DIR] [JVM_FLAGS] -jar JAR_DIR/<service>_application.jar`,
    the library path only with `native_libs`.

    Targets: `NAME` (OCI layout), `NAME.digest`, `NAME_tarball`,
    `NAME_publish` (see `odp_image_targets`), and manual helpers
    `NAME_jar`, `NAME_workload`.

    ```starlark
    odp_java_image(
        name = "task_assignment_image",
        service = "task_assignment",
        binary = ":task_assignment",   # java_binary: its _deploy.jar
        base = "//bases:java17",
        exposed_ports = ["8082/tcp"],
    )
    ```

    Args:
      name: image target name, e.g. `task_assignment_image`.
      service: service name, e.g. `task_assignment`; names the jar.
      base: base image with a Java runtime on `PATH` (an `odp_base_image`,
        an `odp_image` or an OCI layout directory such as `oci_pull`'s
        per-platform repository).
      jar: the application jar (a file or a target with one `.jar`).
      binary: instead of `jar`, a `java_binary`; its `NAME_deploy.jar` is used.
      normalize_jar: rewrite the jar with `odptool jar normalize` (default);
        False copies it byte for byte (a jar already deterministic, e.g.
        rules_spring with singlejar `--normalize`).
      native_libs: targets whose `.so` files go next to the jar (e.g.
        `cc_binary(linkshared = True)`); adds `-Djava.library.path`.
      deb_layers: `deb_layer` targets (or any `OdpLayerInfo`), in order.
      layers: more layers (`OdpLayerInfo` or `.tar`/`.tar.gz`), after
        `deb_layers`, before the workload layer.
      jvm_flags: JVM options placed before `-jar`.
      jar_dir: directory of the jar and native libraries in the image
        (absolute; default `/`).
      java_library_path: `-Djava.library.path`; default (None) `jar_dir`
        when there are `native_libs`, else none; `""` for none.
      entrypoint: config `Entrypoint`; default (None)
        `java [-Djava.library.path=DIR] [JVM_FLAGS] -jar JAR_DIR/<service>_application.jar`.
      cmd: config `Cmd` (arguments after the entrypoint).
      workdir: config `WorkingDir`; empty keeps the base's (distroless
        nonroot bases: `/home/nonroot`).
      user: config `User`; empty keeps the base's.
      env: environment variables baked into the image. Never one the launch
        policy lets the operator override (the seed's `FCP_OPTS` is read at
        run time).
      exposed_ports: config `ExposedPorts` (`"8082"` or `"8082/tcp"`); the
        Confidential Space launcher opens only these.
      labels: config labels (`tee.*` only through `launch_policy`).
      launch_policy: an `odp_launch_policy` for Confidential Space images.
      platform: `linux/amd64` (default) or `linux/arm64`.
      compression: `none` (default) or `gzip`, for the workload layer and
        uncompressed layers at assembly.
      source_date_epoch: timestamp of layer entries, jar entries and the
        config's `created`; default `--define=SOURCE_DATE_EPOCH`, else 0.
      repository: default push repository of `NAME_publish`.
      remote_tags: tags `NAME_publish` sets.
      repo_tags: names in `NAME_tarball` (`REPO:TAG`); default `NAME:latest`.
      locks: lock files listed in the publish provenance.
      visibility: of the public targets.
      tags: Bazel tags of every target.
      **kwargs: common Bazel attributes of the image target (`testonly`, ...).
    """
    _java_image("odp_java_image", name, service, base, jar, binary, normalize_jar, native_libs, deb_layers, layers, jvm_flags, jar_dir, java_library_path, entrypoint, cmd, workdir, user, env, exposed_ports, labels, launch_policy, platform, compression, source_date_epoch, repository, remote_tags, repo_tags, locks, visibility, tags, **kwargs)

def odp_jni_image(
        name,
        service,
        native_libs,
        base = None,
        jar = None,
        binary = None,
        normalize_jar = True,
        deb_layers = [],
        layers = [],
        jvm_flags = [],
        jar_dir = "/",
        java_library_path = None,
        entrypoint = None,
        cmd = [],
        workdir = "",
        user = "",
        env = {},
        exposed_ports = [],
        labels = {},
        launch_policy = None,
        platform = "linux/amd64",
        compression = "none",
        source_date_epoch = -1,
        repository = "",
        remote_tags = [],
        repo_tags = [],
        locks = [],
        visibility = None,
        tags = [],
        **kwargs):
    """A Java + JNI workload image as in the seed: `odp_java_image` with native libraries required.

    Layers: the base's, then one layer per Debian package in `deb_layers`
    (in the order given, e.g. libc++1-16, libc++abi1-16, libunwind-16 from
    `deb_packages`), then `layers`, then `binary_tar.tar` with
    `JAR_DIR/<service>_application.jar` and the native libraries in
    `JAR_DIR`. Entrypoint:
    `java -Djava.library.path=JAR_DIR [JVM_FLAGS] -jar JAR_DIR/<service>_application.jar`.

    ```starlark
    odp_jni_image(
        name = "aggregator_image",
        service = "aggregator",
        binary = ":aggregator",
        native_libs = [":libaggregation-jni.so"],
        deb_layers = ["@libcxx_debs//libc++1-16", "@libcxx_debs//libc++abi1-16", "@libcxx_debs//libunwind-16"],
        base = "//bases:java17",
        launch_policy = ":tee_policy",
        exposed_ports = ["8082/tcp"],
    )
    ```

    Args:
      name: image target name, e.g. `aggregator_image`.
      service: service name, e.g. `aggregator`.
      native_libs: targets whose `.so` files go next to the jar (at least one).
      base: base image with a Java runtime.
      jar: the application jar.
      binary: instead of `jar`, a `java_binary` (its deploy jar is used).
      normalize_jar: as for `odp_java_image`.
      deb_layers: `deb_layer` targets (or any `OdpLayerInfo`), in order.
      layers: more layers, after `deb_layers`.
      jvm_flags: JVM options after `-Djava.library.path`.
      jar_dir: directory of the jar and native libraries (default `/`).
      java_library_path: default `jar_dir`.
      entrypoint: config `Entrypoint`; default (None)
        `java [-Djava.library.path=DIR] [JVM_FLAGS] -jar JAR_DIR/<service>_application.jar`.
      cmd: config `Cmd` (arguments after the entrypoint).
      workdir: config `WorkingDir`; empty keeps the base's (distroless
        nonroot bases: `/home/nonroot`).
      user: config `User`; empty keeps the base's.
      env: environment variables baked into the image. Never one the launch
        policy lets the operator override (the seed's `FCP_OPTS` is read at
        run time).
      exposed_ports: config `ExposedPorts` (`"8082"` or `"8082/tcp"`); the
        Confidential Space launcher opens only these.
      labels: config labels (`tee.*` only through `launch_policy`).
      launch_policy: an `odp_launch_policy` for Confidential Space images.
      platform: `linux/amd64` (default) or `linux/arm64`.
      compression: `none` (default) or `gzip`, for the workload layer and
        uncompressed layers at assembly.
      source_date_epoch: timestamp of layer entries, jar entries and the
        config's `created`; default `--define=SOURCE_DATE_EPOCH`, else 0.
      repository: default push repository of `NAME_publish`.
      remote_tags: tags `NAME_publish` sets.
      repo_tags: names in `NAME_tarball` (`REPO:TAG`); default `NAME:latest`.
      locks: lock files listed in the publish provenance.
      visibility: of the public targets.
      tags: Bazel tags of every target.
      **kwargs: common Bazel attributes of the image target (`testonly`, ...).
    """
    if not native_libs:
        fail("odp_jni_image %s: attribute native_libs: at least one native library is needed (use odp_java_image otherwise)" % name)
    _java_image("odp_jni_image", name, service, base, jar, binary, normalize_jar, native_libs, deb_layers, layers, jvm_flags, jar_dir, java_library_path, entrypoint, cmd, workdir, user, env, exposed_ports, labels, launch_policy, platform, compression, source_date_epoch, repository, remote_tags, repo_tags, locks, visibility, tags, **kwargs)
