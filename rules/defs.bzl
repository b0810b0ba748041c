"""Public API of rules_odp: deterministic, attestable OCI images.

Load everything users may use from this file:

```starlark
load("@rules_odp//rules:defs.bzl", ...)
```

Everything under `rules/private/` is an implementation detail and may change
without notice.
"""

# The version of the rule set, for messages and provenance.
RULES_ODP_VERSION = "0.0.0"
