"""Tests of odp_pull: its reference and platform checks, and the layout rule its repositories use."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts", "unittest")
load("//rules/private:pull.bzl", "odp_pulled_layout", "pull_checks")

_HEX = "0a" * 32

def _checks_test_impl(ctx):
    env = unittest.begin(ctx)
    for ref in [
        "127.0.0.1:5000/odp/base@sha256:" + _HEX,
        "gcr.io/distroless/java21-debian12:nonroot@sha256:" + _HEX,
        "localhost/odp/base@sha256:" + _HEX,
        "[::1]:5000/odp/base@sha256:" + _HEX,
    ]:
        asserts.equals(env, "", pull_checks.reference_error(ref), ref)
    for ref, want in [
        ("gcr.io/distroless/java21-debian12:nonroot", "is not pinned by digest (only a tag)"),
        ("gcr.io/distroless/java21-debian12", "is not pinned by digest: give"),
        ("gcr.io/x@sha256:" + _HEX.upper(), "64 lower-case hex"),
        ("gcr.io/x@sha512:" + _HEX, "the digest must be sha256"),
        ("gcr.io/x@sha256:abc", "the digest must be sha256"),
        ("distroless/java@sha256:" + _HEX, "does not start with a registry host"),
        ("java@sha256:" + _HEX, "does not start with a registry host"),
    ]:
        got = pull_checks.reference_error(ref)
        asserts.true(env, want in got, "%s: %r lacks %r" % (ref, got, want))
    for platform in ["linux/amd64", "linux/arm64/v8"]:
        asserts.equals(env, "", pull_checks.platform_error(platform), platform)
    for platform in ["linux", "linux/", "/amd64", "linux/amd64/v8/x", "linux/ amd64", ""]:
        asserts.true(env, pull_checks.platform_error(platform) != "", "%r accepted" % platform)
    for name, want in [("base", "base"), ("rules_odp~~pull~base", "base"), ("rules_odp++pull+base", "base")]:
        asserts.equals(env, want, pull_checks.apparent_name(name))
    return unittest.end(env)

_checks_test = unittest.make(_checks_test_impl)

def _layout_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "OdpPulledLayout"]
    asserts.equals(env, 1, len(actions), "OdpPulledLayout actions")
    argv = actions[0].argv
    files = target[DefaultInfo].files.to_list()
    asserts.equals(env, 1, len(files), "one output")
    asserts.true(env, files[0].is_directory, "the output is a directory (what odp_image's base takes)")
    for flag, want in [
        ("--digest", "sha256:" + "1" * 64),
        ("--platform", "linux/amd64"),
        ("--layout", ctx.attr.want_layout_dir),
        ("--out", files[0].path),
    ]:
        asserts.true(env, flag in argv and argv[argv.index(flag) + 1] == want, "%s %s in %s" % (flag, want, argv))
    asserts.equals(env, ["image", "pull"], argv[1:3])
    inputs = sorted([f.basename for f in actions[0].inputs.to_list() if not f.basename.startswith("odptool")])
    asserts.equals(env, sorted(["index.json", "oci-layout", "1" * 64, "2" * 64]), inputs)
    return analysistest.end(env)

_layout_test = analysistest.make(_layout_test_impl, attrs = {"want_layout_dir": attr.string()})

def pull_test_suite(name):
    """Declares the tests of odp_pull."""
    _checks_test(name = name + "_checks")
    odp_pulled_layout(
        name = name + "_layout",
        blobs = ["layout/blobs/sha256/" + "1" * 64, "layout/blobs/sha256/" + "2" * 64],
        digest = "sha256:" + "1" * 64,
        index = "layout/index.json",
        oci_layout = "layout/oci-layout",
        platform = "linux/amd64",
        tags = ["manual"],
    )
    _layout_test(
        name = name + "_layout_action",
        target_under_test = name + "_layout",
        want_layout_dir = native.package_name() + "/layout",
    )
    native.test_suite(name = name, tests = [name + "_checks", name + "_layout_action"])
