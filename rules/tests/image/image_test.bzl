"""Analysis tests of the image rules and macros: actions, configs, attribute checks."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load(
    "//rules:defs.bzl",
    "OdpImageInfo",
    "odp_base_files",
    "odp_files_layer",
    "odp_image",
    "odp_java_image",
    "odp_jni_image",
    "odp_launch_policy",
    "odp_push",
    "odp_tarball",
)

def _write_content(env, mnemonic_suffix):
    for a in analysistest.target_actions(env):
        if a.mnemonic == "FileWrite" and a.outputs.to_list()[0].basename.endswith(mnemonic_suffix):
            return a.content
    return None

def _assemble_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "OdpImageAssemble"]
    asserts.equals(env, 1, len(actions), "OdpImageAssemble actions")
    argv = actions[0].argv
    info = target[OdpImageInfo]
    asserts.true(env, info.layout.is_directory, "layout is a directory")
    asserts.equals(env, target.label.name, info.layout.basename)
    asserts.equals(env, target.label.name + ".digest", info.digest.basename)
    asserts.equals(env, ctx.attr.want_config, _write_content(env, ".config.json"))

    # The added layers are the trailing arguments, in order.
    layers = [a.split("/")[-1] for a in argv[-len(ctx.attr.want_layers):]] if ctx.attr.want_layers else []
    asserts.equals(env, ctx.attr.want_layers, layers)
    asserts.equals(env, ctx.attr.want_policy, "--launch-policy" in argv, "--launch-policy in argv")

    # A base built by odp_image in this build was verified when it was
    # written; its uncompressed layers are not read again.
    asserts.true(env, "--trust-base-layers" in argv, "--trust-base-layers for an odp_image base")
    asserts.true(env, "--source-date-epoch" in argv and argv[argv.index("--source-date-epoch") + 1] == ctx.attr.want_epoch, "created time %s" % ctx.attr.want_epoch)
    asserts.true(env, "--compression" in argv and argv[argv.index("--compression") + 1] == ctx.attr.want_compression, "compression %s" % ctx.attr.want_compression)

    # The jar normaliser runs unless the macro was told not to.
    jar_actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "OdpJarNormalize"]
    asserts.equals(env, 0, len(jar_actions), "the image target itself normalises no jar")
    return analysistest.end(env)

_assemble_test = analysistest.make(
    _assemble_test_impl,
    attrs = {
        "want_config": attr.string(),
        "want_layers": attr.string_list(),
        "want_policy": attr.bool(),
        "want_epoch": attr.string(default = "0"),
        "want_compression": attr.string(default = "none"),
    },
)

def _workload_test_impl(ctx):
    env = analysistest.begin(ctx)
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "OdpFilesLayer"]
    asserts.equals(env, 1, len(actions), "OdpFilesLayer actions")
    spec = json.decode(_write_content(env, ".spec.json"))
    asserts.equals(env, ctx.attr.want_paths, [item["path"] for item in spec])
    asserts.equals(env, ctx.attr.want_jar_src, [item["src"].split("/")[-1] for item in spec][0])
    argv = actions[0].argv
    asserts.equals(env, ctx.attr.want_epoch, argv[argv.index("--source-date-epoch") + 1])
    return analysistest.end(env)

_workload_test = analysistest.make(
    _workload_test_impl,
    attrs = {
        "want_paths": attr.string_list(),
        "want_jar_src": attr.string(),
        "want_epoch": attr.string(default = "0"),
    },
)

def _jar_test_impl(ctx):
    env = analysistest.begin(ctx)
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "OdpJarNormalize"]
    asserts.equals(env, 1, len(actions), "OdpJarNormalize actions")
    argv = actions[0].argv
    asserts.equals(env, ctx.attr.want_epoch, argv[argv.index("--source-date-epoch") + 1])
    return analysistest.end(env)

_jar_test = analysistest.make(_jar_test_impl, attrs = {"want_epoch": attr.string()})

def _tarball_test_impl(ctx):
    env = analysistest.begin(ctx)
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "OdpImageArchive"]
    asserts.equals(env, 1, len(actions), "OdpImageArchive actions")
    argv = actions[0].argv
    tags = [argv[i + 1] for i in range(len(argv) - 1) if argv[i] == "--repo-tag"]
    asserts.equals(env, ctx.attr.want_repo_tags, tags)
    target = analysistest.target_under_test(env)
    asserts.true(env, target[DefaultInfo].files_to_run.executable != None, "bazel run loads the tarball")
    return analysistest.end(env)

_tarball_test = analysistest.make(_tarball_test_impl, attrs = {"want_repo_tags": attr.string_list()})

def _policy_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.equals(env, ctx.attr.want_json, _write_content(env, ".launch_policy.json"))
    return analysistest.end(env)

_policy_test = analysistest.make(_policy_test_impl, attrs = {"want_json": attr.string()})

def _base_files_test_impl(ctx):
    env = analysistest.begin(ctx)
    spec = json.decode(_write_content(env, ".spec.json"))
    by_path = {item["path"]: item for item in spec}
    asserts.equals(env, {"path": "/tmp", "type": "dir", "mode": "1777"}, by_path.get("/tmp"))
    asserts.equals(env, {"path": "/home/nonroot", "type": "dir", "mode": "0700", "uid": 65532, "gid": 65532}, by_path.get("/home/nonroot"))
    asserts.equals(env, {"path": "/lib", "type": "symlink", "target": "usr/lib"}, by_path.get("/lib"))
    asserts.equals(env, {"path": "/usr/bin/java", "type": "symlink", "target": "/opt/java/bin/java"}, by_path.get("/usr/bin/java"))
    passwd = _write_content(env, "passwd")
    asserts.true(env, "nonroot:x:65532:65532:" in passwd, "passwd has nonroot 65532")
    layers = [a for a in analysistest.target_actions(env) if a.mnemonic == "OdpFilesLayer"]
    asserts.true(env, "--keep-special-bits" in layers[0].argv, "/tmp keeps its sticky bit")
    return analysistest.end(env)

_base_files_test = analysistest.make(_base_files_test_impl)

def _failure_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, ctx.attr.want_message)
    return analysistest.end(env)

_failure_test = analysistest.make(
    _failure_test_impl,
    expect_failure = True,
    attrs = {"want_message": attr.string()},
)

SEED_POLICY = '{"allow_env_override":["FCP_OPTS"],"log_redirect":"always","monitoring_memory_allow":"always"}'

def image_test_suite(name):
    """Declares the image analysis tests and a test_suite `name` of them."""
    odp_image(name = "scratch_base", layers = [":fake_layer.tar"], tags = ["manual"])
    odp_launch_policy(
        name = "seed_policy",
        allow_env_override = ["FCP_OPTS"],
        log_redirect = "always",
        monitoring_memory_allow = "always",
        tags = ["manual"],
    )
    _policy_test(name = "seed_policy_test", target_under_test = ":seed_policy", want_json = SEED_POLICY)

    # Defaults: the jar at /<service>_application.jar, the entrypoint names
    # it absolutely, WorkingDir is the base's.
    odp_java_image(name = "java", service = "svc", jar = ":fake.jar", base = ":scratch_base", tags = ["manual"])
    _assemble_test(
        name = "java_test",
        target_under_test = ":java",
        want_config = '{"Entrypoint":["java","-jar","/svc_application.jar"]}',
        want_layers = ["binary_tar.tar"],
        want_policy = False,
    )
    _workload_test(
        name = "java_workload_test",
        target_under_test = ":java_workload",
        want_paths = ["/svc_application.jar"],
        want_jar_src = "svc_application.jar",
    )

    odp_files_layer(name = "extra_layer", files = {":fake.jar": "/extra/fake.jar"}, tags = ["manual"])

    # Every attribute a service needs, without **kwargs collisions.
    odp_java_image(
        name = "java_all",
        service = "task_management",
        jar = ":fake.jar",
        normalize_jar = False,
        base = ":scratch_base",
        native_libs = [":libfake.so"],
        deb_layers = [":fake_layer.tar"],
        layers = [":extra_layer"],
        jvm_flags = ["-Dspring.profiles.active=gcp", "-XX:MaxRAMPercentage=70.0"],
        jar_dir = "/opt/app",
        cmd = ["--server.port=8082"],
        workdir = "/home/nonroot",
        user = "65532",
        env = {"JAVA_TOOL_OPTIONS": "-Xss1m"},
        exposed_ports = ["8082", "9090/udp"],
        labels = {"org.opencontainers.image.source": "https://example.test/repo"},
        compression = "gzip",
        source_date_epoch = 1700000000,
        repo_tags = ["task_management_image:latest"],
        tags = ["manual"],
    )
    _assemble_test(
        name = "java_all_test",
        target_under_test = ":java_all",
        want_config = '{"Cmd":["--server.port=8082"],"Entrypoint":["java","-Djava.library.path=/opt/app","-Dspring.profiles.active=gcp","-XX:MaxRAMPercentage=70.0","-jar","/opt/app/task_management_application.jar"],"Env":["JAVA_TOOL_OPTIONS=-Xss1m"],"ExposedPorts":{"8082/tcp":{},"9090/udp":{}},"Labels":{"org.opencontainers.image.source":"https://example.test/repo"},"User":"65532","WorkingDir":"/home/nonroot"}',
        want_layers = ["fake_layer.tar", "extra_layer.tar", "binary_tar.tar.gz"],
        want_policy = False,
        want_epoch = "1700000000",
        want_compression = "gzip",
    )

    # normalize_jar = False: the jar goes into the layer byte for byte.
    _workload_test(
        name = "java_all_workload_test",
        target_under_test = ":java_all_workload",
        want_paths = ["/opt/app/task_management_application.jar", "/opt/app/libfake.so"],
        want_jar_src = "fake.jar",
        want_epoch = "1700000000",
    )
    _tarball_test(
        name = "java_all_tarball_test",
        target_under_test = ":java_all_tarball",
        want_repo_tags = ["task_management_image:latest"],
    )
    _tarball_test(
        name = "java_tarball_test",
        target_under_test = ":java_tarball",
        want_repo_tags = ["java:latest"],
    )
    _jar_test(name = "java_jar_test", target_under_test = ":java_jar", want_epoch = "0")

    odp_jni_image(
        name = "jni",
        service = "agg",
        jar = ":fake.jar",
        native_libs = [":libfake.so"],
        deb_layers = [":fake_layer.tar"],
        base = ":scratch_base",
        jvm_flags = ["-Xmx1g"],
        launch_policy = ":seed_policy",
        tags = ["manual"],
    )
    _assemble_test(
        name = "jni_test",
        target_under_test = ":jni",
        want_config = '{"Entrypoint":["java","-Djava.library.path=/","-Xmx1g","-jar","/agg_application.jar"]}',
        want_layers = ["fake_layer.tar", "binary_tar.tar"],
        want_policy = True,
    )

    odp_image(name = "baked_override", env = {"FCP_OPTS": "x"}, launch_policy = ":seed_policy", tags = ["manual"])
    _failure_test(
        name = "baked_override_test",
        target_under_test = ":baked_override",
        want_message = "odp_image //rules/tests/image:baked_override: attribute env: FCP_OPTS may be set by the operator at run time",
    )

    odp_image(name = "tee_label", labels = {"tee.launch_policy.log_redirect": "always"}, tags = ["manual"])
    _failure_test(
        name = "tee_label_test",
        target_under_test = ":tee_label",
        want_message = "attribute labels: \"tee.launch_policy.log_redirect\": Confidential Space labels come from launch_policy",
    )

    odp_launch_policy(
        name = "risky_policy",
        allow_env_override = ["LD_PRELOAD"],
        acknowledge_risks = ["ld_env_override"],
        tags = ["manual"],
    )
    _policy_test(
        name = "risky_policy_test",
        target_under_test = ":risky_policy",
        want_json = '{"acknowledge_risks":["ld_env_override"],"allow_env_override":["LD_PRELOAD"]}',
    )

    odp_image(name = "inherit_and_declare", inherit_launch_policy = True, launch_policy = ":seed_policy", tags = ["manual"])
    _failure_test(
        name = "inherit_and_declare_test",
        target_under_test = ":inherit_and_declare",
        want_message = "attribute inherit_launch_policy: True together with launch_policy",
    )

    odp_image(name = "relative_workdir", workdir = "app", tags = ["manual"])
    _failure_test(
        name = "relative_workdir_test",
        target_under_test = ":relative_workdir",
        want_message = "attribute workdir: \"app\" must be an absolute path",
    )

    odp_image(name = "bad_port", exposed_ports = ["http"], tags = ["manual"])
    _failure_test(
        name = "bad_port_test",
        target_under_test = ":bad_port",
        want_message = "odp_image //rules/tests/image:bad_port: attribute exposed_ports: \"http\" is not PORT or PORT/PROTO",
    )

    odp_image(name = "twice_port", exposed_ports = ["8082", "8082/tcp"], tags = ["manual"])
    _failure_test(
        name = "twice_port_test",
        target_under_test = ":twice_port",
        want_message = "attribute exposed_ports: \"8082/tcp\" is given twice",
    )

    odp_image(name = "newline_entrypoint", entrypoint = ["/bin/x\n/bin/y"], tags = ["manual"])
    _failure_test(
        name = "newline_entrypoint_test",
        target_under_test = ":newline_entrypoint",
        want_message = "attribute entrypoint: \"/bin/x\\n/bin/y\" holds a newline",
    )

    odp_tarball(name = "bad_repo_tag", image = ":scratch_base", repo_tags = ["Svc_Image"], tags = ["manual"])
    _failure_test(
        name = "bad_repo_tag_test",
        target_under_test = ":bad_repo_tag",
        want_message = "odp_tarball //rules/tests/image:bad_repo_tag: attribute repo_tags: \"Svc_Image\" is not REPO:TAG",
    )

    odp_launch_policy(name = "bad_env_name", allow_env_override = ["FCP-OPTS"], tags = ["manual"])
    _failure_test(
        name = "bad_env_name_test",
        target_under_test = ":bad_env_name",
        want_message = "attribute allow_env_override: \"FCP-OPTS\" is not an environment variable name",
    )

    odp_launch_policy(name = "legacy_and_new", monitoring_memory_allow = "always", hardened_monitoring = "all", tags = ["manual"])
    _failure_test(
        name = "legacy_and_new_test",
        target_under_test = ":legacy_and_new",
        want_message = "attribute monitoring_memory_allow: the legacy field cannot be combined",
    )

    odp_push(name = "bad_repository", image = ":scratch_base", repository = "https://example.test/x", tags = ["manual"])
    _failure_test(
        name = "bad_repository_test",
        target_under_test = ":bad_repository",
        want_message = "attribute repository: \"https://example.test/x\" is not REGISTRY/PATH",
    )

    odp_push(name = "bad_tag", image = ":scratch_base", repository = "127.0.0.1:5000/x", remote_tags = ["v1 beta"], tags = ["manual"])
    _failure_test(
        name = "bad_tag_test",
        target_under_test = ":bad_tag",
        want_message = "attribute remote_tags: \"v1 beta\" is not a valid tag",
    )

    odp_base_files(name = "base_files", links = {"/usr/bin/java": "/opt/java/bin/java"}, tags = ["manual"])
    _base_files_test(name = "base_files_test", target_under_test = ":base_files")

    odp_base_files(name = "base_files_lib", links = {"/lib": "usr/lib"}, tags = ["manual"])
    _failure_test(
        name = "base_files_lib_test",
        target_under_test = ":base_files_lib",
        want_message = "attribute links: \"/lib\" is one of the merged-/usr links",
    )

    native.test_suite(
        name = name,
        tests = [
            ":seed_policy_test",
            ":java_test",
            ":java_workload_test",
            ":java_all_test",
            ":java_all_workload_test",
            ":java_all_tarball_test",
            ":java_tarball_test",
            ":java_jar_test",
            ":bad_port_test",
            ":risky_policy_test",
            ":inherit_and_declare_test",
            ":twice_port_test",
            ":newline_entrypoint_test",
            ":bad_repo_tag_test",
            ":jni_test",
            ":baked_override_test",
            ":tee_label_test",
            ":relative_workdir_test",
            ":bad_env_name_test",
            ":legacy_and_new_test",
            ":bad_repository_test",
            ":bad_tag_test",
            ":base_files_test",
            ":base_files_lib_test",
        ],
    )
