"""The odptool toolchain: how every rule of rules_odp gets the binary that does its byte work.

Rules list `ODPTOOL_TOOLCHAIN` in `toolchains` and call `odptool(ctx)`.
Toolchain resolution picks the implementation for the *execution* platform
(never the target platform), so `bazel run //svc:image_publish` with
`--platforms=...linux_arm64` on an amd64 host still runs the host's
odptool. Two implementations exist (docs/toolchain.md):

- prebuilt (what users get): `odptool_repositories` downloads a release
  binary per execution platform, checked against a pinned sha256;
- from source: `@rules_odp//tools:from_source_toolchain`, the rules_go
  `go_binary` (what this repository's own build uses).
"""

ODPTOOL_TOOLCHAIN = "@rules_odp//tools:toolchain_type"

def _odp_toolchain_impl(ctx):
    return [platform_common.ToolchainInfo(
        odptool = ctx.executable.odptool,
        runfiles = ctx.attr.odptool[DefaultInfo].default_runfiles,
        version = ctx.attr.version,
    )]

odp_toolchain = rule(
    implementation = _odp_toolchain_impl,
    doc = """An implementation of the odptool toolchain (`@rules_odp//tools:toolchain_type`).

Declare one with a `toolchain()` to bring an odptool of your own (for
example one you built with `scripts/release.sh` and keep in your
repository):

```starlark
load("@rules_odp//rules:defs.bzl", "odp_toolchain")

odp_toolchain(
    name = "my_odptool",
    odptool = "//third_party/odptool:odptool_linux_amd64",
    version = "0.1.0",
)

toolchain(
    name = "my_odptool_toolchain",
    exec_compatible_with = ["@platforms//os:linux", "@platforms//cpu:x86_64"],
    toolchain = ":my_odptool",
    toolchain_type = "@rules_odp//tools:toolchain_type",
)
```

and register it before rules_odp's (`register_toolchains` in your
MODULE.bazel or WORKSPACE, or `--extra_toolchains`).""",
    attrs = {
        "odptool": attr.label(
            mandatory = True,
            executable = True,
            allow_files = True,
            cfg = "exec",
            doc = "The odptool binary (a file or an executable target), built for the execution platform.",
        ),
        "version": attr.string(
            doc = "The odptool version, for messages; empty for a build from source.",
        ),
    },
)

def odptool(ctx):
    """The odptool of the rule's execution platform (a File), from the toolchain."""
    return ctx.toolchains[ODPTOOL_TOOLCHAIN].odptool

def odptool_runfiles(ctx):
    """What `odptool(ctx)` needs at run time besides itself, for executable rules (runfiles)."""
    return ctx.toolchains[ODPTOOL_TOOLCHAIN].runfiles
