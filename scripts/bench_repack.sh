#!/usr/bin/env bash
# Benchmark: odptool deb repack vs the reproducible-builds GNU pipeline,
# side by side in one hyperfine run (the machines are noisy: compare
# medians measured together, never absolute times).
#
#   scripts/bench_repack.sh [RUNS]
#
# GNU pipeline per package (the faithful version: GNU tar can only sort
# what it reads from a directory, so the package is unpacked first):
#   dpkg-deb --fsys-tarfile X | tar -x -C DIR
#   tar -C DIR --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
#       --format=gnu -c . | gzip -n -6 > OUT
# "stream floor" is dpkg-deb --fsys-tarfile X | gzip -n -6 with no
# normalisation at all: the least any gzip pipeline can cost.
#
# The six JNI packages are measured twice: one package at a time, and two
# at a time (xargs -P 2, for both tools), which is how Bazel runs the six
# independent deb_layer actions on these 2-core machines.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
scripts/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/odptool" ./tools/cmd/odptool

cache="${ODP_DEB_CACHE:-$HOME/.cache/rules_odp/debs}"
mkdir -p "$cache"
jni=(libc++1-16 libc++abi1-16 libunwind-16 libc6 libgcc-s1 gcc-12-base)
for p in openjdk-17-jre-headless "${jni[@]}"; do
  compgen -G "$cache/${p}_*.deb" >/dev/null || (cd "$cache" && apt-get download "$p" >/dev/null)
done
deb() { ls "$cache/$1"_*.deb | sort -V | tail -n 1; }

jdk=$(deb openjdk-17-jre-headless)
jni_debs=(); for p in "${jni[@]}"; do jni_debs+=("$(deb "$p")"); done

# One process per tool and package, "SCRIPT OUT_DIR PACKAGE.deb" for the
# pipelines; runs drive them with xargs, one or two at a time.
cat >"$work/gnu" <<'GNU'
#!/usr/bin/env bash
set -euo pipefail
dir=$(mktemp -d)
dpkg-deb --fsys-tarfile "$2" | tar -x -C "$dir"
tar -C "$dir" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -c . \
  | gzip -n -6 > "$1/$(basename "$2" .deb).tar.gz"
rm -rf "$dir"
GNU
cat >"$work/floor" <<'FLOOR'
#!/usr/bin/env bash
set -euo pipefail
dpkg-deb --fsys-tarfile "$2" | gzip -n -6 > "$1/$(basename "$2" .deb).tar.gz"
FLOOR
chmod +x "$work/gnu" "$work/floor"

# bench NAME JOBS DEBS...: medians of the three side by side, JOBS packages
# at a time.
bench() {
  local name=$1 jobs=$2; shift 2
  printf '%s\n' "$@" >"$work/list"
  for k in ours gnu floor; do mkdir -p "$work/out-$k"; done
  run() { echo "xargs -a $work/list -P $jobs -n 1 $work/$1 $work/out-$1"; }
  # odptool is one command, run by xargs directly (it names the layer
  # <package>_<arch>.tar.gz); the two pipelines need their shell.
  local ours="xargs -a $work/list -P $jobs -n 1 $work/odptool deb repack --compression gzip --out-dir $work/out-ours"
  hyperfine --style basic --runs "$runs" --warmup 1 --export-json "$work/bench.json" \
    -n odptool "$ours" -n gnu-pipeline "$(run gnu)" -n stream-floor "$(run floor)" >/dev/null
  local so sg
  so=$(cat "$work"/out-ours/*.tar.gz | wc -c); sg=$(cat "$work"/out-gnu/*.tar.gz | wc -c)
  python3 - "$work/bench.json" "$name" "$so" "$sg" <<'PY'
import json, statistics, sys
res = {r["command"]: statistics.median(r["times"]) for r in json.load(open(sys.argv[1]))["results"]}
name, so, sg = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
o, g, f = res["odptool"], res["gnu-pipeline"], res["stream-floor"]
print(f"{name}: median odptool {o:.2f}s, GNU pipeline {g:.2f}s, stream floor {f:.2f}s; "
      f"speed-up vs GNU {g/o:.2f}x, vs floor {f/o:.2f}x; size odptool/GNU {so/sg:.3f} ({so} / {sg} bytes)")
PY
  rm -rf "$work"/out-*
}
bench "openjdk-17-jre-headless" 1 "$jdk"
bench "six JNI packages, one at a time" 1 "${jni_debs[@]}"
bench "six JNI packages, two at a time" 2 "${jni_debs[@]}"
