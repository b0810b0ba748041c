"""go_module_source: a Bazel repository made from a Go module's source.

Part of the offline Bazel 4 harness (see docs/bazel.md). rules_go and gazelle
are Go modules, so the Go module proxy (the only source of code these machines
can reach besides apt and npm) serves their full source. This rule asks the
host's `go mod download` for one module version, checks its checksum against
the pinned `sum`, copies it (the module cache is read-only), applies patches
and optionally runs `go mod vendor` inside the copy. Bazel's own downloader is
never used.
"""

load(":host_go.bzl", "HOST_GO_ENVIRON", "execute_or_fail", "go_env", "host_go")

def _go_module_source_impl(rctx):
    go = host_go(rctx)
    env = go_env()
    module = rctx.attr.module + "@" + rctx.attr.version

    # Run outside of any module, from a scratch directory of our own.
    rctx.file(".download/.keep", "")
    result = execute_or_fail(
        rctx,
        [go, "mod", "download", "-json", module],
        "go mod download " + module,
        environment = env,
        working_directory = ".download",
    )
    info = json.decode(result.stdout)
    if info.get("Error"):
        fail("go mod download %s: %s" % (module, info["Error"]))
    if info["Sum"] != rctx.attr.sum:
        fail("%s has checksum %s, want %s (sum attribute of @%s)" % (module, info["Sum"], rctx.attr.sum, rctx.name))
    execute_or_fail(rctx, ["rm", "-rf", ".download"], "cleaning up")

    # The module cache is read-only; copy, then make the copy writable so
    # that patches can be applied.
    execute_or_fail(rctx, ["cp", "-R", info["Dir"] + "/.", "."], "copying " + info["Dir"])
    execute_or_fail(rctx, ["chmod", "-R", "u+w", "."], "making the copy writable")

    for patch in rctx.attr.patches:
        rctx.patch(patch, strip = 1)

    if rctx.attr.extend_std_package_list:
        _extend_std_package_list(rctx, go, env, rctx.attr.extend_std_package_list)

    if rctx.attr.vendor:
        execute_or_fail(
            rctx,
            [go, "mod", "vendor"],
            "go mod vendor in " + module,
            environment = env,
        )

    if rctx.attr.build_file_content:
        rctx.file("BUILD.bazel", rctx.attr.build_file_content)

def _extend_std_package_list(rctx, go, env, path):
    """Adds the host Go's standard packages to a Go file holding a map literal.

    gazelle keeps a frozen list of standard packages (stdPackages in
    language/go/std_package_list.go). Imports of packages added to Go later
    (slices, maps, iter, crypto/sha3, ...) would otherwise be resolved as
    third-party repositories that do not exist.
    """
    content = rctx.read(path)
    opening = "var stdPackages = map[string]bool{\n"
    if content.count(opening) != 1:
        fail("%s: found %d occurrences of %r, want 1; the std package list format changed" % (path, content.count(opening), opening))
    known = {}
    for line in content.split("\n"):
        line = line.strip()
        if line.startswith("\"") and line.endswith("\": true,"):
            known[line[1:-len("\": true,")]] = True
    result = execute_or_fail(rctx, [go, "list", "std"], "go list std", environment = env)
    added = [
        "\t\"%s\": true,\n" % pkg
        for pkg in result.stdout.strip().split("\n")
        if pkg and pkg not in known
    ]
    rctx.file(path, content.replace(
        opening,
        opening + "\t// rules_odp: standard packages of the host Go added at fetch time.\n" + "".join(added),
    ))

go_module_source = repository_rule(
    implementation = _go_module_source_impl,
    doc = """A repository holding the source of one Go module version, fetched with the host's `go mod download`.

Example:

```starlark
go_module_source(
    name = "io_bazel_rules_go",
    module = "github.com/bazelbuild/rules_go",
    version = "v0.35.0",
    sum = "h1:ViPR65vOrg74JKntAUFY6qZkheBKGB6to7wFd8gCRU4=",
    patches = ["//bazel4/patches:rules_go-v0.35.0-01-coverage-fragment.patch"],
)
```
""",
    attrs = {
        "module": attr.string(mandatory = True, doc = "Module path, e.g. `github.com/bazelbuild/rules_go`."),
        "version": attr.string(mandatory = True, doc = "Module version, e.g. `v0.35.0`."),
        "sum": attr.string(mandatory = True, doc = "The module's `h1:` checksum as in go.sum; the fetch fails if the downloaded module differs."),
        "patches": attr.label_list(doc = "Patch files applied with `-p1` after copying, in order."),
        "vendor": attr.bool(default = False, doc = "Run `go mod vendor` in the copy (gazelle's fetch-time tools are built in GOPATH mode and need vendor/)."),
        "extend_std_package_list": attr.string(doc = "Path of a gazelle std_package_list.go to extend with the host Go's standard packages. Empty: leave alone."),
        "build_file_content": attr.string(doc = "If set, written as the root BUILD.bazel."),
    },
    environ = HOST_GO_ENVIRON,
)
