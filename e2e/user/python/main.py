"""Prints what the image test checks: where it runs and what it imports."""

import os
import sys

import six

print("user python ok")
print("main " + os.path.realpath(sys.argv[0]))
print("six " + os.path.dirname(six.__file__))
print("interpreter " + sys.prefix)
