#!/usr/bin/env bash
# Proves that scripts/check_determinism.sh catches nondeterminism and says
# where it is: in this workspace //:stamped_image writes the build's clock
# into /etc/build-stamp.txt, //:steady_image does not. The check must exit 1,
# report the stamped image as a mismatch naming etc/build-stamp.txt, and the
# steady image as identical.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
log="$(mktemp "${TMPDIR:-/tmp}/odp-determinism-e2e.XXXXXX")"
trap 'rm -f "$log"' EXIT

"$root/scripts/check_determinism.sh" -C "$here" --targets //... >"$log" 2>&1
status=$?
grep -E '^check_determinism.sh: (identical|MISMATCH)|build-stamp|steady' "$log" | grep -v '^bazel' | head -40
fail=0
want() { grep -qE "$1" "$log" || { echo "run_test.sh: FAIL: output lacks /$1/"; fail=1; }; }
[[ "$status" == 1 ]] || { echo "run_test.sh: FAIL: check_determinism.sh exited $status, want 1"; fail=1; }
want '^check_determinism.sh: MISMATCH: //:stamped_image'
want 'etc/build-stamp.txt'
want '^check_determinism.sh: identical: //:steady_image'
if grep -q 'etc/steady.txt' <(sed -n '/MISMATCH: \/\/:stamped_image/,$p' "$log"); then
  echo "run_test.sh: FAIL: the diff names the unchanged file etc/steady.txt"
  fail=1
fi
if [[ "$fail" == 0 ]]; then
  echo "run_test.sh: PASS (the injected nondeterminism was caught and named)"
else
  tail -n 60 "$log"
fi
exit "$fail"
