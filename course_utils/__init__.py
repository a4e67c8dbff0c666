"""Helpers for the TensorFlow generative-models course: set-up, data, plots, training, metrics."""

from course_utils.config import (
    COURSE_VERSION,
    GITHUB_REPO,
    artefact_dir,
    colab_badge,
    colab_url,
    data_dir,
    fast_or,
    is_fast,
)
from course_utils.runtime import setup

__all__ = [
    "GITHUB_REPO",
    "artefact_dir",
    "colab_badge",
    "colab_url",
    "data_dir",
    "fast_or",
    "is_fast",
    "setup",
]
__version__ = COURSE_VERSION
