"""Unit tests of bazel4/go_version.bzl (skylib unittest)."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//bazel4:go_version.bzl", "go_version")

def _parse_test_impl(ctx):
    env = unittest.begin(ctx)
    cases = {
        "go1.26.8": ("1", "26", "8", ""),
        "go1.21": ("1", "21", "0", ""),
        "go1.21rc2": ("1", "21", "0", "rc2"),
        "go1.27-devel_0123abcd Tue Nov 3 10:00:00 2026 +0000": ("1", "27", "0", "-devel_0123abcd"),
    }
    for goversion, want in cases.items():
        v = go_version.parse(goversion)
        asserts.true(env, v != None, "parse(%r) returned None" % goversion)
        if v:
            asserts.equals(env, want, (v.major, v.minor, v.patch, v.prerelease), "parse(%r)" % goversion)
    for bad in ["", "1.26.8", "go", "gox.y", "go1.2.3.4", "go1..3", "devel +abc"]:
        asserts.equals(env, None, go_version.parse(bad), "parse(%r)" % bad)
    return unittest.end(env)

parse_test = unittest.make(_parse_test_impl)

def go_version_test_suite(name):
    unittest.suite(name, parse_test)
