"""Differentiable augmentation for GAN training (DiffAugment, Zhao et al. 2020).

A discriminator trained on a few hundred images learns them by heart: its outputs on the
training images climb, on new images of the same kind they fall, and the generator's gradients
stop carrying information. DiffAugment shows D only randomly transformed images — colour,
translation and cutout — and applies the *same kind* of transform to the real and to the
generated images before every discriminator call, in D's step and in G's step:

- applied to real images only, D would learn that transformed images are real, and G would be
  pushed to produce transformed-looking images (the augmentation "leaks" into the samples);
- it must be differentiable, because G learns through it: G's loss is computed on D(T(G(z))),
  so the gradient has to flow back through T to G's pixels.

Every function here is made of TensorFlow ops only (shifts are gathers, cutout is a mask), so it
runs inside ``tf.function``, under XLA (``jit_compile=True``) and in mixed precision (the image
dtype is kept). Randomness comes from ``keras.random`` with a ``seed`` that is an int (the same
draw each call) or a ``keras.random.SeedGenerator`` (a new draw each call, reproducible from its
seed).
"""

from __future__ import annotations

#: The policy of the paper for small data sets: all three transforms.
DEFAULT_POLICY = ("colour", "translation", "cutout")
TRANSLATION_RATIO = 0.125  # shift by up to 1/8 of the image size, filling with zeros
CUTOUT_RATIO = 0.5  # erase one square of half the image size


def _uniform(shape, seed, dtype):
    import keras
    import tensorflow as tf

    return tf.cast(keras.random.uniform(shape, seed=seed), dtype)


def colour(images, seed):
    """Random brightness (±0.5), saturation (×0 … 2) and contrast (×0.5 … 1.5), per image, for
    images in [-1, 1]."""
    import tensorflow as tf

    batch = tf.shape(images)[0]
    dtype = images.dtype
    shift = _uniform((batch, 1, 1, 1), seed, dtype) - tf.cast(0.5, dtype)
    images = images + shift
    mean = tf.reduce_mean(images, axis=3, keepdims=True)
    images = (images - mean) * (_uniform((batch, 1, 1, 1), seed, dtype) * tf.cast(2.0, dtype)) + mean
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return (images - mean) * (_uniform((batch, 1, 1, 1), seed, dtype) + tf.cast(0.5, dtype)) + mean


def _offsets(batch, limit: int, seed):
    """Random integer offsets in [-limit, limit], one per image."""
    import keras
    import tensorflow as tf

    return tf.cast(tf.floor(keras.random.uniform((batch,), seed=seed) * (2 * limit + 1)), tf.int32) - limit


def translation(images, seed, ratio: float = TRANSLATION_RATIO):
    """Shift each image by a random whole number of pixels (up to ``ratio`` of its size in each
    direction); the uncovered border is filled with zeros."""
    import tensorflow as tf

    height, width = images.shape[1], images.shape[2]
    pad_y, pad_x = max(1, int(height * ratio + 0.5)), max(1, int(width * ratio + 0.5))
    batch = tf.shape(images)[0]
    padded = tf.pad(images, [[0, 0], [pad_y, pad_y], [pad_x, pad_x], [0, 0]])
    rows = tf.range(height)[None, :] + pad_y - _offsets(batch, pad_y, seed)[:, None]
    cols = tf.range(width)[None, :] + pad_x - _offsets(batch, pad_x, seed)[:, None]
    shifted = tf.gather(padded, rows, axis=1, batch_dims=1)  # (batch, height, width + 2 pad, C)
    return tf.gather(shifted, cols, axis=2, batch_dims=1)


def cutout(images, seed, ratio: float = CUTOUT_RATIO):
    """Set one random square of ``ratio`` × the image size to zero in each image (it may reach
    past the border)."""
    import tensorflow as tf

    height, width = images.shape[1], images.shape[2]
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    batch = tf.shape(images)[0]
    centre_y = _offsets(batch, height // 2, seed) + height // 2  # 0 … height
    centre_x = _offsets(batch, width // 2, seed) + width // 2
    inside_y = tf.abs(tf.range(height)[None, :] - centre_y[:, None]) < (size_y + 1) // 2
    inside_x = tf.abs(tf.range(width)[None, :] - centre_x[:, None]) < (size_x + 1) // 2
    erased = tf.logical_and(inside_y[:, :, None], inside_x[:, None, :])  # (batch, height, width)
    return images * tf.cast(tf.logical_not(erased), images.dtype)[..., None]


_TRANSFORMS = {"colour": colour, "translation": translation, "cutout": cutout}


def diff_augment(images, seed, policy=DEFAULT_POLICY):
    """Apply the transforms of ``policy`` (names from ``"colour"``, ``"translation"``,
    ``"cutout"``) in that order, each with fresh random draws per image. Shape and dtype are kept;
    gradients flow back to ``images``. An empty policy returns the images unchanged."""
    for name in policy:
        if name not in _TRANSFORMS:
            raise ValueError(f"Unknown augmentation {name!r}; choose from {', '.join(_TRANSFORMS)}.")
        images = _TRANSFORMS[name](images, seed)
    return images
