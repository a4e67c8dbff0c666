"""Nearest training images: the memorisation check after a GAN, at the generator's resolution."""

from __future__ import annotations

import numpy as np

from course_utils.data.errors import DataError


def pool_at(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 NHWC images resized (bilinear) to size×size, as the training pipeline resized them.

    CIFAR-10 is 32×32 but notebook 06 trains at 64×64: its samples must be compared with the
    training images at 64×64. Images already of that size are returned unchanged.
    """
    from PIL import Image

    images = np.asarray(images)
    if images.ndim != 4 or images.dtype != np.uint8:
        raise DataError(f"pool_at expects uint8 images of shape (N, H, W, C), got {images.dtype} "
                        f"{images.shape}. Fix: pass ImageData.x_train (or x_test) or a slice of it.")
    if images.shape[1:3] == (size, size):
        return images
    resized = [np.asarray(Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image)
                          .resize((size, size), Image.Resampling.BILINEAR)) for image in images]
    return np.stack(resized).reshape(len(images), size, size, images.shape[-1])


def nearest(queries: np.ndarray, candidates: np.ndarray,
            exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Index and Euclidean distance of each query's nearest candidate.

    Queries and candidates are flattened (pixels or feature vectors), and must have the same
    size: 64×64 samples are not comparable with a 32×32 image pool. With ``exclude_self``,
    query i is never matched with candidate i (for distances within one set).
    """
    queries = np.asarray(queries, np.float64).reshape(len(queries), -1)
    candidates = np.asarray(candidates, np.float64).reshape(len(candidates), -1)
    if queries.shape[1] != candidates.shape[1]:
        raise DataError(
            f"Cannot compare samples of {queries.shape[1]:,} values with candidates of "
            f"{candidates.shape[1]:,} values (different image sizes?). Fix: resize the training "
            "images to the samples' size first, e.g. data.pool_at(images, 64).")
    squared = (np.sum(queries ** 2, 1)[:, None] - 2 * queries @ candidates.T
               + np.sum(candidates ** 2, 1)[None, :])
    if exclude_self:
        np.fill_diagonal(squared, np.inf)
    index = np.argmin(squared, 1)
    return index, np.sqrt(np.maximum(squared[np.arange(len(queries)), index], 0))
