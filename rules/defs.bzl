"""Public API of rules_odp: deterministic, attestable OCI images.

Load everything users may use from this file:

```starlark
load("@rules_odp//rules:defs.bzl", ...)
```

Everything under `rules/private/` is an implementation detail and may change
without notice.
"""

load("//rules/private:deb_layer.bzl", _OdpLayerInfo = "OdpLayerInfo", _deb_layer = "deb_layer")
load("//rules/private:deb_packages.bzl", _deb_packages = "deb_packages")

# The version of the rule set, for messages and provenance.
RULES_ODP_VERSION = "0.0.0"

# One layer from one .deb; see rules/private/deb_layer.bzl.
deb_layer = _deb_layer

# What layer rules return and image rules consume: OdpLayerInfo(layer, media_type).
OdpLayerInfo = _OdpLayerInfo

# Repository rule (WORKSPACE): one deb_layer per package of an `odptool deb lock` lock.
deb_packages = _deb_packages
