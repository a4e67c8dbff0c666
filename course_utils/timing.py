"""Training time that survives resumed runs: per-epoch seconds written by ``fit_resumable``.

No TensorFlow import here, so tools can read the times without starting TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

EPOCH_SECONDS_FILE = "epoch_seconds.csv"


def training_seconds(folder: Path) -> float:
    """Total seconds of every epoch recorded under ``folder`` (any depth), across resumed runs."""
    total = 0.0
    for path in sorted(Path(folder).rglob(EPOCH_SECONDS_FILE)):
        for line in path.read_text().splitlines()[1:]:
            if line.strip():
                total += float(line.split(",")[1])
    return total


def seconds_of_epochs(folder: Path, epochs: int) -> float | None:
    """Seconds of training epochs 1 … ``epochs`` of the run recorded under ``folder``.

    Reads the per-epoch rows of ``fit_resumable``'s timer (an epoch trained twice, before and
    after an interruption, counts once: its last row). ``None`` when an epoch has no row.
    """
    seconds: dict[int, float] = {}
    for path in sorted(Path(folder).rglob(EPOCH_SECONDS_FILE)):
        for line in path.read_text().splitlines()[1:]:
            if line.strip():
                epoch, value = line.split(",")[:2]
                seconds[int(epoch)] = float(value)
    if any(epoch not in seconds for epoch in range(1, epochs + 1)):
        return None
    return sum(seconds[epoch] for epoch in range(1, epochs + 1))
