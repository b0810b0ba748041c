"""odp_python_image: the seed's Python workload image, split by repository.

A py_binary's runfiles become three layers under `/<service>/` (see
docs/python-layers.md): the interpreter repository, the pip package
repositories, and the app (launcher `/<service>/<service>`, the runfiles
manifest, the main repository and everything else). `_python_layers` writes
the runfiles as the JSON spec of `odptool layer runfiles --spec` and runs it
once for the three layers.
"""

load(":common.bzl", "COMPRESSIONS", "TOOLCHAINS", "attr_fail", "check_image_dir", "check_service", "COMPRESSION_ATTR", "layer_info", "run_odptool", "source_date_epoch", "SOURCE_DATE_EPOCH_ATTR")
load(":image_targets.bzl", "odp_image_targets")
load(":providers.bzl", "OdpPythonLayersInfo")

_PY_TOOLCHAIN = "@bazel_tools//tools/python:toolchain_type"

_KIND = "python_layers"

_LAYERS = ["interpreter", "packages", "app"]

def _repo_of(target):
    """The canonical name of the repository a label points into ("" for the main one)."""
    return target.label.workspace_name

def _rpath(workspace, short_path):
    """The runfiles path of a short_path: `../repo/x` is `repo/x`."""
    if short_path.startswith("../"):
        return short_path[len("../"):]
    return workspace + "/" + short_path

def _runfiles_spec(workspace, runfiles):
    """The spec's `files` and the extra inputs (symlink targets) of a runfiles object."""
    files = []
    extra = []
    for f in runfiles.files.to_list():
        files.append({"rpath": _rpath(workspace, f.short_path), "src": f.path, "kind": "file"})
    for s in runfiles.symlinks.to_list():
        files.append({"rpath": workspace + "/" + s.path, "src": s.target_file.path, "kind": "symlink"})
        extra.append(s.target_file)
    for s in runfiles.root_symlinks.to_list():
        files.append({"rpath": s.path, "src": s.target_file.path, "kind": "root_symlink"})
        extra.append(s.target_file)
    # Bazel < 8 names the empty files (py_binary's __init__.py) of external
    # repositories `external/<repo>/...` (the legacy runfiles path) where
    # File.short_path says `../<repo>/...`; both mean `<repo>/...`, and
    # `external/__init__.py` is the runfiles root's. Unless the main
    # repository has a directory `external/` of its own: then the name is
    # ambiguous and kept as Bazel spells it.
    external = {}
    main_external = False
    for f in files:
        if f["rpath"].startswith(workspace + "/external/"):
            main_external = True
        elif f["kind"] == "file" and not f["rpath"].startswith(workspace + "/"):
            external[f["rpath"].split("/")[0]] = True
    for name in runfiles.empty_filenames.to_list():
        parts = name.split("/")
        if not main_external and parts[0] == "external" and (parts[1:] == ["__init__.py"] or (len(parts) > 2 and parts[1] in external)):
            name = "../" + "/".join(parts[1:])
        files.append({"rpath": _rpath(workspace, name), "src": None, "kind": "empty"})
    return files, extra

def _toolchain_interpreter(ctx):
    """The toolchain's interpreter repository: (name, hermetic).

    ("", False) for a runtime that is a path on the machine
    (`interpreter_path`) or Bazel's autodetecting wrapper: the image's
    Python then comes from the base image."""
    toolchain = ctx.toolchains[_PY_TOOLCHAIN]
    runtime = getattr(toolchain, "py3_runtime", None) if toolchain else None
    interpreter = getattr(runtime, "interpreter", None) if runtime else None
    if interpreter == None:
        return "", False
    owner = interpreter.owner
    if owner == None:
        return "", False

    # Label.repo_name (Bazel >= 7.1) replaces workspace_name (deprecated).
    repo = getattr(owner, "repo_name", None)
    if repo == None:
        repo = owner.workspace_name
    if not repo or repo == "bazel_tools":
        return "", False
    return repo, True

def _python_layers_impl(ctx):
    service = ctx.attr.service or ctx.attr.binary.label.name
    check_service(_KIND, ctx.label, service)
    directory = ctx.attr.directory or "/" + service
    check_image_dir(_KIND, ctx.label, "directory", directory)
    if directory == "/":
        attr_fail(_KIND, ctx.label, "directory", "\"/\" is not allowed: the runfiles need a directory of their own")
    info = ctx.attr.binary[DefaultInfo]
    launcher = info.files_to_run.executable
    if launcher == None:
        attr_fail(_KIND, ctx.label, "binary", "%s has no executable (want a py_binary)" % ctx.attr.binary.label)
    workspace = ctx.workspace_name
    files, extra = _runfiles_spec(workspace, info.default_runfiles)

    # Bazel >= 7 with bzlmod puts the repository mapping at the runfiles
    # root (runfiles libraries translate apparent repository names with
    # it); it is not part of the runfiles object.
    repo_mapping = getattr(info.files_to_run, "repo_mapping_manifest", None)
    if repo_mapping != None:
        files.append({"rpath": "_repo_mapping", "src": repo_mapping.path, "kind": "file"})
        extra.append(repo_mapping)
    repos = {}
    for f in files:
        if "/" in f["rpath"]:
            repos[f["rpath"].split("/")[0]] = True
    have = ", ".join(sorted(repos))

    interpreter_repo = ""
    no_interpreter = False
    if ctx.attr.interpreter_repo:
        interpreter_repo = _repo_of(ctx.attr.interpreter_repo)
        if not interpreter_repo or interpreter_repo == workspace:
            attr_fail(_KIND, ctx.label, "interpreter_repo", "%s is in the main repository, not an interpreter's" % ctx.attr.interpreter_repo.label)
        if interpreter_repo not in repos:
            attr_fail(_KIND, ctx.label, "interpreter_repo", "repository %r (of %s) has no runfiles in %s (its repositories: %s)" % (interpreter_repo, ctx.attr.interpreter_repo.label, ctx.attr.binary.label, have))
    else:
        repo, hermetic = _toolchain_interpreter(ctx)
        if not hermetic:
            no_interpreter = True
        elif repo in repos:
            interpreter_repo = repo
        # Otherwise the binary does not run the toolchain's interpreter
        # (another configuration or runtime): odptool recognises it by name.

    package_repos = []
    for target in ctx.attr.package_repos:
        repo = _repo_of(target)
        if not repo or repo == workspace:
            attr_fail(_KIND, ctx.label, "package_repos", "%s is in the main repository; its files belong to the app layer" % target.label)
        if repo in package_repos:
            attr_fail(_KIND, ctx.label, "package_repos", "repository %r is given twice" % repo)
        if repo == interpreter_repo:
            attr_fail(_KIND, ctx.label, "package_repos", "repository %r is the interpreter repository" % repo)
        if repo not in repos:
            attr_fail(_KIND, ctx.label, "package_repos", "repository %r (of %s) has no runfiles in %s (its repositories: %s)" % (repo, target.label, ctx.attr.binary.label, have))
        package_repos.append(repo)

    spec = ctx.actions.declare_file(ctx.label.name + "/runfiles_spec.json")
    spec_json = {
        "service": service,
        "workspace": workspace,
        "interpreter_repo": interpreter_repo,
        "package_repos": package_repos,
        "launcher": launcher.path,
        "files": files,
    }
    if ctx.attr.directory:
        spec_json["directory"] = directory
    ctx.actions.write(spec, json.encode(spec_json))
    extension = COMPRESSIONS[ctx.attr.compression].extension
    outs = {
        layer: ctx.actions.declare_file("%s/%s_layer%s" % (ctx.label.name, layer, extension))
        for layer in _LAYERS
    }

    args = ctx.actions.args()
    args.add_all(["layer", "runfiles"])
    args.add("--spec", spec)
    args.add("--interpreter-out", outs["interpreter"])
    args.add("--packages-out", outs["packages"])
    args.add("--app-out", outs["app"])
    args.add("--compression", ctx.attr.compression)
    args.add("--source-date-epoch", source_date_epoch(ctx, _KIND))
    if no_interpreter:
        args.add("--no-interpreter")

    # Build-machine paths (the execroot or sandbox, the output base, the
    # checkout) are derived by odptool from the sources' paths and refused
    # in every layer; nothing to pass.
    run_odptool(
        ctx,
        arguments = [args],
        inputs = depset([spec, launcher] + extra, transitive = [info.default_runfiles.files]),
        outputs = [outs[layer] for layer in _LAYERS],
        mnemonic = "OdpPythonLayers",
        progress_message = "Splitting the runfiles of %s into layers for %s/" % (ctx.attr.binary.label, directory),
    )
    return [
        DefaultInfo(files = depset([outs[layer] for layer in _LAYERS])),
        OutputGroupInfo(runfiles_spec = depset([spec])),
        OdpPythonLayersInfo(
            interpreter = outs["interpreter"],
            packages = outs["packages"],
            app = outs["app"],
            spec = spec,
            media_type = COMPRESSIONS[ctx.attr.compression].media_type,
        ),
    ]

python_layers = rule(
    implementation = _python_layers_impl,
    doc = """The interpreter, packages and app layers of a py_binary (`odptool layer runfiles`).

Outputs `NAME/interpreter_layer.tar`, `NAME/packages_layer.tar`,
`NAME/app_layer.tar` (`.tar.gz` with `compression = "gzip"`; and
`NAME/runfiles_spec.json`, output group `runfiles_spec`). Returns
`OdpPythonLayersInfo`; `python_layer` picks one of them as an
`OdpLayerInfo`.""",
    attrs = {
        "binary": attr.label(
            mandatory = True,
            executable = True,
            cfg = "target",
            doc = "The py_binary. Its runfiles (`DefaultInfo.default_runfiles`) and launcher (`files_to_run.executable`) are split.",
        ),
        "service": attr.string(
            doc = "Name of the launcher `<directory>/<service>` in the image (a-z, 0-9, _ and -). Default: the binary's name.",
        ),
        "directory": attr.string(
            doc = "Absolute directory of the launcher and its runfiles in the image. Default `/<service>` (the seed's layout); the real task_builder uses `/python/taskbuilder`.",
        ),
        "interpreter_repo": attr.label(
            doc = "Any target of the repository whose runfiles form the interpreter layer (e.g. `@python_3_11_x86_64-unknown-linux-gnu//:files`); given as a label, so the canonical name is right on every Bazel (`~` on 7.0-7.3, `+` on 8). Default: the Python toolchain's interpreter repository (`py3_runtime.interpreter`), else one odptool recognises by its rules_python name. A toolchain whose runtime is a path on the machine (`interpreter_path`) means an empty interpreter layer: the base image's Python runs the app.",
        ),
        "package_repos": attr.label_list(
            doc = "Targets of repositories whose runfiles form the packages layer (e.g. `@pypi_six//:pkg`), in addition to those odptool recognises (`pypi_*`, `pip_*`, bzlmod `...pip...`, or holding `site-packages/` or a top-level `*.dist-info`).",
        ),
        "compression": COMPRESSION_ATTR,
        "source_date_epoch": SOURCE_DATE_EPOCH_ATTR,
    },
    toolchains = [_PY_TOOLCHAIN] + TOOLCHAINS,
)

def _python_layer_impl(ctx):
    info = ctx.attr.layers[OdpPythonLayersInfo]
    layer = getattr(info, ctx.attr.layer)
    compression = "gzip" if layer.basename.endswith(".gz") else "none"
    return [
        DefaultInfo(files = depset([layer]), runfiles = ctx.runfiles(files = [layer])),
        layer_info(layer, compression),
    ]

python_layer = rule(
    implementation = _python_layer_impl,
    doc = "One of the three layers of a `python_layers` target, as an `OdpLayerInfo` for image rules.",
    attrs = {
        "layers": attr.label(
            mandatory = True,
            providers = [OdpPythonLayersInfo],
            doc = "A `python_layers` target.",
        ),
        "layer": attr.string(
            mandatory = True,
            values = _LAYERS,
            doc = "Which layer: `interpreter`, `packages` or `app`.",
        ),
    },
)

def _default_service(binary):
    # "//pkg:name" -> "name", "//pkg/name" -> "name", ":name" -> "name".
    if type(binary) != "string":
        fail("odp_python_image: attribute binary must be a label string, got %r" % (binary,))
    return binary.split(":")[-1] if ":" in binary else binary.rstrip("/").split("/")[-1]

def odp_python_image(
        name,
        binary,
        base = None,
        service = "",
        directory = "",
        interpreter_repo = None,
        package_repos = [],
        layers = [],
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
    """A Python workload image as in the seed: base, interpreter, packages and app layers.

    The py_binary's runfiles land under `DIRECTORY/` (default
    `/<service>/`): the interpreter layer holds
    `DIRECTORY/<service>.runfiles/<interpreter repository>/**`, the packages
    layer the pip package repositories
    (`DIRECTORY/<service>.runfiles/pypi_*/**`), the app layer the launcher
    `DIRECTORY/<service>`, the runfiles manifest (rewritten to in-image
    paths) and every other runfile. `layers` go between the packages and the
    app layer. A code change rebuilds only the app layer. The entrypoint is
    `DIRECTORY/<service>`: Bazel's launcher stub. The base image runs it: it
    must have the interpreter of the stub's shebang (the toolchain's
    `stub_shebang`; Bazel's default `#!/usr/bin/env python3` needs
    `/usr/bin/env`) and the modules the stub imports (`shutil`, `tempfile`,
    `zipfile`: on Debian, libpython3.X-stdlib, not only python3.X-minimal).
    The stub then execs the interpreter of the runfiles, which runs the app.

    Targets: `NAME` (OCI layout), `NAME.digest`, `NAME_tarball`,
    `NAME_publish` (see `odp_image_targets`), and manual helpers
    `NAME_layers` (the three layer tars) and `NAME_interpreter`,
    `NAME_packages`, `NAME_app` (one `OdpLayerInfo` each).

    ```starlark
    odp_python_image(
        name = "task_builder_image",
        binary = ":task_builder",          # a py_binary
        directory = "/python/taskbuilder", # entrypoint /python/taskbuilder/task_builder
        base = "//bases:python311",
    )
    ```

    Args:
      name: image target name, e.g. `task_builder_image`.
      binary: the py_binary (a label string).
      base: base image that can run the launcher stub (see above): an
        `odp_base_image`, an `odp_image` or an OCI layout directory.
      service: name of the launcher; default the binary's name.
      directory: absolute directory of the launcher in the image; default
        `/<service>`.
      interpreter_repo: a target of the interpreter repository (a label);
        default: the Python toolchain's (see `python_layers`).
      package_repos: targets of more repositories for the packages layer.
      layers: more layers (`OdpLayerInfo` or `.tar`/`.tar.gz`), after the
        packages layer, before the app layer.
      entrypoint: config `Entrypoint`; default `[DIRECTORY/<service>]`.
      cmd: config `Cmd` (arguments after the entrypoint).
      workdir: config `WorkingDir`; empty keeps the base's.
      user: config `User`; empty keeps the base's.
      env: environment variables baked into the image (never one the
        launch policy lets the operator override).
      exposed_ports: config `ExposedPorts` (`"8082"` or `"8082/tcp"`).
      labels: config labels (`tee.*` only through `launch_policy`).
      launch_policy: an `odp_launch_policy` for Confidential Space images.
      platform: `linux/amd64` (default) or `linux/arm64`.
      compression: `none` (default) or `gzip`, for the three layers.
      source_date_epoch: timestamp of layer entries and the config's
        `created`; default `--define=SOURCE_DATE_EPOCH`, else 0.
      repository: default push repository of `NAME_publish`.
      remote_tags: tags `NAME_publish` sets.
      repo_tags: names in `NAME_tarball` (`REPO:TAG`); default `NAME:latest`.
      locks: lock files listed in the publish provenance.
      visibility: of the public targets.
      tags: Bazel tags of every target.
      **kwargs: common Bazel attributes of the image target (`testonly`, ...).
    """
    kind = "odp_python_image"
    if base == None:
        fail("%s %s: attribute base is mandatory (an image whose python3 can run Bazel's launcher stub)" % (kind, name))
    service = service or _default_service(binary)
    check_service(kind, name, service)
    if directory:
        check_image_dir(kind, name, "directory", directory)
    python_layers(
        name = name + "_layers",
        binary = binary,
        service = service,
        directory = directory,
        interpreter_repo = interpreter_repo,
        package_repos = package_repos,
        compression = compression,
        source_date_epoch = source_date_epoch,
        visibility = ["//visibility:private"],
        tags = tags + ["manual"],
    )
    for layer in _LAYERS:
        python_layer(
            name = "%s_%s" % (name, layer),
            layers = ":" + name + "_layers",
            layer = layer,
            visibility = ["//visibility:private"],
            tags = tags + ["manual"],
        )
    odp_image_targets(
        name = name,
        base = base,
        layers = [":%s_interpreter" % name, ":%s_packages" % name] + layers + [":%s_app" % name],
        entrypoint = entrypoint if entrypoint != None else ["%s/%s" % (directory or "/" + service, service)],
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
