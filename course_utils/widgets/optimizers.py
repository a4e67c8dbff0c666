"""Optimizer paths on 2-D loss surfaces: test functions, update rules written from scratch, explorer.

Everything except :func:`optimizer_explorer` is a plain function or a small class, usable without a
browser or a kernel (notebook 02 and the unit tests call them directly).

* :data:`SURFACES` — an ill-conditioned quadratic, Rosenbrock's valley and a saddle, each with its
  value, analytic gradient, start point and minima.
* The update rules (:class:`SGD`, :class:`Momentum`, :class:`Nesterov`, :class:`Adagrad`,
  :class:`RMSprop`, :class:`Adam`, :class:`Lion`) follow the formulas and defaults of the matching
  ``keras.optimizers`` classes. Each is a pair of pure functions: ``init(theta) -> state`` and
  ``step(theta, grad, state, t, ops) -> (theta, state)``. They use only arithmetic operators and
  ``ops.sqrt`` / ``ops.sign``, so the same code runs on NumPy arrays (``ops=numpy``, the default)
  and on TensorFlow tensors (``ops=tf.math``).
* :func:`run_path` — the path of one optimizer on one surface, as a ``(steps + 1, 2)`` array.
* :func:`optimizer_explorer` — an ipywidgets UI (optimizer, learning rate, momentum, steps, surface).
  It only uses APIs that ipywidgets 7.7 (Colab) and 8 share: ``Dropdown``, ``FloatLogSlider``,
  ``FloatSlider``, ``IntSlider``, ``HTML``, ``HBox``/``VBox``, ``interactive_output`` and
  ``observe(..., names="value")``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# --------------------------------------------------------------------------------------------------
# Test functions
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface ``f(x, y)`` with its gradient, a start point and its minima."""

    name: str
    title: str
    value: Callable  # f(x, y), written with operators only (works on floats, arrays and tensors)
    grad: Callable  # (df/dx, df/dy)
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    log_levels: bool = False  # contour levels spaced logarithmically (for steep valleys)
    lr: dict = field(default_factory=dict)  # a learning rate that works for each optimizer

    def __call__(self, theta):
        return self.value(theta[0], theta[1])

    def gradient(self, theta) -> np.ndarray:
        """Analytic gradient at ``theta`` as a NumPy array of shape (2,)."""
        gx, gy = self.grad(theta[0], theta[1])
        return np.array([gx, gy], dtype=np.float64)

    def min_value(self) -> float:
        """The lowest value of the surface (at its minima)."""
        return float(min(self.value(x, y) for x, y in self.minima))


CONDITION = 20.0  # curvature ratio of the quadratic: eigenvalues 1 and 20


def _quadratic(x, y):
    return 0.5 * (x * x + CONDITION * y * y)


def _quadratic_grad(x, y):
    return x, CONDITION * y


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _rosenbrock_grad(x, y):
    return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


def _saddle(x, y):
    return 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y


def _saddle_grad(x, y):
    return x, y ** 3 - y


SURFACES: dict[str, Surface] = {
    "quadratic": Surface(
        "quadratic", f"Ill-conditioned quadratic ½(x² + {CONDITION:g}·y²)", _quadratic, _quadratic_grad,
        start=(-4.0, 1.5), minima=((0.0, 0.0),), xlim=(-5.0, 5.0), ylim=(-2.0, 2.0),
        lr={"SGD": 0.09, "Momentum": 0.02, "Nesterov": 0.02, "Adagrad": 1.0, "RMSprop": 0.1,
            "Adam": 0.3, "Lion": 0.05},
    ),
    "rosenbrock": Surface(
        "rosenbrock", "Rosenbrock (1 − x)² + 100·(y − x²)²", _rosenbrock, _rosenbrock_grad,
        start=(-1.5, 2.0), minima=((1.0, 1.0),), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), log_levels=True,
        lr={"SGD": 1e-3, "Momentum": 5e-4, "Nesterov": 5e-4, "Adagrad": 0.5, "RMSprop": 0.01,
            "Adam": 0.1, "Lion": 0.01},
    ),
    "saddle": Surface(
        "saddle", "Saddle ½x² + ¼y⁴ − ½y² (saddle at 0, minima at y = ±1)", _saddle, _saddle_grad,
        start=(2.5, 1e-3), minima=((0.0, 1.0), (0.0, -1.0)), xlim=(-3.0, 3.0), ylim=(-1.6, 1.6),
        lr={"SGD": 0.1, "Momentum": 0.03, "Nesterov": 0.03, "Adagrad": 0.5, "RMSprop": 0.02,
            "Adam": 0.05, "Lion": 0.02},
    ),
}

# --------------------------------------------------------------------------------------------------
# Update rules, written from scratch. Keras conventions are noted where they matter.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SGD:
    """θ ← θ − η g."""

    learning_rate: float = 0.01

    def init(self, theta):
        return ()

    def step(self, theta, grad, state, t, ops=np):
        return theta - self.learning_rate * grad, state


@dataclass(frozen=True)
class Momentum:
    """Heavy ball, Keras form: v ← μ v − η g; θ ← θ + v (``keras.optimizers.SGD(momentum=μ)``)."""

    learning_rate: float = 0.01
    momentum: float = 0.9

    def init(self, theta):
        return (theta * 0.0,)

    def step(self, theta, grad, state, t, ops=np):
        (velocity,) = state
        velocity = self.momentum * velocity - self.learning_rate * grad
        return theta + velocity, (velocity,)


@dataclass(frozen=True)
class Nesterov:
    """Nesterov momentum in Keras's form: v ← μ v − η g; θ ← θ + μ v − η g.

    Nesterov's method takes the gradient at a look-ahead point θ + μ v. Storing that look-ahead point
    instead of θ gives this form, whose gradient is taken at the stored point (Bengio et al., 2012;
    ``keras.optimizers.SGD(momentum=μ, nesterov=True)``).
    """

    learning_rate: float = 0.01
    momentum: float = 0.9

    def init(self, theta):
        return (theta * 0.0,)

    def step(self, theta, grad, state, t, ops=np):
        (velocity,) = state
        velocity = self.momentum * velocity - self.learning_rate * grad
        return theta + (self.momentum * velocity - self.learning_rate * grad), (velocity,)


@dataclass(frozen=True)
class Adagrad:
    """G ← G + g²; θ ← θ − η g / √(G + ε).

    Keras conventions: the accumulator starts at 0.1 (not 0) and ε = 1e-7 sits *inside* the root.
    """

    learning_rate: float = 0.001
    initial_accumulator_value: float = 0.1
    epsilon: float = 1e-7

    def init(self, theta):
        return (theta * 0.0 + self.initial_accumulator_value,)

    def step(self, theta, grad, state, t, ops=np):
        (accumulator,) = state
        accumulator = accumulator + grad * grad
        return theta - self.learning_rate * grad / ops.sqrt(accumulator + self.epsilon), (accumulator,)


@dataclass(frozen=True)
class RMSprop:
    """s ← ρ s + (1 − ρ) g²; θ ← θ − η g / √(s + ε); with momentum μ > 0 the step is smoothed.

    Keras conventions: ρ = 0.9, ε = 1e-7 inside the root, s starts at 0; with momentum,
    u ← μ u + η g / √(s + ε) and θ ← θ − u.
    """

    learning_rate: float = 0.001
    rho: float = 0.9
    momentum: float = 0.0
    epsilon: float = 1e-7

    def init(self, theta):
        return (theta * 0.0, theta * 0.0)

    def step(self, theta, grad, state, t, ops=np):
        mean_square, moving = state
        mean_square = self.rho * mean_square + (1 - self.rho) * (grad * grad)
        increment = self.learning_rate * grad / ops.sqrt(mean_square + self.epsilon)
        if self.momentum > 0:
            moving = self.momentum * moving + increment
            increment = moving
        return theta - increment, (mean_square, moving)


@dataclass(frozen=True)
class Adam:
    """m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²; θ ← θ − α_t m / (√v + ε).

    Bias correction is folded into the step size, α_t = η √(1 − β2ᵗ) / (1 − β1ᵗ), as in Kingma & Ba's
    "efficient version" and in Keras. ε = 1e-7 is added to √v *before* correction, so it differs slightly
    from the textbook m̂ / (√v̂ + ε) (PyTorch uses the textbook form with ε = 1e-8).
    """

    learning_rate: float = 0.001
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7

    def init(self, theta):
        return (theta * 0.0, theta * 0.0)

    def step(self, theta, grad, state, t, ops=np):
        m, v = state
        m = m + (1 - self.beta_1) * (grad - m)          # = β1 m + (1 − β1) g
        v = v + (1 - self.beta_2) * (grad * grad - v)   # = β2 v + (1 − β2) g²
        # β^t in the parameters' own precision, as Keras computes it: in float32, 1 − β2ᵗ for
        # small t is sensitive to how 0.999 is rounded.
        beta_1_power = (theta * 0.0 + self.beta_1) ** t
        beta_2_power = (theta * 0.0 + self.beta_2) ** t
        alpha = self.learning_rate * ops.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        return theta - m * alpha / (ops.sqrt(v) + self.epsilon), (m, v)


@dataclass(frozen=True)
class Lion:
    """θ ← θ − η sign(β1 m + (1 − β1) g); then m ← β2 m + (1 − β2) g (Chen et al., 2023).

    Every coordinate moves by exactly ±η (or 0): the step size does not depend on the gradient's scale.
    Keras defaults: β1 = 0.9, β2 = 0.99.
    """

    learning_rate: float = 0.001
    beta_1: float = 0.9
    beta_2: float = 0.99

    def init(self, theta):
        return (theta * 0.0,)

    def step(self, theta, grad, state, t, ops=np):
        (m,) = state
        direction = ops.sign(self.beta_1 * m + (1 - self.beta_1) * grad)
        m = self.beta_2 * m + (1 - self.beta_2) * grad
        return theta - self.learning_rate * direction, (m,)


OPTIMIZERS = ("SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam", "Lion")
USES_MOMENTUM = {"Momentum": "momentum μ", "Nesterov": "momentum μ", "RMSprop": "momentum μ",
                 "Adam": "β1", "Lion": "β1"}


def make_rule(optimizer: str, lr: float, momentum: float = 0.9):
    """The update rule called ``optimizer`` with learning rate ``lr``.

    ``momentum`` is the momentum μ of Momentum, Nesterov and RMSprop, and β1 of Adam and Lion; SGD
    and Adagrad ignore it. All other hyper-parameters keep the Keras defaults.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}.")
    if lr <= 0:
        raise ValueError(f"learning rate must be > 0, got {lr}.")
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}.")
    if optimizer == "SGD":
        return SGD(lr)
    if optimizer == "Momentum":
        return Momentum(lr, momentum)
    if optimizer == "Nesterov":
        return Nesterov(lr, momentum)
    if optimizer == "Adagrad":
        return Adagrad(lr)
    if optimizer == "RMSprop":
        return RMSprop(lr, momentum=momentum)
    if optimizer == "Adam":
        return Adam(lr, beta_1=momentum)
    if momentum == 0.0:
        raise ValueError("Lion needs β1 > 0 (with β1 = 0 it is sign descent).")
    return Lion(lr, beta_1=momentum)


def trajectory(rule, gradient: Callable, start, steps: int, ops=np, limit: float = 1e6,
               noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Apply ``rule`` for ``steps`` steps from ``start``; rows after a divergence are NaN.

    ``gradient(theta)`` returns the gradient at ``theta``. A path diverges when a coordinate is not
    finite or exceeds ``limit`` in size. ``noise`` > 0 adds N(0, noise²) to every gradient
    coordinate (drawn with ``seed``): the error a mini-batch makes in estimating the full gradient.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}.")
    if noise < 0:
        raise ValueError(f"noise is a standard deviation and must be >= 0, got {noise}.")
    rng = np.random.default_rng(seed)
    path = np.full((steps + 1, 2), np.nan)
    theta = np.asarray(start, dtype=np.float64)
    path[0] = theta
    state = rule.init(theta)
    for t in range(1, steps + 1):
        grad = gradient(theta)
        if noise:
            grad = grad + noise * rng.normal(size=np.shape(theta))
        theta, state = rule.step(theta, grad, state, t, ops)
        if not np.all(np.isfinite(theta)) or np.max(np.abs(theta)) > limit:
            break
        path[t] = theta
    return path


def run_path(optimizer: str, lr: float, momentum: float = 0.9, steps: int = 200,
             surface: str | Surface = "rosenbrock", start=None, noise: float = 0.0,
             seed: int = 0) -> np.ndarray:
    """Path of ``optimizer`` on ``surface`` as an array of shape ``(steps + 1, 2)`` (NaN after divergence).

    ``noise``: standard deviation of Gaussian noise added to each gradient coordinate (mini-batch
    sampling), reproducible with ``seed``.
    """
    surface = get_surface(surface)
    start = surface.start if start is None else start
    return trajectory(make_rule(optimizer, lr, momentum), surface.gradient, start, steps,
                      noise=noise, seed=seed)


def sgd_noise_floor(lr: float, noise: float, curvatures=(1.0, CONDITION)) -> float:
    """Expected loss of SGD at its stationary state on ½·Σ λᵢθᵢ² with gradient noise of std ``noise``.

    Per coordinate θ ← (1 − ηλ)θ − ησξ has variance ησ²/(λ(2 − ηλ)), so the loss averages
    ησ²/(2(2 − ηλ)): proportional to the learning rate, which is why a decaying rate is needed to settle.
    """
    return float(sum(lr * noise ** 2 / (2 * (2 - lr * curvature)) for curvature in curvatures))


def get_surface(surface: str | Surface) -> Surface:
    """A :class:`Surface` from its name (or itself)."""
    if isinstance(surface, Surface):
        return surface
    if surface not in SURFACES:
        raise ValueError(f"Unknown surface {surface!r}; choose one of {', '.join(SURFACES)}.")
    return SURFACES[surface]


def describe_path(path: np.ndarray, surface: str | Surface, tolerance: float = 1e-3) -> str:
    """One line about a path: final point and loss, or the step where it diverged."""
    surface = get_surface(surface)
    finite = np.all(np.isfinite(path), axis=1)
    if not finite.all():
        return f"diverged after step {int(np.argmin(finite)) - 1}: lower the learning rate"
    losses = np.array([surface(theta) for theta in path]) - surface.min_value()
    reached = np.flatnonzero(losses < tolerance)
    when = f"first within {tolerance:g} of the minimum at step {reached[0]}" if reached.size else (
        f"not within {tolerance:g} of the minimum yet")
    x, y = path[-1]
    return f"final point ({x:.4f}, {y:.4f}), final loss {surface(path[-1]):.3g}; {when}"


# --------------------------------------------------------------------------------------------------
# Plots and the widget
# --------------------------------------------------------------------------------------------------


def plot_surface(surface: str | Surface, ax=None, resolution: int = 200):
    """Contour plot of a surface with its minima marked; returns the axes."""
    import matplotlib.pyplot as plt

    surface = get_surface(surface)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    xs = np.linspace(*surface.xlim, resolution)
    ys = np.linspace(*surface.ylim, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    values = surface.value(grid_x, grid_y)
    if surface.log_levels:
        shifted = values - values.min() + 1e-3
        levels = np.logspace(np.log10(shifted.min()), np.log10(shifted.max()), 25)
        ax.contour(grid_x, grid_y, shifted, levels=levels, cmap="viridis", linewidths=0.7)
    else:
        ax.contour(grid_x, grid_y, values, levels=25, cmap="viridis", linewidths=0.7)
    for x, y in surface.minima:
        ax.plot(x, y, "*", color="black", ms=12)
    ax.set(xlim=surface.xlim, ylim=surface.ylim, title=surface.title, xlabel="x", ylabel="y")
    return ax


def plot_paths(surface: str | Surface, paths: dict, ax=None):
    """Contour plot with one line per path (``{label: (steps + 1, 2) array}``); returns the axes."""
    surface = get_surface(surface)
    ax = plot_surface(surface, ax)
    for label, path in paths.items():
        ax.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=1.2, label=label)
    ax.plot(*surface.start, "o", color="black", ms=5)
    ax.legend(fontsize=8, loc="best")
    return ax


def optimizer_explorer(optimizer: str = "Adam", surface: str = "rosenbrock", steps: int = 300,
                       momentum: float = 0.9, lr: float | None = None):
    """An interactive explorer: pick an optimizer, a surface, the learning rate, momentum and steps.

    Returns a ``VBox``; its ``controls`` attribute maps names to the control widgets and ``summary`` is
    the ``HTML`` widget the callback rewrites, so the wiring can be tested without a browser. Changing the
    optimizer or the surface sets the learning rate to one that works there (you can move it after).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    start_surface = get_surface(surface)
    wide = {"description_width": "initial"}
    controls = {
        "optimizer": widgets.Dropdown(options=list(OPTIMIZERS), value=optimizer,
                                      description="optimizer", style=wide),
        "surface": widgets.Dropdown(options=list(SURFACES), value=start_surface.name,
                                    description="surface", style=wide),
        "lr": widgets.FloatLogSlider(value=lr or start_surface.lr[optimizer], base=10, min=-5, max=0.5,
                                     step=0.05, description="learning rate", readout_format=".2e",
                                     style=wide, continuous_update=False),
        "momentum": widgets.FloatSlider(value=momentum, min=0.0, max=0.99, step=0.01,
                                        description="momentum / β1", style=wide,
                                        continuous_update=False),
        "steps": widgets.IntSlider(value=steps, min=10, max=2000, step=10, description="steps",
                                   style=wide, continuous_update=False),
        "noise": widgets.FloatSlider(value=0.0, min=0.0, max=5.0, step=0.1,
                                     description="gradient noise σ", style=wide,
                                     continuous_update=False),
    }
    summary = widgets.HTML(value="")

    def suggest_learning_rate(change):
        chosen = get_surface(controls["surface"].value)
        controls["lr"].value = chosen.lr[controls["optimizer"].value]

    controls["optimizer"].observe(suggest_learning_rate, names="value")
    controls["surface"].observe(suggest_learning_rate, names="value")

    def update(optimizer, surface, lr, momentum, steps, noise):
        try:
            path = run_path(optimizer, lr, momentum, steps, surface, noise=noise)
        except ValueError as error:  # e.g. Lion with β1 = 0
            summary.value = f"<b>{optimizer}</b>: {error}"
            return
        note = ""
        if optimizer in USES_MOMENTUM:
            note = f" (momentum slider = {USES_MOMENTUM[optimizer]})"
        elif momentum:
            note = f" ({optimizer} has no momentum: the slider is ignored)"
        if noise:
            note += f", gradient noise σ = {noise:g} (mini-batch sampling)"
        summary.value = (f"<b>{optimizer}</b>, η = {lr:.3g}{note}: "
                         f"{describe_path(path, surface)}")
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        plot_paths(surface, {f"{optimizer}, η = {lr:.3g}": path}, ax)
        display(fig)
        plt.close(fig)

    output = widgets.interactive_output(update, controls)
    box = widgets.VBox([
        widgets.HBox([controls["optimizer"], controls["surface"], controls["steps"]]),
        widgets.HBox([controls["lr"], controls["momentum"], controls["noise"]]),
        summary,
        output,
    ])
    box.controls = controls
    box.summary = summary
    return box
