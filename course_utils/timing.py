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
