"""The line task_builder prints, and the checks behind it."""

import os
import sys

import six


def message():
    """Returns the status line, or raises if the interpreter is not hermetic.

    The image's base has its own python3 (the launcher stub's shebang needs
    one); the app must run on the interpreter of its runfiles instead, whose
    sys.prefix is the interpreter repository's directory.
    """
    if sys.prefix in ("/usr", "/usr/local"):
        raise RuntimeError("running on the system Python (sys.prefix %s), not the runfiles' interpreter" % sys.prefix)
    if not os.path.isfile(os.path.join(sys.prefix, "lib", "python%d.%d" % sys.version_info[:2], "os.py")):
        raise RuntimeError("sys.prefix %s holds no standard library" % sys.prefix)
    return "task_builder ok: python %s at %s, six %s from %s" % (
        "%d.%d.%d" % sys.version_info[:3],
        sys.prefix,
        six.__version__,
        os.path.dirname(six.__file__),
    )
