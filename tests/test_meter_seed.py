"""The meter (the feature network behind every FD) is the same network in every run.

It is trained from a seed of its own, and afterwards the caller's random streams continue from a
number drawn before it, so a notebook that trains the meter and one that loads it from the cache
go on with the same random numbers: a model trained next starts the same either way.
"""

from __future__ import annotations

import random

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import data, metrics


@pytest.fixture(scope="module")
def fashion():
    return data.load("fashion_mnist", verbose=False)


def _meter_then_draws(fashion, folder, monkeypatch, caller_seed=5):
    """Weights of the meter found or trained in ``folder``, then the caller's next draws: Python,
    NumPy, TensorFlow, and the initial weights of a layer built next."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    keras.utils.set_random_seed(caller_seed)  # the caller's state before it asks for the meter
    net = metrics.feature_net(fashion, verbose=False)
    layer = keras.layers.Dense(4)
    layer.build((None, 3))
    draws = [np.array([random.random()]), np.random.rand(3), tf.random.uniform((3,)).numpy(),
             keras.ops.convert_to_numpy(layer.kernel)]
    return net.model.get_weights(), draws


def test_the_meter_is_one_network_whatever_ran_before_and_the_cache_changes_no_later_draw(
        fashion, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    trained, draws_trained = _meter_then_draws(fashion, tmp_path / "a", monkeypatch)
    cached, draws_cached = _meter_then_draws(fashion, tmp_path / "a", monkeypatch)
    assert list((tmp_path / "a" / "classifiers").glob("*.keras")), "the first call caches the meter"
    # another caller, in another state, trains the same network
    retrained, _ = _meter_then_draws(fashion, tmp_path / "b", monkeypatch, caller_seed=6)
    for weights in (cached, retrained):
        for mine, theirs in zip(trained, weights, strict=True):
            np.testing.assert_array_equal(mine, theirs)
    for mine, theirs in zip(draws_trained, draws_cached, strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_the_draws_after_the_meter_follow_from_the_callers_seed(fashion, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    after = []
    for seed in (5, 6):
        keras.utils.set_random_seed(seed)
        metrics.feature_net(fashion, verbose=False)
        after.append(np.random.rand(3))
    assert not np.array_equal(*after), "the meter's own seed must not replace the caller's"
