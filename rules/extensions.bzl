"""Module extensions of rules_odp (Bazel 7/8/9 with bzlmod).

Not loadable on Bazel 4.2.3 (no `module_extension`), so no WORKSPACE loads
it; not verified on these machines (see docs/bazel.md).

The odptool toolchain needs nothing from users: rules_odp's MODULE.bazel
uses the `odptool` extension and registers the toolchain itself. A root
module may point it at a mirror, or at another release:

```starlark
odptool = use_extension("@rules_odp//rules:extensions.bzl", "odptool")
odptool.toolchain(urls = ["https://<your mirror>/odptool/{version}/{file}"])
```

Debian packages from a lock file (`odptool deb lock`):

```starlark
deb = use_extension("@rules_odp//rules:extensions.bzl", "deb")
deb.packages(
    name = "debs",
    lock = "//:debs.lock.json",
    mirrors = ["https://<your mirror>/debian"],
)
use_repo(deb, "debs")
```

Base images from a registry, pinned by digest (odp_pull):

```starlark
pull = use_extension("@rules_odp//rules:extensions.bzl", "pull")
pull.image(
    name = "distroless_java21",
    image = "gcr.io/distroless/java21-debian12@sha256:<64 hex>",
    platform = "linux/amd64",
)
use_repo(pull, "distroless_java21")
```

and `base = "@distroless_java21//:distroless_java21"`.
"""

load("//rules/private:deb_packages.bzl", "deb_packages")
load("//rules/private:odptool_repositories.bzl", "PLATFORMS", "odptool_repository", "odptool_toolchains_repository")
load("//rules/private:pull.bzl", "odp_pull")
load("//rules/private:versions.bzl", "ODPTOOL_SHA256", "ODPTOOL_URLS", "ODPTOOL_VERSION")

def _metadata(mctx, direct, direct_dev):
    # extension_metadata lets `bazel mod tidy` keep use_repo in sync; Bazel
    # 7.0 lacks the `reproducible` parameter, so it is not passed.
    if not hasattr(mctx, "extension_metadata"):
        return None
    return mctx.extension_metadata(
        root_module_direct_deps = direct,
        root_module_direct_dev_deps = direct_dev,
    )

_packages = tag_class(
    doc = "One repository with a deb_layer per package of an `odptool deb lock` lock; see deb_packages.",
    attrs = {
        "name": attr.string(mandatory = True, doc = "Repository name, for use_repo."),
        "lock": attr.label(mandatory = True, doc = "The lock file written by `odptool deb lock`."),
        "mirrors": attr.string_list(doc = "Archive base URLs; a package is fetched from `MIRROR/` + its `filename`."),
        "local_dir": attr.string(doc = "Directory of `apt-get download` files to read instead; `--repo_env=ODP_DEB_DIR` overrides it."),
    },
)

def _declare_each(mctx, what, tags_of, declare):
    """Calls declare(tag) for every tag of every module; returns the metadata.

    A repository name declared twice, by one module or two, is an error: the
    second would silently replace the first.
    """
    seen = {}
    direct = []
    direct_dev = []
    for mod in mctx.modules:
        for tag in tags_of(mod):
            if tag.name in seen:
                fail("%s: repository name %r is declared twice (modules %s and %s)" % (what, tag.name, seen[tag.name], mod.name))
            seen[tag.name] = mod.name
            declare(tag)
            if mod.is_root:
                if mctx.is_dev_dependency(tag):
                    direct_dev.append(tag.name)
                else:
                    direct.append(tag.name)
    return _metadata(mctx, direct, direct_dev)

def _packages_tags(mod):
    return mod.tags.packages

def _declare_deb_packages(tag):
    deb_packages(
        name = tag.name,
        lock = tag.lock,
        mirrors = tag.mirrors,
        local_dir = tag.local_dir,
    )

def _deb_impl(mctx):
    return _declare_each(mctx, "deb.packages", _packages_tags, _declare_deb_packages)

deb = module_extension(
    implementation = _deb_impl,
    doc = "Declares deb_packages repositories (`deb.packages(...)`).",
    tag_classes = {"packages": _packages},
)

_image = tag_class(
    doc = "One odp_pull repository: a base image from a registry, pinned by digest; see odp_pull in rules/repositories.bzl.",
    attrs = {
        "name": attr.string(mandatory = True, doc = "Repository name, for use_repo; the layout is `@NAME//:NAME`, its manifest digest `@NAME//:digest`."),
        "image": attr.string(mandatory = True, doc = "`REGISTRY/REPOSITORY@sha256:<64 hex>`; a reference without a digest is refused."),
        "platform": attr.string(mandatory = True, doc = "`os/arch[/variant]`, e.g. `linux/amd64`."),
        "odptool": attr.label(doc = "An odptool binary to run at fetch time; default: the prebuilt one for the host."),
        "downloader": attr.string(default = "bazel", values = ["bazel", "odptool"], doc = "Who fetches the layer blobs: Bazel's downloader (kept in the repository cache) or odptool."),
        "insecure": attr.bool(doc = "Allow plain HTTP to the registry."),
    },
)

def _image_tags(mod):
    return mod.tags.image

def _declare_odp_pull(tag):
    odp_pull(
        name = tag.name,
        image = tag.image,
        platform = tag.platform,
        odptool = tag.odptool,
        downloader = tag.downloader,
        insecure = tag.insecure,
    )

def _pull_impl(mctx):
    return _declare_each(mctx, "pull.image", _image_tags, _declare_odp_pull)

pull = module_extension(
    implementation = _pull_impl,
    doc = "Declares odp_pull repositories (`pull.image(...)`): base images from a registry, pinned by digest.",
    tag_classes = {"image": _image},
)

_toolchain = tag_class(
    doc = "Which odptool release the prebuilt toolchain downloads, and from where. Only the root module's tag counts.",
    attrs = {
        "version": attr.string(doc = "Release; default the one this rules_odp pins (rules/private/versions.bzl)."),
        "sha256s": attr.string_dict(doc = "Platform (`linux_amd64`, `linux_arm64`, `darwin_amd64`, `darwin_arm64`) -> sha256; required with `version`."),
        "urls": attr.string_list(doc = "URL templates tried in order, `{version}` and `{file}` (`odptool_<version>_<platform>`) filled in; mirrors first."),
    },
)

def _odptool_impl(mctx):
    version, sha256s, urls = ODPTOOL_VERSION, ODPTOOL_SHA256, ODPTOOL_URLS
    for mod in mctx.modules:
        if not mod.is_root:
            continue
        for tag in mod.tags.toolchain:
            if tag.version:
                if not tag.sha256s:
                    fail("odptool.toolchain: version %r needs sha256s for it (SHA256SUMS of that release)" % tag.version)
                version, sha256s = tag.version, tag.sha256s
            if tag.urls:
                urls = tag.urls
    for platform in sha256s:
        if platform not in PLATFORMS:
            fail("odptool.toolchain: sha256s: unknown platform %r (known: %s)" % (platform, ", ".join(sorted(PLATFORMS))))
    repos = {}
    for platform in sorted(PLATFORMS):
        # Every platform's repository exists (rules_odp's MODULE.bazel names
        # them all for odp_pull); one without a pinned sha256 fails when
        # fetched, saying so, and gets no toolchain.
        repo = "rules_odp_odptool_" + platform
        odptool_repository(name = repo, platform = platform, version = version, sha256 = sha256s.get(platform, ""), urls = urls)
        if platform in sha256s:
            repos[platform] = repo
    odptool_toolchains_repository(name = "rules_odp_toolchains", platform_repositories = repos)

odptool = module_extension(
    implementation = _odptool_impl,
    doc = "The prebuilt odptool toolchain repositories (`@rules_odp_toolchains`), registered by rules_odp's MODULE.bazel.",
    tag_classes = {"toolchain": _toolchain},
)
