#!/usr/bin/env bash
# Generates the Bazel BUILD files of tools/, the go_repository list
# (rules/private/go_repositories.bzl, WORKSPACE/Bazel 4) and the
# use_repo(go_deps, ...) list of MODULE.bazel (bzlmod) from the Go sources and
# go.mod.
#
# Usage: scripts/gazelle.sh          rewrite BUILD files and go_repositories.bzl
#        scripts/gazelle.sh --check  fail (exit 1) if any of them is out of date
#
# Needs only Go (>= 1.25) and python3; no Bazel. gazelle is built from source
# at the version the offline harness uses (bazel4/repositories.bzl),
# with its frozen list of standard packages extended by the host Go's
# `go list std` exactly like the harness does at fetch time; without that,
# imports of newer std packages (slices, maps, iter, ...) become bogus deps.
set -euo pipefail

GAZELLE_MODULE=github.com/bazelbuild/bazel-gazelle
GAZELLE_VERSION=v0.27.0
PREFIX=github.com/rules-odp/rules_odp
MACRO=rules/private/go_repositories.bzl%go_repositories

mode=fix
case "${1:-}" in
  "") ;;
  --check) mode=diff ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GOTOOLCHAIN=local GOWORK=off GOFLAGS=

# gazelle binary, cached per gazelle version, Go version and this script.
script_sum="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/rules_odp/gazelle-$GAZELLE_VERSION-$(go env GOVERSION)-$script_sum"
gazelle="$cache/gazelle"
if [[ ! -x "$gazelle" ]]; then
  echo "gazelle.sh: building gazelle $GAZELLE_VERSION with $(go env GOVERSION) into $cache" >&2
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  dir="$(cd "$tmp" && go mod download -json "$GAZELLE_MODULE@$GAZELLE_VERSION" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')"
  cp -R "$dir/." "$tmp/src"
  chmod -R u+w "$tmp/src"
  list="$tmp/src/language/go/std_package_list.go"
  opening='var stdPackages = map[string]bool{'
  [[ "$(grep -cxF "$opening" "$list")" == 1 ]] || { echo "gazelle.sh: unexpected format of $list" >&2; exit 1; }
  sed -n 's/^\t"\(.*\)": true,$/\1/p' "$list" | sort -u >"$tmp/known"
  go list std | sort -u >"$tmp/std"
  comm -13 "$tmp/known" "$tmp/std" | sed 's/.*/\t"&": true,/' >"$tmp/added"
  sed -i "/^var stdPackages = map\[string\]bool{\$/r $tmp/added" "$list"
  (cd "$tmp/src" && GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w" -o "$tmp/gazelle" ./cmd/gazelle)
  # Only the current build is kept.
  rm -rf "$(dirname "$cache")"/gazelle-*
  mkdir -p "$cache"
  mv "$tmp/gazelle" "$gazelle"
fi

status=0

# go.mod -> go_repository rules. In check mode, regenerate into a scratch
# copy and compare.
if [[ "$mode" == fix ]]; then
  (cd "$root" && "$gazelle" update-repos -from_file=go.mod -to_macro="$MACRO" -prune)
else
  scratch="$(mktemp -d)"
  mkdir -p "$scratch/rules/private"
  cp "$root/go.mod" "$root/go.sum" "$root/WORKSPACE" "$scratch/"
  cp "$root/rules/private/go_repositories.bzl" "$scratch/rules/private/"
  (cd "$scratch" && "$gazelle" update-repos -from_file=go.mod -to_macro="$MACRO" -prune)
  if ! diff -u "$root/rules/private/go_repositories.bzl" "$scratch/rules/private/go_repositories.bzl"; then
    echo "gazelle.sh: rules/private/go_repositories.bzl is out of date with go.mod; run scripts/gazelle.sh" >&2
    status=1
  fi
  rm -rf "$scratch"
fi

# Go sources -> BUILD.bazel files under tools/.
if ! (cd "$root" && "$gazelle" -repo_root="$root" -go_prefix="$PREFIX" -mode="$mode" tools); then
  echo "gazelle.sh: BUILD files under tools/ are out of date; run scripts/gazelle.sh" >&2
  status=1
fi
# BUILD files -> use_repo(go_deps, ...) in MODULE.bazel: every Go module
# repository a BUILD file under tools/ refers to (what `bazel mod tidy` would
# write on Bazel 7+, which is not available here).
want="$(cd "$root" && python3 - <<'PY'
import pathlib, re
repos = set()
for build in pathlib.Path("tools").rglob("BUILD.bazel"):
    repos.update(re.findall(r'"@([A-Za-z0-9_.~-]+)//', build.read_text()))
repos.discard("io_bazel_rules_go")
block = "use_repo(\n    go_deps,\n" + "".join('    "%s",\n' % r for r in sorted(repos)) + ")\n"
text = pathlib.Path("MODULE.bazel").read_text()
begin, end = "# gazelle.sh:use_repo begin\n", "# gazelle.sh:use_repo end\n"
if text.count(begin) != 1 or text.count(end) != 1:
    raise SystemExit("MODULE.bazel: missing the gazelle.sh:use_repo markers")
head, rest = text.split(begin)
_, tail = rest.split(end)
print(head + begin + block + end + tail, end="")
PY
)"
if [[ "$want" != "$(cat "$root/MODULE.bazel")" ]]; then
  if [[ "$mode" == fix ]]; then
    printf '%s\n' "$want" >"$root/MODULE.bazel"
  else
    diff -u "$root/MODULE.bazel" <(printf '%s\n' "$want") || true
    echo "gazelle.sh: use_repo(go_deps, ...) in MODULE.bazel is out of date; run scripts/gazelle.sh" >&2
    status=1
  fi
fi
exit "$status"
