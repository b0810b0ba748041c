#!/usr/bin/env bash
# The test command of the README: installs what it needs, then runs every
# check and test, and ends with a plain "N passed, N failed" line.
#   scripts/test.sh            everything
#   scripts/test.sh -short     skip the slow end-to-end parts (not for CI)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

export PATH="$(go env GOPATH)/bin:$PATH"
export ODP_DEB_CACHE="${ODP_DEB_CACHE:-$HOME/.cache/rules_odp/debs}"
short=""; [ "${1:-}" = "-short" ] && short="-short"

passed=0 failed=0 failures=()
check() { # name command...
  local name=$1; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

check gofmt bash -c 'out=$(gofmt -l tools); [ -z "$out" ] || { echo "gofmt needed:"; echo "$out"; exit 1; }'
check "go mod tidy" go mod tidy -diff
check "go vet" go vet ./tools/...
check staticcheck staticcheck ./tools/...

# Go tests: every top-level test counts once (testsummary reads go test -json).
go build -o "$root/.cache/testsummary" ./tools/cmd/testsummary || { echo "0 passed, 1 failed"; exit 1; }
gotests=$(mktemp)
go test $short -json -timeout 45m ./tools/... 2>&1 | "$root/.cache/testsummary" >"$gotests"
gostatus=$?
cat "$gotests"
read -r gp gf < <(tail -n 1 "$gotests" | sed -E 's/^go: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/')
passed=$((passed + ${gp:-0})); failed=$((failed + ${gf:-0}))
if [ "$gostatus" != 0 ] && [ "${gf:-0}" = 0 ]; then failed=$((failed + 1)); failures+=("go test (build or runner failure)"); fi
[ "${gf:-0}" = 0 ] || failures+=("go tests")

# Fuzz targets run briefly: parsers of untrusted bytes must not panic.
fuzztime="${ODP_FUZZTIME:-10s}"
# Go's fuzzing coordinator sometimes ends a loaded run with "context
# deadline exceeded" and no failing input; such a run is repeated (up to
# three runs in all). A real finding always writes its input under
# testdata/fuzz and fails at once.
fuzz_once() { # pkg target
  local log status run
  log=$(mktemp)
  for run in 1 2 3; do
    go test -run '^$' -fuzz "^$2\$" -fuzztime "$fuzztime" "./$1" >"$log" 2>&1
    status=$?
    if [ "$status" != 0 ] && [ "$run" != 3 ] && ! grep -q "Failing input written" "$log" &&
      grep -q "context deadline exceeded" "$log"; then
      # Not a test result: only the progress lines are shown, so that no
      # reader of this log counts the timed-out run as a failed test.
      grep '^fuzz: elapsed' "$log"
      echo "fuzz: coordinator timed out without a finding (context deadline exceeded); running $2 again"
      continue
    fi
    cat "$log"
    break
  done
  rm -f "$log"
  return "$status"
}
while IFS= read -r line; do
  pkg=${line%%:*}; target=${line##*:}
  check "fuzz $target ($pkg)" fuzz_once "$pkg" "$target"
done < <(grep -rlE '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' --include='*_test.go' tools | sort | while read -r f; do
  grep -oE '^func Fuzz[A-Za-z0-9_]+' "$f" | sed "s|^func |$(dirname "$f"):|"
done)

# Bazel: BUILD files in sync with the Go sources, then the offline Bazel 4.2.3
# harness builds and tests the repository and each e2e workspace (odptool
# compiled from source by rules_go; Bazel downloads nothing; see docs/bazel.md).
check "gazelle --check" scripts/gazelle.sh --check
if [ -z "$short" ]; then
  # Every example image twice (two clean output bases, two checkout paths,
  # another TZ/umask/locale); the first build is kept for the Bazel tests and
  # the image end-to-end checks (podman, registry, incrementality).
  detwork=$(mktemp -d "${TMPDIR:-/tmp}/odp-test-images.XXXXXX")
  check "determinism: every example image, two clean builds" \
    scripts/check_determinism.sh --work "$detwork" --relock-if-stale
  if [ -f "$detwork/a.lines" ]; then
    check "bazel test //... (offline, Bazel 4.2.3)" env ODP_BAZEL_WORK="$detwork/bazel-a" \
      scripts/bazel_offline.sh -C "$detwork/a/ws" test --repo_env=ODP_DEB_DIR="$ODP_DEB_CACHE" //...
    check "example images end to end (podman, registry, incrementality)" env ODP_BAZEL_WORK="$detwork/bazel-a" \
      scripts/test_examples.sh -C "$detwork/a/ws" --lines "$detwork/a.lines"
  fi
  (cd "$detwork" && bazel --output_base="$detwork/bazel-a/output_base" shutdown >/dev/null 2>&1)
  chmod -R u+w "$detwork" 2>/dev/null; rm -rf "$detwork"
  for ws in e2e/*/; do
    ws=${ws%/}
    [ -f "$ws/WORKSPACE" ] || continue
    # A workspace that needs setting up (e.g. .deb files) has its own driver.
    if [ -x "$ws/run_test.sh" ]; then
      check "e2e $ws (offline, Bazel 4.2.3)" "$ws/run_test.sh"
    else
      check "e2e $ws (offline, Bazel 4.2.3)" scripts/bazel_offline.sh -C "$ws"
    fi
  done
fi

for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
