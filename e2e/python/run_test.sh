#!/usr/bin/env bash
# End-to-end test of odp_python_image on the offline Bazel 4.2.3 harness
# (docs/python-layers.md). In a temporary copy of this workspace (named
# python_e2e: the main repository's runfiles directory is not _main):
#   1. fills a local .deb directory with the locked versions
#      (scripts/fetch_debs.sh) and builds //task_builder:task_builder_image,
#      its layers and its docker-archive tarball;
#   2. checks the seed's partition of the three layers (check_image.py):
#      interpreter only under /task_builder/task_builder.runfiles/
#      python_x86_64-unknown-linux-gnu/, packages only under .../pypi_*/,
#      app the rest (launcher, manifests, sources, symlink runfiles), and
#      that they are the image's top three layers;
#   3. extracts the whole image and greps it for build-machine paths: the
#      output base, the workspace copy, this checkout, the .deb directory,
#      $HOME (under /task_builder/), and Bazel's path markers;
#   4. runs the image with podman (own storage, removed at the end) and
#      expects "task_builder ok" from the runfiles' interpreter;
#   5. edits one app source file and rebuilds: the interpreter and packages
#      layers keep their digests, the app layer and the image change;
#   6. builds the original sources again from another copy (another path)
#      in a fresh output base: the same image digest.
#
# Usage: e2e/python/run_test.sh
# Environment: ODP_DEB_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/rules_odp/debs);
#   CI=true makes a missing podman/runc a failure instead of a skipped step;
#   the rest as for scripts/bazel_offline.sh.
# Needs: apt-get (lists from `apt-get update`), sha256sum, python3, go, tar,
#   bazel-bootstrap, bazel-skylib; podman and runc for step 4.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export ODP_DEB_CACHE="${ODP_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rules_odp/debs}"
for tool in apt-get sha256sum python3 go tar; do
  command -v "$tool" >/dev/null || { echo "run_test.sh: FAIL: $tool not found" >&2; exit 1; }
done
work="$(mktemp -d "${TMPDIR:-/tmp}/odp-python-e2e.XXXXXX")"
podman_cmd=()
cleanup() {
  if [[ ${#podman_cmd[@]} -gt 0 ]]; then
    "${podman_cmd[@]}" rmi -a -f >/dev/null 2>&1 || true
  fi
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

failed=0
pass() { echo "run_test.sh: PASS $1"; }
fail() { echo "run_test.sh: FAIL $1"; failed=$((failed + 1)); }

# 1. The .deb files of the base and of the Python stand-ins.
locks=("$root/examples/bases/python311.lock.json" "$root/bazel4/python/python_debs.lock.json")
if ! "$root/scripts/fetch_debs.sh" "${locks[@]}" >"$work/fetch.log" 2>&1; then
  cat "$work/fetch.log"
  echo "run_test.sh: FAIL: the .deb files of ${locks[*]#"$root/"} could not be fetched."
  echo "run_test.sh: if apt no longer serves a locked version (a Debian security update),"
  echo "run_test.sh: refresh the locks (scripts/relock.sh)."
  exit 1
fi
deb_dir="$(tail -n 1 "$work/fetch.log")"

# A copy of the workspace that points at this checkout: no bazel-* links in
# the repository, and sources that may be edited.
copy_ws() { # dir
  mkdir -p "$1"
  cp -R "$here"/. "$1"/
  sed -i "s|path = \"../..\"|path = \"$root\"|" "$1/WORKSPACE"
  echo "import $root/.bazelrc" >"$1/.bazelrc"
}
targets=(//task_builder:task_builder_image //task_builder:task_builder_image_layers //task_builder:task_builder_image_tarball)
build() { # bazel_work ws
  ODP_BAZEL_WORK="$1" "$root/scripts/bazel_offline.sh" -C "$2" build --repo_env=ODP_DEB_DIR="$deb_dir" "${targets[@]}" \
    >"$1.log" 2>&1 || { tail -n 60 "$1.log"; echo "run_test.sh: FAIL: bazel build in $2"; exit 1; }
}
bin_dir() { # bazel_work -> the package's bin directory
  local found=("$1"/output_base/execroot/python_e2e/bazel-out/*/bin/task_builder/task_builder_image_layers)
  [[ "${#found[@]}" == 1 && -d "${found[0]}" ]] || { echo "run_test.sh: FAIL: want one task_builder_image_layers, got ${found[*]}" >&2; exit 1; }
  dirname "${found[0]}"
}
layers() { # bin_dir -> the three layer tars
  local d="$1/task_builder_image_layers"
  echo "$d/interpreter_layer.tar" "$d/packages_layer.tar" "$d/app_layer.tar"
}

ws="$work/ws1"
copy_ws "$ws"
build "$work/bazel1" "$ws"
bin="$(bin_dir "$work/bazel1")"
layout="$bin/task_builder_image"
read -r -a tars < <(layers "$bin")
digest1="$(cat "$bin/task_builder_image.digest")"
python3 "$here/check_image.py" digests "${tars[@]}" | tee "$work/digests1"
echo "run_test.sh: image $digest1"

# 2. The partition.
if python3 "$here/check_image.py" layers "$layout" "${tars[@]}"; then pass "layer partition"; else fail "layer partition"; fi

# 3. No build-machine path anywhere in the image.
rootfs="$work/rootfs"
mkdir -p "$rootfs"
while read -r blob; do
  tar -xf "$blob" -C "$rootfs" --no-same-owner
done < <(python3 "$here/check_image.py" blobs "$layout")
[[ -x "$rootfs/task_builder/task_builder" ]] || fail "extracted image has no /task_builder/task_builder"
output_base="$work/bazel1/output_base"
forbidden=("$output_base" "$(realpath "$output_base")" "$ws" "$root" "$deb_dir" "$work")
# Whole paths only, as odptool's own check matches them: a checkout at
# /tmp/x is not in imaplib.py's "/tmp/xxx" (grep -P: \Q..\E quotes).
alternation=$(printf '\\Q%s\\E|' "${forbidden[@]}")
status=0
hits="$(LC_ALL=C grep -rlP "(?:${alternation%|})(?![A-Za-z0-9._+~@-])" "$rootfs")" || status=$?
if [[ $status -gt 1 ]]; then
  fail "grep for build-machine paths failed (status $status)"
elif [[ -z "$hits" ]]; then
  pass "no build-machine path (${forbidden[*]}) in the image"
else
  fail "build-machine paths in: $hits"
fi
# $HOME and Bazel's markers, as whole path elements, in the workload's files
# (the base's /etc/passwd legitimately names /root).
home_re="$(printf '%s' "$HOME" | sed 's/[.[\*^$]/\\&/g')"
hits="$(grep -rlE "(^|[^A-Za-z0-9._+~@-])${home_re}(/|[^A-Za-z0-9._+~@-]|\$)|/execroot/|/bazel-out/|/_bazel_|/sandbox/linux-sandbox" "$rootfs/task_builder" || true)"
if [[ -z "$hits" ]]; then
  pass "no \$HOME ($HOME) nor Bazel path marker under /task_builder/"
else
  fail "\$HOME or Bazel path markers in: $hits"
fi

# 4. Run it.
have_podman=1
for tool in podman runc; do command -v "$tool" >/dev/null || have_podman=0; done
if [[ "$have_podman" == 1 ]]; then
  podman_cmd=(podman --root "$work/podman/root" --runroot "$work/podman/run" --storage-driver vfs
    --runtime runc --cgroup-manager=cgroupfs)
  ref="localhost/odp-e2e/task_builder:latest"
  if "${podman_cmd[@]}" load -q -i "$bin/task_builder_image_tarball.tar" >"$work/load.log" 2>&1; then
    out="$("${podman_cmd[@]}" run --rm --pull=never --network=none \
      --ulimit nofile=10000:10000 --ulimit nproc=1000:1000 "$ref" 2>&1)" || true
    echo "$out" | sed 's/^/  | /'
    for want in "task_builder ok: edition 1" \
      "prefix /task_builder/task_builder.runfiles/python_x86_64-unknown-linux-gnu" \
      "six /task_builder/task_builder.runfiles/pypi_six/site-packages" \
      "manifest /task_builder/task_builder.runfiles_manifest" \
      "runfile python_e2e/task_builder/config/settings.json /task_builder/task_builder.runfiles/python_e2e/task_builder/config/settings.json e2e-settings" \
      "runfile root_settings.json /task_builder/task_builder.runfiles/root_settings.json e2e-settings"; do
      if [[ "$out" == *"$want"* ]]; then pass "podman run: $want"; else fail "podman run: want '$want'"; fi
    done
  else
    cat "$work/load.log"
    fail "podman load"
  fi
elif [[ "${CI:-}" == true ]]; then
  fail "podman or runc not found (apt-get install -y podman runc)"
else
  echo "run_test.sh: SKIP podman run: podman or runc not found (CI=true makes this a failure)"
fi

# 5. An app edit changes only the app layer.
sed -i 's/^EDITION = "1"$/EDITION = "2"/' "$ws/task_builder/greeting.py"
grep -q '^EDITION = "2"$' "$ws/task_builder/greeting.py" || { echo "run_test.sh: FAIL: the edit did not apply"; exit 1; }
build "$work/bazel1" "$ws"
python3 "$here/check_image.py" digests "${tars[@]}" >"$work/digests2"
digest2="$(cat "$bin/task_builder_image.digest")"
for layer in interpreter packages; do
  a="$(awk -v l="$layer" '$1 == l { print $2 }' "$work/digests1")"
  b="$(awk -v l="$layer" '$1 == l { print $2 }' "$work/digests2")"
  if [[ -n "$a" && "$a" == "$b" ]]; then pass "after an app edit the $layer layer keeps $a"; else fail "$layer layer changed after an app edit: $a -> $b"; fi
done
a="$(awk '$1 == "app" { print $2 }' "$work/digests1")"
b="$(awk '$1 == "app" { print $2 }' "$work/digests2")"
if [[ "$a" != "$b" ]]; then pass "the app layer changed ($a -> $b)"; else fail "the app layer did not change after an edit"; fi
if [[ "$digest1" != "$digest2" ]]; then pass "the image changed ($digest2)"; else fail "the image digest did not change after an edit"; fi
# (scripts/bazel_offline.sh shuts its Bazel server down after every run.)
chmod -R u+w "$work/bazel1" && rm -rf "$work/bazel1" "$rootfs"

# 6. The original sources from another path and a fresh output base.
copy_ws "$work/ws2"
build "$work/bazel2" "$work/ws2"
bin2="$(bin_dir "$work/bazel2")"
python3 "$here/check_image.py" digests $(layers "$bin2") >"$work/digests3"
digest3="$(cat "$bin2/task_builder_image.digest")"
if cmp -s "$work/digests1" "$work/digests3" && [[ "$digest1" == "$digest3" ]]; then
  pass "another checkout path and output base: the same layers and image $digest3"
else
  diff "$work/digests1" "$work/digests3" || true
  fail "another checkout path and output base: image $digest3, first build $digest1"
fi

if [[ "$failed" == 0 ]]; then
  echo "run_test.sh: PASS (odp_python_image end to end)"
else
  echo "run_test.sh: $failed check(s) failed"
fi
[[ "$failed" == 0 ]]
