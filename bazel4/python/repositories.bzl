"""WORKSPACE macro of the Bazel 4 harness: offline stand-ins for rules_python's repositories.

```starlark
load("@rules_odp//bazel4/python:repositories.bzl", "bazel4_python_repositories")

bazel4_python_repositories()
```

Declares, shaped like what rules_python generates (see standins.bzl):

- `@python_debs`: a `deb_packages` repository of python_debs.lock.json
  (Debian's python3.11-minimal, libpython3.11-minimal, libpython3.11-stdlib
  and python3-six; the shared libraries they link are left to the base
  image). Offline, its `.deb` files come from `--repo_env=ODP_DEB_DIR=DIR`.
- `@python_x86_64-unknown-linux-gnu`: the hermetic interpreter, registered
  as the Python toolchain.
- `@pypi_six`: the `six` package, `@pypi_six//:pkg`.
"""

load("//rules:defs.bzl", "deb_packages")
load(":standins.bzl", "pypi_deb_package", "python_deb_interpreter")

# rules_python's WORKSPACE name for the x86-64 Linux interpreter.
INTERPRETER_REPO = "python_x86_64-unknown-linux-gnu"

def _maybe(rule, name, **kwargs):
    if name not in native.existing_rules():
        rule(name = name, **kwargs)

def bazel4_python_repositories(debs_name = "python_debs"):
    """Declares the Python stand-in repositories and registers the interpreter.

    Args:
      debs_name: name of the `deb_packages` repository of the lock.
    """
    lock = Label("//bazel4/python:python_debs.lock.json")

    # No mirror: the .deb files come from ODP_DEB_DIR (offline machines).
    _maybe(deb_packages, name = debs_name, lock = lock)
    debs = "@%s//:BUILD.bazel" % debs_name
    _maybe(python_deb_interpreter, name = INTERPRETER_REPO, debs = debs, lock = lock)
    _maybe(pypi_deb_package, name = "pypi_six", debs = debs, lock = lock, package = "python3-six")
    native.register_toolchains("@%s//:toolchain" % INTERPRETER_REPO)
