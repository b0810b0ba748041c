"""Every provider of rules_odp (re-exported by //rules:defs.bzl)."""

OdpImageInfo = provider(
    doc = "An OCI image layout built by rules_odp.",
    fields = {
        "layout": "File: the OCI image layout directory (one manifest in index.json).",
        "digest": "File: the manifest digest, `sha256:<64 hex>` without a newline.",
        "image_id": "File: the config digest (the image ID podman/docker show), same format.",
        "base_layouts": "depset of File: the layouts this image was stacked on, nearest first (for provenance).",
        "launch_policy": "File or None: the launch policy JSON rendered into the image's labels.",
    },
)

OdpLayerInfo = provider(
    doc = "One OCI layer (a tar, possibly gzip-compressed), as image rules consume it.",
    fields = {
        "layer": "File: the layer tar (`.tar` or `.tar.gz`).",
        "media_type": "string: its OCI media type.",
    },
)

OdpLaunchPolicyInfo = provider(
    doc = "A launch policy file for `odptool image assemble --launch-policy`.",
    fields = {
        "json": "File: the policy (the JSON format of package launchpolicy).",
        "allow_env_override": "list of string: variables the operator may set at run time.",
    },
)

OdpPythonLayersInfo = provider(
    doc = "The three layers of a py_binary, as `odptool layer runfiles` writes them.",
    fields = {
        "interpreter": "File: `interpreter_layer.tar`, the interpreter repository's runfiles.",
        "packages": "File: `packages_layer.tar`, the package repositories' runfiles.",
        "app": "File: `app_layer.tar`, the launcher, the runfiles manifest and every other runfile.",
        "spec": "File: the runfiles spec given to odptool (for debugging and tests).",
        "media_type": "string: the layers' OCI media type.",
    },
)
