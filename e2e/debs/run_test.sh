#!/usr/bin/env bash
# End-to-end test of deb_packages + deb_layer on the offline Bazel 4.2.3
# harness (docs/deb-packages.md):
#   1. fills a local .deb directory with `apt-get download` of exactly the
#      versions in libcxx.lock.json;
#   2. in a temporary copy of this workspace, builds and tests //... (the six
#      layers, their names and contents: layers_test.sh) with
#      --repo_env=ODP_DEB_DIR=<that directory>;
#   3. builds the layers again in a fresh output base and requires identical
#      bytes.
# If Debian no longer serves a locked version (security updates replace
# them), the lock is regenerated from the machine's apt lists into the
# temporary copy and the test says so: that is a property of the archive, not
# of rules_odp. The committed lock then wants refreshing.
#
# Usage: e2e/debs/run_test.sh
# Environment: ODP_DEB_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/rules_odp/debs)
#   where the .deb files are kept between runs; the rest as for
#   scripts/bazel_offline.sh.
# Needs: apt-get (with lists from `apt-get update`), sha256sum, python3, go,
#   bazel-bootstrap, bazel-skylib.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${ODP_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rules_odp/debs}"
for tool in apt-get sha256sum python3 go; do
  command -v "$tool" >/dev/null || { echo "run_test.sh: FAIL: $tool not found" >&2; exit 1; }
done
mkdir -p "$cache"
work="$(mktemp -d "${TMPDIR:-/tmp}/odp-debs-e2e.XXXXXX")"
cleanup() {
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A copy of the workspace that points at this checkout; the repository tree
# gets no bazel-* links and the lock can be replaced without touching it.
ws="$work/ws"
mkdir -p "$ws"
cp "$here"/{BUILD.bazel,WORKSPACE,libcxx.lock.json,layers_test.sh} "$ws/"
sed -i "s|path = \"../..\"|path = \"$root\"|" "$ws/WORKSPACE"
echo "import $root/.bazelrc" >"$ws/.bazelrc"

# NAME=VERSION and the file name apt-get download writes, one package a line.
wanted() {
  python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["packages"]:
    print(p["name"] + "=" + p["version"], p["name"] + "_" + p["version"].replace(":", "%3a") + "_" + p["arch"] + ".deb", p["sha256"])
' "$1"
}

download() {
  local lock="$1" spec file sha
  while read -r spec file sha; do
    if [[ -f "$cache/$file" ]] && [[ "$(sha256sum "$cache/$file" | cut -d' ' -f1)" == "$sha" ]]; then
      continue
    fi
    (cd "$cache" && apt-get download "$spec") >"$work/apt.log" 2>&1 || {
      echo "run_test.sh: apt-get download $spec failed:"
      sed 's/^/  /' "$work/apt.log"
      return 1
    }
  done < <(wanted "$lock")
}

if ! download "$ws/libcxx.lock.json"; then
  echo "run_test.sh: NOTE: a version in e2e/debs/libcxx.lock.json can no longer be downloaded"
  echo "run_test.sh: NOTE: (Debian replaced it, e.g. by a security update). This is a property of"
  echo "run_test.sh: NOTE: the archive, not a failure of rules_odp: regenerating the lock from this"
  echo "run_test.sh: NOTE: machine's apt lists into the temporary copy. Refresh the committed lock with"
  echo "run_test.sh: NOTE: the same odptool deb lock command (see the WORKSPACE comment)."
  mkdir -p "$work/lists"
  indexes=()
  for f in /var/lib/apt/lists/*_Packages*; do
    [[ "$f" == *amd64_Packages* ]] || continue
    out="$work/lists/$(basename "${f%.lz4}")"
    /usr/lib/apt/apt-helper cat-file "$f" >"$out"
    indexes+=(--index "$out")
  done
  (cd "$root" && go build -o "$work/odptool" ./tools/cmd/odptool)
  "$work/odptool" deb lock "${indexes[@]}" --out "$ws/libcxx.lock.json" libc++1-16
  echo "run_test.sh: NOTE: packages changed (< committed lock, > regenerated):"
  diff <(wanted "$here/libcxx.lock.json") <(wanted "$ws/libcxx.lock.json") || true
  download "$ws/libcxx.lock.json"
fi

offline=("$root/scripts/bazel_offline.sh")
repo_env=(--repo_env=ODP_DEB_DIR="$cache")

# 1: build and test everything, keeping the output base to read the layers.
ODP_BAZEL_WORK="$work/bazel1" "${offline[@]}" -C "$ws" test "${repo_env[@]}" //...
# The target configuration's bin directory of an output base: the one that
# holds //:libc6_gz's layer (the workspace is named debs_e2e).
bin_dir() {
  local found=("$1"/output_base/execroot/debs_e2e/bazel-out/*/bin/libc6_gz_amd64.tar.gz)
  [[ "${#found[@]}" == 1 && -f "${found[0]}" ]] || { echo "run_test.sh: FAIL: want one libc6_gz_amd64.tar.gz, got ${found[*]}" >&2; exit 1; }
  dirname "${found[0]}"
}
bin1="$(bin_dir "$work/bazel1")"
mapfile -t outs < <(cd "$bin1" && find external/libcxx -name '*_amd64.tar' | sort && echo libc6_gz_amd64.tar.gz)
[[ "${#outs[@]}" == 7 ]] || { echo "run_test.sh: FAIL: want 7 layers, got ${outs[*]}" >&2; exit 1; }
mkdir -p "$work/first"
for f in "${outs[@]}"; do
  install -D -m 0644 "$bin1/$f" "$work/first/$f"
done
chmod -R u+w "$work/bazel1" && rm -rf "$work/bazel1" "$ws"/bazel-*

# 2: the same layers from a fresh output base must be byte-identical.
ODP_BAZEL_WORK="$work/bazel2" "${offline[@]}" -C "$ws" build "${repo_env[@]}" //:layers //:libc6_gz
bin2="$(bin_dir "$work/bazel2")"
status=0
for f in "${outs[@]}"; do
  if cmp -s "$work/first/$f" "$bin2/$f"; then
    echo "run_test.sh: identical: $(basename "$f") $(sha256sum "$work/first/$f" | cut -d' ' -f1)"
  else
    echo "run_test.sh: FAIL: $f differs between two clean builds" >&2
    status=1
  fi
done
[[ "$status" == 0 ]] && echo "run_test.sh: PASS (${#outs[@]} layers, two clean builds identical)"
exit "$status"
