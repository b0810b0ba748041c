"""odp_python_image: the seed's Python workload image, split by repository.

A py_binary's runfiles become three layers under `/<service>/` (see
docs/python-layers.md): the interpreter repository, the pip package
repositories, and the app (launcher `/<service>/<service>`, the runfiles
manifest, the main repository and everything else). `_python_layers` writes
the runfiles as the JSON spec of `odptool layer runfiles --spec` and runs it
once for the three layers.
"""

load(":deb_layer.bzl", "OdpLayerInfo")
load(":image_targets.bzl", "odp_image_targets")
load(":toolchain.bzl", "ODPTOOL_TOOLCHAIN", "odptool")

_PY_TOOLCHAIN = "@bazel_tools//tools/python:toolchain_type"

_LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar"

_LAYERS = ["interpreter", "packages", "app"]

OdpPythonLayersInfo = provider(
    doc = "The three layers of a py_binary, as `odptool layer runfiles` writes them.",
    fields = {
        "interpreter": "File: `interpreter_layer.tar`, `<service>/<service>.runfiles/<interpreter repository>/**`.",
        "packages": "File: `packages_layer.tar`, `<service>/<service>.runfiles/<package repositories>/**`.",
        "app": "File: `app_layer.tar`, the launcher, the runfiles manifest and every other runfile.",
        "spec": "File: the runfiles spec given to odptool (for debugging and tests).",
        "media_type": "string: the layers' OCI media type.",
    },
)

def check_python_service(attr, service):
    """Fails unless `service` can name the image directory /<service>/ and its launcher."""
    if not service:
        fail("attribute %s: empty" % attr)
    for c in service.elems():
        if not (c.islower() or c.isdigit() or c in "_-"):
            fail("attribute %s: %r may hold only a-z, 0-9, _ and - (it names the directory /<service>/ and the launcher /<service>/<service>)" % (attr, service))

def _check_repo_name(attr, name):
    # Apparent (WORKSPACE) and canonical (bzlmod: ~ or +) repository names.
    if not name or name in (".", ".."):
        fail("attribute %s: %r is not a repository name" % (attr, name))
    for c in name.elems():
        if not (c.isalnum() or c in "_-.~+"):
            fail("attribute %s: %r is not a repository name (letters, digits, _ - . ~ +; no @ or /)" % (attr, name))

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
    check_python_service("service", service)
    info = ctx.attr.binary[DefaultInfo]
    launcher = info.files_to_run.executable
    if launcher == None:
        fail("attribute binary: %s has no executable (want a py_binary)" % ctx.attr.binary.label)
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

    interpreter_repo = ctx.attr.interpreter_repo
    no_interpreter = False
    if interpreter_repo:
        _check_repo_name("interpreter_repo", interpreter_repo)
        if interpreter_repo == workspace:
            fail("attribute interpreter_repo: %r is the main repository, not an interpreter" % interpreter_repo)
        if interpreter_repo not in repos:
            fail("attribute interpreter_repo: %r has no runfiles in %s (its repositories: %s)" % (interpreter_repo, ctx.attr.binary.label, have))
    else:
        repo, hermetic = _toolchain_interpreter(ctx)
        if not hermetic:
            no_interpreter = True
        elif repo in repos:
            interpreter_repo = repo
        # Otherwise the binary does not run the toolchain's interpreter
        # (another configuration or runtime): odptool recognises it by name.

    seen = {}
    for repo in ctx.attr.package_repos:
        _check_repo_name("package_repos", repo)
        if repo in seen:
            fail("attribute package_repos: %r is listed twice" % repo)
        seen[repo] = True
        if repo == workspace:
            fail("attribute package_repos: %r is the main repository; its files belong to the app layer" % repo)
        if repo == interpreter_repo:
            fail("attribute package_repos: %r is the interpreter repository" % repo)
        if repo not in repos:
            fail("attribute package_repos: %r has no runfiles in %s (its repositories: %s)" % (repo, ctx.attr.binary.label, have))

    spec = ctx.actions.declare_file(ctx.label.name + "/runfiles_spec.json")
    ctx.actions.write(spec, json.encode({
        "service": service,
        "workspace": workspace,
        "interpreter_repo": interpreter_repo,
        "package_repos": ctx.attr.package_repos,
        "launcher": launcher.path,
        "files": files,
    }))
    outs = {
        layer: ctx.actions.declare_file("%s/%s_layer.tar" % (ctx.label.name, layer))
        for layer in _LAYERS
    }

    args = ctx.actions.args()
    args.add_all(["layer", "runfiles"])
    args.add("--spec", spec)
    args.add("--service", service)
    args.add("--interpreter-out", outs["interpreter"])
    args.add("--packages-out", outs["packages"])
    args.add("--app-out", outs["app"])

    # Fixed mtime for every entry, whatever the caller's environment.
    args.add("--source-date-epoch", "0")
    if no_interpreter:
        args.add("--no-interpreter")

    # Build-machine paths (the execroot or sandbox, the output base, the
    # checkout) are derived by odptool from the sources' paths and refused
    # in every layer; nothing to pass.
    ctx.actions.run(
        executable = odptool(ctx),
        arguments = [args],
        inputs = depset([spec, launcher] + extra, transitive = [info.default_runfiles.files]),
        outputs = [outs[layer] for layer in _LAYERS],
        mnemonic = "OdpPythonLayers",
        progress_message = "Splitting the runfiles of %s into layers for /%s/" % (ctx.attr.binary.label, service),
    )
    return [
        DefaultInfo(files = depset([outs[layer] for layer in _LAYERS])),
        OutputGroupInfo(runfiles_spec = depset([spec])),
        OdpPythonLayersInfo(
            interpreter = outs["interpreter"],
            packages = outs["packages"],
            app = outs["app"],
            spec = spec,
            media_type = _LAYER_MEDIA_TYPE,
        ),
    ]

python_layers = rule(
    implementation = _python_layers_impl,
    doc = """The interpreter, packages and app layers of a py_binary (`odptool layer runfiles`).

Outputs `NAME/interpreter_layer.tar`, `NAME/packages_layer.tar`,
`NAME/app_layer.tar` (and `NAME/runfiles_spec.json`, output group
`runfiles_spec`). Returns `OdpPythonLayersInfo`; `python_layer` picks one
of them as an `OdpLayerInfo`.""",
    attrs = {
        "binary": attr.label(
            mandatory = True,
            executable = True,
            cfg = "target",
            doc = "The py_binary. Its runfiles (`DefaultInfo.default_runfiles`) and launcher (`files_to_run.executable`) are split.",
        ),
        "service": attr.string(
            doc = "Directory `/<service>/` and launcher `/<service>/<service>` in the image (a-z, 0-9, _ and -). Default: the binary's name.",
        ),
        "interpreter_repo": attr.string(
            doc = "The repository whose runfiles form the interpreter layer. Default: the Python toolchain's interpreter repository (`py3_runtime.interpreter`), else a repository odptool recognises by its rules_python name (`python_<triple>`, ...). A toolchain whose runtime is a path on the machine (`interpreter_path`) means no interpreter layer content: the base image's Python runs the app.",
        ),
        "package_repos": attr.string_list(
            doc = "Repositories whose runfiles form the packages layer, in addition to those odptool recognises (`pypi_*`, `pip_*`, bzlmod `...~pip~<hub>_<pkg>`, or holding `site-packages/` or a top-level `*.dist-info`).",
        ),
    },
    toolchains = [_PY_TOOLCHAIN, ODPTOOL_TOOLCHAIN],
)

def _python_layer_impl(ctx):
    info = ctx.attr.layers[OdpPythonLayersInfo]
    layer = getattr(info, ctx.attr.layer)
    return [
        DefaultInfo(files = depset([layer]), runfiles = ctx.runfiles(files = [layer])),
        OdpLayerInfo(layer = layer, media_type = info.media_type),
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
        fail("attribute binary: must be a label string, got %r" % (binary,))
    return binary.split(":")[-1] if ":" in binary else binary.rstrip("/").split("/")[-1]

def odp_python_image(
        name,
        binary,
        base = None,
        service = "",
        env = {},
        labels = {},
        launch_policy = None,
        interpreter_repo = "",
        package_repos = [],
        cmd = [],
        user = "",
        workdir = "",
        repository = "",
        remote_tags = [],
        locks = [],
        visibility = None,
        tags = [],
        **kwargs):
    """A Python workload image as in the seed: base, interpreter, packages and app layers.

    The py_binary's runfiles land under `/<service>/`: the interpreter
    layer holds `<service>/<service>.runfiles/<interpreter repository>/**`,
    the packages layer the pip package repositories
    (`<service>/<service>.runfiles/pypi_*/**`), the app layer the launcher
    `/<service>/<service>`, the runfiles manifest (rewritten to in-image
    paths) and every other runfile. A code change rebuilds only the app
    layer. The entrypoint is `/<service>/<service>`: Bazel's launcher stub.
    The base image runs it: it must have the interpreter of the stub's
    shebang (the toolchain's `stub_shebang`; Bazel's default
    `#!/usr/bin/env python3` needs `/usr/bin/env`) and the modules the stub
    imports (`shutil`, `tempfile`, `zipfile`: on Debian, libpython3.X-stdlib,
    not only python3.X-minimal). The stub then execs the interpreter of the
    runfiles, which runs the app.

    Targets: `NAME` (OCI layout), `NAME.digest`, `NAME_tarball`,
    `NAME_publish` (see `odp_image_targets`), and manual helpers
    `NAME_layers` (the three layer tars) and `NAME_interpreter`,
    `NAME_packages`, `NAME_app` (one `OdpLayerInfo` each).

    Args:
      name: image target name, e.g. `task_builder_image`.
      binary: the py_binary (a label string).
      base: base image that can run the launcher stub (see above): an
        `odp_base_image`, an `odp_image` or an OCI layout directory.
      service: service name, e.g. `task_builder`; names `/<service>/` and
        the entrypoint. Default: the binary's name.
      env: environment variables baked into the image (never one the
        launch policy lets the operator override).
      labels: config labels (`tee.*` only through `launch_policy`).
      launch_policy: an `odp_launch_policy` for Confidential Space images.
      interpreter_repo: the interpreter repository; default: the Python
        toolchain's (see `python_layers`).
      package_repos: more repositories for the packages layer.
      cmd: config `Cmd` (arguments after the entrypoint).
      user: config `User`; empty keeps the base's.
      workdir: config `WorkingDir`; empty keeps the base's.
      repository: default push repository of `NAME_publish`.
      remote_tags: tags `NAME_publish` sets.
      locks: lock files listed in the publish provenance.
      visibility: of the public targets.
      tags: Bazel tags of every target.
      **kwargs: other `odp_image` attributes (`platform`, `compress`, `source_date_epoch`).
    """
    if base == None:
        fail("odp_python_image %s: attribute base is mandatory (an image whose python3 can run Bazel's launcher stub)" % name)
    service = service or _default_service(binary)
    check_python_service("service", service)
    python_layers(
        name = name + "_layers",
        binary = binary,
        service = service,
        interpreter_repo = interpreter_repo,
        package_repos = package_repos,
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
        layers = [":%s_%s" % (name, layer) for layer in _LAYERS],
        entrypoint = ["/%s/%s" % (service, service)],
        cmd = cmd,
        env = env,
        labels = labels,
        user = user,
        workdir = workdir,
        launch_policy = launch_policy,
        repository = repository,
        remote_tags = remote_tags,
        locks = locks,
        visibility = visibility,
        tags = tags,
        **kwargs
    )
