"""Phase 1 of the offline Bazel 4 harness: repositories that need nothing else.

Usage (WORKSPACE; see docs/bazel.md):

```starlark
load("@rules_odp//rules/private:offline_repositories.bzl", "odp_offline_repositories")

odp_offline_repositories()

load("@rules_odp//rules/private:offline_setup.bzl", "odp_offline_setup")

odp_offline_setup()
```

Everything here is fetched without Bazel's downloader: Go modules through the
host's `go mod download`, the rest from the host (Debian's bazel-skylib, the
host GOROOT) or written from scratch. This file is for Bazel 4.2.3 without
network; Bazel 7/8 users get the real dependencies from MODULE.bazel.
"""

load(":bazel4_stubs.bzl", "bazel4_stub_repository", "system_skylib")
load(":go_module_source.bzl", "go_module_source")

RULES_GO_PATCHES = [
    Label("//rules/private/patches:rules_go-v0.35.0-01-coverage-fragment.patch"),
    Label("//rules/private/patches:rules_go-v0.35.0-02-runfiles-merge-all.patch"),
    Label("//rules/private/patches:rules_go-v0.35.0-03-tool-binary-p-main.patch"),
    Label("//rules/private/patches:rules_go-v0.35.0-04-stdlib-installgoroot.patch"),
    Label("//rules/private/patches:rules_go-v0.35.0-05-asm-symabis-package-path.patch"),
]

BAZEL_GAZELLE_PATCHES = [
    Label("//rules/private/patches:bazel_gazelle-v0.27.0-01-tools-trimpath.patch"),
]

def _maybe(rule, name, **kwargs):
    if name not in native.existing_rules():
        rule(name = name, **kwargs)

def odp_offline_repositories():
    """Declares the repositories of the offline Bazel 4 harness that load nothing else."""

    # Must come before anything that would declare Bazel's defaults.
    _maybe(bazel4_stub_repository, name = "rules_cc", kind = "rules_cc")
    _maybe(bazel4_stub_repository, name = "rules_java", kind = "rules_java")
    _maybe(bazel4_stub_repository, name = "remote_coverage_tools", kind = "remote_coverage_tools")
    _maybe(bazel4_stub_repository, name = "rules_shell", kind = "rules_shell")
    _maybe(system_skylib, name = "bazel_skylib")

    # rules_go v0.35.0 is the oldest release that is a Go module (has go.mod),
    # so the oldest the Go proxy serves; it runs on Bazel 4.2.3 with the small
    # edits below (later releases were not tried).
    _maybe(
        go_module_source,
        name = "io_bazel_rules_go",
        module = "github.com/bazelbuild/rules_go",
        version = "v0.35.0",
        sum = "h1:ViPR65vOrg74JKntAUFY6qZkheBKGB6to7wFd8gCRU4=",
        patches = RULES_GO_PATCHES,
    )

    # gazelle v0.27.0 is the release paired with rules_go v0.35.0. Its
    # fetch-time tools (used by go_repository) are built in GOPATH mode from
    # vendor/, which module zips lack: vendor at fetch time.
    _maybe(
        go_module_source,
        name = "bazel_gazelle",
        module = "github.com/bazelbuild/bazel-gazelle",
        version = "v0.27.0",
        sum = "h1:+/ZhUxlDy4XnyMIGeKkbRZoIGssy1eO51GijwIvvuwE=",
        patches = BAZEL_GAZELLE_PATCHES,
        vendor = True,
        extend_std_package_list = "language/go/std_package_list.go",
    )
