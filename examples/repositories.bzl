"""Repositories of the example services (WORKSPACE; the offline harness).

The .deb files come from `--repo_env=ODP_DEB_DIR=DIR`, filled by
scripts/fetch_debs.sh with `apt-get download` (scripts/build_images.sh does
both). A service repository would give `mirrors` instead.
"""

load("//bazel4/python:repositories.bzl", "bazel4_python_repositories")
load("//rules:defs.bzl", "deb_packages")

def odp_example_repositories():
    """Declares every repository the examples need."""
    for name, lock in [
        ("java17_debs", Label("//examples/bases:java17.lock.json")),
        ("python311_debs", Label("//examples/bases:python311.lock.json")),
        ("libcxx_debs", Label("//examples/bases:libcxx.lock.json")),
    ]:
        deb_packages(name = name, lock = lock)
    bazel4_python_repositories()
