"""Synthetic colour shapes, a stand-in: an offline 64×64 RGB set made with NumPy and Pillow only.

Used when the real colour sets are out of reach (no emoji font, no internet). Each image shows one
shape (eight classes) in a random colour, size and position on a vertical two-colour gradient,
lit from above and casting a shadow downwards, so that "up" can be told from the picture (the
quality meter's feature network learns to recognise rotations). Deterministic for a given seed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

SHAPE_CLASSES = ("circle", "square", "triangle", "diamond", "star", "cross", "ring", "heart")
DEFAULT_COUNT = 3000
VERSION = 1  # part of the cache folder's name: a changed recipe never reuses old images
SOURCE = "synthetic colour shapes, a stand-in generated offline with NumPy and Pillow"
_SUPERSAMPLE = 2  # draw at twice the size, then downsample: smooth edges


def _regular(cx: float, cy: float, radius: float, corners: int, turn: float,
             inner: float | None = None) -> list[tuple[float, float]]:
    """Corners of a regular polygon (a star when ``inner`` gives the inner radius ratio)."""
    steps = corners * (2 if inner else 1)
    points = []
    for k in range(steps):
        r = radius * (inner if inner and k % 2 else 1.0)
        angle = turn + 2 * np.pi * k / steps
        points.append((cx + r * np.cos(angle), cy + r * np.sin(angle)))
    return points


def _heart(cx: float, cy: float, radius: float) -> list[tuple[float, float]]:
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)
    scale = radius / 17
    return list(zip(cx + scale * x, cy - scale * (y + 2), strict=True))


def _shape_mask(kind: str, side: int, cx: float, cy: float, radius: float, turn: float):
    """A Pillow "L" mask (255 inside) of one shape; ``turn`` tilts it slightly (radians)."""
    from PIL import Image, ImageDraw

    mask = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(mask)
    box = (cx - radius, cy - radius, cx + radius, cy + radius)
    up = -np.pi / 2 + turn
    if kind == "circle":
        draw.ellipse(box, fill=255)
    elif kind == "ring":
        draw.ellipse(box, fill=255)
        hole = radius * 0.55
        draw.ellipse((cx - hole, cy - hole, cx + hole, cy + hole), fill=0)
    elif kind == "square":
        draw.polygon(_regular(cx, cy, radius * 1.1, 4, np.pi / 4 + turn), fill=255)
    elif kind == "triangle":
        draw.polygon(_regular(cx, cy + radius * 0.15, radius * 1.1, 3, up), fill=255)
    elif kind == "diamond":
        points = _regular(cx, cy, radius, 4, up)
        draw.polygon([(cx + (x - cx) * 0.7, y) for x, y in points], fill=255)
    elif kind == "star":
        draw.polygon(_regular(cx, cy, radius * 1.1, 5, up, inner=0.45), fill=255)
    elif kind == "cross":
        arm = radius * 0.35
        draw.rectangle((cx - radius, cy - arm, cx + radius, cy + arm), fill=255)
        draw.rectangle((cx - arm, cy - radius, cx + arm, cy + radius), fill=255)
    elif kind == "heart":
        draw.polygon(_heart(cx, cy, radius), fill=255)
    else:
        raise ValueError(f"Unknown shape {kind!r}; known: {', '.join(SHAPE_CLASSES)}.")
    return mask


def _colour_far_from(rng: np.random.Generator, other: np.ndarray) -> np.ndarray:
    """A random RGB colour clearly different from ``other`` (so the shape stands out)."""
    for _ in range(50):
        colour = rng.integers(0, 256, 3).astype(np.float32)
        if np.abs(colour - other).sum() > 200:
            return colour
    return 255.0 - other


def render_shape(seed: int, index: int, size: int = 64) -> tuple[np.ndarray, int]:
    """Image number ``index`` of the set with ``seed``: a (size, size, 3) uint8 array and its class."""
    from PIL import Image, ImageFilter

    rng = np.random.default_rng([seed, index])
    side = size * _SUPERSAMPLE
    rows = np.linspace(0.0, 1.0, side, dtype=np.float32)[:, None, None]
    top = rng.integers(60, 256, 3).astype(np.float32)
    bottom = top * rng.uniform(0.35, 0.8)  # darker towards the bottom: light comes from above
    canvas = (top * (1 - rows) + bottom * rows) * np.ones((1, side, 1), np.float32)

    label = int(rng.integers(len(SHAPE_CLASSES)))
    radius = rng.uniform(0.2, 0.36) * side
    cx, cy = rng.uniform(radius + 2, side - radius - 2, 2)
    turn = rng.uniform(-0.25, 0.25)
    mask = _shape_mask(SHAPE_CLASSES[label], side, cx, cy, radius, turn)

    drop = int(side * 0.06)
    shadow = Image.new("L", (side, side), 0)
    shadow.paste(mask, (drop // 3, drop))
    shadow = np.asarray(shadow.filter(ImageFilter.GaussianBlur(side * 0.03)), np.float32)[..., None] / 255
    canvas *= 1 - 0.5 * shadow

    colour = _colour_far_from(rng, (top + bottom) / 2)
    y0, y1 = cy - radius, cy + radius
    light = np.clip((rows - y0 / side) / ((y1 - y0) / side), 0, 1)  # 0 at the shape's top
    shaded = np.clip(colour * (1.2 - 0.5 * light), 0, 255) * np.ones((1, side, 1), np.float32)
    alpha = np.asarray(mask, np.float32)[..., None] / 255
    canvas = canvas * (1 - alpha) + shaded * alpha

    image = Image.fromarray(np.clip(np.rint(canvas), 0, 255).astype(np.uint8))
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(image, np.uint8), label


def render_shapes_folder(destination: Path, size: int = 64, count: int = DEFAULT_COUNT,
                         seed: int = 0) -> int:
    """Write ``count`` shape images to ``destination`` as PNGs named ``NNNNN_<class>.png``.

    Written to a temporary folder beside ``destination`` and renamed at the end, so an
    interrupted run leaves nothing half-done; if another process finished first, its folder is
    kept. Returns the number of images in ``destination``.
    """
    from PIL import Image

    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}.")
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=destination.name + ".", dir=destination.parent))
    try:
        for index in range(count):
            pixels, label = render_shape(seed, index, size)
            Image.fromarray(pixels).save(work / f"{index:05d}_{SHAPE_CLASSES[label]}.png")
        if not destination.is_dir():
            try:
                os.replace(work, destination)
            except OSError:
                if not destination.is_dir():  # not a lost race: a real error
                    raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return len(list(destination.glob("*.png")))


def shapes_folder(size: int = 64, count: int | None = None, seed: int = 0) -> Path:
    """Folder of the shape PNGs in the data cache, generated on first use (about ten seconds).

    ``count`` defaults to :data:`DEFAULT_COUNT`; the folder's name records size, count, seed and
    recipe version, so a cached set is only reused for the same ones.
    """
    from course_utils.config import data_dir

    count = DEFAULT_COUNT if count is None else count
    folder = data_dir() / f"shapes{size}-n{count}-s{seed}-v{VERSION}" / "images"
    if not folder.is_dir() or not any(folder.iterdir()):
        written = render_shapes_folder(folder, size, count, seed)
        print(f"Generated {written:,} images of {SOURCE} into {folder}")
    return folder


def shape_labels(files) -> np.ndarray:
    """Class indices of shape PNGs, read from their names (``00042_star.png`` → 4)."""
    return np.array([SHAPE_CLASSES.index(Path(f).stem.split("_", 1)[1]) for f in files], np.int64)
