#!/usr/bin/env bash
# The main job: builds every example image with Bazel (the offline harness on
# our machines) and prints one line per image, sorted by label:
#
#   LABEL DIGEST LAYOUT_DIR IMAGE_ID
#
# e.g. //examples/shuffler/services/aggregator:aggregator_image sha256:<64 hex>
#      bazel-bin/examples/shuffler/services/aggregator/aggregator_image sha256:<64 hex>
# DIGEST is the manifest digest (what a registry serves and Confidential
# Space attests), LAYOUT_DIR the OCI layout relative to the workspace root,
# IMAGE_ID the config digest (what `podman images` shows). Build output goes
# to stderr. Exits non-zero if any image fails to build.
#
# Usage: scripts/build_images.sh [-C WORKSPACE] [--targets PATTERN]
#            [--write-expected FILE | --check FILE [--expected-layouts DIR]]
#   -C WORKSPACE         workspace to build (default: this repository)
#   --targets PATTERN    where to look for images (default //examples/...):
#                        every odp_image target (macros' NAME targets, bases)
#   --write-expected F   also write F: "LABEL DIGEST IMAGE_ID" per image,
#                        sorted, with a comment header (release digests)
#   --check F            compare with F; a mismatch names the image (and, with
#                        --expected-layouts DIR holding the expected layouts
#                        at DIR/<package>/<name>, e.g. an older bazel-bin,
#                        prints `odptool image diff` of the two)
# Environment: ODP_BAZEL_WORK (Bazel output base directory to keep; default
#   ${XDG_CACHE_HOME:-$HOME/.cache}/rules_odp/bazel/<workspace path hash>),
#   ODP_DEB_CACHE (see scripts/fetch_debs.sh), ODP_SKIP_SETUP=1 (do not run
#   scripts/setup.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ws="$root"
targets="//examples/..."
write_expected=""
check=""
expected_layouts=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -C) ws="$(cd "$2" && pwd)"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --write-expected) write_expected="$2"; shift 2 ;;
    --check) check="$2"; shift 2 ;;
    --expected-layouts) expected_layouts="$(cd "$2" && pwd)"; shift 2 ;;
    *) echo "build_images.sh: unknown argument $1 (see the header of this script)" >&2; exit 2 ;;
  esac
done
if [[ -n "$check" && ! -f "$check" ]]; then
  echo "build_images.sh: --check $check: no such file" >&2
  exit 2
fi

if [[ "${ODP_SKIP_SETUP:-0}" != 1 ]]; then
  "$root/scripts/setup.sh" >&2
fi

# odptool for digests and diffs, built from this checkout.
tools="$(mktemp -d "${TMPDIR:-/tmp}/odp-build-images.XXXXXX")"
trap 'rm -rf "$tools"' EXIT
(cd "$root" && go build -o "$tools/odptool" ./tools/cmd/odptool)

# The .deb files of every lock in the workspace's examples (or, for another
# workspace, anywhere in it but test data).
mapfile -t locks < <(
  cd "$ws"
  if [[ -d examples ]]; then find examples bazel4 -name '*.lock.json'; else find . -name '*.lock.json' -not -path '*/testdata/*' -not -path './bazel-*'; fi | sort
)
repo_env=()
if [[ "${#locks[@]}" -gt 0 ]]; then
  deb_dir="$(cd "$ws" && "$root/scripts/fetch_debs.sh" "${locks[@]}" | tail -n 1)"
  repo_env=(--repo_env=ODP_DEB_DIR="$deb_dir")
fi

work="${ODP_BAZEL_WORK:-${XDG_CACHE_HOME:-$HOME/.cache}/rules_odp/bazel/$(printf '%s' "$ws" | sha256sum | cut -c1-16)}"
mkdir -p "$work"
offline() { ODP_BAZEL_WORK="$work" "$root/scripts/bazel_offline.sh" -C "$ws" "$@" >&2; }

# Every odp_image under the pattern, test fixtures (tagged manual) excluded.
query="$tools/targets"
ODP_BAZEL_WORK="$work" "$root/scripts/bazel_offline.sh" -C "$ws" query "${repo_env[@]}" --output=label \
  "kind('odp_image rule', $targets) except attr(tags, manual, $targets)" >"$query.raw"
grep '^//' "$query.raw" | sort >"$query" || true
mapfile -t images <"$query"
if [[ "${#images[@]}" == 0 ]]; then
  echo "build_images.sh: no odp_image targets under $targets" >&2
  exit 1
fi
offline --links build "${repo_env[@]}" "${images[@]}"

lines="$tools/lines"
: >"$lines"
for label in "${images[@]}"; do
  pkg="${label#//}"
  pkg="${pkg%%:*}"
  name="${label##*:}"
  layout="bazel-bin/${pkg:+$pkg/}$name"
  digest="$(cat "$ws/$layout.digest")"
  image_id="$(cat "$ws/$layout.image_id")"
  # The digest file and the layout must agree; a stale or edited output
  # would otherwise be reported as built.
  actual="$("$tools/odptool" image digest "$ws/$layout")"
  if [[ "$actual" != "$digest" ]]; then
    echo "build_images.sh: $label: $layout.digest says $digest but the layout's manifest is $actual" >&2
    exit 1
  fi
  echo "$label $digest $layout $image_id" >>"$lines"
done
sort "$lines"

if [[ -n "$write_expected" ]]; then
  {
    echo "# Expected image digests: LABEL MANIFEST_DIGEST IMAGE_ID, sorted."
    echo "# Written by scripts/build_images.sh --write-expected; checked with --check."
    sort "$lines" | while read -r label digest _ image_id; do echo "$label $digest $image_id"; done
  } >"$write_expected.tmp"
  mv "$write_expected.tmp" "$write_expected"
  echo "build_images.sh: wrote $write_expected" >&2
fi

if [[ -n "$check" ]]; then
  status=0
  declare -A built_digest built_id built_layout
  while read -r label digest layout image_id; do
    built_digest[$label]="$digest"
    built_id[$label]="$image_id"
    built_layout[$label]="$layout"
  done <"$lines"
  declare -A expected_seen
  while read -r label digest image_id rest; do
    [[ -z "$label" || "$label" == \#* ]] && continue
    if [[ -n "$rest" || -z "$image_id" ]]; then
      echo "build_images.sh: $check: malformed line for $label (want LABEL DIGEST IMAGE_ID)" >&2
      status=1
      continue
    fi
    expected_seen[$label]=1
    if [[ -z "${built_digest[$label]:-}" ]]; then
      echo "build_images.sh: MISMATCH $label: expected $digest, but no such image was built" >&2
      status=1
    elif [[ "${built_digest[$label]}" != "$digest" || "${built_id[$label]}" != "$image_id" ]]; then
      echo "build_images.sh: MISMATCH $label: expected $digest (image ID $image_id), built ${built_digest[$label]} (image ID ${built_id[$label]})" >&2
      status=1
      old="$expected_layouts/${built_layout[$label]#bazel-bin/}"
      if [[ -n "$expected_layouts" && -d "$old" ]]; then
        echo "build_images.sh: odptool image diff $old ${built_layout[$label]}:" >&2
        "$tools/odptool" image diff "$old" "$ws/${built_layout[$label]}" >&2 || true
      fi
    fi
  done <"$check"
  for label in "${!built_digest[@]}"; do
    if [[ -z "${expected_seen[$label]:-}" ]]; then
      echo "build_images.sh: MISMATCH $label: built ${built_digest[$label]}, but $check has no line for it" >&2
      status=1
    fi
  done
  if [[ "$status" == 0 ]]; then
    echo "build_images.sh: all ${#images[@]} images match $check" >&2
  fi
  exit "$status"
fi
