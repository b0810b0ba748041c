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
            "--compression",
            "none",
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
        merged_usr = False,
        status_record = False,
        source_date_epoch = 1700000000,
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
            "--compression",
            "gzip",
            "--merged-usr=false",
            "--status-record=false",
            "--source-date-epoch",
            "1700000000",
        ],
    )

    deb_layer(name = "bad_epoch", deb = deb, source_date_epoch = -2, tags = ["manual"])
    _failure_test(
        name = "bad_epoch_test",
        target_under_test = ":bad_epoch",
        want_message = "deb_layer //rules/tests/deb_layer:bad_epoch: attribute source_date_epoch: -2 is not in [0, 8589934591] (or -1 for the default)",
    )

    deb_layer(name = "no_arch", deb = ":fake-no-arch.deb", tags = ["manual"])
    _failure_test(
        name = "no_arch_test",
        target_under_test = ":no_arch",
        want_message = "deb_layer //rules/tests/deb_layer:no_arch: attribute deb: rules/tests/deb_layer/fake-no-arch.deb is not named NAME_VERSION_ARCH.deb",
    )

    native.test_suite(
        name = name,
        tests = [
            ":plain_test",
            ":gz_test",
            ":bad_epoch_test",
            ":no_arch_test",
        ],
    )
