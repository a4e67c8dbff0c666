"""Plots shared by the notebooks: value-range-aware image grids and training curves."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from course_utils.data.arrays import to_uint8


def guess_value_range(images: np.ndarray) -> tuple[float, float]:
    """Guess whether float images are in [-1, 1] or [0, 1] (uint8 are 0..255)."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return (0.0, 255.0)
    return (-1.0, 1.0) if float(np.min(images)) < -0.01 else (0.0, 1.0)


def image_grid(images, value_range: tuple[float, float] | None = None,
               columns: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile N images (N, H, W[, C]) into one uint8 array, mapping ``value_range`` to 0..255."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    value_range = value_range or guess_value_range(images)
    pixels = images if images.dtype == np.uint8 else to_uint8(images, value_range)
    count, height, width, channels = pixels.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = np.full((rows * (height + padding) + padding, columns * (width + padding) + padding,
                    channels), 255, dtype=np.uint8)
    for index, image in enumerate(pixels):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        grid[top:top + height, left:left + width] = image
    return grid[..., 0] if channels == 1 else grid


def show_images(images, value_range: tuple[float, float] | None = None,
                columns: int | None = None, title: str | None = None, size: float = 5.0,
                titles: Sequence[str] | None = None, ax=None):
    """Show a grid of images scaled from ``value_range`` (guessed if omitted); returns the axes."""
    import matplotlib.pyplot as plt

    if titles is not None:
        images = np.asarray(images)
        columns = columns or len(images)
        rows = math.ceil(len(images) / columns)
        fig, axes = plt.subplots(rows, columns, figsize=(1.4 * columns, 1.5 * rows), squeeze=False)
        for axis in axes.flat:
            axis.axis("off")
        for axis, image, label in zip(axes.flat, images, titles):
            axis.imshow(image_grid(image[None], value_range, 1, 0), cmap="gray", vmin=0, vmax=255)
            axis.set_title(label, fontsize=8)
        if title:
            fig.suptitle(title)
        plt.show()
        return axes
    grid = image_grid(images, value_range, columns)
    if ax is None:
        _, ax = plt.subplots(figsize=(size, size * grid.shape[0] / grid.shape[1]))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=255)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def plot_history(history, keys: Sequence[str] | None = None, title: str | None = None,
                 ax=None, logy: bool = False):
    """Plot training curves from a Keras ``History`` or a dict of lists; ``val_`` keys dashed."""
    import matplotlib.pyplot as plt

    curves: Mapping[str, Sequence[float]] = getattr(history, "history", history)
    keys = list(keys or curves.keys())
    if ax is None:
        _, ax = plt.subplots()
    for key in keys:
        values = curves[key]
        style = "--" if key.startswith("val_") else "-"
        ax.plot(range(1, len(values) + 1), values, style, label=key)
    ax.set_xlabel("epoch")
    if logy:
        ax.set_yscale("log")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def plot_gan_curves(history, title: str | None = None):
    """Two panels from a GAN history: the losses, and D(x) / D(G(z)) with the 0.5 line.

    Expects the keys the course's GAN models log: ``g_loss``, ``d_loss`` and, when present,
    ``d_real`` / ``d_fake`` (mean discriminator probability on real and generated batches).
    """
    import matplotlib.pyplot as plt

    curves = getattr(history, "history", history)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
    plot_history(curves, [k for k in ("d_loss", "g_loss") if k in curves], "losses", ax=left)
    probes = [k for k in ("d_real", "d_fake") if k in curves]
    if probes:
        plot_history(curves, probes, "D(x) and D(G(z))", ax=right)
        right.axhline(0.5, color="grey", linestyle=":", label="0.5: cannot tell")
        right.set_ylim(0, 1)
        right.legend()
    else:
        right.axis("off")
    if title:
        fig.suptitle(title)
    plt.tight_layout()
    return fig
