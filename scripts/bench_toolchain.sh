#!/usr/bin/env bash
# Benchmark: a cold Bazel build of the main job's images (every example
# image, as scripts/build_images.sh builds them) with the prebuilt odptool
# toolchain vs odptool built from source by rules_go, side by side in one
# hyperfine run. Each run starts from a fresh output base (and a Bazel
# server started for it); the host's Go module and build caches and the
# .deb directory stay warm, as on a developer's machine.
#
#   scripts/bench_toolchain.sh [RUNS]
#
# "prebuilt": this repository's WORKSPACE with the harness's Go setup
# removed and rules_odp_register_toolchains() pointing at a release built
# by scripts/release.sh and served on 127.0.0.1 (what a user gets).
# "from source": the WORKSPACE as it is (rules_go compiles odptool and the
# Go standard library in the output base).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-3}"
"$root/scripts/setup.sh" >&2
work="$(mktemp -d "${TMPDIR:-/tmp}/odp-bench-toolchain.XXXXXX")"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null
  for v in prebuilt source; do
    (cd "$work/$v" 2>/dev/null && bazel --output_base="$work/ob-$v" shutdown >/dev/null 2>&1) || true
  done
  chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT

version="$(sed -n 's/^ *version = "\(.*\)",$/\1/p' "$root/MODULE.bazel" | head -n 1)"
"$root/scripts/release.sh" "$version" --out "$work/release" --platforms linux_amd64 --shared-cache >&2
sha="$(awk '/_linux_amd64$/ {print $1}' "$work/release/SHA256SUMS")"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 -m http.server --bind 127.0.0.1 --directory "$work/release" "$port" >/dev/null 2>&1 &
server_pid=$!

deb_dir="$(cd "$root" && scripts/fetch_debs.sh $(find examples bazel4 -name '*.lock.json' | sort) | tail -n 1)"
for v in prebuilt source; do
  mkdir -p "$work/$v"
  (cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$work/$v")
done
python3 - "$work/prebuilt/WORKSPACE" "$version" "$sha" "$port" <<'PY'
import pathlib, sys
p, version, sha, port = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = p.read_text()
for old, new in [
    ("bazel4_repositories()\n", "bazel4_repositories(go = False)\n"),
    ('load("//bazel4:go_setup.bzl", "bazel4_go_setup")\n\nbazel4_go_setup()\n', ""),
    ("rules_odp_register_toolchains(from_source = True)",
     'rules_odp_register_toolchains(version = "%s", sha256s = {"linux_amd64": "%s"}, urls = ["http://127.0.0.1:%s/{file}"])' % (version, sha, port)),
]:
    if old not in s:
        raise SystemExit("WORKSPACE changed; update bench_toolchain.sh: " + old)
    s = s.replace(old, new)
p.write_text(s)
PY

mapfile -t images < <(cd "$root" && ODP_SKIP_SETUP=1 ODP_BAZEL_WORK="$work/query" scripts/bazel_offline.sh query \
  --repo_env=ODP_DEB_DIR="$deb_dir" --output=label "kind('odp_image rule', //examples/...) except attr(tags, manual, //examples/...)" 2>/dev/null | grep '^//' | sort)
echo "bench_toolchain.sh: images: ${images[*]}" >&2
cmd() { # variant
  echo "cd $work/$1 && bazel --output_base=$work/ob-$1 build --config=bazel4 --repository_cache=$work/cache-$1 --symlink_prefix=/ --jobs=2 --repo_env=ODP_DEB_DIR=$deb_dir ${images[*]}"
}
prep() { # variant
  echo "cd $work/$1 && (bazel --output_base=$work/ob-$1 shutdown >/dev/null 2>&1 || true) && chmod -R u+w $work/ob-$1 2>/dev/null; rm -rf $work/ob-$1"
}
hyperfine --style basic --runs "$runs" --export-json "$work/bench.json" \
  --prepare "$(prep prebuilt)" -n prebuilt "$(cmd prebuilt)" \
  --prepare "$(prep source)" -n from-source "$(cmd source)" >&2

# The digests must not depend on the toolchain.
for v in prebuilt source; do
  for label in "${images[@]}"; do
    pkg="${label#//}"; pkg="${pkg%%:*}"
    cat "$work/ob-$v"/execroot/rules_odp/bazel-out/*-fastbuild/bin/"$pkg/${label##*:}.digest"
    echo " $label"
  done >"$work/digests-$v"
done
diff "$work/digests-prebuilt" "$work/digests-source" >&2 || { echo "bench_toolchain.sh: FAIL: the toolchains gave other digests" >&2; exit 1; }
python3 - "$work/bench.json" <<'PY'
import json, statistics, sys
res = {r["command"]: r["times"] for r in json.load(open(sys.argv[1]))["results"]}
p, s = statistics.median(res["prebuilt"]), statistics.median(res["from-source"])
print(f"cold build of the main job's images: median prebuilt {p:.0f}s, from source {s:.0f}s; "
      f"prebuilt is {s/p:.2f}x faster (runs: prebuilt {[round(t) for t in res['prebuilt']]}, from source {[round(t) for t in res['from-source']]})")
PY
echo "bench_toolchain.sh: identical digests with both toolchains" >&2
