"""Phase 2 of the offline Bazel 4 harness: Go SDK, toolchains, Go dependencies.

Load and call after `bazel4_repositories()` (see repositories.bzl), in
workspaces that build odptool from source with rules_go.
"""

load("@bazel_gazelle//:deps.bzl", "gazelle_dependencies")
load("@bazel_skylib//:workspace.bzl", "bazel_skylib_workspace")
load("@io_bazel_rules_go//go:deps.bzl", "go_rules_dependencies")
load("@io_bazel_rules_go//go/private:platforms.bzl", "generate_toolchain_names")
load("//rules/private:go_repositories.bzl", "go_repositories")
load(":host_go_sdk.bzl", "host_go_sdk")

def bazel4_go_setup(go_repository_config = "@rules_odp//:WORKSPACE"):
    """Declares the Go SDK, registers Go toolchains and declares Go dependencies.

    Args:
      go_repository_config: the WORKSPACE file whose go_repository rules and
        `# gazelle:repository_macro` directives tell gazelle, inside
        go_repository, which repository serves which import path. The default
        is rules_odp's own, which lists the modules odptool needs.
    """

    # go_repository rules come first so that they win over the older versions
    # that go_rules_dependencies() and gazelle_dependencies() would declare.
    go_repositories()

    if "go_sdk" not in native.existing_rules():
        host_go_sdk(name = "go_sdk")
    native.register_toolchains(*["@go_sdk//:" + name for name in generate_toolchain_names()])

    go_rules_dependencies()
    bazel_skylib_workspace()
    gazelle_dependencies(
        go_sdk = "go_sdk",
        go_repository_default_config = go_repository_config,
    )
