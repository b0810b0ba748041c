"""Module extensions of rules_odp for Bazel 7/8 (bzlmod).

Not loadable on Bazel 4.2.3 (no `module_extension`), so nothing in WORKSPACE
loads it; not verified on these machines (see docs/bazel.md).

```starlark
deb = use_extension("@rules_odp//rules:extensions.bzl", "deb")
deb.packages(
    name = "debs",
    lock = "//:debs.lock.json",
    mirrors = ["https://<your mirror>/debian"],
)
use_repo(deb, "debs")
```
"""

load("//rules/private:deb_packages.bzl", "deb_packages")

_packages = tag_class(
    doc = "One repository with a deb_layer per package of an `odptool deb lock` lock; see deb_packages.",
    attrs = {
        "name": attr.string(mandatory = True, doc = "Repository name, for use_repo."),
        "lock": attr.label(mandatory = True, doc = "The lock file written by `odptool deb lock`."),
        "mirrors": attr.string_list(doc = "Archive base URLs; a package is fetched from `MIRROR/` + its `filename`."),
        "local_dir": attr.string(doc = "Directory of `apt-get download` files to read instead; `--repo_env=ODP_DEB_DIR` overrides it."),
    },
)

def _deb_impl(mctx):
    seen = {}
    for mod in mctx.modules:
        for tag in mod.tags.packages:
            if tag.name in seen:
                fail("deb.packages: repository name %r is declared twice (modules %s and %s)" % (tag.name, seen[tag.name], mod.name))
            seen[tag.name] = mod.name
            deb_packages(
                name = tag.name,
                lock = tag.lock,
                mirrors = tag.mirrors,
                local_dir = tag.local_dir,
            )

deb = module_extension(
    implementation = _deb_impl,
    doc = "Declares deb_packages repositories (`deb.packages(...)`).",
    tag_classes = {"packages": _packages},
)
