"""The in-memory form of an image dataset, value-range scaling, and tf.data pipelines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ValueRange = tuple[float, float]
TANH_RANGE: ValueRange = (-1.0, 1.0)
UNIT_RANGE: ValueRange = (0.0, 1.0)


def to_range(images_uint8: np.ndarray, value_range: ValueRange = TANH_RANGE) -> np.ndarray:
    """Scale uint8 pixels 0..255 to float32 in ``value_range`` (e.g. [-1, 1] for a tanh output)."""
    low, high = value_range
    return (images_uint8.astype(np.float32) / 255.0) * (high - low) + low


def to_uint8(images: np.ndarray, value_range: ValueRange = TANH_RANGE) -> np.ndarray:
    """Map float images in ``value_range`` back to uint8 pixels, clipping outliers."""
    low, high = value_range
    unit = (np.asarray(images, dtype=np.float32) - low) / (high - low)
    return np.clip(np.rint(unit * 255.0), 0, 255).astype(np.uint8)


@dataclass
class ImageData:
    """A named image dataset held as uint8 NHWC arrays, plus where it came from."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    class_names: tuple[str, ...] = ()

    @property
    def image_shape(self) -> tuple[int, ...]:
        """Shape of one image, (height, width, channels)."""
        return tuple(self.x_train.shape[1:])

    def summary(self) -> str:
        """One line: name, sizes, shape and source."""
        return (f"{self.name}: {len(self.x_train):,} train + {len(self.x_test):,} test images "
                f"of shape {self.image_shape} — source: {self.source}")

    def _split(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
        return (self.x_train, self.y_train) if split == "train" else (self.x_test, self.y_test)

    def images(self, split: str = "train", value_range: ValueRange = TANH_RANGE,
               limit: int | None = None) -> np.ndarray:
        """Float32 images of a split scaled to ``value_range``; the first ``limit`` if given."""
        images, _ = self._split(split)
        return to_range(images[:limit], value_range)

    def labels(self, split: str = "train", limit: int | None = None) -> np.ndarray:
        """Integer labels of a split (zeros for unlabelled sets)."""
        return self._split(split)[1][:limit].astype(np.int64)

    def pipeline(self, split: str = "train", batch_size: int = 128,
                 value_range: ValueRange = TANH_RANGE, limit: int | None = None,
                 shuffle: bool = True, with_labels: bool = False, drop_remainder: bool = True,
                 seed: int = 0):
        """A ``tf.data.Dataset`` of scaled float32 batches (and labels if ``with_labels``).

        ``drop_remainder=True`` by default: a smaller last batch would retrace a compiled step.
        """
        import tensorflow as tf

        images = self.images(split, value_range, limit)
        elements = (images, self.labels(split, limit)) if with_labels else images
        dataset = tf.data.Dataset.from_tensor_slices(elements)
        if shuffle:
            dataset = dataset.shuffle(min(len(images), 20_000), seed=seed,
                                      reshuffle_each_iteration=True)
        return dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
