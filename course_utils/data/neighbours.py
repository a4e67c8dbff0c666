"""Nearest training images: the memorisation check after a GAN, at the generator's resolution."""

from __future__ import annotations

from dataclasses import dataclass

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


#: A generator is flagged as copying when the median distance of its samples to their nearest
#: training image is below this share of the held-out images' median distance …
COPY_MEDIAN_RATIO = 0.5
#: … or when the share of its samples that are that close (below COPY_MEDIAN_RATIO × the held-out
#: median) exceeds the held-out images' own share by more than this: a generator that copies now
#: and then. A blurry, mean-like sample is moderately close to many images, never very close to
#: one, so it is not mistaken for a copy.
COPY_SHARE = 0.1


@dataclass
class MemorisationReport:
    """Generated → train nearest distances judged against held-out → train ones (one space)."""

    space: str
    sample_index: np.ndarray  # nearest training image of each sample
    sample_distance: np.ndarray
    held_out_distance: np.ndarray  # nearest training image of each held-out image

    @property
    def median_ratio(self) -> float:
        """Median sample distance over median held-out distance (about 1: no sign of copying)."""
        return float(np.median(self.sample_distance) / max(np.median(self.held_out_distance), 1e-12))

    @property
    def close(self) -> float:
        """The "very close" distance: COPY_MEDIAN_RATIO × the held-out images' median distance."""
        return COPY_MEDIAN_RATIO * float(np.median(self.held_out_distance))

    @property
    def close_share(self) -> float:
        """Share of samples within :attr:`close` of a training image."""
        return float(np.mean(self.sample_distance < self.close))

    @property
    def held_out_close_share(self) -> float:
        """Share of held-out images within :attr:`close` of a training image (chance level)."""
        return float(np.mean(self.held_out_distance < self.close))

    @property
    def flagged(self) -> bool:
        """True when the samples sit suspiciously close to training images (see the bounds)."""
        return (self.median_ratio < COPY_MEDIAN_RATIO
                or self.close_share > self.held_out_close_share + COPY_SHARE)

    def line(self) -> str:
        """One line for the student."""
        verdict = "COPYING?" if self.flagged else "no sign of copying"
        return (f"{self.space:8s}: median distance to the nearest training image: samples "
                f"{np.median(self.sample_distance):7.2f}, held-out images "
                f"{np.median(self.held_out_distance):7.2f} (ratio {self.median_ratio:.2f}, bound "
                f">= {COPY_MEDIAN_RATIO:g}); within {self.close:.2f} of one: samples "
                f"{self.close_share:.1%}, held-out {self.held_out_close_share:.1%} (bound: at most "
                f"{COPY_SHARE:.0%} more) -> {verdict}")


def memorisation(samples: np.ndarray, train: np.ndarray, held_out: np.ndarray,
                 space: str = "pixels") -> MemorisationReport:
    """Compare each sample's distance to its nearest training image with the same distance for
    held-out images (new images of the same distribution, never trained on): the honest scale.

    All three are arrays of equal-size vectors or images (pixels or features). The held-out set
    must share no image with ``train`` — not even a mirror twin (``load_folder`` splits twins
    together); otherwise its distances shrink and the check turns lenient.
    """
    sample_index, sample_distance = nearest(samples, train)
    _, held_out_distance = nearest(held_out, train)
    return MemorisationReport(space, sample_index, sample_distance, held_out_distance)
