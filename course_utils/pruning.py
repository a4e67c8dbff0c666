"""Mask bookkeeping for magnitude pruning and lottery-ticket experiments (NumPy only).

Notebook 03 shows the procedure (train, prune, rewind, retrain with the mask enforced); this
module keeps the arithmetic that is easy to get subtly wrong and worth unit-testing:

* :func:`magnitude_mask` removes an exact number of the smallest surviving weights of one layer;
* :func:`prune_count` and :func:`remaining_schedule` say how many weights survive each round;
* :func:`sparsity_rows` / :func:`format_sparsity` / :func:`check_masked` report and verify that
  every masked weight is exactly zero.

Masks are float32 arrays of 0.0 and 1.0 with the shape of the kernel they mask, so a model can
multiply by them directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def prune_count(alive: int, rate: float) -> int:
    """How many of ``alive`` surviving weights one pruning round at ``rate`` removes.

    The count is ``round(rate * alive)`` (half to even, like Python's ``round``), so the number of
    survivors after a round depends only on the counts, never on the weight values.
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"rate must be in [0, 1), got {rate}.")
    if alive < 0:
        raise ValueError(f"alive must be >= 0, got {alive}.")
    return int(round(rate * alive))


def remaining_schedule(total: int, rate: float, rounds: int) -> list[int]:
    """Survivors of one layer before round 1 and after each of ``rounds`` pruning rounds."""
    counts = [int(total)]
    for _ in range(rounds):
        counts.append(counts[-1] - prune_count(counts[-1], rate))
    return counts


def _as_mask(mask, shape: tuple[int, ...]) -> np.ndarray:
    """Validate a 0/1 mask of the given shape (all ones when ``mask`` is None)."""
    if mask is None:
        return np.ones(shape, np.float32)
    mask = np.asarray(mask, np.float32)
    if mask.shape != tuple(shape):
        raise ValueError(f"mask shape {mask.shape} differs from weight shape {tuple(shape)}.")
    if not np.all((mask == 0.0) | (mask == 1.0)):
        raise ValueError("mask must contain only 0 and 1.")
    return mask


def magnitude_mask(weights, rate: float, mask=None) -> np.ndarray:
    """Prune ``rate`` of the weights that ``mask`` still keeps, choosing the smallest ``|w|``.

    ``weights`` are the *trained* weights of one layer; ``mask`` is the current mask (all ones
    when omitted). Weights already pruned stay pruned. Exactly :func:`prune_count` weights are
    removed; ties in magnitude are broken by position, so the result is deterministic.
    """
    weights = np.asarray(weights)
    mask = _as_mask(mask, weights.shape)
    alive = int(np.count_nonzero(mask))
    return keep_largest(weights, alive - prune_count(alive, rate), mask)


def keep_largest(weights, keep: int, mask=None) -> np.ndarray:
    """A mask that keeps exactly the ``keep`` largest ``|w|`` among the weights ``mask`` keeps.

    One-shot pruning uses it directly (keep the top-N of the trained weights); iterative pruning
    reaches it through :func:`magnitude_mask`. Ties are broken by position (deterministic).
    """
    weights = np.asarray(weights)
    mask = _as_mask(mask, weights.shape)
    alive = np.flatnonzero(mask.ravel())
    if not 0 <= keep <= alive.size:
        raise ValueError(f"keep must be between 0 and {alive.size} (the surviving weights), got {keep}.")
    magnitudes = np.abs(weights.ravel()[alive]).astype(np.float64)
    order = np.argsort(magnitudes, kind="stable")  # smallest first, ties by position
    new_mask = np.zeros(weights.size, np.float32)
    new_mask[alive[order[alive.size - keep:]]] = 1.0
    return new_mask.reshape(weights.shape)


def prune_layers(weights: Sequence, masks: Sequence, rates: Sequence[float]) -> list[np.ndarray]:
    """Apply :func:`magnitude_mask` layer by layer (each layer with its own rate)."""
    if not len(weights) == len(masks) == len(rates):
        raise ValueError("weights, masks and rates must have one entry per layer.")
    return [magnitude_mask(w, r, m) for w, m, r in zip(weights, masks, rates)]


def fraction_remaining(masks: Sequence) -> float:
    """Share of all masked weights (every layer together) that survive."""
    kept = sum(int(np.count_nonzero(m)) for m in masks)
    total = sum(int(np.size(m)) for m in masks)
    return kept / total


def mask_overlap(first, second) -> float:
    """Jaccard overlap of the kept weights of two masks: |A ∩ B| / |A ∪ B| (1.0 = identical)."""
    first, second = np.asarray(first) != 0, np.asarray(second) != 0
    union = np.count_nonzero(first | second)
    return 1.0 if union == 0 else np.count_nonzero(first & second) / union


@dataclass(frozen=True)
class SparsityRow:
    """One layer of a sparsity report."""

    name: str
    shape: tuple[int, ...]
    total: int
    mask_kept: int
    nonzero: int
    masked_nonzero: int  # weights the mask removed that are not exactly zero (must be 0)

    @property
    def percent_kept(self) -> float:
        return 100.0 * self.mask_kept / self.total


def sparsity_rows(names: Sequence[str], kernels: Sequence, masks: Sequence) -> list[SparsityRow]:
    """Count, per layer, the weights the mask keeps and the weights that are really non-zero."""
    rows = []
    for name, kernel, mask in zip(names, kernels, masks):
        kernel, mask = np.asarray(kernel), np.asarray(mask)
        rows.append(SparsityRow(
            name=name, shape=tuple(kernel.shape), total=int(kernel.size),
            mask_kept=int(np.count_nonzero(mask)), nonzero=int(np.count_nonzero(kernel)),
            masked_nonzero=int(np.count_nonzero(kernel[mask == 0])),
        ))
    return rows


def format_sparsity(rows: Sequence[SparsityRow]) -> str:
    """A deterministic text table of :func:`sparsity_rows` (counts and rounded percentages)."""
    lines = [f"{'layer':<10}{'shape':>12}{'weights':>10}{'kept':>10}{'% kept':>9}{'masked≠0':>10}"]
    for row in rows:
        shape = "×".join(str(size) for size in row.shape)
        lines.append(f"{row.name:<10}{shape:>12}{row.total:>10,}{row.mask_kept:>10,}"
                     f"{row.percent_kept:>8.2f}%{row.masked_nonzero:>10}")
    total = sum(row.total for row in rows)
    kept = sum(row.mask_kept for row in rows)
    lines.append(f"{'all':<10}{'':>12}{total:>10,}{kept:>10,}{100 * kept / total:>8.2f}%"
                 f"{sum(row.masked_nonzero for row in rows):>10}")
    return "\n".join(lines)


def check_masked(names: Sequence[str], kernels: Sequence, masks: Sequence) -> list[SparsityRow]:
    """Raise ``AssertionError`` unless every weight a mask removed is exactly zero."""
    rows = sparsity_rows(names, kernels, masks)
    for row in rows:
        if row.masked_nonzero:
            raise AssertionError(f"{row.name}: {row.masked_nonzero} pruned weights are not zero "
                                 "(the mask was not enforced during training).")
    return rows
