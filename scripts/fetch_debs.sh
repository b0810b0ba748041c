#!/usr/bin/env bash
# Fills the local .deb directory that deb_packages reads offline
# (--repo_env=ODP_DEB_DIR, docs/deb-packages.md) with exactly the versions of
# the given lock files, using `apt-get download` (apt's configured mirror).
# Files already present with the locked sha256 are kept. Prints the
# directory on the last line.
#
# Usage: scripts/fetch_debs.sh LOCK.json...
# Environment: ODP_DEB_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/rules_odp/debs)
# Exit status 3 when apt no longer serves a locked version (Debian replaced
# it, e.g. by a security update): refresh the locks with scripts/relock.sh.
set -euo pipefail

cache="${ODP_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rules_odp/debs}"
[[ $# -gt 0 ]] || { echo "usage: fetch_debs.sh LOCK.json..." >&2; exit 2; }
for tool in apt-get sha256sum python3; do
  command -v "$tool" >/dev/null || { echo "fetch_debs.sh: $tool not found" >&2; exit 1; }
done
mkdir -p "$cache"
log="$(mktemp "${TMPDIR:-/tmp}/odp-fetch.XXXXXX")"
trap 'rm -f "$log"' EXIT

# NAME=VERSION, the file name apt-get download writes, and the sha256.
python3 - "$@" <<'PY' | sort -u | while read -r spec file sha lock; do
import json, sys
for path in sys.argv[1:]:
    for p in json.load(open(path))["packages"]:
        print(p["name"] + "=" + p["version"],
              p["name"] + "_" + p["version"].replace(":", "%3a") + "_" + p["arch"] + ".deb",
              p["sha256"], path)
PY
  if [[ -f "$cache/$file" ]] && [[ "$(sha256sum "$cache/$file" | cut -d' ' -f1)" == "$sha" ]]; then
    continue
  fi
  if ! (cd "$cache" && apt-get download "$spec") >"$log" 2>&1; then
    echo "fetch_debs.sh: $lock: apt-get download $spec failed:" >&2
    sed 's/^/  /' "$log" >&2
    echo "fetch_debs.sh: if apt no longer serves this version, refresh the locks: scripts/relock.sh" >&2
    exit 3
  fi
  got="$(sha256sum "$cache/$file" | cut -d' ' -f1)"
  if [[ "$got" != "$sha" ]]; then
    echo "fetch_debs.sh: $lock: $file has sha256 $got, the lock wants $sha" >&2
    rm -f "$cache/$file"
    exit 1
  fi
done
echo "$cache"
