#!/usr/bin/env bash
# Runs Bazel 4.2.3 (Debian's bazel-bootstrap) on a workspace of this
# repository fully offline: Bazel's own downloader is disabled and its
# repository cache must stay empty; Go modules come through the host's `go`
# (see docs/bazel.md). The output base lives in a scratch directory that is
# deleted at the end.
#
# Usage: scripts/bazel_offline.sh [-C DIR] [--keep] [BAZEL_COMMAND ARGS...]
#   -C DIR   workspace to run in (default: the repository root), e.g. e2e/smoke
#   --keep   keep the output base (its path is printed) for a later run with
#            ODP_BAZEL_WORK=<that directory>
#   --links  make Bazel's bazel-* convenience links in the workspace (only
#            sensible with a kept output base)
#   --allow-downloads  let Bazel's downloader run (a test that serves a
#            release on 127.0.0.1 checks the repository cache itself)
#   With no command: `bazel build //...` then `bazel test //...`.
#
# Environment: BAZEL (default: bazel), BAZEL_JOBS (default: 2),
#   ODP_BAZEL_WORK (reuse this scratch directory instead of a new one; it is
#   then not deleted), ODP_BAZEL_KEEP_SERVER=1 (with ODP_BAZEL_WORK: do not
#   shut the Bazel server down at the end), GOROOT (passed to repository rules to pick the host Go).
# Needs: apt-get install -y bazel-bootstrap bazel-skylib; Go >= 1.25.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workspace="$root"
keep=0
links=0
downloads=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -C) workspace="$(cd "$root" && cd "$2" && pwd)"; shift 2 ;;
    --keep) keep=1; shift ;;
    --links) links=1; shift ;;
    --allow-downloads) downloads=1; shift ;;
    --) shift; break ;;
    -*) echo "bazel_offline.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done

bazel="${BAZEL:-bazel}"
command -v "$bazel" >/dev/null || { echo "bazel_offline.sh: $bazel not found; apt-get install -y bazel-bootstrap bazel-skylib" >&2; exit 1; }
command -v go >/dev/null || [[ -n "${GOROOT:-}" ]] || { echo "bazel_offline.sh: no go on PATH and GOROOT unset" >&2; exit 1; }

if [[ -n "${ODP_BAZEL_WORK:-}" ]]; then
  work="$ODP_BAZEL_WORK"
  keep=1
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/odp-bazel.XXXXXX")"
fi
output_base="$work/output_base"
repository_cache="$work/repository_cache"
mkdir -p "$repository_cache"

startup=(--output_base="$output_base")
flags=(
  --config=bazel4
  --repository_cache="$repository_cache"
)
if [[ "$downloads" == 0 ]]; then
  # Bazel must download nothing itself: any http_archive etc. fails loudly.
  flags+=(--experimental_repository_disable_download)
fi
if [[ -n "${GOROOT:-}" ]]; then
  flags+=(--repo_env=GOROOT="$GOROOT")
fi

cleanup() {
  # ODP_BAZEL_KEEP_SERVER=1 (with a kept output base) leaves the server up
  # for the next command, e.g. to time a no-op rebuild at Bazel's floor.
  if [[ "${ODP_BAZEL_KEEP_SERVER:-0}" != 1 || "$keep" == 0 ]]; then
    (cd "$workspace" && "$bazel" "${startup[@]}" shutdown) >/dev/null 2>&1 || true
  fi
  if [[ "$keep" == 0 ]]; then
    chmod -R u+w "$work" 2>/dev/null || true
    rm -rf "$work"
    echo "bazel_offline.sh: removed $work"
  else
    echo "bazel_offline.sh: kept $work (ODP_BAZEL_WORK=$work reuses it)"
  fi
}
trap cleanup EXIT

run() {
  local cmd="$1"
  shift
  local cmd_flags=("${flags[@]}")
  case "$cmd" in
    build | test | run | coverage)
      # No bazel-* links in the workspace: they would point into a scratch
      # output base (printed above) that goes away.
      [[ "$links" == 1 ]] || cmd_flags+=(--symlink_prefix=/)
      cmd_flags+=(--jobs="${BAZEL_JOBS:-2}")
      ;;
  esac
  echo "bazel_offline.sh: [$(basename "$workspace")] bazel $cmd ${cmd_flags[*]} $*"
  local start=$SECONDS status=0
  (cd "$workspace" && "$bazel" "${startup[@]}" "$cmd" "${cmd_flags[@]}" "$@") || status=$?
  echo "bazel_offline.sh: bazel $cmd exited $status after $((SECONDS - start)) s"
  return "$status"
}

echo "bazel_offline.sh: workspace $workspace"
echo "bazel_offline.sh: output base $output_base, repository cache $repository_cache"
echo "bazel_offline.sh: host go $(command -v go || echo "$GOROOT/bin/go") ($(go env GOVERSION 2>/dev/null || true))"

status=0
if [[ $# -gt 0 ]]; then
  run "$@" || status=$?
else
  run build //... || status=$?
  if [[ "$status" == 0 ]]; then
    run test //... || status=$?
  fi
fi

# Bazel's downloader must not have been used: nothing may be in its cache.
cached="$(find "$repository_cache" -type f | wc -l)"
if [[ "$downloads" == 1 ]]; then
  echo "bazel_offline.sh: repository cache holds $cached files (downloads were allowed):"
  find "$repository_cache" -type f | sed 's/^/  /'
elif [[ "$cached" != 0 ]]; then
  echo "bazel_offline.sh: FAIL: Bazel's repository cache holds $cached files; something was downloaded by Bazel:" >&2
  find "$repository_cache" -type f >&2
  [[ "$status" != 0 ]] || status=1
else
  echo "bazel_offline.sh: repository cache is empty (nothing downloaded by Bazel)"
fi
if [[ -d "$output_base" ]]; then
  echo "bazel_offline.sh: output base uses $(du -sh "$output_base" 2>/dev/null | cut -f1)"
fi
exit "$status"
