"""Differentiable augmentation (course_utils.augment): shapes and dtypes kept, finite values,
gradients reach the input, reproducible draws, and it compiles under XLA."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from course_utils import augment  # noqa: E402

POLICIES = [("colour",), ("translation",), ("cutout",), augment.DEFAULT_POLICY]


def _images(batch=6, size=16, dtype=tf.float32):
    rng = np.random.default_rng(0)
    return tf.constant(rng.uniform(-1, 1, (batch, size, size, 3)), dtype=dtype)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("dtype", [tf.float32, tf.float16, tf.bfloat16])
def test_shape_and_dtype_are_kept_and_values_finite(policy, dtype):
    images = _images(dtype=dtype)
    out = augment.diff_augment(images, keras.random.SeedGenerator(1), policy)
    assert out.shape == images.shape and out.dtype == dtype
    assert np.isfinite(tf.cast(out, tf.float32).numpy()).all()


@pytest.mark.parametrize("policy", POLICIES)
def test_gradients_flow_to_the_input(policy):
    images = tf.Variable(_images())
    with tf.GradientTape() as tape:
        out = augment.diff_augment(images, keras.random.SeedGenerator(2), policy)
        loss = tf.reduce_sum(out * out)
    gradient = tape.gradient(loss, images)
    assert gradient is not None and np.isfinite(gradient.numpy()).all()
    assert np.abs(gradient.numpy()).sum() > 0


def test_a_fixed_seed_is_reproducible_and_a_generator_draws_afresh():
    images = _images()
    first = augment.diff_augment(images, keras.random.SeedGenerator(3)).numpy()
    again = augment.diff_augment(images, keras.random.SeedGenerator(3)).numpy()
    assert np.array_equal(first, again)
    generator = keras.random.SeedGenerator(3)
    one, two = (augment.diff_augment(images, generator).numpy() for _ in range(2))
    assert not np.array_equal(one, two)
    assert np.array_equal(augment.diff_augment(images, 7).numpy(), augment.diff_augment(images, 7).numpy())


def test_each_transform_changes_the_images_as_described():
    images = _images(batch=32)
    shifted = augment.translation(images, 5).numpy()
    assert not np.array_equal(shifted, images.numpy()) and (shifted == 0).any()  # zero-filled border
    erased = augment.cutout(tf.ones((32, 16, 16, 3)), 5).numpy()
    share = (erased == 0).mean()
    assert 0.05 < share < 0.3  # a square of half the side: at most a quarter of the pixels
    coloured = augment.colour(images, keras.random.SeedGenerator(0)).numpy()
    assert not np.allclose(coloured, images.numpy())


def test_translation_moves_content_by_whole_pixels():
    image = np.zeros((1, 16, 16, 1), np.float32)
    image[0, 8, 8, 0] = 1.0
    for seed in range(10):
        out = augment.translation(tf.constant(image), seed).numpy()
        y, x = np.argwhere(out[0, ..., 0] == 1.0)[0]
        assert abs(y - 8) <= 2 and abs(x - 8) <= 2 and out.sum() == 1.0


def test_runs_under_xla_and_an_unknown_name_is_refused():
    generator = keras.random.SeedGenerator(4)

    @tf.function(jit_compile=True)
    def step(images):
        with tf.GradientTape() as tape:
            tape.watch(images)
            loss = tf.reduce_mean(augment.diff_augment(images, generator))
        return tape.gradient(loss, images)

    gradient = step(_images())
    assert gradient.shape == (6, 16, 16, 3) and np.isfinite(gradient.numpy()).all()
    with pytest.raises(ValueError, match="colour"):
        augment.diff_augment(_images(), 1, ("colour", "rotate"))
