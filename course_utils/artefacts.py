"""What a notebook leaves behind for measurement outside it: samples and metric values."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from course_utils.config import is_fast, mode_name
from course_utils.data.arrays import TANH_RANGE, ValueRange, to_uint8
from course_utils.metrics import FEATURE_NET_VERSION


def _atomic_write_bytes(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(payload)
    os.chmod(temp, 0o644)  # mkstemp creates 0600; these files are meant to be shared
    os.replace(temp, path)


def save_samples(images, folder: Path, value_range: ValueRange = TANH_RANGE,
                 name: str = "samples.npz") -> Path:
    """Save generated images as uint8 (N, H, W, C) in ``folder/name`` (key ``images``)."""
    pixels = np.asarray(images)
    if pixels.dtype != np.uint8:
        pixels = to_uint8(pixels, value_range)
    if pixels.ndim == 3:
        pixels = pixels[..., None]
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
    os.close(handle)
    np.savez_compressed(temp, images=pixels, fast_mode=np.array(is_fast()))
    os.chmod(temp, 0o644)
    os.replace(temp, path)
    print(f"Saved {len(pixels):,} samples to {path}")
    return path


def load_samples(path: Path) -> np.ndarray:
    """Read samples written by :func:`save_samples` (uint8 NHWC)."""
    with np.load(path) as archive:
        return archive["images"]


def write_metrics(folder: Path, values: dict, name: str = "metrics.json") -> Path:
    """Write ``values`` (name → number) to ``folder/metrics.json``; the first key is the headline.

    The file is replaced, not merged: each notebook writes its numbers in one call, and a key
    that a newer version of the notebook no longer measures must not survive from an older run.
    """
    path = Path(folder) / name
    current = {key: (float(value) if isinstance(value, int | float | np.number) else value)
               for key, value in values.items()}
    current["mode"] = mode_name()
    # which meter measured any FD here: numbers from two versions of it are not comparable
    current["meter_version"] = FEATURE_NET_VERSION
    keras = sys.modules.get("keras")
    if keras is not None:  # which precision produced these numbers (setup(mixed_precision=...))
        current["precision"] = keras.mixed_precision.global_policy().name
    _atomic_write_bytes(path, json.dumps(current, indent=2).encode())
    return path


class MeasurementCache:
    """Slow measurements kept on disk, so a rerun after an interruption skips the finished ones.

    Values are stored under string keys in ``path`` (JSON) together with a ``signature`` of what
    was measured (for example the number of training updates). A different signature means the
    model changed: the old values are dropped rather than reused.
    """

    def __init__(self, path: Path, signature: str):
        self.path, self.signature = Path(path), str(signature)
        saved = json.loads(self.path.read_text()) if self.path.is_file() else {}
        self.values: dict = saved.get("values", {}) if saved.get("signature") == self.signature else {}

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def get(self, key: str):
        """The stored value for ``key`` (``None`` if it was not measured yet)."""
        return self.values.get(key)

    def put(self, key: str, value) -> None:
        """Store ``value`` (JSON-serialisable) and write the file at once."""
        self.values[key] = value
        payload = {"signature": self.signature, "values": self.values}
        _atomic_write_bytes(self.path, json.dumps(payload, indent=1).encode())

    def measure(self, key: str, compute):
        """``compute()`` unless ``key`` is stored already; the result is stored either way."""
        if key not in self.values:
            self.put(key, compute())
        return self.values[key]
