"""Runs greeting.message() under Bazel's Python toolchain (the stand-in)."""

import sys
import unittest

from examples.python.taskbuilder import greeting


class GreetingTest(unittest.TestCase):
    def test_message(self):
        line = greeting.message()
        self.assertIn("task_builder ok", line)
        self.assertIn("six 1.16.0", line)
        # The toolchain's interpreter repository, not the machine's Python.
        self.assertTrue(sys.prefix.endswith("/python_x86_64-unknown-linux-gnu"), sys.prefix)
        self.assertIn("/pypi_six/site-packages", line)


if __name__ == "__main__":
    unittest.main()
