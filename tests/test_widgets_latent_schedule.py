"""Logic behind the latent-interpolation and noise-schedule explorers, and the widgets themselves
(driven by setting a control's ``.value``; no browser, no kernel)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from course_utils.widgets import latent, schedule

matplotlib.use("Agg")


# ---------- schedules ----------

@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_alpha_bar_is_strictly_decreasing_in_0_1(kind):
    values = schedule.alpha_bar(kind, T=1000)
    assert values.shape == (1000,)
    assert np.all(np.diff(values) < 0)
    assert np.all((values > 0) & (values < 1))


def test_linear_schedule_matches_the_closed_form():
    T, b0, b1 = 1000, 1e-4, 0.02
    values = schedule.linear_alpha_bar(T, b0, b1)
    assert values[0] == pytest.approx(1 - b0)  # ᾱ_1 = 1 − β_1
    betas = b0 + (b1 - b0) * np.arange(T) / (T - 1)
    assert values[-1] == pytest.approx(np.prod(1 - betas), rel=1e-10)
    # DDPM's setting leaves almost no signal at t = T: ᾱ_T ≈ 4.04e-5
    assert values[-1] == pytest.approx(4.036e-5, rel=1e-3)
    assert values[1] == pytest.approx((1 - b0) * (1 - betas[1]))


def test_cosine_schedule_starts_near_one_and_ends_near_zero():
    values = schedule.cosine_alpha_bar(1000)
    assert values[0] == pytest.approx(1.0, abs=1e-3)
    assert values[-1] < 1e-4
    f = lambda t: np.cos((t / 1000 + 0.008) / 1.008 * np.pi / 2) ** 2  # noqa: E731
    assert values[499] == pytest.approx(f(500) / f(0), rel=1e-9)  # no clipping mid-way


def test_betas_from_alpha_bar_inverts_the_product():
    betas = schedule.linear_betas(100)
    np.testing.assert_allclose(schedule.betas_from_alpha_bar(np.cumprod(1 - betas)), betas)


def test_schedule_rejects_bad_inputs():
    with pytest.raises(ValueError):
        schedule.linear_betas(0)
    with pytest.raises(ValueError):
        schedule.linear_betas(10, 0.1, 0.01)
    with pytest.raises(ValueError):
        schedule.alpha_bar("quadratic")
    with pytest.raises(ValueError):
        schedule.schedule_summary(T=100, t=101)


def test_schedule_summary_signal_and_noise_add_up():
    summary = schedule.schedule_summary(T=1000, t=300)
    for values in summary.values():
        assert values["signal"] ** 2 + values["noise"] ** 2 == pytest.approx(1.0)
    # at the same t the cosine schedule keeps more signal than the linear one (its purpose)
    assert summary["cosine"]["alpha_bar"] > summary["linear"]["alpha_bar"]


def test_schedule_explorer_output_changes_with_the_slider():
    box = schedule.schedule_explorer(image=np.zeros((8, 8)), T=1000)
    before = box.readout.value
    assert "t = 500" in before
    box.controls["t"].value = 900
    assert box.readout.value != before and "t = 900" in box.readout.value
    after_t = box.readout.value
    box.controls["beta_end"].value = 0.03
    assert box.readout.value != after_t
    box.controls["T"].value = 200  # t is capped at the new T
    assert box.controls["t"].max == 200 and "t = 200" in box.readout.value


# ---------- latent interpolation ----------

@pytest.mark.parametrize("method", ["linear", "slerp"])
def test_interpolation_endpoints_equal_the_inputs(method):
    rng = np.random.default_rng(0)
    z_a, z_b = rng.normal(size=16), rng.normal(size=16)
    path = latent.interpolate(z_a, z_b, steps=7, method=method)
    assert path.shape == (7, 16)
    np.testing.assert_array_equal(path[0], z_a.astype(np.float32))
    np.testing.assert_array_equal(path[-1], z_b.astype(np.float32))
    np.testing.assert_array_equal(latent.interpolate(z_a, z_b, t=0.0, method=method),
                                  z_a.astype(np.float32))
    np.testing.assert_array_equal(latent.interpolate(z_a, z_b, t=1.0, method=method),
                                  z_b.astype(np.float32))


def test_linear_midpoint_and_slerp_keeps_the_norm():
    z_a, z_b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    np.testing.assert_allclose(latent.interpolate(z_a, z_b, t=0.5), [0.5, 0.5])
    mid = latent.interpolate(z_a, z_b, t=0.5, method="slerp")
    assert np.linalg.norm(mid) == pytest.approx(1.0, rel=1e-6)
    assert latent.interpolate(z_a, z_b, t=[0.25, 0.75]).shape == (2, 2)


def test_interpolation_rejects_bad_inputs():
    with pytest.raises(ValueError):
        latent.interpolate(np.zeros(3), np.zeros(4), t=0.5)
    with pytest.raises(ValueError):
        latent.interpolate(np.zeros(3), np.ones(3))  # neither t nor steps
    with pytest.raises(ValueError):
        latent.interpolate(np.zeros(3), np.ones(3), t=1.5)
    with pytest.raises(ValueError):
        latent.interpolate(np.zeros(3), np.ones(3), steps=1)
    with pytest.raises(ValueError):
        latent.interpolate(np.zeros(3), np.ones(3), t=0.5, method="cubic")


def _toy_decoder(codes):
    """Codes (N, 2) → 6×6 images whose brightness is the first coordinate (clipped to [0, 1])."""
    codes = np.asarray(codes)
    return np.clip(codes[:, :1, None, None] * np.ones((1, 6, 6, 1)), 0, 1)


def test_decode_path_decodes_every_point():
    images = latent.decode_path(_toy_decoder, np.array([0.0, 0.0]), np.array([1.0, 0.0]), steps=5)
    assert images.shape == (5, 6, 6, 1)
    np.testing.assert_allclose(images[:, 0, 0, 0], [0, 0.25, 0.5, 0.75, 1.0])


def test_latent_explorer_output_changes_with_the_slider():
    box = latent.latent_explorer(_toy_decoder, np.array([0.0, 0.0]), np.array([1.0, 0.0]))
    first = box.image.value
    assert bytes(first[:4]) == b"\x89PNG"
    box.controls["t"].value = 1.0
    assert box.image.value != first
    strip = box.strip.value
    box.controls["method"].value = "slerp"
    assert box.strip.value is not None and len(box.strip.value) > 0
    assert box.controls["method"].value == "slerp" and strip is not None
