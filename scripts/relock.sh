#!/usr/bin/env bash
# Regenerates the example lock files from this machine's apt lists
# (`apt-get update` fills them; their mirror is apt's configuration, not
# ours). The indexes are decompressed into a scratch directory under stable
# names (SUITE_COMPONENT_Packages) so that a lock records no host name and
# no path of this machine.
#
# Usage: scripts/relock.sh [WORKSPACE_DIR]
#   WORKSPACE_DIR: the checkout whose examples/bases/*.lock.json and
#   bazel4/python/python_debs.lock.json are rewritten (default this one).
#   check_determinism.sh passes a temporary copy when Debian no longer serves
#   a locked version.
# Needs: go, /usr/lib/apt/apt-helper (apt).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ws="$(cd "${1:-$root}" && pwd)"
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
  (cd "$work" && ./odptool deb lock "${indexes[@]}" --arch amd64 --out "$ws/$file" "$@")
}
# Distroless-style bases: no package manager, archiver or perl. They are
# only needed by maintainer scripts, which never run in a repacked image.
base_excludes=(--exclude dpkg --exclude tar --exclude perl-base --exclude debconf)
lock examples/bases/java17.lock.json "${base_excludes[@]}" openjdk-17-jre-headless
# libpython3.11-stdlib: Bazel's py_binary launcher imports shutil, tempfile, zipfile.
lock examples/bases/python311.lock.json "${base_excludes[@]}" python3.11-minimal libpython3.11-stdlib
lock examples/bases/libcxx.lock.json libc++1-16

# The harness's Python stand-ins (bazel4/python). The shared libraries the
# interpreter and its extension modules link, and python3 (which python3-six
# depends on), come from the base image: they are not part of the stand-ins.
excludes=()
for p in python3 libc6 libexpat1 zlib1g libssl3 libbz2-1.0 libcrypt1 libdb5.3 libffi8 liblzma5 \
  libncursesw6 libnsl2 libreadline8 libsqlite3-0 libtinfo6 libtirpc3 libuuid1 media-types; do
  excludes+=(--exclude "$p")
done
lock bazel4/python/python_debs.lock.json "${excludes[@]}" \
  python3.11-minimal libpython3.11-minimal libpython3.11-stdlib python3-six
