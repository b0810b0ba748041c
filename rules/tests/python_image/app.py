"""A py_binary for the analysis tests of python_layers; never run."""

import six

print(six.__version__)
