"""The optimizer explorer's logic: closed forms, Keras-matching rules, divergence, widget wiring."""

import math

import numpy as np
import pytest

from course_utils.widgets import optimizers as opt


def test_sgd_on_the_quadratic_follows_the_closed_form():
    # f = ½(x² + c·y²): gradient descent multiplies each coordinate by (1 − η·λ) per step.
    lr, steps = 0.05, 40
    surface = opt.SURFACES["quadratic"]
    path = opt.run_path("SGD", lr, 0.0, steps, "quadratic")
    t = np.arange(steps + 1)
    expected = np.stack([surface.start[0] * (1 - lr * 1.0) ** t,
                         surface.start[1] * (1 - lr * opt.CONDITION) ** t], axis=1)
    np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-15)


def test_sgd_diverges_above_two_over_the_largest_curvature():
    limit = 2 / opt.CONDITION
    stable = opt.run_path("SGD", 0.95 * limit, 0.0, 300, "quadratic")
    unstable = opt.run_path("SGD", 1.05 * limit, 0.0, 300, "quadratic")
    assert np.all(np.isfinite(stable)) and np.abs(stable[-1]).max() < 1e-3
    assert np.isnan(unstable[-1]).all()
    assert "diverged" in opt.describe_path(unstable, "quadratic")


def test_momentum_on_a_line_matches_its_recurrence():
    # On f = ½x² the heavy ball obeys x_{t+1} = (1 + μ − η) x_t − μ x_{t−1}.
    rule = opt.Momentum(learning_rate=0.1, momentum=0.8)
    path = opt.trajectory(rule, lambda theta: np.array([theta[0], 0.0]), (1.0, 0.0), 30)[:, 0]
    assert path[1] == pytest.approx(1 - 0.1)
    for t in range(1, 30):
        assert path[t + 1] == pytest.approx((1 + 0.8 - 0.1) * path[t] - 0.8 * path[t - 1], rel=1e-12)


def test_nesterov_is_not_plain_momentum():
    heavy = opt.run_path("Momentum", 0.01, 0.9, 50, "quadratic")
    nesterov = opt.run_path("Nesterov", 0.01, 0.9, 50, "quadratic")
    assert not np.allclose(heavy, nesterov)
    np.testing.assert_allclose(heavy[1], nesterov[0] - 0.01 * opt.SURFACES["quadratic"].gradient(heavy[0]))
    # Nesterov's first step is (1 + μ)·η·g: the look-ahead already counts the momentum once.
    np.testing.assert_allclose(nesterov[1] - nesterov[0],
                               -(1 + 0.9) * 0.01 * opt.SURFACES["quadratic"].gradient(nesterov[0]))


def test_adam_first_step_is_the_learning_rate_times_the_sign():
    # With bias correction the first step is η·g/(|g| + ε·…) ≈ η·sign(g) in every coordinate.
    path = opt.run_path("Adam", 0.1, 0.9, 1, "rosenbrock")
    step = path[1] - path[0]
    gradient = opt.SURFACES["rosenbrock"].gradient(path[0])
    np.testing.assert_allclose(step, -0.1 * np.sign(gradient), rtol=1e-6)


def test_lion_moves_every_coordinate_by_exactly_the_learning_rate():
    path = opt.run_path("Lion", 0.01, 0.9, 20, "rosenbrock")
    np.testing.assert_allclose(np.abs(np.diff(path, axis=0)), 0.01, rtol=1e-9)


def test_adagrad_and_rmsprop_put_epsilon_inside_the_root():
    g = np.array([3.0, -0.5])
    theta, state = opt.Adagrad(learning_rate=0.1).step(np.zeros(2), g, opt.Adagrad().init(np.zeros(2)), 1)
    np.testing.assert_allclose(theta, -0.1 * g / np.sqrt(0.1 + g**2 + 1e-7))
    theta, _ = opt.RMSprop(learning_rate=0.1).step(np.zeros(2), g, opt.RMSprop().init(np.zeros(2)), 1)
    np.testing.assert_allclose(theta, -0.1 * g / np.sqrt(0.1 * g**2 + 1e-7))


def test_rules_match_keras_on_rosenbrock():
    # float32 tensors on both sides, as in notebook 02: Keras keeps η in float32 and computes β^t in the
    # weights' dtype, and the rules do the same, so the trajectories agree to float32 precision.
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    surface = opt.SURFACES["rosenbrock"]
    lr = surface.lr
    pairs = {
        "SGD": (opt.SGD(lr["SGD"]), keras.optimizers.SGD(lr["SGD"])),
        "Momentum": (opt.Momentum(lr["Momentum"], 0.9), keras.optimizers.SGD(lr["Momentum"], momentum=0.9)),
        "Nesterov": (opt.Nesterov(lr["Nesterov"], 0.9),
                     keras.optimizers.SGD(lr["Nesterov"], momentum=0.9, nesterov=True)),
        "Adagrad": (opt.Adagrad(lr["Adagrad"]), keras.optimizers.Adagrad(lr["Adagrad"])),
        "RMSprop": (opt.RMSprop(lr["RMSprop"]), keras.optimizers.RMSprop(lr["RMSprop"])),
        "RMSprop+momentum": (opt.RMSprop(lr["RMSprop"], momentum=0.5),
                             keras.optimizers.RMSprop(lr["RMSprop"], momentum=0.5)),
        "Adam": (opt.Adam(lr["Adam"]), keras.optimizers.Adam(lr["Adam"])),
        "Lion": (opt.Lion(lr["Lion"]), keras.optimizers.Lion(lr["Lion"])),
    }
    steps = 30
    for name, (rule, keras_optimizer) in pairs.items():
        variable = tf.Variable(surface.start, dtype=tf.float32)
        theta = tf.constant(surface.start, tf.float32)
        state = rule.init(theta)
        for t in range(1, steps + 1):
            with tf.GradientTape() as tape:
                loss = surface(variable)
            keras_optimizer.apply_gradients([(tape.gradient(loss, variable), variable)])
            with tf.GradientTape() as tape:
                tape.watch(theta)
                loss = surface(theta)
            theta, state = rule.step(theta, tape.gradient(loss, theta), state, t, ops=tf.math)
            np.testing.assert_allclose(theta.numpy(), variable.numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name}, step {t}")


def test_rules_run_on_tensorflow_tensors():
    tf = pytest.importorskip("tensorflow")
    rule = opt.Adam(learning_rate=0.1)
    theta = tf.constant([-1.5, 2.0], tf.float64)
    state = rule.init(theta)
    for t in range(1, 4):
        theta, state = rule.step(theta, tf.constant(opt.SURFACES["rosenbrock"].gradient(theta.numpy())),
                                 state, t, ops=tf.math)
    assert isinstance(theta, tf.Tensor)
    np.testing.assert_allclose(theta.numpy(), opt.run_path("Adam", 0.1, 0.9, 3, "rosenbrock")[-1])


def test_every_suggested_learning_rate_makes_progress():
    for surface in opt.SURFACES.values():
        start_loss = surface(np.array(surface.start))
        for name in opt.OPTIMIZERS:
            path = opt.run_path(name, surface.lr[name], 0.9, 300, surface)
            assert np.all(np.isfinite(path)), (surface.name, name)
            assert surface(path[-1]) < start_loss, (surface.name, name)


def test_saddle_start_is_a_near_stationary_point_and_sgd_escapes():
    surface = opt.SURFACES["saddle"]
    path = opt.run_path("SGD", 0.1, 0.0, 200, "saddle")
    assert abs(path[-1][1]) == pytest.approx(1.0, abs=1e-3)
    assert surface(path[-1]) == pytest.approx(surface.min_value(), abs=1e-6)


def test_bad_inputs_are_rejected_with_clear_errors():
    with pytest.raises(ValueError, match="Unknown optimizer"):
        opt.run_path("Adamax", 0.1)
    with pytest.raises(ValueError, match="Unknown surface"):
        opt.run_path("SGD", 0.1, surface="himmelblau")
    with pytest.raises(ValueError, match="learning rate"):
        opt.make_rule("SGD", 0.0)
    with pytest.raises(ValueError, match="momentum"):
        opt.make_rule("Momentum", 0.1, 1.0)
    with pytest.raises(ValueError, match="Lion needs"):
        opt.make_rule("Lion", 0.1, 0.0)


def test_explorer_callback_reacts_to_controls(monkeypatch):
    pytest.importorskip("ipywidgets")
    import matplotlib

    matplotlib.use("Agg")
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objects, **kwargs: shown.extend(objects))
    box = opt.optimizer_explorer(optimizer="SGD", surface="quadratic", steps=50)
    controls, summary = box.controls, box.summary
    first = summary.value
    assert "SGD" in first and "final loss" in first
    count = len(shown)
    assert count >= 1

    controls["lr"].value = 0.2  # above 2/20: gradient descent diverges on the quadratic
    assert summary.value != first and "diverged" in summary.value
    assert len(shown) > count

    controls["optimizer"].value = "Adam"  # switching the optimizer suggests a working learning rate
    assert controls["lr"].value == pytest.approx(opt.SURFACES["quadratic"].lr["Adam"], rel=0.06)
    assert "Adam" in summary.value and "diverged" not in summary.value

    controls["steps"].value = 10
    assert "final loss" in summary.value

    controls["noise"].value = 1.0
    assert "gradient noise σ = 1" in summary.value

    controls["optimizer"].value = "Lion"
    controls["momentum"].value = 0.0
    assert "Lion needs" in summary.value


def test_plot_paths_draws_one_line_per_path():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = {name: opt.run_path(name, opt.SURFACES["saddle"].lr[name], 0.9, 20, "saddle")
             for name in ("SGD", "Adam")}
    ax = opt.plot_paths("saddle", paths)
    labels = [line.get_label() for line in ax.get_lines()]
    assert "SGD" in labels and "Adam" in labels
    assert not math.isnan(ax.get_xlim()[0])
    plt.close("all")


def test_gradient_noise_is_off_by_default_reproducible_and_rejected_when_negative():
    plain = opt.run_path("SGD", 0.05, 0.0, 100, "quadratic")
    assert np.array_equal(plain, opt.run_path("SGD", 0.05, 0.0, 100, "quadratic", noise=0.0))
    noisy = opt.run_path("SGD", 0.05, 0.0, 100, "quadratic", noise=1.0, seed=3)
    assert np.array_equal(noisy, opt.run_path("SGD", 0.05, 0.0, 100, "quadratic", noise=1.0, seed=3))
    assert not np.array_equal(noisy, plain)
    with pytest.raises(ValueError, match="standard deviation"):
        opt.run_path("SGD", 0.05, 0.0, 10, "quadratic", noise=-1.0)


@pytest.mark.parametrize("lr", [0.01, 0.05])
def test_noisy_sgd_settles_at_the_predicted_noise_floor(lr):
    surface = opt.SURFACES["quadratic"]
    path = opt.run_path("SGD", lr, 0.0, 40_000, surface, start=(0.0, 0.0), noise=2.0, seed=1)
    measured = np.mean([surface(theta) for theta in path[5_000:]])
    assert measured == pytest.approx(opt.sgd_noise_floor(lr, 2.0), rel=0.1)
