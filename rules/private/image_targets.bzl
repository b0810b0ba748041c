"""odp_image_targets: an image and its side targets, the shape every image macro shares."""

load(":image.bzl", "odp_image")
load(":push.bzl", "odp_push", "odp_tarball")
load(":sbom.bzl", "odp_sbom")

def odp_image_targets(name, repository = "", remote_tags = [], repo_tags = [], locks = [], visibility = None, tags = [], **kwargs):
    """Declares `NAME` (odp_image) and its side targets.

    * `NAME`: the OCI image layout directory (`bazel-bin/.../NAME`).
    * `NAME.digest`: the manifest digest file (`sha256:...`).
    * `NAME.sbom`: the SBOM, `NAME.sbom.spdx.json` (`odp_sbom`).
    * `NAME_tarball`: `NAME_tarball.tar`, a docker-archive for `podman load`;
      `bazel run` loads it.
    * `NAME_publish`: `bazel run` pushes the image (`odp_push`), and with
      `--sign-key KEY` signs it and attaches its provenance and SBOM.

    Side targets are `manual`: `bazel build //...` builds the image, not its
    tarball.

    Args:
      name: the image target's name.
      repository: default push repository `REGISTRY/PATH` of `NAME_publish`.
      remote_tags: tags `NAME_publish` sets.
      repo_tags: names of the image in `NAME_tarball` (`REPO:TAG`, registry
        optional); default `NAME:latest`.
      locks: lock files listed in the publish target's provenance and
        giving the `.deb` SHA-256s of the SBOM.
      visibility: of every target.
      tags: Bazel tags of every target.
      **kwargs: `odp_image` attributes.
    """
    odp_image(
        name = name,
        visibility = visibility,
        tags = tags,
        **kwargs
    )
    native.filegroup(
        name = name + ".digest",
        srcs = [":" + name],
        output_group = "digest",
        visibility = visibility,
        tags = tags,
    )
    odp_sbom(
        name = name + ".sbom",
        image = ":" + name,
        locks = locks,
        document_name = repository,
        source_date_epoch = kwargs.get("source_date_epoch", -1),
        visibility = visibility,
        tags = tags,
    )
    odp_tarball(
        name = name + "_tarball",
        image = ":" + name,
        repo_tags = repo_tags,
        visibility = visibility,
        tags = tags + ["manual"],
    )
    odp_push(
        name = name + "_publish",
        image = ":" + name,
        repository = repository,
        remote_tags = remote_tags,
        locks = locks,
        sbom = ":" + name + ".sbom",
        visibility = visibility,
        tags = tags + ["manual"],
    )
