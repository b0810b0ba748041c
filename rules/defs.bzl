"""Public API of rules_odp: deterministic, attestable OCI images.

Load everything users may use from this file:

```starlark
load("@rules_odp//rules:defs.bzl", "odp_java_image", ...)
```

Everything under `rules/private/` is an implementation detail and may change
without notice. docs/rules.md documents every rule and macro (kept in sync
with this file by a test).
"""

load("//rules/private:base_image.bzl", _odp_base_files = "odp_base_files", _odp_base_image = "odp_base_image")
load("//rules/private:deb_layer.bzl", _deb_layer = "deb_layer")
load("//rules/private:deb_packages.bzl", _deb_packages = "deb_packages")
load("//rules/private:files_layer.bzl", _odp_files_layer = "odp_files_layer")
load("//rules/private:image.bzl", _odp_image = "odp_image")
load("//rules/private:image_targets.bzl", _odp_image_targets = "odp_image_targets")
load("//rules/private:jar.bzl", _odp_normalized_jar = "odp_normalized_jar")
load("//rules/private:java_image.bzl", _odp_java_image = "odp_java_image", _odp_jni_image = "odp_jni_image")
load("//rules/private:launch_policy.bzl", _odp_launch_policy = "odp_launch_policy")
load("//rules/private:providers.bzl", _OdpImageInfo = "OdpImageInfo", _OdpLaunchPolicyInfo = "OdpLaunchPolicyInfo", _OdpLayerInfo = "OdpLayerInfo", _OdpPythonLayersInfo = "OdpPythonLayersInfo")
load("//rules/private:push.bzl", _odp_push = "odp_push", _odp_tarball = "odp_tarball")
load("//rules/private:python_image.bzl", _odp_python_image = "odp_python_image", _python_layer = "python_layer", _python_layers = "python_layers")
load("//rules/private:sbom.bzl", _odp_sbom = "odp_sbom")
load("//rules/private:toolchain.bzl", _odp_toolchain = "odp_toolchain")
load("//rules/private:versions.bzl", _ODPTOOL_VERSION = "ODPTOOL_VERSION")

# The version of the rule set and of the odptool release it pins.
RULES_ODP_VERSION = _ODPTOOL_VERSION

# Workload images (macros): NAME, NAME.digest, NAME_tarball, NAME_publish.
odp_java_image = _odp_java_image
odp_jni_image = _odp_jni_image
odp_python_image = _odp_python_image

# Base images from Debian packages.
odp_base_image = _odp_base_image
odp_base_files = _odp_base_files
deb_packages = _deb_packages
deb_layer = _deb_layer

# Building blocks.
odp_image = _odp_image
odp_image_targets = _odp_image_targets
odp_files_layer = _odp_files_layer
odp_normalized_jar = _odp_normalized_jar
odp_launch_policy = _odp_launch_policy
odp_push = _odp_push
odp_tarball = _odp_tarball
odp_sbom = _odp_sbom
python_layers = _python_layers
python_layer = _python_layer

# The odptool toolchain (`@rules_odp//tools:toolchain_type`), for bringing an
# odptool of your own.
odp_toolchain = _odp_toolchain

# Providers.
OdpImageInfo = _OdpImageInfo
OdpLayerInfo = _OdpLayerInfo
OdpLaunchPolicyInfo = _OdpLaunchPolicyInfo
OdpPythonLayersInfo = _OdpPythonLayersInfo
