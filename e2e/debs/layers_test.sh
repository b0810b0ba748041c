#!/usr/bin/env bash
# The deb_layer outputs of the lock's six packages have the seed's layer names
# and hold what the packages hold, in the layout deb_layer promises.
set -euo pipefail
want=(gcc-12-base_amd64.tar libc++1-16_amd64.tar libc++abi1-16_amd64.tar libc6_amd64.tar libgcc-s1_amd64.tar libunwind-16_amd64.tar)
got=()
for f in "${@:1:$#-1}"; do got+=("$(basename "$f")"); done
[[ "${got[*]}" == "${want[*]}" ]] || { echo "layer names: got ${got[*]}, want ${want[*]}"; exit 1; }
for f in "${@:1:$#-1}"; do
  case "$f" in */libc6_amd64.tar) libc6="$f" ;; */libc++1-16_amd64.tar) libcxx="$f" ;; esac
done
list="$(tar -tf "$libc6")"
# merged /usr: the loader is under usr/lib64, nothing at top-level lib64/.
grep -q 'usr/lib64/ld-linux-x86-64.so.2$' <<<"$list" || { echo "libc6 layer lacks usr/lib64/ld-linux-x86-64.so.2"; exit 1; }
if grep -Eq '^(\./)?lib64/' <<<"$list"; then echo "libc6 layer has top-level lib64/ despite merged_usr"; exit 1; fi
grep -q 'var/lib/dpkg/status.d/libc6$' <<<"$list" || { echo "libc6 layer lacks its dpkg status record"; exit 1; }
# (listings are captured first: grep -q closing the pipe early would fail tar under pipefail)
grep -q 'usr/lib/x86_64-linux-gnu/libc++.so.1$' <<<"$(tar -tf "$libcxx")" || { echo "libc++1-16 layer lacks libc++.so.1"; exit 1; }
# The gzip variant without merged /usr keeps lib64/ at the top.
gz="${*: -1}"
[[ "$(basename "$gz")" == libc6_gz_amd64.tar.gz ]] || { echo "gzip layer named $(basename "$gz")"; exit 1; }
[[ "$(head -c2 "$gz" | od -An -tx1 | tr -d ' ')" == 1f8b ]] || { echo "$gz is not gzip"; exit 1; }
grep -Eq '^(\./)?lib64/ld-linux-x86-64.so.2$' <<<"$(tar -tzf "$gz")" || { echo "libc6_gz (merged_usr = False) lacks lib64/ld-linux-x86-64.so.2"; exit 1; }
echo "PASS: ${#want[@]} layers"
