#!/usr/bin/env bash
# The main job: builds every example image and prints one line per image,
# sorted: LABEL DIGEST LAYOUT_DIR IMAGE_ID (LAYOUT_DIR relative to the
# repository root). Exits non-zero if any image fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2
out=.cache/images
mkdir -p "$out" .cache/bin
go build -o .cache/bin/odptool ./tools/cmd/odptool
odptool=.cache/bin/odptool
cache="${ODP_DEB_CACHE:-$HOME/.cache/rules_odp/debs}"
mkdir -p "$cache"

# examples/seed_jni_layers: the seed's JNI layer stack, built directly.
build_seed_jni_layers() {
  local ex=examples/seed_jni_layers work=$out/seed_jni_layers.work layers=()
  rm -rf "$work"; mkdir -p "$work"
  for p in libc++1-16 libc++abi1-16 libc6 libunwind-16 libgcc-s1 gcc-12-base; do
    compgen -G "$cache/${p}_*.deb" >/dev/null || (cd "$cache" && apt-get download -qq "$p" >&2)
    local deb; deb=$(ls "$cache/${p}"_*.deb | sort -V | tail -n 1)
    "$odptool" deb repack --out "$work/${p}_amd64.tar" "$deb" >&2
    layers+=("$work/${p}_amd64.tar")
  done
  "$odptool" layer files --out "$work/binary_tar.tar" \
    --file "/aggregator_application.jar=$ex/aggregator_application.jar" >&2
  layers+=("$work/binary_tar.tar")
  "$odptool" image assemble --out "$out/seed_jni_layers" --config "$ex/config.json" \
    --launch-policy "$ex/policy.json" "${layers[@]}" >&2
  rm -rf "$work"
  echo "//examples/seed_jni_layers $("$odptool" image digest "$out/seed_jni_layers" | tail -n 1) $out/seed_jni_layers $(image_id "$out/seed_jni_layers")"
}

image_id() { "$odptool" image inspect --json "$1" | sed -nE 's/.*"image_id": *"([^"]+)".*/\1/p' | head -n 1; }

{
  build_seed_jni_layers
} | sort
