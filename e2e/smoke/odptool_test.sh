#!/usr/bin/env bash
# odptool from @rules_odp runs, and rules/defs.bzl loaded (its version string
# reached us through a BUILD file of this workspace).
set -euo pipefail
odptool="$1"
version="$2"
[[ -n "$version" ]] || { echo "empty RULES_ODP_VERSION from @rules_odp//rules:defs.bzl"; exit 1; }
out="$("$odptool" help)"
[[ "$out" == "Usage: odptool "* ]] || { echo "odptool help printed:"; echo "$out"; exit 1; }
echo "PASS (rules_odp $version)"
