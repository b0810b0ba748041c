"""The status line of task_builder. run_test.sh edits EDITION to change the app."""

import os
import sys

import six

EDITION = "1"


def message():
    if sys.prefix in ("/usr", "/usr/local"):
        raise RuntimeError("running on the system Python (sys.prefix %s), not the runfiles' interpreter" % sys.prefix)
    return "task_builder ok: edition %s, python %d.%d.%d, six %s" % (
        (EDITION,) + tuple(sys.version_info[:3]) + (six.__version__,)
    )
