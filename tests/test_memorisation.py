"""The memorisation check (data.neighbours.memorisation): a generator that copies its training
images is flagged, new images of the same distribution are not."""

from __future__ import annotations

import numpy as np

from course_utils.data import neighbours


def _blobs(count: int, seed: int, size: int = 16) -> np.ndarray:
    """Images of one distribution: a soft coloured disc at a random place on white, in [-1, 1]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    images = np.ones((count, size, size, 3))
    for image in images:
        cy, cx, radius = rng.uniform(4, size - 4), rng.uniform(4, size - 4), rng.uniform(2, 5)
        inside = np.clip(radius - np.hypot(yy - cy, xx - cx), 0, 1)[..., None]
        image[:] = image * (1 - inside) + rng.uniform(-1, 1, 3) * inside
    return image_range(images)


def image_range(images: np.ndarray) -> np.ndarray:
    return np.clip(images, -1, 1).astype(np.float32)


def test_copies_of_training_images_are_flagged():
    train, held_out = _blobs(300, 0), _blobs(60, 1)
    rng = np.random.default_rng(2)
    copies = train[rng.integers(0, len(train), 200)] + rng.normal(0, 0.02, (200, 16, 16, 3))
    report = neighbours.memorisation(copies, train, held_out)
    assert report.flagged
    assert report.median_ratio < 0.5 and report.close_share > 0.9
    assert "COPYING?" in report.line()


def test_new_images_of_the_same_distribution_pass():
    train, held_out, new = _blobs(300, 0), _blobs(60, 1), _blobs(200, 3)
    report = neighbours.memorisation(new, train, held_out)
    assert not report.flagged, report.line()
    assert 0.7 < report.median_ratio < 1.4
    assert "no sign of copying" in report.line()


def test_a_generator_that_copies_a_third_of_the_time_is_flagged():
    train, held_out, new = _blobs(300, 0), _blobs(60, 1), _blobs(200, 3)
    mixed = np.concatenate([new[:134], train[:66]])
    assert neighbours.memorisation(mixed, train, held_out).flagged


def test_blurry_mean_like_samples_are_not_mistaken_for_copies():
    train, held_out = _blobs(300, 0), _blobs(60, 1)
    rng = np.random.default_rng(4)
    blurry = train.mean(axis=0) + rng.normal(0, 0.05, (200, 16, 16, 3))  # close to many, to none
    assert not neighbours.memorisation(blurry.astype(np.float32), train, held_out).flagged


def test_the_report_works_on_feature_vectors_and_names_its_space():
    rng = np.random.default_rng(0)
    train, held_out, new = rng.normal(size=(100, 8)), rng.normal(size=(30, 8)), rng.normal(size=(50, 8))
    report = neighbours.memorisation(new, train, held_out, space="features")
    assert report.sample_index.shape == (50,) and report.line().startswith("features")
    assert not report.flagged
