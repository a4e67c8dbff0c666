"""Values of every training step, logged from inside a compiled ``train_step``.

Keras metrics trackers average over an epoch, and with ``steps_per_execution`` callbacks see only
one step in every block, so neither shows how a quantity moves from one step to the next.
:class:`StepLog` keeps one row per optimizer step in a variable that the compiled step writes
into (XLA included), and saves it to a file at each epoch's end so a resumed run keeps the rows
of its earlier parts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


class StepLog:
    """A table of ``names`` × ``capacity`` steps, filled by :meth:`record` inside ``train_step``.

    Rows of steps that were never recorded hold ``nan``; steps beyond ``capacity`` go to one
    spare row that is never read, so a longer run cannot fail or overwrite recorded steps.
    """

    def __init__(self, names, capacity: int, path: Path | None = None):
        import tensorflow as tf

        if capacity < 1:
            raise ValueError(f"StepLog needs a capacity of at least 1 step, got {capacity}.")
        self.names, self.capacity = tuple(names), int(capacity)
        self.path = None if path is None else Path(path)
        rows = np.full((self.capacity + 1, len(self.names)), np.nan, np.float32)
        saved = self._load()
        if saved is not None:
            rows[: len(saved)] = saved
        self.table = tf.Variable(rows, trainable=False, name="step_log")

    def _load(self) -> np.ndarray | None:
        if self.path is None or not self.path.is_file():
            return None
        with np.load(self.path) as saved:
            if tuple(saved["names"]) != self.names:
                return None  # another quantity was logged then: start afresh
            return saved["rows"][: self.capacity]

    def record(self, step, values: dict) -> None:
        """Write ``values`` (one scalar per name) as the row of optimizer step ``step`` (from 0)."""
        import tensorflow as tf

        index = tf.minimum(tf.cast(step, tf.int32), self.capacity)  # the spare row past the end
        row = tf.stack([tf.cast(values[name], tf.float32) for name in self.names])
        self.table.scatter_nd_update(tf.reshape(index, (1, 1)), row[None])

    def save(self) -> None:
        """Write the recorded rows to ``path`` (no-op without a path)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(self.path, names=np.array(self.names), rows=self.rows_array())

    def rows_array(self) -> np.ndarray:
        """The ``capacity`` × ``len(names)`` table, ``nan`` where no step was recorded."""
        return self.table.numpy()[: self.capacity]

    def series(self, name: str) -> np.ndarray:
        """One logged quantity, one value per step."""
        return self.rows_array()[:, self.names.index(name)]

    def recorded_steps(self) -> int:
        """How many steps have a row (every logged value finite or not, but written)."""
        return int(np.sum(~np.isnan(self.rows_array()).all(axis=1)))

    def callback(self):
        """A Keras callback that saves the table at the end of every epoch."""
        import keras

        log = self

        class SaveStepLog(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                log.save()

        return SaveStepLog()
