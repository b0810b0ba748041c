"""task_builder for e2e/python: prints what run_test.sh checks in the container."""

import json
import os
import sys

import six

from task_builder import greeting


def runfile(rpath):
    """Resolves a runfiles path through the manifest the launcher exports."""
    manifest = os.environ.get("RUNFILES_MANIFEST_FILE")
    if manifest:
        with open(manifest) as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition(" ")
                if key == rpath:
                    return value
        raise KeyError("%s is not in %s" % (rpath, manifest))
    return os.path.join(os.environ["RUNFILES_DIR"], rpath)


def main():
    print(greeting.message())
    print("prefix " + sys.prefix)
    print("six " + os.path.dirname(six.__file__))
    print("manifest " + os.environ.get("RUNFILES_MANIFEST_FILE", ""))
    for rpath in ("python_e2e/task_builder/config/settings.json", "root_settings.json"):
        path = runfile(rpath)
        with open(path) as f:
            print("runfile %s %s %s" % (rpath, path, json.load(f)["name"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
