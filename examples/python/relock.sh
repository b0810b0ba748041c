#!/usr/bin/env bash
# Regenerates python_debs.lock.json (the Debian packages of the Python
# stand-ins) from this machine's apt lists, as scripts/relock.sh does for the
# base images: the indexes are decompressed into a scratch directory under
# stable names (SUITE_COMPONENT_Packages), so the lock records no host name
# and no path of this machine.
#
# Usage: examples/python/relock.sh [OUT_DIR]   (default: examples/python)
# Needs: go, /usr/lib/apt/apt-helper (apt).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$(mkdir -p "${1:-$here}" && cd "${1:-$here}" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/odp-relock-python.XXXXXX")"
trap 'rm -rf "$work"' EXIT

(cd "$root" && go build -o "$work/odptool" ./tools/cmd/odptool)
indexes=()
shopt -s nullglob
for f in /var/lib/apt/lists/*_dists_*_binary-amd64_Packages*; do
  base="$(basename "$f")"
  rest="${base#*_dists_}"
  suite="${rest%%_*}"
  rest="${rest#*_}"
  component="${rest%%_binary-amd64_*}"
  name="${suite}_${component}_Packages"
  /usr/lib/apt/apt-helper cat-file "$f" >"$work/$name"
  indexes+=(--index "$name")
done
[[ "${#indexes[@]}" -gt 0 ]] || { echo "relock.sh: no amd64 Packages lists under /var/lib/apt/lists; run apt-get update" >&2; exit 1; }

# The shared libraries the interpreter and its extension modules link, and
# python3 (which python3-six depends on), come from the base image: they are
# not part of the stand-ins.
excludes=()
for p in python3 libc6 libexpat1 zlib1g libssl3 libbz2-1.0 libcrypt1 libdb5.3 libffi8 liblzma5 \
  libncursesw6 libnsl2 libreadline8 libsqlite3-0 libtinfo6 libtirpc3 libuuid1 media-types; do
  excludes+=(--exclude "$p")
done
(cd "$work" && ./odptool deb lock "${indexes[@]}" --arch amd64 "${excludes[@]}" --out "$out/python_debs.lock.json" \
  python3.11-minimal libpython3.11-minimal libpython3.11-stdlib python3-six)
