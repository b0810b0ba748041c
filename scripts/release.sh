#!/usr/bin/env bash
# Builds a release of rules_odp: the odptool binaries the prebuilt toolchain
# downloads, their SHA256SUMS, the versions.bzl block that pins them, and a
# source archive of the rule set. Every binary is built twice, from two
# copies of the source at different paths with separate Go build caches, and
# the release fails unless both builds are byte-identical: anyone can rebuild
# a release from the tagged source and get the same sha256s.
#
# Usage: scripts/release.sh VERSION [--out DIR] [--platforms P1,P2]
#                           [--update-versions] [--shared-cache]
#   VERSION            e.g. 0.1.0 (MODULE.bazel must say the same)
#   --out DIR          where to write (default dist/VERSION)
#   --platforms LIST   subset of linux_amd64,linux_arm64,darwin_amd64,darwin_arm64
#   --update-versions  also rewrite the pinned block of rules/private/versions.bzl
#   --shared-cache     second build with the caller's Go build cache (faster;
#                      still from another path, still compared byte for byte)
#
# Writes DIR/odptool_VERSION_OS_ARCH, DIR/SHA256SUMS, DIR/versions.bzl (the
# block, loadable as a .bzl file), DIR/rules_odp-VERSION.tar.gz (rules/,
# tools/, docs/ and the root files; no examples, e2e, harness or scripts),
# and prints the sha256 of each.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
all_platforms="darwin_amd64,darwin_arm64,linux_amd64,linux_arm64"
version="" out="" platforms="$all_platforms" update=0 shared=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --platforms) platforms="$2"; shift 2 ;;
    --update-versions) update=1; shift ;;
    --shared-cache) shared=1; shift ;;
    -*) echo "release.sh: unknown option $1" >&2; exit 2 ;;
    *) [[ -z "$version" ]] || { echo "release.sh: one VERSION only" >&2; exit 2; }; version="$1"; shift ;;
  esac
done
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] || { echo "release.sh: VERSION ${version:-(none)} is not MAJOR.MINOR.PATCH[-PRE]" >&2; exit 2; }
for p in ${platforms//,/ }; do
  [[ ",$all_platforms," == *",$p,"* ]] || { echo "release.sh: unknown platform $p (known: $all_platforms)" >&2; exit 2; }
done
module_version="$(sed -n 's/^ *version = "\(.*\)",$/\1/p' "$root/MODULE.bazel" | head -n 1)"
if [[ "$module_version" != "$version" ]]; then
  echo "release.sh: MODULE.bazel says version $module_version, not $version" >&2
  exit 1
fi
out="${out:-$root/dist/$version}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

work="$(mktemp -d "${TMPDIR:-/tmp}/odp-release.XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# The files of the release: what git tracks (and untracked files not
# ignored), so that a dirty checkout is visible in the binaries' sums.
(cd "$root" && git ls-files -co --exclude-standard) | LC_ALL=C sort >"$work/files"
copy_source() { # dest
  mkdir -p "$1"
  (cd "$root" && xargs -d '\n' cp --parents -t "$1" <"$work/files")
}
copy_source "$work/a/src"
copy_source "$work/b/another/path/src"

# Fixed flags: no cgo (a static binary that runs on any libc), no paths of
# this machine (-trimpath), no VCS stamp (a tag or a dirty tree must not
# change the bytes), no build ID, the version stamped for `odptool version`.
ldflags="-s -w -buildid= -X github.com/rules-odp/rules_odp/tools/internal/buildinfo.version=$version"
build() { # srcdir outdir gocache platform
  local os="${4%_*}" arch="${4#*_}"
  (cd "$1" && env -u GOFLAGS CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" GOTOOLCHAIN=local GOWORK=off \
    GOCACHE="$3" go build -trimpath -buildvcs=false -ldflags="$ldflags" \
    -o "$2/odptool_${version}_$4" ./tools/cmd/odptool)
}
mkdir -p "$work/a/out" "$work/b/out"
cache_a="$(go env GOCACHE)"
cache_b="$work/b/gocache"
[[ "$shared" == 1 ]] && cache_b="$cache_a"
for p in ${platforms//,/ }; do
  echo "release.sh: building odptool $version for $p (twice)" >&2
  build "$work/a/src" "$work/a/out" "$cache_a" "$p"
  build "$work/b/another/path/src" "$work/b/out" "$cache_b" "$p"
  if ! cmp -s "$work/a/out/odptool_${version}_$p" "$work/b/out/odptool_${version}_$p"; then
    echo "release.sh: FAIL: the two builds of odptool for $p differ; the release is not reproducible" >&2
    exit 1
  fi
  cp "$work/a/out/odptool_${version}_$p" "$out/"
done

# The versions block pinning these binaries, in the release's own copy of
# versions.bzl (and, with --update-versions, in this checkout's).
{
  echo "# release.sh:versions begin"
  echo "ODPTOOL_VERSION = \"$version\""
  echo
  echo "ODPTOOL_SHA256 = {"
  for p in ${platforms//,/ }; do
    echo "    \"$p\": \"$(sha256sum "$out/odptool_${version}_$p" | cut -c1-64)\","
  done
  echo "}"
  echo "# release.sh:versions end"
} >"$out/versions.bzl"
python3 - "$work/a/src/rules/private/versions.bzl" "$out/versions.bzl" <<'PY'
import pathlib, sys
target, block = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]).read_text()
text = target.read_text()
begin, end = "# release.sh:versions begin\n", "# release.sh:versions end\n"
i, j = text.index(begin), text.index(end) + len(end)
target.write_text(text[:i] + block + text[j:])
PY
if [[ "$update" == 1 ]]; then
  cp "$work/a/src/rules/private/versions.bzl" "$root/rules/private/versions.bzl"
  echo "release.sh: updated rules/private/versions.bzl" >&2
fi

# The source archive: written by odptool itself, so its bytes are
# deterministic (sorted entries, fixed mtime and owners, pinned gzip).
host="$(go env GOOS)_$(go env GOARCH)"
tool="$work/odptool"
(cd "$root" && CGO_ENABLED=0 go build -trimpath -o "$tool" ./tools/cmd/odptool)
prefix="rules_odp-$version"
archive_spec() { # prints a layer files spec of the archive's files
  local first=1
  echo "["
  while IFS= read -r f; do
    case "$f" in
      examples/* | e2e/* | bazel4/* | scripts/* | .ci/* | .bcr/* | WORKSPACE | .bazelrc | .bazelignore | .gitignore) continue ;;
    esac
    [[ -f "$work/a/src/$f" ]] || continue
    [[ "$first" == 1 ]] || echo ","
    first=0
    printf '{"path": "/%s/%s", "src": "%s"}' "$prefix" "$f" "$work/a/src/$f"
  done <"$work/files"
  # A WORKSPACE for Bazel 6/7 WORKSPACE users: the repository's name only
  # (this repository's own WORKSPACE is the Bazel 4.2.3 harness).
  printf ',\n{"path": "/%s/WORKSPACE", "src": "%s"}\n]\n' "$prefix" "$work/WORKSPACE"
}
printf 'workspace(name = "rules_odp")\n' >"$work/WORKSPACE"
archive_spec >"$work/archive.json"
"$tool" layer files --compression gzip --source-date-epoch 0 --spec "$work/archive.json" \
  --out "$out/$prefix.tar.gz" >/dev/null
"$tool" layer files --compression gzip --source-date-epoch 0 --spec "$work/archive.json" \
  --out "$work/again.tar.gz" >/dev/null
cmp -s "$out/$prefix.tar.gz" "$work/again.tar.gz" || { echo "release.sh: FAIL: the source archive is not reproducible" >&2; exit 1; }

(cd "$out" && sha256sum odptool_"${version}"_* "$prefix.tar.gz" >SHA256SUMS)
echo "release.sh: host platform $host; wrote $out:" >&2
cat "$out/SHA256SUMS"
