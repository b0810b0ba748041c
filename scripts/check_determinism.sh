#!/usr/bin/env bash
# The CI determinism check: builds every image twice, in two clean Bazel
# output bases, from two copies of the workspace at different paths, the
# second under another time zone, umask and locale, and requires every
# manifest digest to be identical. On a mismatch it prints, per differing
# image, `odptool image diff` of the two layouts (which file in which layer
# changed, and how) and exits 1.
#
# Usage: scripts/check_determinism.sh [-C WORKSPACE] [--targets PATTERN]
#            [--work DIR] [--relock-if-stale]
#   -C WORKSPACE       workspace to check (default: this repository)
#   --targets PATTERN  images to compare (default //examples/...; see
#                      scripts/build_images.sh)
#   --work DIR         work in DIR and keep it: DIR/a/ws is the first copy,
#                      DIR/bazel-a its output base, DIR/a.lines its
#                      build_images.sh output (scripts/test.sh tests there next)
#   --relock-if-stale  when apt no longer serves a locked .deb version,
#                      regenerate the example locks (scripts/relock.sh) in
#                      both copies instead of failing; says so loudly
# Environment: as for scripts/build_images.sh.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ws="$root"
targets="//examples/..."
keep_work=""
relock=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -C) ws="$(cd "$2" && pwd)"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --work) keep_work="$2"; shift 2 ;;
    --relock-if-stale) relock=1; shift ;;
    *) echo "check_determinism.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [[ -n "$keep_work" ]]; then
  mkdir -p "$keep_work"
  work="$(cd "$keep_work" && pwd)"
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/odp-determinism.XXXXXX")"
fi
cleanup() {
  if [[ -n "$keep_work" ]]; then
    # Only the first build is kept; the second's output base is large.
    (cd "$work" && bazel --output_base="$work/bazel-b/output_base" shutdown >/dev/null 2>&1 || true)
    chmod -R u+w "$work/bazel-b" "$work/b" 2>/dev/null || true
    rm -rf "$work/bazel-b" "$work/b"
    return
  fi
  for d in "$work"/bazel-*; do
    [[ -d "$d/output_base" ]] && (cd "$work" && bazel --output_base="$d/output_base" shutdown >/dev/null 2>&1 || true)
  done
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Two copies at different paths (and depths). Only source files: no bazel-*
# links, no caches. A workspace that reaches rules_odp by a relative
# local_repository path gets this checkout's absolute path instead.
copy() {
  local dest="$1"
  mkdir -p "$dest"
  if git -C "$ws" rev-parse --show-toplevel >/dev/null 2>&1 && [[ "$(git -C "$ws" rev-parse --show-toplevel)" == "$ws" ]]; then
    (cd "$ws" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$dest" 2>/dev/null || true)
  else
    (cd "$ws" && find . -path './bazel-*' -prune -o -type f -print0 | xargs -0 cp --parents -t "$dest")
  fi
  if [[ -f "$dest/WORKSPACE" ]]; then
    sed -i "s|path = \"\\.\\./\\.\\.\"|path = \"$root\"|" "$dest/WORKSPACE"
  fi
  if [[ ! -f "$dest/.bazelrc" && -f "$root/.bazelrc" ]]; then
    echo "import $root/.bazelrc" >"$dest/.bazelrc"
  fi
}
a="$work/a/ws"
b="$work/b/another/checkout/ws"
copy "$a"
copy "$b"

# Locks whose versions Debian replaced: refresh both copies the same way.
if [[ "$ws" == "$root" ]]; then
  status=0
  (cd "$a" && "$root/scripts/fetch_debs.sh" $(cd "$a" && find examples bazel4 -name '*.lock.json' | sort)) >/dev/null || status=$?
  if [[ "$status" == 3 && "$relock" == 1 ]]; then
    echo "check_determinism.sh: NOTE: apt no longer serves a locked version (see above); regenerating the example"
    echo "check_determinism.sh: NOTE: locks in both copies with scripts/relock.sh. Refresh the committed locks too."
    "$root/scripts/relock.sh" "$a"
    cp "$a"/examples/bases/*.lock.json "$b/examples/bases/"
    cp "$a"/bazel4/python/*.lock.json "$b/bazel4/python/"
  elif [[ "$status" != 0 ]]; then
    exit "$status"
  fi
fi

# Build 1: as the caller's environment has it.
echo "check_determinism.sh: build 1 in $a"
ODP_SKIP_SETUP=1 ODP_BAZEL_WORK="$work/bazel-a" "$root/scripts/build_images.sh" -C "$a" --targets "$targets" >"$work/a.lines"

# Build 2: another path, output base, time zone, umask and locale.
echo "check_determinism.sh: build 2 in $b (TZ=Pacific/Chatham, umask 0027, LC_ALL=C.UTF-8, LANG=de_DE.UTF-8)"
(
  umask 0027
  export TZ=Pacific/Chatham LC_ALL=C.UTF-8 LANG=de_DE.UTF-8
  ODP_SKIP_SETUP=1 ODP_BAZEL_WORK="$work/bazel-b" "$root/scripts/build_images.sh" -C "$b" --targets "$targets" >"$work/b.lines"
)

(cd "$root" && go build -o "$work/odptool" ./tools/cmd/odptool)
status=0
n=0
while read -r label digest layout _; do
  n=$((n + 1))
  other="$(awk -v l="$label" '$1 == l { print $2 }' "$work/b.lines")"
  if [[ "$other" == "$digest" ]]; then
    echo "check_determinism.sh: identical: $label $digest"
    continue
  fi
  status=1
  echo "check_determinism.sh: MISMATCH: $label: build 1 $digest, build 2 ${other:-<not built>}"
  if [[ -n "$other" ]]; then
    "$work/odptool" image diff "$a/$layout" "$b/$layout" || true
  fi
done <"$work/a.lines"
if [[ "$n" == 0 ]]; then
  echo "check_determinism.sh: FAIL: no images were built" >&2
  exit 1
fi
if ! cmp -s <(cut -d' ' -f1 "$work/a.lines") <(cut -d' ' -f1 "$work/b.lines"); then
  echo "check_determinism.sh: MISMATCH: the two builds made different sets of images" >&2
  status=1
fi
[[ "$status" == 0 ]] && echo "check_determinism.sh: PASS: $n images identical across two clean builds"
exit "$status"
