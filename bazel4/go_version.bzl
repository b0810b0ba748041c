"""Parsing of Go version strings (pure functions, tested in //rules/tests)."""

def _parse(goversion):
    """Parses a GOVERSION such as "go1.26.8" or "go1.21rc2".

    Args:
      goversion: the output of `go env GOVERSION` (or the first line of GOROOT/VERSION).

    Returns:
      A struct with string fields major, minor, patch and prerelease, or None
      if goversion is not of the form go<major>.<minor>[.<patch>][<prerelease>].
    """
    if not goversion.startswith("go"):
        return None

    # Development builds look like "go1.27-devel_abc123 Tue ...".
    v = goversion[2:].split(" ")[0]
    prerelease = ""
    for i in range(len(v)):
        if not (v[i].isdigit() or v[i] == "."):
            v, prerelease = v[:i], v[i:]
            break
    parts = v.split(".")
    if len(parts) == 2:
        parts.append("0")
    if len(parts) != 3:
        return None
    for p in parts:
        if not p.isdigit():
            return None
    return struct(major = parts[0], minor = parts[1], patch = parts[2], prerelease = prerelease)

go_version = struct(
    parse = _parse,
)
