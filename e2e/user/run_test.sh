#!/usr/bin/env bash
# End-to-end test of rules_odp as a WORKSPACE user sees it (Bazel 4.2.3
# harness without Go), with the prebuilt odptool toolchain:
#   1. scripts/release.sh builds the release binaries (twice, byte-identical)
#      and a loopback HTTP server (127.0.0.1 only) serves them;
#   2. a copy of this workspace, which declares no rules_go and no gazelle,
#      builds the Java and the Python image; the repository cache then holds
#      the linux_amd64 odptool (its sha256) and no other platform's, and no
#      rules_go/gazelle repository was ever fetched;
#   3. `bazel run NAME_tarball` loads each image into podman (own storage);
#      podman runs them: the Java service prints its greeting (jvm_flags),
#      working directory, jar path and the deb layer's library; the Python
#      service runs from /python/taskbuilder/task_builder; the configs carry
#      the exposed port, user and working directory;
#   4. --define=SOURCE_DATE_EPOCH reaches the config's created time and the
#      layers' mtimes;
#   5. the same workspace with odptool built from source (rules_go) gives
#      the same image digests;
#   6. a wrong sha256 is refused, naming the URL.
#
# Usage: e2e/user/run_test.sh
# Environment: ODP_DEB_CACHE (see scripts/fetch_debs.sh); CI=true makes a
#   missing podman a failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export ODP_DEB_CACHE="${ODP_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rules_odp/debs}"
for tool in python3 go tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "run_test.sh: FAIL: $tool not found" >&2; exit 1; }
done
work="$(mktemp -d "${TMPDIR:-/tmp}/odp-user-e2e.XXXXXX")"
server_pid=""
podman_cmd=()
cleanup() {
  # Under set -e: nothing here may fail, or the script's own status is lost.
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ ${#podman_cmd[@]} -gt 0 ]]; then
    "${podman_cmd[@]}" rmi -a -f >/dev/null 2>&1 || true
  fi
  for d in "$work"/bazel-*; do
    [[ -d "$d/output_base" ]] && (cd "$work" && bazel --output_base="$d/output_base" shutdown >/dev/null 2>&1 || true)
  done
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

failed=0
pass() { echo "run_test.sh: PASS $1"; }
fail() { echo "run_test.sh: FAIL $1"; failed=$((failed + 1)); }

# The .deb files of the locks the workspace uses.
locks=("$root/examples/bases/java17.lock.json" "$root/examples/bases/python311.lock.json"
  "$root/examples/bases/libcxx.lock.json" "$root/bazel4/python/python_debs.lock.json")
"$root/scripts/fetch_debs.sh" "${locks[@]}" >"$work/fetch.log" 2>&1 || { cat "$work/fetch.log"; echo "run_test.sh: FAIL: fetching the .deb files (refresh the locks: scripts/relock.sh)"; exit 1; }
deb_dir="$(tail -n 1 "$work/fetch.log")"

# 1. A release, served on loopback.
version="$(sed -n 's/^ *version = "\(.*\)",$/\1/p' "$root/MODULE.bazel" | head -n 1)"
"$root/scripts/release.sh" "$version" --out "$work/release" --platforms linux_amd64,linux_arm64 --shared-cache \
  >"$work/release.log" 2>&1 || { cat "$work/release.log"; echo "run_test.sh: FAIL: scripts/release.sh"; exit 1; }
pass "scripts/release.sh built every binary twice, byte-identical"
sha_amd64="$(awk '/odptool_.*_linux_amd64$/ {print $1}' "$work/release/SHA256SUMS")"
sha_arm64="$(awk '/odptool_.*_linux_arm64$/ {print $1}' "$work/release/SHA256SUMS")"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 -m http.server --bind 127.0.0.1 --directory "$work/release" "$port" >"$work/http.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/SHA256SUMS')" 2>/dev/null && break
  sleep 0.1
done

write_release() { # ws url_template sha256_amd64
  cat >"$1/odptool_release.bzl" <<BZL
ODPTOOL_VERSION = "$version"
ODPTOOL_SHA256 = {"linux_amd64": "$3", "linux_arm64": "$sha_arm64"}
ODPTOOL_URLS = ["$2"]
BZL
}
copy_ws() { # dir
  mkdir -p "$1"
  cp -R "$here"/. "$1"/
  rm -f "$1/odptool_release.bzl"
  sed -i "s|path = \"../..\"|path = \"$root\"|" "$1/WORKSPACE"
  echo "import $root/.bazelrc" >"$1/.bazelrc"
}
images=(//java:user_java_image //python:user_python_image)
bazel_in() { # name ws args... (the Bazel 4.2.3 harness, downloads allowed)
  local name="$1" ws="$2"
  shift 2
  ODP_BAZEL_WORK="$work/bazel-$name" ODP_BAZEL_KEEP_SERVER=1 "$root/scripts/bazel_offline.sh" --allow-downloads -C "$ws" "$@" \
    --repo_env=ODP_DEB_DIR="$deb_dir"
}
bin_of() { # name -> bazel-bin
  local found=("$work/bazel-$1"/output_base/execroot/user_e2e/bazel-out/*-fastbuild/bin)
  echo "${found[0]}"
}

# 2. The prebuilt toolchain, in a workspace without rules_go.
ws="$work/ws"
copy_ws "$ws"
write_release "$ws" "http://127.0.0.1:$port/{file}" "$sha_amd64"
if ! grep -v '^#' "$ws/WORKSPACE" | grep -qE 'rules_go|gazelle|go_setup'; then pass "the workspace declares no rules_go and no gazelle"; else fail "the workspace mentions rules_go/gazelle"; fi
if bazel_in prebuilt "$ws" build "${images[@]}" >"$work/prebuilt.log" 2>&1; then
  pass "built the Java and Python images with the prebuilt odptool"
else
  tail -n 60 "$work/prebuilt.log"
  fail "bazel build with the prebuilt toolchain"
  exit 1
fi
cache="$work/bazel-prebuilt/repository_cache/content_addressable/sha256"
if [[ -f "$cache/$sha_amd64/file" ]] && cmp -s "$cache/$sha_amd64/file" "$work/release/odptool_${version}_linux_amd64"; then
  pass "the repository cache holds odptool for linux_amd64 ($sha_amd64)"
else
  fail "the repository cache lacks odptool linux_amd64 $sha_amd64: $(ls "$cache" 2>&1)"
fi
if [[ ! -e "$cache/$sha_arm64" ]]; then pass "no other platform's odptool was fetched"; else fail "the linux_arm64 odptool was fetched too"; fi
if grep -q "GET /odptool_${version}_linux_amd64 " "$work/http.log"; then pass "Bazel fetched it from the loopback server"; else fail "the server saw no download: $(cat "$work/http.log")"; fi
ob="$work/bazel-prebuilt/output_base/external"
if [[ ! -e "$ob/io_bazel_rules_go" && ! -e "$ob/bazel_gazelle" && ! -e "$ob/go_sdk" ]]; then
  pass "no rules_go, gazelle or Go SDK repository was fetched"
else
  fail "Go repositories were fetched: $(ls "$ob" | grep -E 'go|gazelle' | tr '\n' ' ')"
fi
bin="$(bin_of prebuilt)"
java_digest="$(cat "$bin/java/user_java_image.digest")"
python_digest="$(cat "$bin/python/user_python_image.digest")"
echo "run_test.sh: images $java_digest $python_digest"

# 3. Load with `bazel run NAME_tarball` and run with podman.
config_field() { # layout key -> the config's top-level field, as JSON
  python3 - "$1" "$2" <<'PY'
import json, os, sys
d, key = sys.argv[1], sys.argv[2]
blob = lambda digest: json.load(open(os.path.join(d, "blobs", *digest.split(":"))))
index = json.load(open(os.path.join(d, "index.json")))
config = blob(blob(index["manifests"][0]["digest"])["config"]["digest"])
print(json.dumps(config.get(key), sort_keys=True))
PY
}
have_podman=1
for tool in podman runc; do command -v "$tool" >/dev/null || have_podman=0; done
if [[ "$have_podman" == 1 ]]; then
  podman_cmd=(podman --root "$work/podman/root" --runroot "$work/podman/run" --storage-driver vfs
    --runtime runc --cgroup-manager=cgroupfs)
  printf '#!/bin/sh\nexec %s "$@"\n' "${podman_cmd[*]}" >"$work/podman.sh"
  chmod +x "$work/podman.sh"
  run_image() { # ref -> output
    "${podman_cmd[@]}" run --rm --pull=never --network=none \
      --ulimit nofile=10000:10000 --ulimit nproc=1000:1000 "$1" 2>&1 || true
  }
  for target in //java:user_java_image_tarball //python:user_python_image_tarball; do
    if ODP_CONTAINER_RUNTIME="$work/podman.sh" bazel_in prebuilt "$ws" run "$target" >"$work/load.log" 2>&1 &&
      grep -q "loaded" "$work/load.log"; then
      pass "bazel run $target loaded the image"
    else
      tail -n 30 "$work/load.log"
      fail "bazel run $target"
    fi
  done
  out="$(run_image localhost/user_java_image:latest)"
  echo "$out" | sed 's/^/  | /'
  for want in "user ok" "greeting hello" "cwd /home/nonroot" "jar /opt/user/user_application.jar" \
    "libunwind true" "jvm -XX:MaxRAMPercentage=70.0"; do
    if [[ "$out" == *"$want"* ]]; then pass "java image: $want"; else fail "java image: want '$want'"; fi
  done
  inspect="$("${podman_cmd[@]}" image inspect --format '{{json .Config.ExposedPorts}} {{.Config.User}} {{.Config.WorkingDir}} {{json .Config.Entrypoint}}' localhost/user_java_image:latest)"
  want='{"8082/tcp":{}} 65532 /home/nonroot ["java","-Dodp.greeting=hello","-XX:MaxRAMPercentage=70.0","-jar","/opt/user/user_application.jar"]'
  if [[ "$inspect" == "$want" ]]; then pass "java config: $inspect"; else fail "java config: $inspect, want $want"; fi
  out="$(run_image localhost/user_python_image:latest)"
  echo "$out" | sed 's/^/  | /'
  for want in "user python ok" "main /python/taskbuilder/task_builder.runfiles/user_e2e/python/main.py" \
    "six /python/taskbuilder/task_builder.runfiles/pypi_six/site-packages" \
    "interpreter /python/taskbuilder/task_builder.runfiles/python_x86_64-unknown-linux-gnu"; do
    if [[ "$out" == *"$want"* ]]; then pass "python image: $want"; else fail "python image: want '$want'"; fi
  done
  inspect="$("${podman_cmd[@]}" image inspect --format '{{json .Config.Entrypoint}}' localhost/user_python_image:latest)"
  if [[ "$inspect" == '["/python/taskbuilder/task_builder"]' ]]; then pass "python entrypoint $inspect"; else fail "python entrypoint $inspect"; fi
elif [[ "${CI:-}" == true ]]; then
  fail "podman or runc not found (apt-get install -y podman runc)"
else
  echo "run_test.sh: SKIP podman: podman or runc not found (CI=true makes this a failure)"
fi

# 4. SOURCE_DATE_EPOCH by --define.
if bazel_in prebuilt "$ws" build --define=SOURCE_DATE_EPOCH=1700000000 //java:user_java_image >"$work/sde.log" 2>&1; then
  created="$(config_field "$bin/java/user_java_image" created)"
  if [[ "$created" == '"2023-11-14T22:13:20Z"' ]]; then pass "--define=SOURCE_DATE_EPOCH sets created $created"; else fail "created is $created"; fi
  mtimes="$(tar -tvf "$bin/java/user_java_image_layers/binary_tar.tar" | awk '{print $4, $5}' | sort -u)"
  if [[ "$mtimes" == "2023-11-14 22:13" ]]; then pass "and every workload layer entry's mtime ($mtimes)"; else fail "layer mtimes: $mtimes"; fi
  if [[ "$(cat "$bin/java/user_java_image.digest")" != "$java_digest" ]]; then pass "and the digest moved"; else fail "the digest did not move"; fi
else
  tail -n 30 "$work/sde.log"
  fail "bazel build --define=SOURCE_DATE_EPOCH"
fi
(cd "$ws" && bazel --output_base="$work/bazel-prebuilt/output_base" shutdown >/dev/null 2>&1 || true)

# 5. odptool from source: the same digests.
ws_src="$work/ws-src"
copy_ws "$ws_src"
write_release "$ws_src" "http://127.0.0.1:$port/{file}" "$sha_amd64"
python3 - "$ws_src/WORKSPACE" <<'PY'
import pathlib, sys
p = pathlib.Path(sys.argv[1])
s = p.read_text()
s = s.replace('bazel4_repositories(go = False)', '''bazel4_repositories()

load("@rules_odp//bazel4:go_setup.bzl", "bazel4_go_setup")

bazel4_go_setup()''')
s = s.replace('rules_odp_dependencies()\n', '''rules_odp_dependencies()

# Registered first, so it wins over the prebuilt one.
rules_odp_register_toolchains(from_source = True)
''', 1)
p.write_text(s)
PY
if bazel_in source "$ws_src" build "${images[@]}" >"$work/source.log" 2>&1; then
  bin_src="$(bin_of source)"
  if grep -q "GoLink\|GoCompilePkg" "$work/source.log" || ls "$work/bazel-source/output_base/external" | grep -q io_bazel_rules_go; then
    pass "the from-source build compiled odptool with rules_go"
  else
    fail "the from-source build did not build odptool"
  fi
  for img in java/user_java_image python/user_python_image; do
    a="$(cat "$bin/$img.digest")" b="$(cat "$bin_src/$img.digest")"
    [[ "$img" == java/* ]] && a="$java_digest"
    if [[ "$a" == "$b" ]]; then pass "$img: prebuilt and from-source give $b"; else fail "$img: prebuilt $a, from source $b"; fi
  done
else
  tail -n 60 "$work/source.log"
  fail "bazel build with odptool from source"
fi
(cd "$ws_src" && bazel --output_base="$work/bazel-source/output_base" shutdown >/dev/null 2>&1 || true)
chmod -R u+w "$work/bazel-source" && rm -rf "$work/bazel-source"

# 6. A wrong sha256 is refused, naming the URL.
ws_bad="$work/ws-bad"
copy_ws "$ws_bad"
bad_sha="$(printf '%064d' 0 | tr 0 a)"
write_release "$ws_bad" "http://127.0.0.1:$port/{file}" "$bad_sha"
if bazel_in bad "$ws_bad" build //java:user_java_image >"$work/bad.log" 2>&1; then
  fail "a wrong sha256 was accepted"
elif grep -q "odptool $version for linux_amd64: could not download odptool_${version}_linux_amd64 with sha256 $bad_sha" "$work/bad.log" &&
  grep -q "http://127.0.0.1:$port/odptool_${version}_linux_amd64" "$work/bad.log"; then
  pass "a wrong sha256 is refused, naming the URL"
else
  tail -n 30 "$work/bad.log"
  fail "a wrong sha256 failed without the expected message"
fi

if [[ "$failed" == 0 ]]; then
  echo "run_test.sh: PASS (rules_odp as a WORKSPACE user, prebuilt toolchain)"
else
  echo "run_test.sh: $failed check(s) failed"
fi
[[ "$failed" == 0 ]]
