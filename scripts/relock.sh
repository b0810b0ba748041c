#!/usr/bin/env bash
# Regenerates the example lock files from this machine's apt lists
# (`apt-get update` fills them; their mirror is apt's configuration, not
# ours). The indexes are decompressed into a scratch directory under stable
# names (SUITE_COMPONENT_Packages) so that a lock records no host name and
# no path of this machine.
#
# Usage: scripts/relock.sh [OUT_DIR]
#   OUT_DIR: where to write the locks (default examples/bases). e2e tests pass
#   a temporary copy when Debian no longer serves a locked version.
# Needs: go, /usr/lib/apt/apt-helper (apt).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "${1:-$root/examples/bases}" && cd "${1:-$root/examples/bases}" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/odp-relock.XXXXXX")"
trap 'rm -rf "$work"' EXIT

(cd "$root" && go build -o "$work/odptool" ./tools/cmd/odptool)
indexes=()
shopt -s nullglob
for f in /var/lib/apt/lists/*_dists_*_binary-amd64_Packages*; do
  base="$(basename "$f")"
  # ..._dists_SUITE_COMPONENT_binary-amd64_Packages[.lz4|.gz|...]
  rest="${base#*_dists_}"
  suite="${rest%%_*}"
  rest="${rest#*_}"
  component="${rest%%_binary-amd64_*}"
  name="${suite}_${component}_Packages"
  /usr/lib/apt/apt-helper cat-file "$f" >"$work/$name"
  indexes+=(--index "$name")
done
[[ "${#indexes[@]}" -gt 0 ]] || { echo "relock.sh: no amd64 Packages lists under /var/lib/apt/lists; run apt-get update" >&2; exit 1; }

lock() {
  local file="$1"; shift
  (cd "$work" && ./odptool deb lock "${indexes[@]}" --arch amd64 --out "$out/$file" "$@")
}
lock java17.lock.json openjdk-17-jre-headless
# libpython3.11-stdlib: Bazel's py_binary launcher imports shutil, tempfile, zipfile.
lock python311.lock.json python3.11-minimal libpython3.11-stdlib
lock libcxx.lock.json libc++1-16

# The Python stand-ins' lock (examples/python), with its own exclude list.
if [[ -z "${1:-}" ]]; then
  "$root/examples/python/relock.sh"
else
  "$root/examples/python/relock.sh" "$out/../python"
fi
