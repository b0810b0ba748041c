"""Checks of e2e/python/run_test.sh on a built odp_python_image.

  check_image.py layers LAYOUT INTERPRETER.tar PACKAGES.tar APP.tar
      The image's last three layers are these tars, in this order; their
      entries partition /task_builder/ as the seed says (interpreter only
      under the interpreter repository, packages only under pypi_*
      repositories, app everything else); the in-image runfiles manifest
      maps every runfile to a file of the image.
  check_image.py blobs LAYOUT
      Prints the path of every layer blob of the image, base first.
  check_image.py digests INTERPRETER.tar PACKAGES.tar APP.tar
      Prints "NAME sha256:..." per layer.

Prints one "check_image.py: PASS ..." line per check; on a failure prints
"check_image.py: FAIL ..." and exits 1.
"""

import hashlib
import json
import os
import re
import sys
import tarfile

SERVICE = "task_builder"
WORKSPACE = "python_e2e"
INTERPRETER = "python_x86_64-unknown-linux-gnu"
RUNFILES = SERVICE + "/" + SERVICE + ".runfiles"
# Parent directories every layer may repeat (same metadata in each).
SHARED_DIRS = {SERVICE, RUNFILES}

failures = []


def check(ok, what):
    if ok:
        print("check_image.py: PASS " + what)
    else:
        print("check_image.py: FAIL " + what)
        failures.append(what)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def blob(layout, digest):
    return os.path.join(layout, "blobs", *digest.split(":"))


def image(layout):
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    manifests = index["manifests"]
    if len(manifests) != 1:
        sys.exit("check_image.py: %s: want one manifest in index.json, got %d" % (layout, len(manifests)))
    with open(blob(layout, manifests[0]["digest"])) as f:
        manifest = json.load(f)
    with open(blob(layout, manifest["config"]["digest"])) as f:
        config = json.load(f)
    return manifest, config


def entries(path):
    """Maps each entry name (no trailing slash) to its tar member."""
    out = {}
    with tarfile.open(path) as t:
        for m in t.getmembers():
            name = m.name.rstrip("/")
            if name in out:
                check(False, "%s: %s is in the layer once" % (path, name))
            out[name] = m
    return out


def under(name, prefix):
    return name == prefix or name.startswith(prefix + "/")


def check_layers(layout, interp_tar, pkgs_tar, app_tar):
    manifest, config = image(layout)
    tars = [interp_tar, pkgs_tar, app_tar]
    want = [sha256(t) for t in tars]
    diff_ids = config["rootfs"]["diff_ids"]
    check(diff_ids[-3:] == want, "the image's last three layers are interpreter, packages, app (diff_ids %s)" % diff_ids[-3:])
    check(len(diff_ids) > 3, "the image has the base's layers below them (%d layers)" % len(diff_ids))
    entrypoint = config.get("config", {}).get("Entrypoint")
    check(entrypoint == ["/%s/%s" % (SERVICE, SERVICE)], "entrypoint is /%s/%s (got %s)" % (SERVICE, SERVICE, entrypoint))

    interp, pkgs, app = entries(interp_tar), entries(pkgs_tar), entries(app_tar)
    interp_root = RUNFILES + "/" + INTERPRETER
    pkg_re = re.compile("^" + re.escape(RUNFILES) + "/pypi_[a-z0-9_]+(/|$)")

    def bad(layer, pred):
        return sorted(n for n in layer if n not in SHARED_DIRS and not pred(n))

    stray = bad(interp, lambda n: under(n, interp_root))
    check(not stray, "interpreter layer: only %s/** (stray: %s)" % (interp_root, stray[:5]))
    stray = bad(pkgs, lambda n: pkg_re.match(n))
    check(not stray, "packages layer: only %s/pypi_*/** (stray: %s)" % (RUNFILES, stray[:5]))
    stray = bad(app, lambda n: under(n, SERVICE) and not under(n, interp_root) and not pkg_re.match(n))
    check(not stray, "app layer: everything else under /%s/, nothing of the other two (stray: %s)" % (SERVICE, stray[:5]))

    for layer, name, wanted in [
        (interp, "interpreter", [interp_root + "/bin/python3", interp_root + "/lib/python3.11/os.py", interp_root + "/lib/python3.11/shutil.py"]),
        (pkgs, "packages", [RUNFILES + "/pypi_six/site-packages/six.py"]),
        (app, "app", [
            SERVICE + "/" + SERVICE,
            SERVICE + "/" + SERVICE + ".runfiles_manifest",
            RUNFILES + "/MANIFEST",
            RUNFILES + "/%s/task_builder/main.py" % WORKSPACE,
            RUNFILES + "/%s/task_builder/greeting.py" % WORKSPACE,
            RUNFILES + "/%s/task_builder/config/settings.json" % WORKSPACE,
            RUNFILES + "/root_settings.json",
        ]),
    ]:
        missing = [w for w in wanted if w not in layer]
        check(not missing, "%s layer holds %s (missing: %s)" % (name, ", ".join(os.path.basename(w) for w in wanted), missing))

    # No path is in two layers, but for the shared parent directories.
    seen = {}
    dup = []
    for name, layer in (("interpreter", interp), ("packages", pkgs), ("app", app)):
        for n, m in layer.items():
            if n in seen and not (n in SHARED_DIRS and m.isdir()):
                dup.append("%s (%s and %s)" % (n, seen[n], name))
            seen[n] = name
    check(not dup, "no path in two layers (%s)" % dup[:5])

    launcher = app[SERVICE + "/" + SERVICE]
    check(launcher.isfile() and launcher.mode & 0o111 == 0o111, "the launcher is an executable file (mode %o)" % launcher.mode)

    # The in-image manifest maps every runfile to its in-image path, and
    # that path is a file of one of the three layers.
    with tarfile.open(app_tar) as t:
        text = t.extractfile(RUNFILES + "/MANIFEST").read().decode()
    lines = text.splitlines()
    wrong = []
    for line in lines:
        rpath, _, target = line.partition(" ")
        if target != "/%s/%s" % (RUNFILES, rpath):
            wrong.append(line)
            continue
        name = target[1:]
        m = interp.get(name) or pkgs.get(name) or app.get(name)
        if m is None or not (m.isfile() or m.islnk()):
            wrong.append(line)
    check(lines and not wrong, "MANIFEST: %d runfiles, each /%s/<rpath>, each a file of the image (wrong: %s)" % (len(lines), RUNFILES, wrong[:5]))
    check(any(l.startswith("root_settings.json ") for l in lines), "MANIFEST names the root symlink root_settings.json")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "layers" and len(args) == 4:
        check_layers(*args)
    elif cmd == "blobs" and len(args) == 1:
        manifest, _ = image(args[0])
        for layer in manifest["layers"]:
            print(blob(args[0], layer["digest"]))
    elif cmd == "digests" and len(args) == 3:
        for name, path in zip(("interpreter", "packages", "app"), args):
            print(name, sha256(path))
    else:
        sys.exit(__doc__)
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
