"""task_builder: the seed's Python workload, reduced to a smoke test."""

import sys

from examples.python.taskbuilder import greeting


def main():
    print(greeting.message())
    return 0


if __name__ == "__main__":
    sys.exit(main())
