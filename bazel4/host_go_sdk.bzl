"""host_go_sdk: a rules_go SDK repository prepared from the host's Go.

Part of the offline Bazel 4 harness (see docs/bazel.md). Go SDK archives cannot
be downloaded on these machines, so the SDK is a copy of the host GOROOT,
prepared at fetch time for rules_go v0.35.0:

- Go >= 1.20 ships no precompiled standard library, and rules_go v0.35.0
  compiles its own builder with `go tool compile` (no importcfg), which finds
  std only in GOROOT/pkg/GOOS_GOARCH: install std there with
  `GODEBUG=installgoroot=all go install std`.
- Go >= 1.26 no longer ships the `pack` tool that rules_go uses to add
  assembly and cgo objects to archives: build it from GOROOT/src/cmd/pack.

Only bin/ and pkg/ are real files; the rest of the host GOROOT is linked.
The repository's BUILD file comes from rules_go's own SDK template, so the
result is what go_download_sdk would produce (toolchains included).
"""

load(":go_version.bzl", "go_version")
load(":host_go.bzl", "HOST_GO_ENVIRON", "execute_or_fail", "go_env", "host_go")

def _host_go_sdk_impl(rctx):
    go = host_go(rctx)
    env = go_env()
    result = execute_or_fail(rctx, [go, "env", "GOROOT", "GOVERSION", "GOHOSTOS", "GOHOSTARCH"], "go env", environment = env)
    goroot, goversion, goos, goarch = result.stdout.strip().split("\n")
    v = go_version.parse(goversion)
    if not v:
        fail("cannot parse the GOVERSION %r of %s" % (goversion, go))
    if int(v.major) != 1 or int(v.minor) < 20:
        fail("host Go is %s; the offline harness needs Go >= 1.20 (found via %s)" % (goversion, go))

    # Only bin/ and pkg/ are written to; everything else (src/ is 150 MB) is
    # linked, as rules_go's go_local_sdk does.
    tool_dir = "pkg/tool/%s_%s" % (goos, goarch)
    for entry in rctx.path(goroot).readdir():
        if entry.basename not in ("bin", "pkg"):
            rctx.symlink(entry, entry.basename)
    execute_or_fail(rctx, ["cp", "-R", goroot + "/bin", "bin"], "copying %s/bin" % goroot)
    rctx.symlink(goroot + "/pkg/include", "pkg/include")
    for tool in rctx.path(goroot + "/" + tool_dir).readdir():
        rctx.symlink(tool, tool_dir + "/" + tool.basename)

    root = str(rctx.path("."))
    sdk_env = go_env({
        "GOROOT": root,
        "GODEBUG": "installgoroot=all",
        "GO111MODULE": "off",
    })
    local_go = root + "/bin/go"
    rctx.report_progress("installing the standard library into GOROOT/pkg")
    execute_or_fail(rctx, [local_go, "install", "std"], "go install std", environment = sdk_env)
    if not rctx.path(tool_dir + "/pack").exists:
        execute_or_fail(
            rctx,
            [local_go, "build", "-o", tool_dir + "/pack", "cmd/pack"],
            "building cmd/pack",
            environment = sdk_env,
        )

    rctx.file("ROOT", "")
    rctx.template(
        "BUILD.bazel",
        Label("@io_bazel_rules_go//go/private:BUILD.sdk.bazel"),
        executable = False,
        substitutions = {
            "{goos}": goos,
            "{goarch}": goarch,
            "{exe}": "",
            "{rules_go_repo_name}": "io_bazel_rules_go",
            "{major_version}": v.major,
            "{minor_version}": v.minor,
            "{patch_version}": v.patch,
            "{prerelease_suffix}": v.prerelease,
        },
    )

host_go_sdk = repository_rule(
    implementation = _host_go_sdk_impl,
    doc = """A rules_go Go SDK copied from the host's Go installation and prepared for rules_go v0.35.0.

Example (WORKSPACE, after rules_go is defined):

```starlark
host_go_sdk(name = "go_sdk")
```

The host Go is found through the GOROOT environment variable
(`--repo_env=GOROOT=...`), else `go` on PATH.
""",
    environ = HOST_GO_ENVIRON,
)
