"""Diffusion-model arithmetic shared by notebook 11 and its tests (NumPy only).

Conventions: timesteps t = 1 … T are stored at array index t − 1, and the network receives that
index (0 … T − 1). Images live in [−1, 1]. A sampler takes ``eps_fn(x, t_index) -> ε̂``, the
trained noise predictor, so the same code samples from a Keras model or from a test oracle.

- forward process: q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I), i.e. x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε;
- DDPM ancestral sampling (Ho et al. 2020): x_{t−1} ~ N(μ̃_t(x_t, x̂_0), β̃_t I);
- DDIM sampling (Song et al. 2021): deterministic for η = 0, on any sub-sequence of timesteps;
- a network that predicts the velocity v instead of ε (Salimans & Ho 2022) samples through
  :func:`eps_fn_from_v`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from course_utils.widgets.schedule import cosine_alpha_bar, linear_betas

EpsFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Schedule:
    """β_1 … β_T and the quantities derived from them."""

    betas: np.ndarray

    @classmethod
    def linear(cls, T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> Schedule:
        return cls(linear_betas(T, beta_start, beta_end))

    @classmethod
    def cosine(cls, T: int = 1000, s: float = 0.008) -> Schedule:
        alpha_bar = cosine_alpha_bar(T, s)
        return cls(1.0 - alpha_bar / np.concatenate([[1.0], alpha_bar[:-1]]))

    @property
    def T(self) -> int:
        return len(self.betas)

    @property
    def alphas(self) -> np.ndarray:
        return 1.0 - self.betas

    @property
    def alpha_bar(self) -> np.ndarray:
        return np.cumprod(self.alphas)

    @property
    def posterior_variance(self) -> np.ndarray:
        """β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t), the variance of q(x_{t−1} | x_t, x_0)."""
        previous = np.concatenate([[1.0], self.alpha_bar[:-1]])
        return self.betas * (1 - previous) / (1 - self.alpha_bar)


def q_sample(x0: np.ndarray, t_index, eps: np.ndarray, alpha_bar: np.ndarray) -> np.ndarray:
    """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, with one timestep index per image (or one for all)."""
    x0 = np.asarray(x0, dtype=np.float64)
    ab = np.asarray(alpha_bar, dtype=np.float64)[np.asarray(t_index)]
    ab = np.reshape(ab, np.shape(ab) + (1,) * (x0.ndim - np.ndim(ab)))
    return np.sqrt(ab) * x0 + np.sqrt(1 - ab) * np.asarray(eps, dtype=np.float64)


def predict_x0(x_t: np.ndarray, eps: np.ndarray, alpha_bar_t: float) -> np.ndarray:
    """Invert the forward process with the predicted noise: x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t."""
    return (x_t - np.sqrt(1 - alpha_bar_t) * eps) / np.sqrt(alpha_bar_t)


def v_target(x0: np.ndarray, eps: np.ndarray, alpha_bar_t) -> np.ndarray:
    """The velocity v = √ᾱ_t ε − √(1 − ᾱ_t) x_0 (Salimans & Ho 2022), a network's other target.

    With x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, both ε and x_0 follow from (x_t, v):
    ε = √ᾱ_t v + √(1 − ᾱ_t) x_t and x_0 = √ᾱ_t x_t − √(1 − ᾱ_t) v, with factors of at most 1.
    From a predicted ε instead, x̂_0 divides by √ᾱ_t, which is near 0 at the noisiest steps.
    """
    return np.sqrt(alpha_bar_t) * np.asarray(eps) - np.sqrt(1 - alpha_bar_t) * np.asarray(x0)


def eps_from_v(x_t: np.ndarray, v: np.ndarray, alpha_bar_t) -> np.ndarray:
    """ε̂ = √ᾱ_t v̂ + √(1 − ᾱ_t) x_t: the noise that a predicted velocity implies (see :func:`v_target`)."""
    return np.sqrt(alpha_bar_t) * np.asarray(v) + np.sqrt(1 - alpha_bar_t) * np.asarray(x_t)


def eps_fn_from_v(v_fn: EpsFn, alpha_bar: np.ndarray) -> EpsFn:
    """A sampler's ``eps_fn`` made from ``v_fn(x, t_index) -> v̂``, a network that predicts v.

    The conversion runs in float64, so the samplers' x̂_0 = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t equals
    √ᾱ_t x_t − √(1 − ᾱ_t) v̂ to rounding, even where ᾱ_t is tiny.
    """
    alpha_bar = np.asarray(alpha_bar, dtype=np.float64)

    def eps_fn(x, t_index):
        ab = alpha_bar[np.asarray(t_index)].reshape(-1, *([1] * (np.ndim(x) - 1)))
        v = np.asarray(v_fn(x, t_index), dtype=np.float64)
        return eps_from_v(np.asarray(x, dtype=np.float64), v, ab)
    return eps_fn


def timesteps(T: int, steps: int) -> np.ndarray:
    """``steps`` timestep indices from T − 1 down to 0, evenly spaced (all of them when steps = T)."""
    if not 1 <= steps <= T:
        raise ValueError(f"steps must lie in 1 … {T}, got {steps}.")
    return np.unique(np.linspace(0, T - 1, steps).round().astype(int))[::-1]


def _snapshots(sequence: np.ndarray, keep: int) -> set[int]:
    """Indices (into the sampling sequence) at which to store the intermediate images."""
    if keep <= 0:
        return set()
    return set(np.linspace(0, len(sequence) - 1, keep).round().astype(int).tolist())


def ddim_sample(eps_fn: EpsFn, shape: tuple[int, ...], schedule: Schedule, steps: int = 50,
                eta: float = 0.0, seed: int = 0, clip: bool = True, keep: int = 0,
                x_T: np.ndarray | None = None):
    """DDIM sampling on ``steps`` of the T timesteps.

    x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'} − σ²) ε̂ + σ z, with
    σ = η √((1 − ᾱ_{t'})/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t'}). η = 0 is deterministic (the same noise
    x_T always gives the same image); η = 1 on all T steps is DDPM's ancestral sampler with β̃_t.
    ``clip`` keeps x̂_0 in [−1, 1]. Returns the images, or (images, [(t, x_t), …]) when
    ``keep`` > 0 (that many snapshots of the path, the first at x_T, the last the result).
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) if x_T is None else np.asarray(x_T, dtype=np.float64)
    alpha_bar = schedule.alpha_bar
    sequence = timesteps(schedule.T, steps)
    wanted = _snapshots(np.append(sequence, -1), keep)
    path = [(int(sequence[0]) + 1, x.copy())] if 0 in wanted else []
    for position, t in enumerate(sequence):
        ab_t = alpha_bar[t]
        ab_prev = alpha_bar[sequence[position + 1]] if position + 1 < len(sequence) else 1.0
        eps = np.asarray(eps_fn(x.astype(np.float32), np.full(shape[0], t, np.int32)),
                         dtype=np.float64)
        x0 = predict_x0(x, eps, ab_t)
        if clip:
            x0 = np.clip(x0, -1.0, 1.0)
            eps = (x - np.sqrt(ab_t) * x0) / np.sqrt(1 - ab_t)  # the noise that matches x̂_0
        sigma = eta * np.sqrt((1 - ab_prev) / (1 - ab_t) * (1 - ab_t / ab_prev))
        x = np.sqrt(ab_prev) * x0 + np.sqrt(max(1 - ab_prev - sigma ** 2, 0.0)) * eps
        if sigma > 0:
            x = x + sigma * rng.normal(size=shape)
        if position + 1 in wanted:
            next_t = int(sequence[position + 1]) + 1 if position + 1 < len(sequence) else 0
            path.append((next_t, x.copy()))
    x = x.astype(np.float32)
    return (x, path) if keep else x


def ddpm_sample(eps_fn: EpsFn, shape: tuple[int, ...], schedule: Schedule, seed: int = 0,
                clip: bool = True, keep: int = 0, x_T: np.ndarray | None = None):
    """DDPM ancestral sampling through all T steps.

    x_{t−1} = μ̃_t + σ_t z with μ̃_t = (√ᾱ_{t−1} β_t x̂_0 + √α_t (1 − ᾱ_{t−1}) x_t) / (1 − ᾱ_t)
    and σ_t² = β̃_t; no noise is added at the last step. Without clipping x̂_0 this is exactly
    Ho et al.'s x_{t−1} = (x_t − β_t/√(1 − ᾱ_t) ε̂)/√α_t + σ_t z.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) if x_T is None else np.asarray(x_T, dtype=np.float64)
    betas, alphas, alpha_bar = schedule.betas, schedule.alphas, schedule.alpha_bar
    variance = schedule.posterior_variance
    sequence = np.arange(schedule.T)[::-1]
    wanted = _snapshots(np.append(sequence, -1), keep)
    path = [(schedule.T, x.copy())] if 0 in wanted else []
    for position, t in enumerate(sequence):
        ab_prev = alpha_bar[t - 1] if t > 0 else 1.0
        eps = np.asarray(eps_fn(x.astype(np.float32), np.full(shape[0], t, np.int32)),
                         dtype=np.float64)
        x0 = predict_x0(x, eps, alpha_bar[t])
        if clip:
            x0 = np.clip(x0, -1.0, 1.0)
        mean = (np.sqrt(ab_prev) * betas[t] * x0 + np.sqrt(alphas[t]) * (1 - ab_prev) * x) / (
            1 - alpha_bar[t])
        x = mean + (np.sqrt(variance[t]) * rng.normal(size=shape) if t > 0 else 0.0)
        if position + 1 in wanted:
            path.append((int(t), x.copy()))
    x = x.astype(np.float32)
    return (x, path) if keep else x


def sample_in_batches(sampler: Callable, count: int, batch_size: int, image_shape: tuple[int, ...],
                      seed: int = 0, **kwargs) -> np.ndarray:
    """Run ``sampler(eps_fn…, shape=(batch, *image_shape), seed=…)`` in batches and stack."""
    parts = []
    for index, start in enumerate(range(0, count, batch_size)):
        size = min(batch_size, count - start)
        parts.append(sampler(shape=(size, *image_shape), seed=seed + index, **kwargs))
    return np.concatenate(parts)[:count]
