"""Latent interpolation explorer: walk from one code to another and decode every point.

:func:`interpolate` and :func:`decode_path` are plain functions (unit-tested without a browser);
:func:`latent_explorer` wires a slider and a method switch to them (ipywidgets 7.7 and 8).
"""

from __future__ import annotations

import io

import numpy as np


def _weights(t=None, steps: int | None = None) -> tuple[np.ndarray, bool]:
    if (t is None) == (steps is None):
        raise ValueError("Give exactly one of t (a number or array in [0, 1]) or steps (an int ≥ 2).")
    if steps is not None:
        if steps < 2:
            raise ValueError(f"steps must be at least 2 (both endpoints), got {steps}.")
        return np.linspace(0.0, 1.0, steps), False
    scalar = np.ndim(t) == 0
    weights = np.atleast_1d(np.asarray(t, dtype=np.float64))
    if np.any((weights < 0) | (weights > 1)):
        raise ValueError("Interpolation weights t must lie in [0, 1].")
    return weights, scalar


def interpolate(z_a, z_b, t=None, steps: int | None = None, method: str = "linear") -> np.ndarray:
    """Points between codes ``z_a`` (t = 0) and ``z_b`` (t = 1).

    ``t``: a number (returns one code) or an array (returns one code per entry); or ``steps``:
    that many evenly spaced points including both ends. ``method``: "linear" (straight line) or
    "slerp" (along the great circle: between two prior draws, whose norms are both close to
    √d, it keeps that typical norm, where the midpoint of a straight line is unusually close to
    the origin; between codes of different lengths, such as encoder means, it only blends the
    two lengths).
    The endpoints are returned exactly.
    """
    z_a = np.asarray(z_a, dtype=np.float64)
    z_b = np.asarray(z_b, dtype=np.float64)
    if z_a.shape != z_b.shape:
        raise ValueError(f"z_a and z_b differ in shape: {z_a.shape} vs {z_b.shape}.")
    weights, scalar = _weights(t, steps)
    w = weights.reshape((-1,) + (1,) * z_a.ndim)
    if method == "linear":
        path = (1 - w) * z_a + w * z_b
    elif method == "slerp":
        cos = np.dot(z_a.ravel(), z_b.ravel()) / (np.linalg.norm(z_a) * np.linalg.norm(z_b) + 1e-12)
        omega = np.arccos(np.clip(cos, -1.0, 1.0))
        if np.sin(omega) < 1e-6:  # (anti)parallel codes: fall back to a straight line
            path = (1 - w) * z_a + w * z_b
        else:
            path = (np.sin((1 - w) * omega) * z_a + np.sin(w * omega) * z_b) / np.sin(omega)
    else:
        raise ValueError(f"Unknown method {method!r}; use 'linear' or 'slerp'.")
    path[weights == 0] = z_a
    path[weights == 1] = z_b
    path = path.astype(np.float32)
    return path[0] if scalar else path


def decode_path(decoder, z_a, z_b, steps: int = 8, method: str = "linear") -> np.ndarray:
    """Decode ``steps`` codes between ``z_a`` and ``z_b``: ``decoder`` maps (N, d) codes to images."""
    return np.asarray(decoder(interpolate(z_a, z_b, steps=steps, method=method)))


def to_png(image: np.ndarray, value_range: tuple[float, float] = (0.0, 1.0), scale: int = 4) -> bytes:
    """One image (H, W[, C]) in ``value_range`` → PNG bytes, enlarged ``scale`` times."""
    from PIL import Image

    low, high = value_range
    pixels = np.clip((np.asarray(image, dtype=np.float32) - low) / (high - low), 0, 1)
    pixels = np.rint(pixels * 255).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    picture = Image.fromarray(pixels)
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def latent_explorer(decoder, z_a, z_b, value_range: tuple[float, float] = (0.0, 1.0),
                    strip_steps: int = 9, scale: int = 4):
    """A slider t ∈ [0, 1] and a linear/slerp switch; shows decoder(interpolate(z_a, z_b, t)).

    ``decoder`` maps a batch of codes (N, d) to images (N, H, W[, C]) in ``value_range``, e.g.
    ``lambda z: vae.decoder(z, training=False).numpy()``. Below the slider's image, a strip shows
    ``strip_steps`` points of the whole path. The controls are in ``widget.controls``, the
    decoded image in ``widget.image`` (its ``.value`` holds PNG bytes).
    """
    import ipywidgets as widgets

    slider = widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="t",
                                 continuous_update=False)
    method = widgets.Dropdown(options=["linear", "slerp"], value="linear", description="path")
    image = widgets.Image(format="png")
    strip = widgets.Image(format="png")
    label = widgets.Label()

    def refresh(_change=None):
        code = interpolate(z_a, z_b, t=slider.value, method=method.value)
        image.value = to_png(np.asarray(decoder(code[None]))[0], value_range, scale)
        label.value = f"t = {slider.value:.2f}, ‖z‖ = {np.linalg.norm(code):.2f}"

    def refresh_strip(_change=None):
        images = decode_path(decoder, z_a, z_b, strip_steps, method.value)
        strip.value = to_png(np.concatenate(list(images), axis=1), value_range, max(1, scale // 2))

    slider.observe(refresh, names="value")
    method.observe(refresh, names="value")
    method.observe(refresh_strip, names="value")
    refresh()
    refresh_strip()
    box = widgets.VBox([widgets.HBox([slider, method]), label, image, strip])
    box.controls = {"t": slider, "method": method}
    box.image, box.strip = image, strip
    return box
