"""Training time that survives resumed runs: per-epoch seconds written by ``fit_resumable``.

Each row also keeps the machine's 1-minute load average at the end of the epoch, so a time
measured while other jobs shared the cores can be told from one measured on a quiet machine.
No TensorFlow import here, so tools can read the times without starting TensorFlow.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

EPOCH_SECONDS_FILE = "epoch_seconds.csv"


def training_seconds(folder: Path) -> float:
    """Total seconds of every epoch recorded under ``folder`` (any depth), across resumed runs."""
    return sum(seconds for _, seconds, _ in _epoch_rows(folder))


def machine_load() -> float:
    """The 1-minute load average now (``nan`` where the system does not report one)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return math.nan


def _epoch_rows(folder: Path) -> list[tuple[int, float, float]]:
    """(epoch, seconds, load) of every row of every timer file under ``folder``, in file order.

    Rows written before the load was recorded have ``nan`` as their load.
    """
    rows = []
    for path in sorted(Path(folder).rglob(EPOCH_SECONDS_FILE)):
        for line in path.read_text().splitlines()[1:]:
            if line.strip():
                fields = line.split(",")
                load = float(fields[2]) if len(fields) > 2 and fields[2].strip() else math.nan
                rows.append((int(fields[0]), float(fields[1]), load))
    return rows


def _last_row_of_each_epoch(folder: Path) -> dict[int, tuple[float, float]]:
    """{epoch: (seconds, load)}; an epoch trained twice (before and after a resume) keeps its last row."""
    return {epoch: (seconds, load) for epoch, seconds, load in _epoch_rows(folder)}


def mean_load(folder: Path, epochs: int | None = None) -> float:
    """Mean load average at the end of the epochs recorded under ``folder`` (``nan`` if none).

    With ``epochs``, only epochs 1 … ``epochs`` count (the last row of an epoch trained twice).
    Compare it with ``os.cpu_count()``: above that, the seconds include waiting for other jobs.
    """
    if epochs is not None:
        last = _last_row_of_each_epoch(folder)
        loads = [last[epoch][1] for epoch in range(1, epochs + 1) if epoch in last]
    else:
        loads = [load for _, _, load in _epoch_rows(folder)]
    loads = [load for load in loads if not math.isnan(load)]
    return sum(loads) / len(loads) if loads else math.nan


def seconds_of_epochs(folder: Path, epochs: int) -> float | None:
    """Seconds of training epochs 1 … ``epochs`` of the run recorded under ``folder``.

    Reads the per-epoch rows of ``fit_resumable``'s timer (an epoch trained twice, before and
    after an interruption, counts once: its last row). ``None`` when an epoch has no row.
    """
    last = _last_row_of_each_epoch(folder)
    if any(epoch not in last for epoch in range(1, epochs + 1)):
        return None
    return sum(last[epoch][0] for epoch in range(1, epochs + 1))
