"""Analysis tests of deb_layer: its action, its provider, its attribute checks."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//rules:defs.bzl", "OdpLayerInfo", "deb_layer")

def _action_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "OdpDebRepack"]
    asserts.equals(env, 1, len(actions), "OdpDebRepack actions")
    argv = actions[0].argv
    out = target[OdpLayerInfo].layer
    asserts.equals(env, ctx.attr.want_basename, out.basename)
    asserts.equals(env, ctx.attr.want_media_type, target[OdpLayerInfo].media_type)
    want_args = [out.path if a == "OUT" else a for a in ctx.attr.want_args]
    asserts.equals(env, want_args, argv[1:-1])
    asserts.equals(env, "rules/tests/deb_layer/fake_1.0-1_amd64.deb", argv[-1])
    asserts.true(env, argv[0].endswith("odptool"), "argv[0] %r is not odptool" % argv[0])
    asserts.equals(env, [out.path], [o.path for o in actions[0].outputs.to_list()])
    return analysistest.end(env)

_action_test = analysistest.make(
    _action_test_impl,
    attrs = {
        # "OUT" stands for the layer's path.
        "want_args": attr.string_list(),
        "want_basename": attr.string(),
        "want_media_type": attr.string(),
    },
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

def deb_layer_test_suite(name):
    """Declares the deb_layer analysis tests and a test_suite `name` of them."""
    deb = ":fake_1.0-1_amd64.deb"

    deb_layer(name = "plain", deb = deb, tags = ["manual"])
    _action_test(
        name = "plain_test",
        target_under_test = ":plain",
        want_basename = "plain_amd64.tar",
        want_media_type = "application/vnd.oci.image.layer.v1.tar",
        want_args = [
            "deb",
            "repack",
            "--out",
            "OUT",
            "--merged-usr=true",
            "--status-record=true",
            "--source-date-epoch",
            "0",
        ],
    )

    deb_layer(
        name = "gz",
        deb = deb,
        compression = "gzip",
        gzip_level = 9,
        merged_usr = False,
        status_record = False,
        tags = ["manual"],
    )
    _action_test(
        name = "gz_test",
        target_under_test = ":gz",
        want_basename = "gz_amd64.tar.gz",
        want_media_type = "application/vnd.oci.image.layer.v1.tar+gzip",
        want_args = [
            "deb",
            "repack",
            "--out",
            "OUT",
            "--merged-usr=false",
            "--status-record=false",
            "--source-date-epoch",
            "0",
            "--gzip-level",
            "9",
        ],
    )

    deb_layer(name = "level_without_gzip", deb = deb, gzip_level = 6, tags = ["manual"])
    _failure_test(
        name = "level_without_gzip_test",
        target_under_test = ":level_without_gzip",
        want_message = "attribute gzip_level: set to 6, but compression is \"none\"",
    )

    deb_layer(name = "bad_level", deb = deb, compression = "gzip", gzip_level = 10, tags = ["manual"])
    _failure_test(
        name = "bad_level_test",
        target_under_test = ":bad_level",
        want_message = "attribute gzip_level: 10 is not a gzip level",
    )

    deb_layer(name = "no_arch", deb = ":fake-no-arch.deb", tags = ["manual"])
    _failure_test(
        name = "no_arch_test",
        target_under_test = ":no_arch",
        want_message = "attribute deb: rules/tests/deb_layer/fake-no-arch.deb is not named NAME_VERSION_ARCH.deb",
    )

    native.test_suite(
        name = name,
        tests = [
            ":plain_test",
            ":gz_test",
            ":level_without_gzip_test",
            ":bad_level_test",
            ":no_arch_test",
        ],
    )
