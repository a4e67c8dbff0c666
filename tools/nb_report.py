"""pytest plugin: a per-notebook table at the end of the session (time, result, cells, metric).

Registered from the root ``conftest.py`` (``pytest_plugins = ["nb_report"]``; ``tools/`` is on the
pytest ``pythonpath``). It reads nbval's items — one per notebook cell, node ids such as
``notebooks/05_dcgan_fashion_mnist.ipynb::Cell 3`` — and prints, for every notebook that ran:

* time: wall time from the first cell's set-up (which starts the kernel) to the last cell's tear-down;
  in fast mode a time over the 90 s budget of CONTRIBUTING.md is flagged with "!";
* result: FAIL if any cell failed (or the kernel did not start), PASS if cells passed, else SKIP;
* cells: passed / collected;
* metric: the first entry of ``artefacts/[fast/]<stem>/metrics.json`` (a flat JSON object name → number)
  if the notebook wrote one, "–" otherwise; "(old)" marks a file not rewritten during this run; for
  ``fd`` beside ``fd_untrained``, also their ratio, the number fast mode's learning check bounds.

It also registers the markers ``browser`` and ``slow`` used by the tests.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from course_utils.config import is_fast, storage_root

FAST_BUDGET_S = 90.0


@dataclass
class NotebookRun:
    """What the session saw of one notebook."""

    path: str
    started_wall: float = 0.0  # time.time() at the first cell's set-up
    started: float = 0.0  # time.monotonic() at the first cell's set-up
    finished: float = 0.0
    cells: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    broken: bool = False  # a set-up or tear-down error (e.g. the kernel did not start)

    @property
    def seconds(self) -> float:
        return max(0.0, self.finished - self.started)

    @property
    def result(self) -> str:
        if self.failed or self.broken:
            return "FAIL"
        return "PASS" if self.passed else "SKIP"


def notebook_of(nodeid: str) -> str | None:
    """The notebook path of an nbval node id, or None for any other test."""
    path = nodeid.split("::", 1)[0]
    return path if path.endswith(".ipynb") else None


def format_number(value) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def read_metric(root: Path, notebook: str, since: float | None = None) -> str:
    """``name=value`` of the first entry of the notebook's ``metrics.json``, or "–".

    Fast runs write to ``artefacts/fast/<stem>/``, full runs to ``artefacts/<stem>/``.
    """
    folder = root / "artefacts" / ("fast" if is_fast() else "")
    path = folder / Path(notebook).stem / "metrics.json"
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "–"
    if not isinstance(metrics, dict) or not metrics:
        return "–"
    name, value = next(iter(metrics.items()))
    text = f"{name}={format_number(value)}"
    untrained = metrics.get("fd_untrained")
    if name == "fd" and isinstance(value, int | float) and isinstance(untrained, int | float) and untrained:
        text += f" ({value / untrained:.3f} of untrained)"  # what fast mode's check bounds
    if since is not None and path.stat().st_mtime < since - 1:
        text += " (old)"
    return text


def format_table(runs: list[NotebookRun], root: Path, fast: bool) -> list[str]:
    """The table's lines (header, one row per notebook, total)."""
    header = ("notebook", "fast time" if fast else "time", "result", "cells", "metric")
    rows = []
    for run in runs:
        flag = " !" if fast and run.seconds > FAST_BUDGET_S else ""
        rows.append((
            Path(run.path).name,
            f"{run.seconds:.1f} s{flag}",
            run.result,
            f"{run.passed}/{run.cells}",
            read_metric(root, run.path, run.started_wall or None),
        ))
    failed = sum(run.result == "FAIL" for run in runs)
    total = sum(run.seconds for run in runs)
    summary = f"{failed} FAIL" if failed else "all PASS"
    rows.append((f"{len(runs)} notebooks", f"{total:.1f} s", summary, "", ""))
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]

    def line(row) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()

    lines = [line(header), line(["-" * width for width in widths])]
    lines += [line(row) for row in rows[:-1]]
    lines += [line(["-" * width for width in widths]), line(rows[-1])]
    if fast and any(run.seconds > FAST_BUDGET_S for run in runs):
        lines.append(f"! over the fast-mode budget of {FAST_BUDGET_S:.0f} s (CONTRIBUTING.md)")
    return lines


class NotebookReport:
    """Collects nbval results during the session and prints the table at its end."""

    def __init__(self, root: Path):
        self.root = root
        self.runs: dict[str, NotebookRun] = {}
        self.collected: set[str] = set()  # node ids reported by pytest-xdist's workers

    def _run(self, nodeid: str, location=None) -> NotebookRun | None:
        notebook = notebook_of(location[0]) if location else None
        notebook = notebook or notebook_of(nodeid)
        if notebook is None:
            return None
        if notebook not in self.runs:
            self.runs[notebook] = NotebookRun(notebook)
        return self.runs[notebook]

    def pytest_collection_modifyitems(self, items) -> None:
        for item in items:
            run = self._run(item.nodeid, item.location)
            if run is not None:
                run.cells += 1

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        """With pytest-xdist the workers collect; every worker reports the same ids, counted once."""
        for nodeid in ids:
            if nodeid not in self.collected:
                self.collected.add(nodeid)
                run = self._run(nodeid)
                if run is not None:
                    run.cells += 1

    def pytest_runtest_logstart(self, nodeid, location) -> None:
        run = self._run(nodeid, location)
        if run is not None and not run.started:
            run.started, run.started_wall = time.monotonic(), time.time()

    def pytest_runtest_logfinish(self, nodeid, location) -> None:
        run = self._run(nodeid, location)
        if run is not None:
            run.finished = time.monotonic()

    def pytest_runtest_logreport(self, report) -> None:
        run = self._run(report.nodeid, report.location)
        if run is None:
            return
        if report.when == "call":
            if report.passed:
                run.passed += 1
            elif report.failed:
                run.failed += 1
            else:
                run.skipped += 1
        elif report.failed:
            run.broken = True
        elif report.when == "setup" and report.skipped:
            run.skipped += 1

    def pytest_terminal_summary(self, terminalreporter) -> None:
        runs = [run for run in self.runs.values() if run.started]
        if not runs:
            return
        fast = is_fast()
        title = "notebooks (fast mode, COURSE_FAST=1)" if fast else "notebooks (full mode)"
        terminalreporter.write_sep("=", title)
        for line in format_table(runs, self.root, fast):
            terminalreporter.write_line(line)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives JupyterLab in headless Chromium (Playwright)")
    config.addinivalue_line("markers", "slow: takes minutes (e.g. installs TensorFlow into a fresh venv)")
    if not config.pluginmanager.has_plugin("nb_report_collector"):
        # the notebooks write their artefacts under $COURSE_STORAGE when it is set
        config.pluginmanager.register(NotebookReport(storage_root()), "nb_report_collector")
