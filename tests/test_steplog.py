"""StepLog: one row per optimizer step from inside a compiled train_step, kept across resumes."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils.steplog import StepLog

STEPS_PER_EPOCH, EPOCHS = 8, 3


class Counter(keras.Model):
    """Each step logs a value known in advance (the batch's first number) and its mean."""

    def __init__(self, log):
        super().__init__()
        self.weight = keras.Variable(0.0)
        self.opt = keras.optimizers.SGD(0.0)
        self.opt.build([self.weight])
        self.log = log
        self.tracker = keras.metrics.Mean(name="value")

    @property
    def metrics(self):
        return [self.tracker]

    def train_step(self, batch):
        value = batch[0] + 0.0 * self.weight
        self.log.record(self.opt.iterations, {"value": value, "double": 2 * value})
        self.opt.apply([tf.zeros(())], [self.weight])  # counts the step
        self.tracker.update_state(value)
        return {"value": self.tracker.result()}


def batches():
    values = np.arange(STEPS_PER_EPOCH * EPOCHS, dtype=np.float32)
    return tf.data.Dataset.from_tensor_slices(values).batch(1)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_every_step_is_recorded_through_steps_per_execution_and_xla(jit_compile):
    log = StepLog(["value", "double"], capacity=STEPS_PER_EPOCH * EPOCHS)
    model = Counter(log)
    model.compile(steps_per_execution=4, jit_compile=jit_compile)
    history = model.fit(batches(), epochs=EPOCHS, steps_per_epoch=STEPS_PER_EPOCH, verbose=0)
    values = log.series("value")
    np.testing.assert_array_equal(values, np.arange(STEPS_PER_EPOCH * EPOCHS))  # every step, in order
    np.testing.assert_array_equal(log.series("double"), 2 * values)
    epoch_means = values.reshape(EPOCHS, STEPS_PER_EPOCH).mean(axis=1)
    np.testing.assert_allclose(epoch_means, history.history["value"])  # what the tracker averaged
    assert log.recorded_steps() == STEPS_PER_EPOCH * EPOCHS


def test_steps_past_the_capacity_are_dropped_and_unrecorded_steps_are_nan():
    log = StepLog(["value", "double"], capacity=5)
    model = Counter(log)
    model.compile(steps_per_execution=1)
    model.fit(batches(), epochs=1, steps_per_epoch=8, verbose=0)
    np.testing.assert_array_equal(log.series("value"), np.arange(5))
    fresh = StepLog(["value"], capacity=3)
    assert fresh.recorded_steps() == 0 and np.isnan(fresh.series("value")).all()
    with pytest.raises(ValueError, match="capacity"):
        StepLog(["value"], capacity=0)


def test_a_resumed_run_keeps_the_rows_saved_by_its_earlier_part(tmp_path):
    path = tmp_path / "run" / "step_log.npz"
    first = StepLog(["value", "double"], capacity=STEPS_PER_EPOCH * EPOCHS, path=path)
    model = Counter(first)
    model.compile(steps_per_execution=4)
    model.fit(batches(), epochs=1, steps_per_epoch=STEPS_PER_EPOCH, verbose=0, callbacks=[first.callback()])
    assert path.is_file()

    second = StepLog(["value", "double"], capacity=STEPS_PER_EPOCH * EPOCHS, path=path)
    assert second.recorded_steps() == STEPS_PER_EPOCH
    np.testing.assert_array_equal(second.series("value")[:STEPS_PER_EPOCH], np.arange(STEPS_PER_EPOCH))
    # a log of other quantities does not adopt the saved rows
    assert StepLog(["something else"], capacity=4, path=path).recorded_steps() == 0
