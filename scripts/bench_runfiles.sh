#!/usr/bin/env bash
# Benchmark: `odptool layer runfiles` against the seed's way of splitting a
# py_binary (three grep filters over the runfiles listing, each layer
# written by GNU tar | gzip -n) and against a Python tarfile writer (what
# rules_pkg's pkg_tar uses), side by side in one hyperfine run (the
# machines are noisy: compare medians measured together, never absolute
# times).
#
#   scripts/bench_runfiles.sh [RUNS]
#
# The runfiles tree is generated (never committed) from this machine's
# Python: the stdlib as the interpreter repository (with the distribution's
# dist-packages as the interpreter's own site-packages), dist-packages
# copied into pip package repositories, the stdlib copied into the main
# repository, plus random binary files; >= 20 000 files, >= 300 MB.
# A runfiles directory of symlinks (as Bazel makes it) is what the GNU and
# Python pipelines read; odptool reads the spec the Starlark rule writes.
#
# GNU filters, applied in order over the sorted listing (the seed applies
# them independently, which puts the interpreter's site-packages in two
# layers; in order is the cheaper, fairer variant):
#   interpreter  \.runfiles/.*python.*-.*/
#   packages     \.runfiles/.*/site-packages/.*
#   app          the rest
# each:  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -h \
#            -c -T LIST | gzip -n -6 > LAYER.tar.gz
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
scripts/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/odptool" ./tools/cmd/odptool

echo "load before: $(uptime)"
python3 - "$work" <<'PY'
import json, os, random, shutil, sys, sysconfig

work = sys.argv[1]
tree = os.path.join(work, "tree")            # sources (checkout + output base)
img = os.path.join(work, "img")              # Bazel-style runfiles symlink tree
svc = "task_builder"
stdlib = "/usr/lib/python3.11"
distpkgs = "/usr/lib/python3/dist-packages"
interp = "python_x86_64-unknown-linux-gnu"
rng = random.Random(1)

def copy(src, rel):
    shutil.copytree(src, os.path.join(tree, rel), symlinks=False, ignore_dangling_symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))

copy(stdlib, interp + "/lib/python3.11")
copy(distpkgs, interp + "/lib/python3.11/site-packages")
os.makedirs(os.path.join(tree, interp, "bin"))
shutil.copy("/usr/bin/python3.11", os.path.join(tree, interp, "bin", "python3"))
for pkg in ("pypi_numpy", "pypi_python_dateutil", "pypi_requests", "pypi_six", "deps_attrs"):
    copy(distpkgs, pkg + "/site-packages")
for v in ("v1", "v2", "v3"):
    copy(stdlib, "_main/" + svc + "/" + v)

def blobs(rel, n, lo, hi):
    d = os.path.join(tree, rel)
    os.makedirs(d, exist_ok=True)
    for i in range(n):
        with open(os.path.join(d, "blob%05d.bin" % i), "wb") as f:
            f.write(rng.randbytes(rng.randint(lo, hi)))

blobs("pypi_numpy/site-packages/numpy/core/blobs", 4000, 4 << 10, 32 << 10)
blobs("_main/" + svc + "/assets", 3500, 4 << 10, 32 << 10)
blobs("pypi_numpy/site-packages/numpy/libs", 12, 1 << 20, 4 << 20)

launcher = os.path.join(work, svc)
with open(launcher, "w") as f:
    f.write("#!/usr/bin/env python3\nPYTHON_BINARY = '%s/bin/python3'\n" % interp)
os.chmod(launcher, 0o755)

files, total = [], 0
for root, dirs, names in os.walk(tree):
    dirs.sort()
    for n in sorted(names):
        src = os.path.join(root, n)
        if not os.path.isfile(src) or os.path.islink(src):
            continue
        rpath = os.path.relpath(src, tree)
        files.append({"rpath": rpath, "src": src, "kind": "file"})
        total += os.path.getsize(src)
files.append({"rpath": "_main/" + svc + "/" + svc, "src": launcher, "kind": "file"})
spec = {"service": svc, "workspace": "_main", "launcher": launcher, "files": files}
with open(os.path.join(work, "spec.json"), "w") as f:
    json.dump(spec, f)

rf = os.path.join(img, svc, svc + ".runfiles")
for e in files:
    p = os.path.join(rf, e["rpath"])
    os.makedirs(os.path.dirname(p), exist_ok=True)
    os.symlink(e["src"], p)
os.symlink(launcher, os.path.join(img, svc, svc))
with open(os.path.join(img, svc, svc + ".runfiles_manifest"), "w") as f:
    for e in files:
        f.write("%s %s\n" % (e["rpath"], e["src"]))
print("runfiles tree: %d files, %.0f MB" % (len(files), total / 1e6))
if len(files) < 20000 or total < 300e6:
    sys.exit("tree too small for the benchmark")
PY

# The seed's three filters over the listing of the runfiles directory.
(cd "$work/img" && find task_builder \( -type f -o -type l \) | LC_ALL=C sort >"$work/all.list")
grep -E '\.runfiles/.*python.*-.*/' "$work/all.list" >"$work/interpreter.list"
grep -vE '\.runfiles/.*python.*-.*/' "$work/all.list" | grep -E '\.runfiles/.*/site-packages/.*' >"$work/packages.list"
grep -vE '\.runfiles/.*python.*-.*/' "$work/all.list" | grep -vE '\.runfiles/.*/site-packages/.*' >"$work/app.list"

cat >"$work/gnu.sh" <<'GNU'
#!/usr/bin/env bash
# The seed's pipeline, one layer after the other.
set -euo pipefail
work=$1 out=$2
for l in interpreter packages app; do
  tar -C "$work/img" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -h -c -T "$work/$l.list" \
    | gzip -n -6 >"$out/$l.tar.gz"
done
GNU
cat >"$work/gnu3.sh" <<'GNU3'
#!/usr/bin/env bash
# The same, the three layers at once (as Bazel runs independent actions).
set -euo pipefail
work=$1 out=$2
for l in interpreter packages app; do
  (tar -C "$work/img" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -h -c -T "$work/$l.list" \
    | gzip -n -6 >"$out/$l.tar.gz") &
done
wait
GNU3
cat >"$work/pytar.py" <<'PYTAR'
# A rules_pkg-style writer: Python tarfile through gzip with mtime 0.
import gzip, os, sys, tarfile
work, out = sys.argv[1], sys.argv[2]
for l in ("interpreter", "packages", "app"):
    with open(os.path.join(work, l + ".list")) as f:
        names = f.read().split("\n")[:-1]
    with gzip.GzipFile(os.path.join(out, l + ".tar.gz"), "wb", compresslevel=6, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT, dereference=True) as tar:
            for n in names:
                info = tar.gettarinfo(os.path.join(work, "img", n), arcname=n)
                info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                info.mode = 0o755 if info.mode & 0o100 else 0o644
                with open(os.path.join(work, "img", n), "rb") as src:
                    tar.addfile(info, src)
PYTAR
chmod +x "$work"/*.sh
for k in ours ours-tar gnu gnu3 tarfile; do mkdir -p "$work/out-$k"; done
ours() { # out ext
  echo "$work/odptool layer runfiles --spec $work/spec.json --interpreter-out $1/interpreter$2 --packages-out $1/packages$2 --app-out $1/app$2"
}

echo "load at start: $(uptime)"
hyperfine --style basic --runs "$runs" --warmup 1 --export-json "$work/bench.json" \
  -n odptool "$(ours "$work/out-ours" .tar.gz)" \
  -n odptool-uncompressed "$(ours "$work/out-ours-tar" .tar)" \
  -n gnu-pipeline "$work/gnu.sh $work $work/out-gnu" \
  -n gnu-pipeline-3-parallel "$work/gnu3.sh $work $work/out-gnu3" \
  -n python-tarfile "python3 $work/pytar.py $work $work/out-tarfile" >/dev/null
echo "load at end: $(uptime)"

size() { cat "$1"/*.tar* | wc -c; }
python3 - "$work/bench.json" "$(size "$work/out-ours")" "$(size "$work/out-gnu")" "$(size "$work/out-tarfile")" "$(size "$work/out-ours-tar")" <<'PY'
import json, statistics, sys
res = {r["command"]: statistics.median(r["times"]) for r in json.load(open(sys.argv[1]))["results"]}
so, sg, st, su = (int(x) for x in sys.argv[2:6])
o = res["odptool"]
for name, t in res.items():
    print(f"  {name:26s} median {t:7.2f} s   odptool speed-up {t / o:5.2f}x")
print(f"  output: odptool {so / 1e6:.1f} MB gzip ({su / 1e6:.1f} MB tar), GNU {sg / 1e6:.1f} MB, tarfile {st / 1e6:.1f} MB; "
      f"odptool/GNU size {so / sg:.3f}")
print(f"  gzip share of odptool's time: {(o - res['odptool-uncompressed']) / o:.0%} "
      f"(uncompressed run {res['odptool-uncompressed']:.2f} s)")
PY
