"""Fetch every dataset the course uses into the cache, so the notebooks later run offline.

    python -m course_utils.prefetch            # all datasets
    python -m course_utils.prefetch mnist      # only some
"""

from __future__ import annotations

import sys

from course_utils.data import DataError, dataset_names, load


def main(names: list[str]) -> int:
    """Load each named dataset once (downloading into the cache if needed); report failures."""
    failures = 0
    for name in names or dataset_names():
        try:
            load(name)
        except DataError as error:
            failures += 1
            print(f"✗ {name}: {error}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
