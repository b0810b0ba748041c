"""WORKSPACE setup of rules_odp (Bazel 6/7 with `--enable_bzlmod=false`).

```starlark
load("@rules_odp//rules:repositories.bzl", "rules_odp_dependencies", "rules_odp_register_toolchains")

rules_odp_dependencies()

rules_odp_register_toolchains()
```

`rules_odp_dependencies()` declares what rules_odp's own files load
(bazel_skylib, platforms) unless the WORKSPACE already did, so a user's own
versions win. `rules_odp_register_toolchains()` declares the prebuilt
odptool for every execution platform (only the one a build runs on is
downloaded, checked against its pinned sha256) and registers it. Nothing
here needs rules_go, gazelle or a Go SDK. Bazel 7/8/9 with bzlmod: see
extensions.bzl; nothing to call.

Base images from a registry, pinned by digest (docs/base-images.md):

```starlark
load("@rules_odp//rules:repositories.bzl", "odp_pull")

odp_pull(
    name = "distroless_java21",
    image = "gcr.io/distroless/java21-debian12@sha256:<64 hex>",
    platform = "linux/amd64",
)
```

`base = "@distroless_java21//:distroless_java21"` then builds on it. The
fetch runs the host's prebuilt odptool from the repositories that
`rules_odp_register_toolchains()` (or `odptool_repositories()`) declares.
"""

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive")
load("@bazel_tools//tools/build_defs/repo:utils.bzl", "maybe")
load("//rules/private:odptool_repositories.bzl", "PLATFORMS", "odptool_repository", "odptool_toolchains_repository")
load("//rules/private:pull.bzl", _odp_pull = "odp_pull")
load("//rules/private:versions.bzl", "ODPTOOL_SHA256", "ODPTOOL_URLS", "ODPTOOL_VERSION")

# A base image from a registry, pinned by digest: `@NAME//:NAME` (an OCI
# layout directory for `base`) and `@NAME//:digest`. See its doc string.
odp_pull = _odp_pull

def rules_odp_dependencies():
    """Declares bazel_skylib and platforms unless already declared."""
    maybe(
        http_archive,
        name = "bazel_skylib",
        sha256 = "bc283cdfcd526a52c3201279cda4bc298652efa898b10b4db0837dc51652756f",
        urls = ["https://github.com/bazelbuild/bazel-skylib/releases/download/1.7.1/bazel-skylib-1.7.1.tar.gz"],
    )
    maybe(
        http_archive,
        name = "platforms",
        sha256 = "29742e87275809b5e598dc2f04d86960cc7a55b3067d97221c9abbc9926bff0f",
        urls = ["https://github.com/bazelbuild/platforms/releases/download/1.0.0/platforms-1.0.0.tar.gz"],
    )

def odptool_repositories(name = "rules_odp_odptool", version = ODPTOOL_VERSION, sha256s = ODPTOOL_SHA256, urls = ODPTOOL_URLS):
    """Declares the prebuilt odptool repositories without registering them.

    Args:
      name: prefix: `NAME_<platform>` per platform and the hub
        `NAME_toolchains` (`register_toolchains("@NAME_toolchains//:all")`).
      version: odptool release.
      sha256s: platform (`linux_amd64`, `linux_arm64`, `darwin_amd64`,
        `darwin_arm64`) -> sha256 of that release binary. A platform left
        out gets no toolchain.
      urls: URL templates tried in order, `{version}` and `{file}` filled in
        (`{file}` is `odptool_<version>_<platform>`): put your mirror first.
    """
    repos = {}
    for platform, sha256 in sha256s.items():
        if platform not in PLATFORMS:
            fail("odptool_repositories: sha256s: unknown platform %r (known: %s)" % (platform, ", ".join(sorted(PLATFORMS))))
        repo = "%s_%s" % (name, platform)
        maybe(
            odptool_repository,
            name = repo,
            platform = platform,
            version = version,
            sha256 = sha256,
            urls = urls,
        )
        repos[platform] = repo
    maybe(
        odptool_toolchains_repository,
        name = name + "_toolchains",
        platform_repositories = repos,
    )

def rules_odp_register_toolchains(name = "rules_odp_odptool", version = ODPTOOL_VERSION, sha256s = ODPTOOL_SHA256, urls = ODPTOOL_URLS, from_source = False):
    """Declares and registers the odptool toolchain.

    Args:
      name: prefix of the repositories (see odptool_repositories).
      version: odptool release; default the one this rules_odp pins.
      sha256s: platform -> sha256 of the release binary; default the pins.
      urls: URL templates (`{version}`, `{file}`), mirrors first.
      from_source: register `@rules_odp//tools:from_source_toolchain`
        instead, which builds odptool with rules_go: the WORKSPACE must then
        provide rules_go, gazelle's go_repository and odptool's Go modules
        (`@rules_odp//rules:go_repositories.bzl`), see docs/toolchain.md.
    """
    if from_source:
        native.register_toolchains("@rules_odp//tools:from_source_toolchain")
        return
    odptool_repositories(name = name, version = version, sha256s = sha256s, urls = urls)
    native.register_toolchains("@%s_toolchains//:all" % name)
