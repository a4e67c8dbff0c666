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


def test_v_gives_back_the_noise_and_the_image():
    rng = np.random.default_rng(3)
    alpha_bar = diffusion.Schedule.cosine(1000).alpha_bar
    x0, eps = rng.uniform(-1, 1, (4, 3, 3, 1)), rng.normal(size=(4, 3, 3, 1))
    t = np.array([0, 300, 900, 999])
    ab = alpha_bar[t].reshape(-1, 1, 1, 1)
    x_t = diffusion.q_sample(x0, t, eps, alpha_bar)
    v = diffusion.v_target(x0, eps, ab)
    np.testing.assert_allclose(diffusion.eps_from_v(x_t, v, ab), eps, atol=1e-9)
    np.testing.assert_allclose(np.sqrt(ab) * x_t - np.sqrt(1 - ab) * v, x0, atol=1e-9)
    # at t = T, ᾱ_t is almost 0, and so is v + x_0
    np.testing.assert_allclose(v[-1], -x0[-1], atol=1e-3)


def test_a_v_oracle_samples_the_data_point_like_an_eps_oracle():
    sched = diffusion.Schedule.cosine(200)
    target = np.linspace(-0.9, 0.9, 16).reshape(1, 4, 4, 1)
    eps_oracle = _oracle(target, sched.alpha_bar)

    def v_oracle(x, t):
        ab = sched.alpha_bar[t].reshape(-1, 1, 1, 1)
        return diffusion.v_target(target, eps_oracle(x, t), ab)

    eps_fn = diffusion.eps_fn_from_v(v_oracle, sched.alpha_bar)
    x = np.random.default_rng(0).normal(size=(3, 4, 4, 1))
    np.testing.assert_allclose(eps_fn(x, np.array([5, 100, 199])), eps_oracle(x, np.array([5, 100, 199])),
                               atol=1e-6)
    images = diffusion.ddim_sample(eps_fn, (3, 4, 4, 1), sched, steps=10)
    np.testing.assert_allclose(images, np.repeat(target, 3, 0), atol=1e-4)
    # a zero output means ε̂ = 0 for an ε network but x̂_0 = √ᾱ_t x_t for a v network
    zero_v = diffusion.eps_fn_from_v(lambda x, t: np.zeros_like(x), sched.alpha_bar)
    np.testing.assert_allclose(zero_v(x, np.full(3, 50)), np.sqrt(1 - sched.alpha_bar[50]) * x)
