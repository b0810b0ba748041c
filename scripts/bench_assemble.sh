#!/usr/bin/env bash
# Benchmark: cost of adding one 10 MB layer to a 50 MB and to a 500 MB base,
# odptool vs crane, side by side in one hyperfine run (the machines are
# noisy: compare medians measured together, never absolute times).
#
#   scripts/bench_assemble.sh [RUNS]
#
# crane cannot read a local OCI layout as a base (`crane append --base`
# takes a registry reference), so the fair comparisons are:
#   local output   odptool image assemble --base LAYOUT   (layout on disk)
#                  crane append -b REG/base -o out.tar     (tarball on disk;
#                  crane must fetch every base layer to write it)
#   registry       odptool image assemble + odptool image push
#                  crane append -b REG/base -t REG/out     (crane's native,
#                  registry-to-registry path: only base manifest + config
#                  are read, base blobs are HEADed)
# against the same base images, pushed once beforehand into a local
# docker-registry on 127.0.0.1. The 500/50 ratio of each tool says whether
# its cost grows with the base; for odptool it should stay near 1.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
scripts/setup.sh
crane="$(go env GOPATH)/bin/crane"
work=$(mktemp -d)
reg_pid=""
cleanup() { [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/odptool" ./tools/cmd/odptool
odptool="$work/odptool"

# Incompressible layers so sizes are what they say.
mklayer() { # out.tar size_mb name
  mkdir -p "$work/src/$3"
  head -c "$(($2 << 20))" /dev/urandom >"$work/src/$3/data"
  tar -C "$work/src/$3" --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$1" data
  rm -rf "$work/src/$3"
}
echo "bench: generating bases (5 x 10 MB, 5 x 100 MB) and a 10 MB layer" >&2
for i in 1 2 3 4 5; do
  mklayer "$work/s$i.tar" 10 "s$i"
  mklayer "$work/l$i.tar" 100 "l$i"
done
"$odptool" image assemble --out "$work/base50" --compression gzip "$work"/s?.tar >/dev/null
"$odptool" image assemble --out "$work/base500" --compression gzip "$work"/l?.tar >/dev/null
rm -f "$work"/s?.tar "$work"/l?.tar
mklayer "$work/layer.tar" 10 new
gzip -n -1 <"$work/layer.tar" >"$work/layer.tar.gz"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
reg="127.0.0.1:$port"
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: $reg
  secret: bench-not-a-secret
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do curl -fs "http://$reg/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
for b in base50 base500; do "$odptool" image push --repository "$reg/$b" --tag v1 "$work/$b" >/dev/null; done

hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/bench.json" \
  -n "odptool assemble 50MB base" "$odptool image assemble --out $work/o50 --base $work/base50 $work/layer.tar.gz" \
  -n "odptool assemble 500MB base" "$odptool image assemble --out $work/o500 --base $work/base500 $work/layer.tar.gz" \
  -n "crane append -o tarball 50MB base" "$crane append --insecure -b $reg/base50:v1 -f $work/layer.tar.gz -t local/c50:v1 -o $work/c50.tar" \
  -n "crane append -o tarball 500MB base" "$crane append --insecure -b $reg/base500:v1 -f $work/layer.tar.gz -t local/c500:v1 -o $work/c500.tar" \
  -n "odptool assemble+push 50MB base" "sh -c '$odptool image assemble --out $work/p50 --base $work/base50 $work/layer.tar.gz >/dev/null && $odptool image push --repository $reg/ours50 --tag v1 $work/p50 >/dev/null'" \
  -n "odptool assemble+push 500MB base" "sh -c '$odptool image assemble --out $work/p500 --base $work/base500 $work/layer.tar.gz >/dev/null && $odptool image push --repository $reg/ours500 --tag v1 $work/p500 >/dev/null'" \
  -n "crane append -t registry 50MB base" "$crane append --insecure -b $reg/base50:v1 -f $work/layer.tar.gz -t $reg/crane50:v1" \
  -n "crane append -t registry 500MB base" "$crane append --insecure -b $reg/base500:v1 -f $work/layer.tar.gz -t $reg/crane500:v1" \
  >&2

python3 - "$work/bench.json" <<'PY'
import json, sys
res = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
def row(name):
    a, b = res[name + " 50MB base"], res[name + " 500MB base"]
    print(f"{name:28s} {a*1000:9.1f} ms {b*1000:9.1f} ms   500/50 = {b/a:5.2f}")
print(f"{'median':28s} {'50 MB base':>12s} {'500 MB base':>12s}")
for n in ["odptool assemble", "crane append -o tarball", "odptool assemble+push", "crane append -t registry"]:
    row(n)
o, c = res["odptool assemble 500MB base"], res["crane append -o tarball 500MB base"]
print(f"local output, 500 MB base: crane/odptool = {c/o:.1f}x")
o, c = res["odptool assemble+push 500MB base"], res["crane append -t registry 500MB base"]
print(f"to a registry, 500 MB base: crane/odptool = {c/o:.2f}x")
PY
