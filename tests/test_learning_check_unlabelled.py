"""The learning check has teeth on unlabelled data too (notebook 06's emoji, shapes or a folder).

Without classes the meter is the rotation feature network and coverage is measured on k-means
clusters of the real images' features. The same kinds of broken generator as in
``test_learning_check.py`` must fail the full-mode check here, and real images must pass it.
The data is the synthetic shapes stand-in (it needs no font and no network); the meter is fast
mode's, the weaker one.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import baselines, data, metrics

FULL = metrics.CheckBounds(fd_ratio=0.35, share_floor=0.3, share_ceiling=2.5, roughness=1.5,
                           baseline_ratio=0.5)  # the full-mode bounds (test_learning_check.py)
N = 700


@pytest.fixture(scope="module")
def shapes():
    return data.load("shapes", verbose=False)


@pytest.fixture(scope="module")
def meter(shapes):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_FAST", "1")  # fast mode's rotation network: the weaker meter
        return metrics.QualityMeter(shapes, verbose=False)


@pytest.fixture(scope="module")
def real(shapes):
    """Real images outside the meter's reference set (which is the first 1,000 training images)."""
    return shapes.images("train")[1000:1000 + N]


@pytest.fixture(scope="module")
def untrained(shapes):
    """Notebook 06's kind of generator (transposed convolutions, N(0, 0.02) weights), untrained."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    init = keras.initializers.RandomNormal(stddev=0.02)
    z = keras.Input((100,))
    x = layers.Reshape((4, 4, 128))(layers.Dense(4 * 4 * 128, kernel_initializer=init)(z))
    for filters in (64, 32, 16):
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", kernel_initializer=init)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    image = layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh",
                                   kernel_initializer=init)(x)
    latents = np.random.default_rng(0).normal(size=(N, 100)).astype("float32")
    return keras.Model(z, image).predict(latents, verbose=0)


@pytest.fixture(scope="module")
def baseline(shapes):
    return baselines.fitted_samples(shapes, N, limit=1000)


def _fakes(meter, shapes, real, untrained):
    train = shapes.images("train")
    bins = meter.bins(train)
    commonest = np.bincount(bins).argmax()
    rng = np.random.default_rng(1)
    return {
        "untrained generator": untrained,
        "one image repeated": np.repeat(train[:1], N, axis=0),
        "one cluster only": train[bins == commonest][:N],
        "the mean image": np.repeat(train.mean(axis=0, keepdims=True), N, axis=0),
        "real images + N(0, 0.5) noise": np.clip(real + rng.normal(0, 0.5, real.shape), -1, 1
                                                 ).astype("float32"),
    }


def test_real_images_pass(meter, real, untrained, baseline):
    check = metrics.learning_check(meter, real, untrained, baseline, FULL, name="real shapes")
    assert check.passed, check.table()
    assert "cluster" in check.table()


@pytest.mark.parametrize("fake", ["untrained generator", "one image repeated", "one cluster only",
                                  "the mean image", "real images + N(0, 0.5) noise"])
def test_bad_generators_fail(meter, shapes, real, untrained, baseline, fake):
    samples = _fakes(meter, shapes, real, untrained)[fake]
    check = metrics.learning_check(meter, samples, untrained, baseline, FULL, name=fake)
    assert not check.passed, check.table()
