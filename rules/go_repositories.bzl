"""WORKSPACE: the Go modules odptool needs, to build it from source.

Only for `rules_odp_register_toolchains(from_source = True)`; needs rules_go
and gazelle declared first (their `go_rules_dependencies()`,
`go_register_toolchains()` and `gazelle_dependencies()`):

```starlark
load("@rules_odp//rules:go_repositories.bzl", "rules_odp_go_repositories")

rules_odp_go_repositories()
```
"""

load("//rules/private:go_repositories.bzl", "go_repositories")

def rules_odp_go_repositories():
    """Declares a `go_repository` per Go module odptool is built from (from go.mod)."""
    go_repositories()
