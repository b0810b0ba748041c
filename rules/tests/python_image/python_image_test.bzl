"""Analysis tests of python_layers and python_layer."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("@rules_python//python:defs.bzl", "py_binary", "py_runtime", "py_runtime_pair")
load("//rules:defs.bzl", "OdpLayerInfo", "OdpPythonLayersInfo", "odp_image", "odp_python_image", "python_layer", "python_layers")

_INTERPRETER = "python_x86_64-unknown-linux-gnu"
_PKG = "rules/tests/python_image"

def _links_impl(ctx):
    # What a data dependency can add to a py_binary's runfiles besides
    # files: a symlink below the main repository and one at the root.
    f = ctx.file.src
    return [DefaultInfo(runfiles = ctx.runfiles(
        symlinks = {"config/app.json": f},
        root_symlinks = {"root_settings.json": f},
    ))]

_links = rule(
    implementation = _links_impl,
    attrs = {"src": attr.label(allow_single_file = True)},
)

def _find(files, rpath):
    for f in files:
        if f["rpath"] == rpath:
            return f
    return None

def _spec_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    info = target[OdpPythonLayersInfo]
    ws = ctx.workspace_name

    writes = [a for a in analysistest.target_actions(env) if a.outputs.to_list() == [info.spec]]
    asserts.equals(env, 1, len(writes), "actions writing the spec")
    spec = json.decode(writes[0].content)
    asserts.equals(env, ctx.attr.want_service, spec["service"])
    asserts.equals(env, ws, spec["workspace"])
    asserts.equals(env, ctx.attr.want_interpreter_repo, spec["interpreter_repo"])
    asserts.equals(env, ctx.attr.want_package_repos, spec["package_repos"])
    launcher = "bazel-out/" if spec["launcher"].startswith("bazel-out/") else spec["launcher"]
    asserts.equals(env, "bazel-out/", launcher, "launcher is an exec path")
    asserts.true(env, spec["launcher"].endswith("/bin/%s/app" % _PKG), "launcher %r" % spec["launcher"])

    files = spec["files"]
    for rpath, src, kind in [
        # A main-repository source: <workspace>/<short_path>.
        ("%s/%s/app.py" % (ws, _PKG), _PKG + "/app.py", "file"),
        # An external file: short_path ../pypi_six/... is pypi_six/...
        ("pypi_six/site-packages/six.py", "external/pypi_six/site-packages/six.py", "file"),
        # The toolchain's interpreter is a runfile of the py_binary.
        (_INTERPRETER + "/bin/python3", "external/%s/bin/python3" % _INTERPRETER, "file"),
        ("%s/config/app.json" % ws, _PKG + "/settings.json", "symlink"),
        ("root_settings.json", _PKG + "/settings.json", "root_symlink"),
        # py_binary's __init__.py files; Bazel names the external ones
        # external/pypi_six/..., which is pypi_six/... in the runfiles.
        ("%s/%s/__init__.py" % (ws, _PKG), None, "empty"),
        ("pypi_six/site-packages/__init__.py", None, "empty"),
        ("__init__.py", None, "empty"),
    ]:
        got = _find(files, rpath)
        asserts.equals(env, {"rpath": rpath, "src": src, "kind": kind}, got, rpath)
    for f in files:
        asserts.false(env, f["rpath"].startswith(ws + "/external/"), "legacy external path %r in the spec" % f["rpath"])
        asserts.false(env, f["rpath"].startswith("../") or f["rpath"].startswith("/"), "unclean rpath %r" % f["rpath"])

    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "OdpPythonLayers"]
    asserts.equals(env, 1, len(actions), "OdpPythonLayers actions")
    action = actions[0]
    outs = [info.interpreter, info.packages, info.app]
    asserts.equals(env, ["interpreter_layer.tar", "packages_layer.tar", "app_layer.tar"], [f.basename for f in outs])
    asserts.equals(env, sorted([f.path for f in outs]), sorted([f.path for f in action.outputs.to_list()]))
    asserts.equals(env, ctx.attr.want_directory, spec.get("directory", ""))
    want = ["layer", "runfiles", "--spec", info.spec.path, "--interpreter-out", outs[0].path, "--packages-out", outs[1].path, "--app-out", outs[2].path, "--compression", "none", "--source-date-epoch", ctx.attr.want_epoch]
    asserts.equals(env, want, action.argv[1:])
    asserts.true(env, action.argv[0].endswith("odptool"), "argv[0] %r is not odptool" % action.argv[0])

    # Every source of the spec is an input of the action (the sandbox holds
    # only inputs), and so is the spec.
    inputs = {f.path: True for f in action.inputs.to_list()}
    for f in files:
        if f["src"] != None:
            asserts.true(env, f["src"] in inputs, "%s (%s) is not an input" % (f["src"], f["rpath"]))
    asserts.true(env, info.spec.path in inputs, "the spec is not an input")
    asserts.equals(env, "application/vnd.oci.image.layer.v1.tar", info.media_type)
    return analysistest.end(env)

_spec_test = analysistest.make(
    _spec_test_impl,
    attrs = {
        "want_service": attr.string(),
        "want_directory": attr.string(),
        "want_epoch": attr.string(default = "0"),
        "want_interpreter_repo": attr.string(),
        "want_package_repos": attr.string_list(),
    },
)

def _system_python_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    info = target[OdpPythonLayersInfo]
    writes = [a for a in analysistest.target_actions(env) if a.outputs.to_list() == [info.spec]]
    spec = json.decode(writes[0].content)
    asserts.equals(env, "", spec["interpreter_repo"])
    for f in spec["files"]:
        asserts.false(env, f["rpath"].startswith(_INTERPRETER + "/"), "%s: the system runtime has no runfiles" % f["rpath"])
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "OdpPythonLayers"]
    asserts.equals(env, "--no-interpreter", actions[0].argv[-1])
    return analysistest.end(env)

# A toolchain whose runtime is the machine's /usr/bin/python3 (no runfiles):
# the image runs on the base image's Python, with an empty interpreter layer.
_system_python_test = analysistest.make(
    _system_python_test_impl,
    config_settings = {
        "//command_line_option:extra_toolchains": [str(Label("//rules/tests/python_image:system_python_toolchain"))],
    },
)

def _layer_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    layer = target[OdpLayerInfo]
    asserts.equals(env, ctx.attr.want_basename, layer.layer.basename)
    asserts.equals(env, "application/vnd.oci.image.layer.v1.tar", layer.media_type)
    asserts.equals(env, [layer.layer], target[DefaultInfo].files.to_list())
    return analysistest.end(env)

_layer_test = analysistest.make(_layer_test_impl, attrs = {"want_basename": attr.string()})

def _image_config_test_impl(ctx):
    env = analysistest.begin(ctx)
    writes = [a for a in analysistest.target_actions(env) if a.mnemonic == "FileWrite" and a.outputs.to_list()[0].basename.endswith(".config.json")]
    asserts.equals(env, 1, len(writes), "config writes")
    asserts.equals(env, ctx.attr.want_config, writes[0].content)
    assemble = [a for a in analysistest.target_actions(env) if a.mnemonic == "OdpImageAssemble"][0]
    layers = [a.split("/")[-1] for a in assemble.argv[-len(ctx.attr.want_layers):]]
    asserts.equals(env, ctx.attr.want_layers, layers)
    return analysistest.end(env)

_image_config_test = analysistest.make(
    _image_config_test_impl,
    attrs = {"want_config": attr.string(), "want_layers": attr.string_list()},
)

def _failure_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, ctx.attr.want_message)
    return analysistest.end(env)

_failure_test = analysistest.make(
    _failure_test_impl,
    expect_failure = True,
    attrs = {"want_message": attr.string()},
)

def python_image_test_suite(name):
    """Declares the python_layers analysis tests and a test_suite `name` of them."""
    _links(name = "links", src = "settings.json", tags = ["manual"])
    py_binary(
        name = "app",
        srcs = ["app.py"],
        data = [":links"],
        deps = ["@pypi_six//:pkg"],
        tags = ["manual"],
    )
    tests = []

    # Defaults: service from the binary's name, interpreter from the toolchain.
    python_layers(name = "default", binary = ":app", tags = ["manual"])
    _spec_test(
        name = "default_test",
        target_under_test = ":default",
        want_service = "app",
        want_interpreter_repo = _INTERPRETER,
        want_package_repos = [],
    )
    tests.append(":default_test")

    # Repositories given as labels (canonical names differ between Bazel
    # versions), a nested directory as the real task_builder's, a timestamp.
    python_layers(
        name = "explicit",
        binary = ":app",
        service = "task-builder_2",
        directory = "/python/taskbuilder",
        interpreter_repo = "@%s//:files" % _INTERPRETER,
        package_repos = ["@pypi_six//:pkg"],
        source_date_epoch = 1700000000,
        tags = ["manual"],
    )
    _spec_test(
        name = "explicit_test",
        target_under_test = ":explicit",
        want_service = "task-builder_2",
        want_directory = "/python/taskbuilder",
        want_epoch = "1700000000",
        want_interpreter_repo = _INTERPRETER,
        want_package_repos = ["pypi_six"],
    )
    tests.append(":explicit_test")

    py_runtime(
        name = "system_python",
        interpreter_path = "/usr/bin/python3",
        python_version = "PY3",
        tags = ["manual"],
    )
    py_runtime_pair(name = "system_python_pair", py3_runtime = ":system_python", tags = ["manual"])
    native.toolchain(
        name = "system_python_toolchain",
        toolchain = ":system_python_pair",
        toolchain_type = "@bazel_tools//tools/python:toolchain_type",
        tags = ["manual"],
    )
    _system_python_test(name = "system_python_test", target_under_test = ":default")
    tests.append(":system_python_test")

    for layer in ["interpreter", "packages", "app"]:
        python_layer(name = "default_" + layer, layers = ":default", layer = layer, tags = ["manual"])
        _layer_test(
            name = "default_%s_test" % layer,
            target_under_test = ":default_" + layer,
            want_basename = layer + "_layer.tar",
        )
        tests.append(":default_%s_test" % layer)

    # The macro: the real task_builder's path, extra layers before the app
    # layer, the config attributes every image macro has.
    odp_image(name = "py_base", tags = ["manual"])
    python_layers(name = "extra_python_layers", binary = ":app", tags = ["manual"])
    python_layer(name = "extra_layer", layers = ":extra_python_layers", layer = "app", tags = ["manual"])
    odp_python_image(
        name = "nested_image",
        binary = ":app",
        base = ":py_base",
        directory = "/python/taskbuilder",
        service = "task_builder",
        layers = [":extra_layer"],
        exposed_ports = ["8080"],
        workdir = "/python/taskbuilder",
        user = "65532",
        tags = ["manual"],
    )
    _image_config_test(
        name = "nested_image_test",
        target_under_test = ":nested_image",
        want_config = '{"Entrypoint":["/python/taskbuilder/task_builder"],"ExposedPorts":{"8080/tcp":{}},"User":"65532","WorkingDir":"/python/taskbuilder"}',
        want_layers = ["interpreter_layer.tar", "packages_layer.tar", "app_layer.tar", "app_layer.tar"],
    )
    tests.append(":nested_image_test")

    # Bad attribute values fail at analysis, naming the attribute.
    for case, kwargs, message in [
        ("bad_service", {"service": "Task/Builder"}, "python_layers //%s:bad_service: attribute service: \"Task/Builder\" may hold only a-z, 0-9, _ and -" % _PKG),
        ("dot_service", {"service": ".."}, "attribute service: \"..\" may hold only"),
        ("relative_directory", {"directory": "python/taskbuilder"}, "attribute directory: \"python/taskbuilder\" must be an absolute, clean path"),
        ("root_directory", {"directory": "/"}, "attribute directory: \"/\" is not allowed"),
        ("main_interpreter_repo", {"interpreter_repo": ":app"}, "attribute interpreter_repo: //%s:app is in the main repository" % _PKG),
        ("missing_interpreter_repo", {"interpreter_repo": "@bazel_tools//tools/python:toolchain_type"}, "attribute interpreter_repo: repository \"bazel_tools\" (of @bazel_tools//tools/python:toolchain_type) has no runfiles in"),
        ("twice_package_repos", {"package_repos": ["@pypi_six//:pkg", "@pypi_six//:site_packages"]}, "attribute package_repos: repository \"pypi_six\" is given twice"),
        ("interpreter_as_package", {"package_repos": ["@%s//:files" % _INTERPRETER]}, "attribute package_repos: repository \"%s\" is the interpreter repository" % _INTERPRETER),
        ("missing_package_repo", {"package_repos": ["@bazel_tools//tools/python:toolchain_type"]}, "attribute package_repos: repository \"bazel_tools\" (of @bazel_tools//tools/python:toolchain_type) has no runfiles in"),
        ("main_package_repo", {"package_repos": [":links"]}, "attribute package_repos: //%s:links is in the main repository" % _PKG),
        ("bad_epoch", {"source_date_epoch": -2}, "attribute source_date_epoch: -2 is not in"),
    ]:
        python_layers(name = case, binary = ":app", tags = ["manual"], **kwargs)
        _failure_test(name = case + "_test", target_under_test = ":" + case, want_message = message)
        tests.append(":%s_test" % case)

    native.test_suite(name = name, tests = tests)
