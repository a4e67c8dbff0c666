"""Test-wide settings: notebooks run in fast mode with TensorFlow's logs quieted."""

import os

pytest_plugins = ["nb_report"]  # tools/nb_report.py: per-notebook table at the end of the run

os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_collection_modifyitems(session, config, items):
    """nbval: never compare stderr (library warnings differ between machines)."""
    for item in items:
        notebook = getattr(item, "parent", None)
        skips = getattr(notebook, "skip_compare", None)
        if skips is not None and "stderr" not in skips:
            notebook.skip_compare = (*skips, "stderr")
