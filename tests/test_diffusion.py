"""Forward process and samplers of course_utils.diffusion, checked against exact oracles."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import diffusion
from course_utils.widgets import schedule as widget_schedule


def test_schedule_matches_the_widget_functions():
    linear = diffusion.Schedule.linear(1000)
    np.testing.assert_allclose(linear.alpha_bar, widget_schedule.linear_alpha_bar(1000))
    cosine = diffusion.Schedule.cosine(1000)
    np.testing.assert_allclose(cosine.alpha_bar, widget_schedule.cosine_alpha_bar(1000), rtol=1e-9)
    assert np.all(linear.posterior_variance <= linear.betas + 1e-15)
    assert linear.posterior_variance[0] == 0.0


def test_q_sample_has_the_closed_form_moments():
    sched = diffusion.Schedule.linear(1000)
    rng = np.random.default_rng(0)
    x0 = np.full((20000, 1), 0.8)
    t = 400
    x_t = diffusion.q_sample(x0, np.full(20000, t), rng.normal(size=x0.shape), sched.alpha_bar)
    assert x_t.mean() == pytest.approx(np.sqrt(sched.alpha_bar[t]) * 0.8, abs=0.02)
    assert x_t.var() == pytest.approx(1 - sched.alpha_bar[t], rel=0.05)


def test_timesteps_are_descending_and_cover_both_ends():
    steps = diffusion.timesteps(1000, 10)
    assert len(steps) == 10 and steps[0] == 999 and steps[-1] == 0
    assert np.all(np.diff(steps) < 0)
    np.testing.assert_array_equal(diffusion.timesteps(50, 50), np.arange(50)[::-1])
    with pytest.raises(ValueError):
        diffusion.timesteps(10, 11)


def _oracle(x0_true, alpha_bar):
    """The exact noise predictor for a data set holding only the image ``x0_true``."""
    def eps_fn(x, t):
        ab = alpha_bar[t].reshape(-1, *([1] * (x.ndim - 1)))
        return (x - np.sqrt(ab) * x0_true) / np.sqrt(1 - ab)
    return eps_fn


@pytest.mark.parametrize("steps", [5, 50])
def test_ddim_with_an_exact_oracle_returns_the_data_point(steps):
    sched = diffusion.Schedule.linear(200)
    target = np.linspace(-0.9, 0.9, 16).reshape(1, 4, 4, 1)
    images = diffusion.ddim_sample(_oracle(target, sched.alpha_bar), (3, 4, 4, 1), sched, steps=steps)
    np.testing.assert_allclose(images, np.repeat(target, 3, 0), atol=1e-4)


def test_ddpm_with_an_exact_oracle_returns_the_data_point_and_keeps_a_path():
    sched = diffusion.Schedule.linear(100)
    target = np.full((1, 2, 2, 1), 0.3)
    images, path = diffusion.ddpm_sample(_oracle(target, sched.alpha_bar), (2, 2, 2, 1), sched, keep=5)
    np.testing.assert_allclose(images, 0.3, atol=1e-4)
    assert [t for t, _ in path][0] == 100 and [t for t, _ in path][-1] == 0 and len(path) == 5


def test_ddim_is_deterministic_and_eta_adds_noise():
    sched = diffusion.Schedule.linear(100)
    eps_fn = lambda x, t: np.zeros_like(x)  # noqa: E731
    a = diffusion.ddim_sample(eps_fn, (2, 3), sched, steps=10, seed=1, clip=False)
    b = diffusion.ddim_sample(eps_fn, (2, 3), sched, steps=10, seed=1, clip=False)
    np.testing.assert_array_equal(a, b)
    noisy = diffusion.ddim_sample(eps_fn, (2, 3), sched, steps=10, seed=1, eta=1.0, clip=False)
    assert not np.allclose(a, noisy)


def test_sample_in_batches_stacks_the_requested_count():
    sched = diffusion.Schedule.linear(20)
    eps_fn = lambda x, t: np.zeros_like(x)  # noqa: E731
    images = diffusion.sample_in_batches(diffusion.ddim_sample, 7, 3, (2, 2, 1), eps_fn=eps_fn,
                                         schedule=sched, steps=4)
    assert images.shape == (7, 2, 2, 1)
