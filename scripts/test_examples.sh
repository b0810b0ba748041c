#!/usr/bin/env bash
# End-to-end checks of the example images in a workspace that
# scripts/build_images.sh has just built (check_determinism.sh --test runs
# it on its first build):
#   * podman runs every image and its output is what the example promises
#     (bases: `java -version`, `python3 -c 'print(1)'`; services: "<service> ok";
#     FCP_OPTS given at run time reaches the aggregator);
#   * the TEE image carries exactly the seed's three tee.* labels, the others none;
#   * `bazel run //examples/shuffler/services/aggregator:aggregator_image_publish -- --repository
#     127.0.0.1:PORT/...` pushes into a real registry (Debian's docker-registry),
#     which then serves the built digest; the provenance statement names it;
#   * incrementality: after editing one Java source file only the workload
#     layer and the assembly re-run (Bazel's execution log), and every other
#     layer keeps its digest. Prints timings of a no-op rebuild and of the
#     rebuild after the edit.
# Prints "test_examples.sh: PASS name" / "FAIL name" per check; exits 1 if any failed.
#
# Usage: scripts/test_examples.sh -C WORKSPACE --lines FILE
#   FILE: build_images.sh's output for WORKSPACE. ODP_BAZEL_WORK must be the
#   output base directory build_images.sh used (the edit test rebuilds there).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ws="" lines=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -C) ws="$(cd "$2" && pwd)"; shift 2 ;;
    --lines) lines="$2"; shift 2 ;;
    *) echo "test_examples.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n "$ws" && -f "$lines" && -n "${ODP_BAZEL_WORK:-}" ]] || { echo "usage: ODP_BAZEL_WORK=DIR test_examples.sh -C WS --lines FILE" >&2; exit 2; }
for tool in podman skopeo docker-registry go openssl cosign syft; do
  command -v "$tool" >/dev/null || { echo "test_examples.sh: FAIL: $tool not found (scripts/setup.sh installs it)" >&2; exit 1; }
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/odp-examples.XXXXXX")"
registry_pid=""
loaded=()
cleanup() {
  [[ -n "$registry_pid" ]] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  for ref in "${loaded[@]}"; do podman rmi -f "$ref" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
(cd "$root" && go build -o "$tmp/odptool" ./tools/cmd/odptool)
odptool="$tmp/odptool"
deb_dir="${ODP_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rules_odp/debs}"

failed=0
pass() { echo "test_examples.sh: PASS $1"; }
fail() { echo "test_examples.sh: FAIL $1"; failed=$((failed + 1)); }

podman_run() { # ref [podman args] -- [command...]
  local ref="$1"; shift
  podman --runtime runc --cgroup-manager=cgroupfs run --rm --network=none \
    --ulimit nofile=10000:10000 --ulimit nproc=1000:1000 "$@" 2>&1
}

load() { # label layout -> prints the local reference
  local label="$1" layout="$2" ref
  ref="localhost/odp-examples/$(echo "${label#//}" | tr ':/' '__'):test"
  "$odptool" image archive --format docker --repo-tag "$ref" --out "$tmp/image.tar" "$layout" >/dev/null &&
    podman load -q -i "$tmp/image.tar" >/dev/null && rm -f "$tmp/image.tar" || return 1
  echo "$ref"
}

expect() { # name want output
  if [[ "$3" == *"$2"* ]]; then pass "$1"; else fail "$1: want output containing '$2', got: $3"; fi
}

tee_labels() { # layout -> sorted "key=value" lines of tee.* labels
  python3 -c '
import json, os, sys
d = sys.argv[1]
blob = lambda digest: json.load(open(os.path.join(d, "blobs", *digest.split(":"))))
idx = json.load(open(os.path.join(d, "index.json")))
cfg = blob(blob(idx["manifests"][0]["digest"])["config"]["digest"])
labels = cfg.get("config", {}).get("Labels") or {}
for k in sorted(labels):
    if k.startswith("tee."):
        print(k + "=" + labels[k])
' "$1"
}

seed_labels="tee.launch_policy.allow_env_override=FCP_OPTS
tee.launch_policy.log_redirect=always
tee.launch_policy.monitoring_memory_allow=always"

while read -r label digest layout image_id; do
  ref="$(load "$label" "$ws/$layout")" || { fail "$label: podman load"; continue; }
  loaded+=("$ref") # removed again at exit (load runs in a subshell)
  if [[ "$(podman image inspect --format '{{.Id}}' "$ref")" == "${image_id#sha256:}" ]]; then
    pass "$label: podman sees image ID $image_id"
  else
    fail "$label: podman's image ID differs from $image_id"
  fi
  labels="$(tee_labels "$ws/$layout")"
  case "$label" in
    //examples/bases:java17)
      expect "$label: java -version" 'openjdk version "17' "$(podman_run "$ref" "$ref" java -version)"
      # The CA bundle layer: the last one, one file holding PEM certificates.
      bundle="$(python3 -c '
import json, os, sys, tarfile
d = sys.argv[1]
blob = lambda digest: os.path.join(d, "blobs", *digest.split(":"))
m = json.load(open(blob(json.load(open(os.path.join(d, "index.json")))["manifests"][0]["digest"])))
with tarfile.open(blob(m["layers"][-1]["digest"])) as t:
    f = t.extractfile("etc/ssl/certs/ca-certificates.crt")
    print(f.read().decode().count("BEGIN CERTIFICATE"))' "$ws/$layout" 2>&1)"
      [[ "$bundle" =~ ^[0-9]+$ && "$bundle" -gt 100 ]] && pass "$label: CA bundle with $bundle certificates" || fail "$label: CA bundle: $bundle" ;;
    //examples/bases:python311)
      expect "$label: python3 -c 'print(1)'" "1" "$(podman_run "$ref" "$ref" python3 -c 'print(1)')" ;;
    //examples/shuffler/services/*)
      svc="${label##*:}"; svc="${svc%_image}"
      # The Spring-Boot-shaped jar's class path follows its entry order:
      # zeta comes before alpha, and would lose if the entries were sorted.
      want="$svc ok classpath=zeta"
      case "$svc" in
        aggregator | model_updater | task_scheduler) want="$want native=31 libcxx=16" ;;
      esac
      expect "$label: runs (JNI through the libc++ deb layers where there are any)" "$want" "$(podman_run "$ref" "$ref")"
      case "$svc" in
        aggregator | model_updater)
          expect "$label: FCP_OPTS at run time" "fcp_opts=--odp-test=42" "$(podman_run "$ref" -e FCP_OPTS=--odp-test=42 "$ref")"
          want_config='{"8082/tcp":{}} 0 /home/nonroot' ;;
        *) want_config='null 65532 /home/nonroot' ;;
      esac
      got_config="$(podman image inspect --format '{{json .Config.ExposedPorts}} {{.Config.User}} {{.Config.WorkingDir}}' "$ref")"
      [[ "$got_config" == "$want_config" ]] && pass "$label: exposed ports, user, working directory: $got_config" || fail "$label: config $got_config, want $want_config"
      entrypoint="$(podman image inspect --format '{{json .Config.Entrypoint}}' "$ref")"
      lib=""
      [[ "$svc" == aggregator || "$svc" == model_updater || "$svc" == task_scheduler ]] && lib='"-Djava.library.path=/",'
      want_ep='["java",'"$lib"'"-Dspring.profiles.active=gcp","-XX:InitialRAMPercentage=70.0","-XX:MaxRAMPercentage=70.0","-jar","/'"$svc"'_application.jar"]'
      [[ "$entrypoint" == "$want_ep" ]] && pass "$label: entrypoint $entrypoint" || fail "$label: entrypoint $entrypoint, want $want_ep" ;;
    //examples/python/taskbuilder:task_builder_image)
      expect "$label: runs" "task_builder ok" "$(podman_run "$ref" "$ref")"
      entrypoint="$(podman image inspect --format '{{json .Config.Entrypoint}}' "$ref")"
      [[ "$entrypoint" == '["/python/taskbuilder/task_builder"]' ]] && pass "$label: entrypoint $entrypoint" || fail "$label: entrypoint $entrypoint" ;;
    *)
      fail "$label: no expectation in scripts/test_examples.sh; add one" ;;
  esac
  if [[ "$label" == //examples/shuffler/services/aggregator:aggregator_image || "$label" == //examples/shuffler/services/modelupdater:model_updater_image ]]; then
    [[ "$labels" == "$seed_labels" ]] && pass "$label: exactly the seed's three tee labels" || fail "$label: tee labels are: $labels"
  else
    [[ -z "$labels" ]] && pass "$label: no tee labels" || fail "$label: unexpected tee labels: $labels"
  fi
done <"$lines"

# Publish into a real registry with bazel run.
agg_digest="$(awk '$1 == "//examples/shuffler/services/aggregator:aggregator_image" { print $2 }' "$lines")"
if [[ -n "$agg_digest" ]]; then
  port=$((20000 + RANDOM % 20000))
  mkdir -p "$tmp/registry"
  cat >"$tmp/registry/config.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $tmp/registry/storage
http:
  addr: 127.0.0.1:$port
  secret: test-examples-not-a-secret
YML
  docker-registry serve "$tmp/registry/config.yml" >"$tmp/registry/log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.2; done
  repo="127.0.0.1:$port/odp/aggregator"
  # A release signing key (ECDSA P-256, unencrypted PKCS #8), as a release
  # engineer would keep it outside the build.
  openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$tmp/sign.key" &&
    openssl pkey -in "$tmp/sign.key" -pubout -out "$tmp/sign.pub" || fail "openssl: generating a signing key"
  if ODP_BAZEL_WORK="$ODP_BAZEL_WORK" "$root/scripts/bazel_offline.sh" -C "$ws" run --repo_env=ODP_DEB_DIR="$deb_dir" \
      //examples/shuffler/services/aggregator:aggregator_image_publish -- --repository "$repo" --tag e2e \
      --record "$tmp/push.jsonl" --provenance "$tmp/provenance.json" --sign-key "$tmp/sign.key" >"$tmp/publish.log" 2>&1; then
    served="$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$repo:e2e" 2>&1)"
    [[ "$served" == "$agg_digest" ]] && pass "publish: registry serves $agg_digest" || fail "publish: registry serves '$served', built $agg_digest"
    subject="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["subject"][0]["digest"]["sha256"])' "$tmp/provenance.json" 2>&1)"
    [[ "sha256:$subject" == "$agg_digest" ]] && pass "publish: provenance subject is the pushed digest" || fail "publish: provenance subject '$subject'"

    # The referee: cosign verifies the signature and both attestations.
    cosign=(cosign --verbose=false)
    if "${cosign[@]}" verify --key "$tmp/sign.pub" --insecure-ignore-tlog --allow-insecure-registry "$repo@$agg_digest" >"$tmp/cosign.log" 2>&1; then
      pass "publish: cosign verify accepts the signature"
    else
      fail "publish: cosign verify:"; tail -n 5 "$tmp/cosign.log"
    fi
    for type in slsaprovenance1 spdxjson; do
      if "${cosign[@]}" verify-attestation --type "$type" --key "$tmp/sign.pub" --insecure-ignore-tlog --allow-insecure-registry \
          "$repo@$agg_digest" >"$tmp/cosign-$type.log" 2>&1; then
        pass "publish: cosign verify-attestation --type $type"
      else
        fail "publish: cosign verify-attestation --type $type:"; tail -n 5 "$tmp/cosign-$type.log"
      fi
    done

    # The SBOM lists every locked package of the image, the jar and the
    # JNI library; syft finds no package it does not list.
    sbom="$ws/bazel-bin/examples/shuffler/services/aggregator/aggregator_image.sbom.spdx.json"
    missing="$(python3 - "$sbom" "$ws/examples/bases/java17.lock.json" "$ws/examples/bases/libcxx.lock.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
have = {(p["name"], p.get("versionInfo")) for p in doc["packages"]}
names = {p["name"] for p in doc["packages"]}
want = set()
for lock in sys.argv[2:]:
    want |= {(p["name"], p["version"]) for p in json.load(open(lock))["packages"]}
missing = sorted("%s %s" % w for w in want - have)
text = json.dumps(doc)
for n in ("aggregator_application.jar", "libaggregation-jni.so"):
    if n not in text:
        missing.append(n)
print("\n".join(missing))
PY
)"
    [[ -z "$missing" ]] && pass "SBOM: every locked Debian package, the jar and the JNI library" || fail "SBOM lacks: $missing"
    if command -v syft >/dev/null; then
      syft -q "oci-dir:$ws/bazel-bin/examples/shuffler/services/aggregator/aggregator_image" -o json >"$tmp/syft.json" 2>"$tmp/syft.log"
      extra="$(python3 - "$sbom" "$tmp/syft.json" <<'PY'
import json, sys
ours = {p["name"] for p in json.load(open(sys.argv[1]))["packages"]}
theirs = {a["name"] for a in json.load(open(sys.argv[2]))["artifacts"] if a["type"] in ("deb", "python")}
print(" ".join(sorted(theirs - ours)))
PY
)"
      [[ -z "$extra" ]] && pass "SBOM: syft finds no Debian or Python package we do not list" || fail "SBOM: syft found $extra"
    else
      fail "syft not found (scripts/setup.sh installs it)"
    fi

    # A relying party's check: the registry serves what the release says,
    # signed and attested; then the tag is re-pointed and the check fails
    # naming the image.
    printf '# Expected image digests: LABEL MANIFEST_DIGEST IMAGE_ID, sorted.\n%s\n' \
      "$(awk '$1 == "//examples/shuffler/services/aggregator:aggregator_image" { print $1, $2, $4 }' "$lines")" >"$tmp/release.txt"
    verify=("$odptool" release verify --digests "$tmp/release.txt" --tag e2e --repository-for "//examples/shuffler/services/aggregator:aggregator_image=$repo"
      --pub "$tmp/sign.pub" --layouts "$ws/bazel-bin")
    if "${verify[@]}" >"$tmp/verify.log" 2>&1; then
      pass "release verify: the registry serves the release, signed and attested"
    else
      fail "release verify:"; tail -n 10 "$tmp/verify.log"
    fi
    other="$(awk '$1 == "//examples/shuffler/services/taskassignment:task_assignment_image" { print $3 }' "$lines")"
    "$odptool" image push --repository "$repo" --tag e2e "$ws/$other" >/dev/null 2>&1 || fail "re-pointing the tag"
    if "${verify[@]}" >"$tmp/verify.log" 2>&1; then
      fail "release verify passed after the tag was re-pointed"
    elif grep -q "//examples/shuffler/services/aggregator:aggregator_image" "$tmp/verify.log"; then
      pass "release verify fails after the tag was re-pointed, naming the image"
    else
      fail "release verify failed without naming the image:"; tail -n 10 "$tmp/verify.log"
    fi
  else
    fail "publish: bazel run failed:"
    tail -n 30 "$tmp/publish.log"
  fi
fi

# Every service, published as the seed's upload script does: the registry
# chosen at publish time, one bazel run per service.
if [[ -n "$registry_pid" ]]; then
  while read -r label digest layout image_id; do
    [[ "$label" == //examples/shuffler/services/* || "$label" == //examples/python/* ]] || continue
    svc="${label##*:}"; svc="${svc%_image}"
    if ODP_BAZEL_KEEP_SERVER=1 ODP_BAZEL_WORK="$ODP_BAZEL_WORK" "$root/scripts/bazel_offline.sh" -C "$ws" run --repo_env=ODP_DEB_DIR="$deb_dir" \
        "${label}_publish" -- --repository "127.0.0.1:$port/odp/$svc" --tag v0 >"$tmp/publish-$svc.log" 2>&1; then
      served="$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://127.0.0.1:$port/odp/$svc:v0" 2>&1)"
      [[ "$served" == "$digest" ]] && pass "publish $svc: the registry serves $digest" || fail "publish $svc: served '$served', built $digest"
    else
      fail "publish $svc: bazel run ${label}_publish failed:"; tail -n 20 "$tmp/publish-$svc.log"
    fi
  done <"$lines"
fi

# --platforms naming another CPU changes nothing for publishing: the
# toolchain gives the host's odptool (the execution platform's).
if [[ -n "$registry_pid" ]]; then
  if ODP_BAZEL_KEEP_SERVER=1 ODP_BAZEL_WORK="$ODP_BAZEL_WORK" "$root/scripts/bazel_offline.sh" -C "$ws" run --repo_env=ODP_DEB_DIR="$deb_dir" \
      --platforms=//rules/tests:linux_arm64 //examples/shuffler/services/collector:collector_image_publish -- \
      --repository "127.0.0.1:$port/odp/collector-arm64-host" --tag v0 >"$tmp/publish-platforms.log" 2>&1; then
    pass "bazel run --platforms=linux_arm64 ..._publish runs the host's odptool"
  else
    fail "bazel run --platforms=linux_arm64 ..._publish:"; tail -n 20 "$tmp/publish-platforms.log"
  fi
fi

# Release digests: --write-expected then --check on the same build passes;
# a tampered expected file fails and names the image.
images_sh() { ODP_SKIP_SETUP=1 ODP_BAZEL_KEEP_SERVER=1 ODP_BAZEL_WORK="$ODP_BAZEL_WORK" "$root/scripts/build_images.sh" -C "$ws" "$@"; }
if images_sh --write-expected "$tmp/expected.txt" >"$tmp/bi.out" 2>"$tmp/bi.log"; then
  if cmp -s <(grep -v '^#' "$tmp/expected.txt") <(awk '{ print $1, $2, $4 }' "$lines"); then
    pass "build_images.sh --write-expected lists every image as built"
  else
    fail "build_images.sh --write-expected differs from the build:"; diff <(grep -v '^#' "$tmp/expected.txt") <(awk '{ print $1, $2, $4 }' "$lines")
  fi
  if images_sh --check "$tmp/expected.txt" >/dev/null 2>"$tmp/check.log"; then
    pass "build_images.sh --check passes on a fresh build"
  else
    fail "build_images.sh --check failed on a fresh build:"; tail -n 5 "$tmp/check.log"
  fi
  victim="$(grep -v '^#' "$tmp/expected.txt" | head -n 1 | cut -d' ' -f1)"
  sed "s|^$victim sha256:[0-9a-f]*|$victim sha256:$(printf '0%.0s' $(seq 64))|" "$tmp/expected.txt" >"$tmp/tampered.txt"
  if images_sh --check "$tmp/tampered.txt" >/dev/null 2>"$tmp/check.log"; then
    fail "build_images.sh --check passed a tampered expected file"
  elif grep -q "MISMATCH $victim" "$tmp/check.log"; then
    pass "build_images.sh --check fails on a tampered expected file, naming $victim"
  else
    fail "build_images.sh --check failed without naming $victim:"; tail -n 5 "$tmp/check.log"
  fi
else
  fail "build_images.sh --write-expected failed:"; tail -n 20 "$tmp/bi.log"
fi

# Incrementality: edit one Java source of task_assignment.
src="$ws/examples/shuffler/services/taskassignment/src/main/java/com/example/taskassignment/TaskAssignmentApplication.java"
ta_layout="$ws/bazel-bin/examples/shuffler/services/taskassignment/task_assignment_image"
if [[ -f "$src" && -d "$ta_layout" ]]; then
  # The server is kept between these builds: a no-op rebuild then costs what
  # Bazel itself costs, not a server start.
  build() { ODP_BAZEL_KEEP_SERVER=1 ODP_BAZEL_WORK="$ODP_BAZEL_WORK" "$root/scripts/bazel_offline.sh" --links -C "$ws" build --repo_env=ODP_DEB_DIR="$deb_dir" "$@" //examples/... >"$tmp/build.log" 2>&1; }
  written() { # execution log -> bytes of the outputs its actions wrote
    python3 -c '
import json, sys
text, pos, total, dec = open(sys.argv[1]).read(), 0, 0, json.JSONDecoder()
while True:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    spawn, pos = dec.raw_decode(text, pos)
    total += sum(int(o.get("digest", {}).get("sizeBytes", 0)) for o in spawn.get("actualOutputs", []))
print(total)' "$1"
  }
  layers() { python3 -c '
import json, os, sys
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
m = json.load(open(os.path.join(d, "blobs", *idx["manifests"][0]["digest"].split(":"))))
print("\n".join(l["digest"] for l in m["layers"]))' "$1"; }
  layers "$ta_layout" >"$tmp/layers.before"
  build --execution_log_json_file="$tmp/warm.json"
  start=$(date +%s%N); build --execution_log_json_file="$tmp/noop.json"; noop_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  noop_actions=$(grep -c '"mnemonic"' "$tmp/noop.json" || true)
  [[ "$noop_actions" == 0 ]] && pass "no-op rebuild runs no action (${noop_ms} ms wall through scripts/bazel_offline.sh, server warm)" || fail "no-op rebuild ran $noop_actions actions"
  sed -i 's/task_assignment ok classpath=/task_assignment ok (edited) classpath=/' "$src"
  start=$(date +%s%N); build --execution_log_json_file="$tmp/edit.json"; edit_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  mnemonics="$(grep -o '"mnemonic": *"[^"]*"' "$tmp/edit.json" | sed 's/.*"\([^"]*\)"$/\1/' | sort | uniq -c | tr '\n' ' ')"
  echo "test_examples.sh: after one Java edit: ${edit_ms} ms, $(grep -c '"mnemonic"' "$tmp/edit.json") actions ($mnemonics), $(written "$tmp/edit.json") bytes written"
  if grep -q '"mnemonic": *"OdpDebRepack"' "$tmp/edit.json"; then
    fail "Java edit re-ran a deb repack"
  elif ! grep -q '"mnemonic": *"OdpImageAssemble"' "$tmp/edit.json"; then
    fail "Java edit did not re-assemble the image"
  else
    pass "Java edit re-runs only compile, jar, workload layer and assembly"
  fi
  layers "$ta_layout" >"$tmp/layers.after"
  if [[ "$(head -n -1 "$tmp/layers.before")" == "$(head -n -1 "$tmp/layers.after")" ]] &&
    [[ "$(tail -n 1 "$tmp/layers.before")" != "$(tail -n 1 "$tmp/layers.after")" ]]; then
    pass "Java edit changes only the workload layer's digest ($(wc -l <"$tmp/layers.after") layers)"
  else
    fail "Java edit: layer digests changed unexpectedly:"; diff "$tmp/layers.before" "$tmp/layers.after"
  fi
fi

ODP_BAZEL_WORK="$ODP_BAZEL_WORK" "$root/scripts/bazel_offline.sh" -C "$ws" shutdown >/dev/null 2>&1 || true
echo "test_examples.sh: $failed failed"
[[ "$failed" == 0 ]]
