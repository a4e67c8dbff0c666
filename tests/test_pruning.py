"""Mask bookkeeping of notebook 03: exact counts, smallest-magnitude choice, reports that catch regrowth."""

import numpy as np
import pytest

from course_utils import pruning


def test_prune_count_and_schedule_are_exact():
    assert pruning.prune_count(313_600, 0.2) == 62_720
    assert pruning.prune_count(3, 0.5) == 2  # round half to even: 1.5 → 2
    assert pruning.prune_count(5, 0.5) == 2  # 2.5 → 2
    counts = pruning.remaining_schedule(313_600, 0.2, 3)
    assert counts == [313_600, 250_880, 200_704, 160_563]
    assert pruning.remaining_schedule(3_000, 0.1, 2) == [3_000, 2_700, 2_430]


def test_magnitude_mask_removes_the_smallest_trained_weights():
    weights = np.array([[0.5, -0.1, 0.3], [-0.05, 0.9, -0.2]])
    mask = pruning.magnitude_mask(weights, 0.5)
    np.testing.assert_array_equal(mask, [[1, 0, 1], [0, 1, 0]])
    assert mask.dtype == np.float32


def test_pruned_weights_stay_pruned_and_rate_applies_to_survivors():
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(40, 25))
    mask = pruning.magnitude_mask(weights, 0.2)
    assert mask.sum() == 800
    # Even if a pruned weight would now be large, it stays pruned: masks only lose entries.
    changed = weights.copy()
    changed[mask == 0] = 100.0
    second = pruning.magnitude_mask(changed, 0.2, mask)
    assert second.sum() == 640
    assert np.all(second <= mask)


def test_ties_are_broken_deterministically():
    weights = np.ones((4, 5))
    first = pruning.magnitude_mask(weights, 0.2)
    again = pruning.magnitude_mask(weights, 0.2)
    assert first.sum() == 16
    np.testing.assert_array_equal(first, again)


def test_keep_largest_matches_one_shot_counts():
    rng = np.random.default_rng(1)
    weights = rng.normal(size=(30, 30))
    mask = pruning.keep_largest(weights, 90)
    assert mask.sum() == 90
    assert np.abs(weights[mask == 1]).min() >= np.abs(weights[mask == 0]).max()
    assert pruning.keep_largest(weights, 0).sum() == 0
    with pytest.raises(ValueError, match="keep must be"):
        pruning.keep_largest(weights, 901)


def test_prune_layers_uses_each_layer_rate():
    weights = [np.arange(1, 101, dtype=float).reshape(10, 10), np.arange(1, 11, dtype=float).reshape(10, 1)]
    masks = [np.ones((10, 10)), np.ones((10, 1))]
    new = pruning.prune_layers(weights, masks, [0.2, 0.1])
    assert [int(m.sum()) for m in new] == [80, 9]
    assert pruning.fraction_remaining(new) == pytest.approx(89 / 110)
    with pytest.raises(ValueError, match="one entry per layer"):
        pruning.prune_layers(weights, masks, [0.2])


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="rate"):
        pruning.prune_count(10, 1.0)
    with pytest.raises(ValueError, match="shape"):
        pruning.magnitude_mask(np.ones((2, 2)), 0.2, np.ones((2, 3)))
    with pytest.raises(ValueError, match="only 0 and 1"):
        pruning.magnitude_mask(np.ones((2, 2)), 0.2, np.full((2, 2), 0.5))


def test_check_masked_catches_regrown_weights():
    mask = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    good = np.array([[0.3, 0.0], [0.0, -0.2]])
    rows = pruning.check_masked(["dense"], [good], [mask])
    assert rows[0].mask_kept == 2 and rows[0].masked_nonzero == 0 and rows[0].percent_kept == 50.0
    regrown = good.copy()
    regrown[0, 1] = 1e-6
    with pytest.raises(AssertionError, match="1 pruned weights are not zero"):
        pruning.check_masked(["dense"], [regrown], [mask])


def test_format_sparsity_is_a_stable_table():
    mask = np.array([[1.0, 0.0, 0.0, 1.0]], np.float32)
    rows = pruning.sparsity_rows(["d1"], [np.array([[2.0, 0.0, 0.0, 1.0]])], [mask])
    text = pruning.format_sparsity(rows)
    assert text.splitlines()[1].split() == ["d1", "1×4", "4", "2", "50.00%", "0"]
    assert text.splitlines()[-1].split() == ["all", "4", "2", "50.00%", "0"]


def test_mask_overlap():
    a = np.array([1, 1, 0, 0])
    b = np.array([1, 0, 1, 0])
    assert pruning.mask_overlap(a, a) == 1.0
    assert pruning.mask_overlap(a, b) == pytest.approx(1 / 3)
    assert pruning.mask_overlap(np.zeros(3), np.zeros(3)) == 1.0
