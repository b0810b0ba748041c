#!/usr/bin/env bash
# Runs the aggregator jar and its JNI library on the host JDK and the host's
# libc++, and checks the library itself: it needs libc++ (so the image's deb
# layers are what makes it load) and holds no path of the build machine.
# Usage: host_run_test.sh JAVA JAR LIBRARY
set -euo pipefail

java="$1"
jar="$2"
lib="$3"
libdir="$(dirname "$lib")"
failed=0

fail() {
  echo "FAIL: $*" >&2
  failed=1
}

check_run() {
  local want="$1"
  shift
  local out
  out="$("$@" "$java" "-Djava.library.path=$libdir" -jar "$jar")" || {
    fail "the jar exited $? (env: $*)"
    return
  }
  echo "$out"
  # shellcheck disable=SC2053 # $want is a pattern
  [[ "$out" == $want ]] || fail "want a line matching \"$want\", got \"$out\""
}

# 3+1+4+1+5+9+2+6 = 31; libc++ 16.x.y defines _LIBCPP_VERSION as 16mmpp (160006 for 16.0.6).
check_run "aggregator ok native=31 libcxx=16[0-9][0-9][0-9][0-9] fcp_opts=unset" env -u FCP_OPTS
check_run "aggregator ok native=31 libcxx=16[0-9][0-9][0-9][0-9] fcp_opts=--population=pixel" env FCP_OPTS=--population=pixel

if command -v readelf >/dev/null; then
  needed="$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')"
  echo "NEEDED: $needed"
  for want in libc++.so.1 libc++abi.so.1 libunwind.so.1; do
    [[ " $needed" == *" $want "* ]] || fail "$lib does not need $want (NEEDED: $needed)"
  done
  [[ " $needed" != *" libstdc++"* ]] || fail "$lib needs libstdc++ (NEEDED: $needed): it was not linked with -stdlib=libc++"
  if readelf -d "$lib" | grep -q -E '\((RPATH|RUNPATH)\)'; then
    fail "$lib has an RPATH/RUNPATH: $(readelf -d "$lib" | grep -E '\((RPATH|RUNPATH)\)')"
  fi
elif [[ "${CI:-}" == true ]]; then
  fail "readelf not found (apt-get install -y binutils)"
else
  echo "SKIP: readelf not found (apt-get install -y binutils); not checking the library's NEEDED entries"
fi

# Traces of the build machine: Bazel's directories or an absolute source path.
if grep -a -o -E '(execroot|sandbox|bazel-out|/external/|/[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]*aggregation[a-z_]*\.(cc|h))' "$lib"; then
  fail "$lib holds build-machine paths (above)"
fi

if [[ "$failed" != 0 ]]; then
  exit 1
fi
echo PASS
