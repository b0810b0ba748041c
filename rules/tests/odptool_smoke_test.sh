#!/usr/bin/env bash
# Runs the odptool built by rules_go: `help` must succeed and list the CLI's
# usage, and an unknown command must be a usage error (exit status 2).
set -euo pipefail

odptool="$1"
out="$("$odptool" help)"
case "$out" in
  "Usage: odptool "*) ;;
  *) echo "odptool help printed an unexpected first line:"; echo "$out"; exit 1 ;;
esac

status=0
"$odptool" no-such-noun no-such-verb 2>/dev/null || status=$?
if [[ "$status" -ne 2 ]]; then
  echo "odptool no-such-noun no-such-verb: exit status $status, want 2"
  exit 1
fi
echo "PASS"
