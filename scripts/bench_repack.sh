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

cat >"$work/gnu.sh" <<'GNU'
#!/usr/bin/env bash
set -euo pipefail
out=$1; shift
for d in "$@"; do
  dir=$(mktemp -d)
  dpkg-deb --fsys-tarfile "$d" | tar -x -C "$dir"
  tar -C "$dir" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -c . \
    | gzip -n -6 > "$out/$(basename "$d" .deb).tar.gz"
  rm -rf "$dir"
done
GNU
cat >"$work/floor.sh" <<'FLOOR'
#!/usr/bin/env bash
set -euo pipefail
out=$1; shift
for d in "$@"; do dpkg-deb --fsys-tarfile "$d" | gzip -n -6 > "$out/$(basename "$d" .deb).tar.gz"; done
FLOOR
cat >"$work/ours.sh" <<OURS
#!/usr/bin/env bash
set -euo pipefail
out=\$1; shift
for d in "\$@"; do "$work/odptool" deb repack --out "\$out/\$(basename "\$d" .deb).tar.gz" "\$d" >/dev/null; done
OURS
chmod +x "$work"/*.sh

bench() { # name debs...
  local name=$1; shift
  for k in ours gnu floor; do mkdir -p "$work/out-$k"; done
  hyperfine --style basic --runs "$runs" --warmup 1 --export-json "$work/$name.json" \
    -n odptool "$work/ours.sh $work/out-ours $*" \
    -n gnu-pipeline "$work/gnu.sh $work/out-gnu $*" \
    -n stream-floor "$work/floor.sh $work/out-floor $*" >/dev/null
  local so sg
  so=$(cat "$work"/out-ours/*.tar.gz | wc -c); sg=$(cat "$work"/out-gnu/*.tar.gz | wc -c)
  python3 - "$work/$name.json" "$name" "$so" "$sg" <<'PY'
import json, statistics, sys
res = {r["command"]: statistics.median(r["times"]) for r in json.load(open(sys.argv[1]))["results"]}
name, so, sg = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
o, g, f = res["odptool"], res["gnu-pipeline"], res["stream-floor"]
print(f"{name}: median odptool {o:.2f}s, GNU pipeline {g:.2f}s, stream floor {f:.2f}s; "
      f"speed-up vs GNU {g/o:.2f}x, vs floor {f/o:.2f}x; size odptool/GNU {so/sg:.3f} ({so} / {sg} bytes)")
PY
  rm -rf "$work"/out-*
}
bench "openjdk-17-jre-headless" "$jdk"
bench "six JNI packages" "${jni_debs[@]}"
