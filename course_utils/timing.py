"""Training time that survives resumed runs: per-epoch seconds written by ``fit_resumable``.

No TensorFlow import here, so tools can read the times without starting TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

EPOCH_SECONDS_FILE = "epoch_seconds.csv"


def training_seconds(folder: Path) -> float:
    """Total seconds of every epoch recorded under ``folder`` (any depth), across resumed runs."""
    return sum(seconds for _, seconds in _epoch_rows(folder))


def _epoch_rows(folder: Path) -> list[tuple[int, float]]:
    """(epoch, seconds) of every row of every timer file under ``folder``, in file order."""
    rows = []
    for path in sorted(Path(folder).rglob(EPOCH_SECONDS_FILE)):
        for line in path.read_text().splitlines()[1:]:
            if line.strip():
                epoch, seconds = line.split(",")[:2]
                rows.append((int(epoch), float(seconds)))
    return rows


def seconds_of_epochs(folder: Path, epochs: int) -> float | None:
    """Seconds of training epochs 1 … ``epochs`` of the run recorded under ``folder``.

    Reads the per-epoch rows of ``fit_resumable``'s timer (an epoch trained twice, before and
    after an interruption, counts once: its last row). ``None`` when an epoch has no row.
    """
    seconds = dict(_epoch_rows(folder))  # a later row of the same epoch replaces the earlier
    if any(epoch not in seconds for epoch in range(1, epochs + 1)):
        return None
    return sum(seconds[epoch] for epoch in range(1, epochs + 1))
