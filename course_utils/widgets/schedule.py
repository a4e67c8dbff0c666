"""Noise-schedule explorer for diffusion models: linear vs cosine ᾱ_t.

The plain functions return arrays indexed by the timestep t = 1 … T (array index t − 1), the
convention of Ho et al. (2020): ``alpha_bar[0]`` is ᾱ_1, already just below 1, and
``alpha_bar[-1]`` is ᾱ_T, close to 0 (almost pure noise).
The widget (ipywidgets 7.7 and 8) only wires sliders to :func:`schedule_summary` and a plot.
"""

from __future__ import annotations

import numpy as np


def linear_betas(T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """β_1 … β_T evenly spaced from ``beta_start`` to ``beta_end`` (DDPM's schedule)."""
    if T < 1:
        raise ValueError(f"T must be at least 1, got {T}.")
    if not 0 < beta_start <= beta_end < 1:
        raise ValueError(f"Need 0 < beta_start <= beta_end < 1, got {beta_start}, {beta_end}.")
    return np.linspace(beta_start, beta_end, T, dtype=np.float64)


def linear_alpha_bar(T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """ᾱ_t = ∏_{s ≤ t} (1 − β_s) for the linear β schedule, t = 1 … T."""
    return np.cumprod(1.0 - linear_betas(T, beta_start, beta_end))


def cosine_alpha_bar(T: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """The cosine schedule of Nichol & Dhariwal (2021), t = 1 … T.

    f(t) = cos²((t/T + s)/(1 + s) · π/2), ᾱ_t = f(t)/f(0). The implied β_t = 1 − ᾱ_t/ᾱ_{t−1} is
    clipped at ``max_beta`` (the last step would otherwise be β_T = 1), and ᾱ is rebuilt from the
    clipped β so the two always agree.
    """
    if T < 1:
        raise ValueError(f"T must be at least 1, got {T}.")
    steps = np.arange(T + 1, dtype=np.float64) / T
    f = np.cos((steps + s) / (1 + s) * np.pi / 2) ** 2
    ratio = f[1:] / f[:-1]
    betas = np.clip(1.0 - ratio, 0.0, max_beta)
    return np.cumprod(1.0 - betas)


def betas_from_alpha_bar(alpha_bar: np.ndarray) -> np.ndarray:
    """Invert the cumulative product: β_t = 1 − ᾱ_t / ᾱ_{t−1} (with ᾱ_0 = 1)."""
    alpha_bar = np.asarray(alpha_bar, dtype=np.float64)
    previous = np.concatenate([[1.0], alpha_bar[:-1]])
    return 1.0 - alpha_bar / previous


def alpha_bar(kind: str, T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02,
              s: float = 0.008) -> np.ndarray:
    """ᾱ_t of the schedule named ``kind`` ("linear" or "cosine")."""
    if kind == "linear":
        return linear_alpha_bar(T, beta_start, beta_end)
    if kind == "cosine":
        return cosine_alpha_bar(T, s)
    raise ValueError(f"Unknown schedule {kind!r}; use 'linear' or 'cosine'.")


def schedule_summary(T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02,
                     s: float = 0.008, t: int = 500) -> dict:
    """Numbers the explorer shows for timestep ``t``: ᾱ_t, signal and noise scales, SNR, per schedule."""
    if not 1 <= t <= T:
        raise ValueError(f"t must lie in 1 … {T}, got {t}.")
    summary = {}
    for kind in ("linear", "cosine"):
        value = float(alpha_bar(kind, T, beta_start, beta_end, s)[t - 1])
        summary[kind] = {"alpha_bar": value, "signal": value ** 0.5, "noise": (1 - value) ** 0.5,
                         "snr_db": 10 * np.log10(value / max(1 - value, 1e-300))}
    return summary


def noised(image: np.ndarray, alpha_bar_t: float, seed: int = 0) -> np.ndarray:
    """x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε for one image given in [−1, 1]."""
    eps = np.random.default_rng(seed).normal(size=np.shape(image))
    return np.sqrt(alpha_bar_t) * np.asarray(image, dtype=np.float64) + np.sqrt(1 - alpha_bar_t) * eps


def _summary_html(summary: dict, t: int) -> str:
    rows = "".join(
        f"<tr><td>{kind}</td><td>{v['alpha_bar']:.4f}</td><td>{v['signal']:.3f}</td>"
        f"<td>{v['noise']:.3f}</td><td>{v['snr_db']:+.1f} dB</td></tr>"
        for kind, v in summary.items())
    return (f"<b>t = {t}</b><table><tr><th>schedule</th><th>ᾱ_t</th><th>√ᾱ_t (signal)</th>"
            f"<th>√(1−ᾱ_t) (noise)</th><th>SNR</th></tr>{rows}</table>")


def schedule_explorer(image: np.ndarray | None = None, T: int = 1000):
    """Sliders for T, β_end, s and t; shows ᾱ_t of both schedules and (optionally) x_t of ``image``.

    ``image``: one image in [−1, 1] (H, W[, C]). Returns the widget; the controls are also in
    ``widget.controls`` and the numeric read-out in ``widget.readout`` (an HTML widget).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    style = {"description_width": "initial"}
    controls = {
        "T": widgets.IntSlider(value=T, min=50, max=2000, step=50, description="T", style=style),
        "beta_end": widgets.FloatSlider(value=0.02, min=0.005, max=0.05, step=0.001,
                                        readout_format=".3f", description="linear β_end",
                                        style=style),
        "s": widgets.FloatLogSlider(value=0.008, base=10, min=-4, max=-0.5, step=0.1,
                                    description="cosine s", style=style),
        "t": widgets.IntSlider(value=T // 2, min=1, max=T, description="t", style=style),
    }
    readout = widgets.HTML()
    plot = widgets.Output()

    def refresh(_change=None):
        total = controls["T"].value
        controls["t"].max = total
        t = min(controls["t"].value, total)
        beta_end, s = controls["beta_end"].value, controls["s"].value
        summary = schedule_summary(total, 1e-4, beta_end, s, t)
        readout.value = _summary_html(summary, t)
        plot.clear_output(wait=True)
        with plot:
            panels = 3 if image is not None else 1
            fig, axes = plt.subplots(1, panels, figsize=(4 * panels, 3), squeeze=False)
            steps = np.arange(1, total + 1)
            for kind in ("linear", "cosine"):
                axes[0, 0].plot(steps, alpha_bar(kind, total, 1e-4, beta_end, s), label=kind)
            axes[0, 0].axvline(t, color="grey", linestyle=":")
            axes[0, 0].set_xlabel("t")
            axes[0, 0].set_ylabel("ᾱ_t")
            axes[0, 0].legend()
            if image is not None:
                for axis, kind in zip(axes[0, 1:], ("linear", "cosine")):
                    x_t = noised(image, summary[kind]["alpha_bar"])
                    axis.imshow(np.clip((np.squeeze(x_t) + 1) / 2, 0, 1), cmap="gray",
                                vmin=0, vmax=1)
                    axis.set_title(f"{kind}: x_{t}")
                    axis.axis("off")
            plt.show()

    for control in controls.values():
        control.observe(refresh, names="value")
    refresh()
    box = widgets.VBox([widgets.HBox([controls["T"], controls["t"]]),
                        widgets.HBox([controls["beta_end"], controls["s"]]), readout, plot])
    box.controls, box.readout, box.plot = controls, readout, plot
    return box
