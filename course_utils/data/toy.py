"""Two-dimensional toy distributions for watching GANs fail and succeed."""

from __future__ import annotations

import numpy as np


def ring_centres(modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """Centres of ``modes`` Gaussians evenly spaced on a circle (``endpoint=False``: none coincide)."""
    angles = np.linspace(0.0, 2.0 * np.pi, modes, endpoint=False)
    return np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1).astype(np.float32)


def ring_of_gaussians(n: int, modes: int = 8, radius: float = 2.0, std: float = 0.02,
                      seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``n`` points from a ring of ``modes`` equal Gaussians; returns (samples, centres)."""
    rng = np.random.default_rng(seed)
    centres = ring_centres(modes, radius)
    which = rng.integers(0, modes, size=n)
    samples = centres[which] + rng.normal(0.0, std, size=(n, 2))
    return samples.astype(np.float32), centres
