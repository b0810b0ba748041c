"""Phase 1 of the offline Bazel 4 harness: repositories that need nothing else.

Not part of rules_odp: this package exists only so that Debian's Bazel 4.2.3
can build and test the repository on machines without network (see
docs/bazel.md). rules_odp's own files never load it.

Usage (WORKSPACE):

```starlark
load("@rules_odp//bazel4:repositories.bzl", "bazel4_repositories")

bazel4_repositories()            # go = False: no rules_go, no gazelle

load("@rules_odp//bazel4:go_setup.bzl", "bazel4_go_setup")

bazel4_go_setup()                # only with go = True
```

Everything here is fetched without Bazel's downloader: Go modules through the
host's `go mod download`, the rest from the host (Debian's bazel-skylib, the
host's JDK and clang++) or written from scratch.
"""

load(":go_module_source.bzl", "go_module_source")
load(":host_tools.bzl", "odp_host_tools")
load(":stubs.bzl", "bazel4_stub_repository", "system_platforms", "system_skylib")

RULES_GO_PATCHES = [
    Label("//bazel4/patches:rules_go-v0.35.0-01-coverage-fragment.patch"),
    Label("//bazel4/patches:rules_go-v0.35.0-02-runfiles-merge-all.patch"),
    Label("//bazel4/patches:rules_go-v0.35.0-03-tool-binary-p-main.patch"),
    Label("//bazel4/patches:rules_go-v0.35.0-04-stdlib-installgoroot.patch"),
    Label("//bazel4/patches:rules_go-v0.35.0-05-asm-symabis-package-path.patch"),
]

BAZEL_GAZELLE_PATCHES = [
    Label("//bazel4/patches:bazel_gazelle-v0.27.0-01-tools-trimpath.patch"),
]

def _maybe(rule, name, **kwargs):
    if name not in native.existing_rules():
        rule(name = name, **kwargs)

def bazel4_repositories(go = True):
    """Declares the harness's repositories that load nothing else.

    Args:
      go: also declare rules_go and gazelle (from the Go module proxy), for
        workspaces that build odptool from source; then call
        `bazel4_go_setup()` from go_setup.bzl next.
    """

    # Must come before anything that would declare Bazel's defaults.
    _maybe(bazel4_stub_repository, name = "rules_cc", kind = "rules_cc")
    _maybe(bazel4_stub_repository, name = "rules_java", kind = "rules_java")
    _maybe(bazel4_stub_repository, name = "remote_coverage_tools", kind = "remote_coverage_tools")
    _maybe(bazel4_stub_repository, name = "rules_shell", kind = "rules_shell")
    _maybe(bazel4_stub_repository, name = "rules_python", kind = "rules_python")
    _maybe(bazel4_stub_repository, name = "rules_spring", kind = "rules_spring")
    _maybe(system_skylib, name = "bazel_skylib")
    _maybe(system_platforms, name = "platforms")

    # The host JDK and clang++ 16 behind the java_binary / cc_binary stand-ins
    # (fetched only when one is built).
    _maybe(odp_host_tools, name = "odp_host_tools")
    if not go:
        return

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
