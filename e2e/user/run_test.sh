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
#   4. odp_pull: the java17 base, pushed to Debian's docker-registry on
#      127.0.0.1 with htpasswd auth (and an index of it and a linux/arm64
#      image), pulled by digest with credentials from a docker config.json
#      (--repo_env=DOCKER_CONFIG), gives the Java image the same digest as
#      the local base; its layers land in the repository cache, fetched once;
#      a digest the registry lacks, a registry serving other bytes, a missing
#      platform, a wrong password and a tag-only reference each fail the
#      fetch with their message;
#   5. --define=SOURCE_DATE_EPOCH reaches the config's created time and the
#      layers' mtimes;
#   6. the same workspace with odptool built from source (rules_go) gives
#      the same image digests;
#   7. a wrong sha256 is refused, naming the URL.
#
# Usage: e2e/user/run_test.sh
# Environment: ODP_DEB_CACHE (see scripts/fetch_debs.sh); CI=true makes a
#   missing podman, docker-registry or htpasswd a failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export ODP_DEB_CACHE="${ODP_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rules_odp/debs}"
for tool in python3 go tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "run_test.sh: FAIL: $tool not found" >&2; exit 1; }
done
work="$(mktemp -d "${TMPDIR:-/tmp}/odp-user-e2e.XXXXXX")"
server_pid=""
registry_pid=""
podman_cmd=()
cleanup() {
  # `|| true`: under set -e a failing last command of an && list (wait
  # reports the killed server's 143) would end the trap here.
  local pid
  for pid in "$server_pid" "$registry_pid"; do
    [[ -n "$pid" ]] && { kill "$pid" && wait "$pid"; } 2>/dev/null || true
  done
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

# 4. odp_pull: the Java base from a registry with htpasswd auth, by digest.
# The java17 base layout built above is pushed to Debian's docker-registry
# on 127.0.0.1 (with an index naming it and a small linux/arm64 image);
# WORKSPACE gets odp_pull repositories (the host's prebuilt odptool, the
# credentials from a docker config.json through --repo_env=DOCKER_CONFIG),
# and the same Java image built on @pulled_base//:pulled_base must have the
# digest it has on the local base. Then each failure fails the fetch with
# its message: a digest the registry lacks, a registry serving other bytes,
# a missing platform, a wrong password, a tag without digest.
have_registry=1
for tool in docker-registry htpasswd curl; do command -v "$tool" >/dev/null || have_registry=0; done
if [[ "$have_registry" == 1 ]]; then
  reg="$work/registry"
  mkdir -p "$reg" "$work/docker" "$work/docker-bad"
  htpasswd -Bbn odp e2e-pass >"$reg/htpasswd"
  reg_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  reg_host="127.0.0.1:$reg_port"
  cat >"$reg/config.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $reg/storage
http:
  addr: $reg_host
  secret: user-e2e-not-a-secret
auth:
  htpasswd:
    realm: user-e2e
    path: $reg/htpasswd
YML
  docker-registry serve "$reg/config.yml" >"$reg/log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 50); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$reg_host/v2/")" == 401 ]] && break
    sleep 0.2
  done
  docker_auth() { # dir password
    python3 - "$1/config.json" "$reg_host" "$2" <<'PY'
import base64, json, sys
path, host, password = sys.argv[1:]
json.dump({"auths": {host: {"auth": base64.b64encode(("odp:" + password).encode()).decode()}}}, open(path, "w"))
PY
  }
  docker_auth "$work/docker" e2e-pass
  docker_auth "$work/docker-bad" not-the-password
  odptool="$work/release/odptool_${version}_linux_amd64"
  base_layout="$bin/external/rules_odp/examples/bases/java17"
  repo="$reg_host/odp/base"
  base_digest="$(DOCKER_CONFIG="$work/docker" "$odptool" image push --repository "$repo" --tag v1 "$base_layout" 2>"$work/push.log" | tail -n 1)"
  base_digest="${base_digest##*@}"
  # A small linux/arm64 image for the index, and one whose manifest the
  # registry's storage then holds other bytes for.
  mkdir -p "$work/small/root"
  echo small >"$work/small/root/small.txt"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/small/root" -cf "$work/small/layer.tar" small.txt
  echo '{"Entrypoint":["/small"]}' >"$work/small/config.json"
  small() { # name platform repository -> pushed digest
    "$odptool" image assemble --out "$work/small/$1" --config "$work/small/config.json" --platform "$2" "$work/small/layer.tar" >/dev/null &&
      DOCKER_CONFIG="$work/docker" "$odptool" image push --repository "$3" "$work/small/$1" 2>>"$work/push.log" | tail -n 1 | sed 's/.*@//'
  }
  arm_digest="$(small arm linux/arm64 "$repo")"
  tampered_digest="$(small tampered linux/amd64 "$reg_host/odp/tampered")"
  index_digest="$(python3 - "$repo" "$base_layout" "$base_digest" "$work/small/arm" "$arm_digest" <<'PY'
import base64, hashlib, json, os, sys, urllib.request
repo, base_layout, base_digest, arm_layout, arm_digest = sys.argv[1:]
host, _, name = repo.partition("/")
def desc(layout, digest, arch):
    size = os.path.getsize(os.path.join(layout, "blobs", "sha256", digest[len("sha256:"):]))
    return {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": size,
            "platform": {"architecture": arch, "os": "linux"}}
def call(method, path, body, ctype):
    req = urllib.request.Request("http://" + host + path, data=body, method=method)
    req.add_header("Authorization", "Basic " + base64.b64encode(b"odp:e2e-pass").decode())
    req.add_header("Content-Type", ctype)
    return urllib.request.urlopen(req)
body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": [desc(base_layout, base_digest, "amd64"), desc(arm_layout, arm_digest, "arm64")]}).encode()
call("PUT", "/v2/%s/manifests/multi" % name, body, "application/vnd.oci.image.index.v1+json")
print("sha256:" + hashlib.sha256(body).hexdigest())
PY
)" || index_digest=""
  stored() { # digest -> the registry's storage file of that blob or manifest
    local hex="${1#sha256:}"
    echo "$reg/storage/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
  }
  if [[ "$base_digest" == sha256:* && "$arm_digest" == sha256:* && "$tampered_digest" == sha256:* && "$index_digest" == sha256:* ]] &&
    cp "$(stored "$arm_digest")" "$(stored "$tampered_digest")"; then
    pass "pushed the java17 base ($base_digest) and an index of it and a linux/arm64 image ($index_digest) to $reg_host (htpasswd)"
  else
    cat "$work/push.log"
    fail "pushing the base to the registry"
  fi
  missing_digest="sha256:$(printf '%064d' 0 | tr 0 e)"
  cat >>"$ws/WORKSPACE" <<BZL

# Added by run_test.sh: bases from the registry on 127.0.0.1.
load("@rules_odp//rules:repositories.bzl", "odp_pull")

odp_pull(name = "pulled_base", image = "$repo@$base_digest", platform = "linux/amd64")

odp_pull(name = "pulled_index", image = "$repo@$index_digest", platform = "linux/amd64")

odp_pull(name = "pulled_wrong_digest", image = "$repo@$missing_digest", platform = "linux/amd64")

odp_pull(name = "pulled_other_bytes", image = "$reg_host/odp/tampered@$tampered_digest", platform = "linux/amd64")

odp_pull(name = "pulled_missing_platform", image = "$repo@$index_digest", platform = "linux/s390x")

odp_pull(name = "pulled_bad_password", image = "$repo@$base_digest", platform = "linux/amd64")

odp_pull(name = "pulled_tag_only", image = "$repo:v1", platform = "linux/amd64")
BZL
  # The Java image once more, on the pulled base.
  python3 - "$ws/java/BUILD.bazel" <<'PY'
import pathlib, sys
p = pathlib.Path(sys.argv[1])
s = p.read_text()
block = s[s.index("odp_java_image(\n"):]
block = block[:block.index("\n)\n") + 3]
new = block
for old, repl in [('name = "user_java_image"', 'name = "user_java_image_on_pulled"'),
                  ('base = "@rules_odp//examples/bases:java17"', 'base = "@pulled_base//:pulled_base"'),
                  ('repo_tags = ["user_java_image:latest"]', 'repo_tags = ["user_java_image_on_pulled:latest"]')]:
    assert new.count(old) == 1, (old, block)
    new = new.replace(old, repl)
p.write_text(s + "\n" + new)
PY
  ob="$work/bazel-prebuilt/output_base/external"
  cache="$work/bazel-prebuilt/repository_cache/content_addressable/sha256"
  if bazel_in prebuilt "$ws" build //java:user_java_image_on_pulled @pulled_index//:pulled_index \
    --repo_env=DOCKER_CONFIG="$work/docker" >"$work/pull.log" 2>&1; then
    pulled_java="$(cat "$bin/java/user_java_image_on_pulled.digest")"
    if [[ "$pulled_java" == "$java_digest" ]]; then
      pass "the Java image on @pulled_base//:pulled_base has the digest it has on the local base: $pulled_java"
    else
      fail "the Java image on the pulled base is $pulled_java, on the local base $java_digest"
    fi
    for r in pulled_base pulled_index; do
      got="$(cat "$ob/$r/digest")"
      named="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$bin/external/$r/$r/index.json")"
      if [[ "$got" == "$base_digest" && "$named" == "$base_digest" ]]; then
        pass "@$r//:digest and the layout's index.json name the base manifest $got"
      else
        fail "@$r//:digest is $got, its layout names $named; want $base_digest"
      fi
    done
    if diff -r "$base_layout/blobs" "$bin/external/pulled_base/pulled_base/blobs" >/dev/null; then
      pass "@pulled_base//:pulled_base holds exactly the base's blobs"
    else
      fail "@pulled_base//:pulled_base's blobs differ from the base's"
    fi
    layers="$(python3 -c 'import json, sys; print(" ".join(l["digest"][7:] for l in json.load(open(sys.argv[1]))["layers"]))' "$base_layout/blobs/sha256/${base_digest#sha256:}")"
    n=0 cached=0 once=0
    for hex in $layers; do
      n=$((n + 1))
      [[ -f "$cache/$hex/file" ]] && cached=$((cached + 1))
      [[ "$(grep -c "\"GET /v2/odp/base/blobs/sha256:$hex HTTP" "$reg/log")" == 1 ]] && once=$((once + 1))
    done
    if [[ "$n" -gt 0 && "$cached" == "$n" && "$once" == "$n" ]]; then
      pass "all $n layers are in the repository cache, each fetched once from the registry for both pulls"
    else
      fail "of $n layers $cached are in the repository cache and $once were fetched exactly once"
    fi
  else
    tail -n 40 "$work/pull.log"
    fail "bazel build on @pulled_base"
  fi
  pull_fails() { # repo docker_config message...
    local r="$1" config="$2"
    shift 2
    if bazel_in prebuilt "$ws" build "@$r//:$r" --repo_env=DOCKER_CONFIG="$config" >"$work/$r.log" 2>&1; then
      fail "$r: the fetch succeeded"
      return
    fi
    local want
    for want in "$@"; do
      if ! grep -qF -- "$want" "$work/$r.log"; then
        grep -A3 "Error in fail" "$work/$r.log" | head -n 8
        fail "$r: the fetch failed without: $want"
        return
      fi
    done
    pass "$r fails the fetch: $(grep -m1 -o "Error in fail: .*" "$work/$r.log" | cut -c 16-240)"
  }
  pull_fails pulled_wrong_digest "$work/docker" \
    "odp_pull pulled_wrong_digest: registry has no manifest $repo@$missing_digest (404 Not Found): a wrong digest"
  pull_fails pulled_other_bytes "$work/docker" \
    "odp_pull pulled_other_bytes: registry served other bytes for manifest $reg_host/odp/tampered@$tampered_digest: they hash to $arm_digest"
  pull_fails pulled_missing_platform "$work/docker" \
    "odp_pull pulled_missing_platform: $repo@$index_digest has no image for platform linux/s390x (it has: linux/amd64, linux/arm64)"
  pull_fails pulled_bad_password "$work/docker-bad" \
    "odp_pull pulled_bad_password: registry $reg_host answered 401 Unauthorized to a pull of odp/base with the credentials from $work/docker-bad/config.json"
  pull_fails pulled_tag_only "$work/docker" \
    "odp_pull pulled_tag_only: attribute image: \"$repo:v1\" is not pinned by digest (only a tag)"
elif [[ "${CI:-}" == true ]]; then
  fail "docker-registry, htpasswd or curl not found (scripts/setup.sh installs them)"
else
  echo "run_test.sh: SKIP odp_pull: docker-registry, htpasswd or curl not found (CI=true makes this a failure)"
fi

# 5. SOURCE_DATE_EPOCH by --define.
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

# 6. odptool from source: the same digests.
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

# 7. A wrong sha256 is refused, naming the URL.
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
