"""An offline colour image set: the glyphs of Noto Color Emoji rendered at 64×64.

The font comes from a system package (``fonts-noto-color-emoji``); Colab and many machines lack it.
:func:`colour_folder` then prints why and how to get it, and falls back to the synthetic colour
shapes stand-in (:mod:`course_utils.data.shapes`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from course_utils.data.errors import DataError
from course_utils.data.sources import SPECS

FONT_FILE = "NotoColorEmoji.ttf"
RENDER_SIZE = 109  # the only size the font's colour bitmaps come in
SKIPPED_CODEPOINTS = {0x200D, 0x20E3, 0xFE0F}
FONT_FIXES = (
    "`sudo apt-get install fonts-noto-color-emoji` (Debian/Ubuntu; in a Colab cell: "
    "`!apt-get -qq install fonts-noto-color-emoji`), then load again; or DATASET = \"cifar10\" / "
    "load('cifar10') with internet; or a folder of your own images (load_folder('path'))"
)
FONT_MISSING = ("The emoji set is rendered from the Noto Color Emoji font, which is not installed "
                "here (Colab has no colour-emoji font). Fix: " + FONT_FIXES + ".")


def find_font() -> Path | None:
    """Locate NotoColorEmoji.ttf in the usual system font folders."""
    for folder in SPECS["emoji"].system_folders:
        if folder.is_dir():
            for path in folder.rglob(FONT_FILE):
                return path
    return None


def _emoji_codepoints(font_path: Path) -> list[int]:
    from fontTools.ttLib import TTFont

    cmap = TTFont(font_path)["cmap"].getBestCmap()
    return sorted(
        code for code in cmap
        if code >= 0x2190 and code not in SKIPPED_CODEPOINTS
        and not 0x1F1E6 <= code <= 0x1F1FF  # regional-indicator letters
        and not 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
    )


def render_emoji_folder(destination: Path, size: int = 64, mirrored: bool = True) -> int:
    """Render every emoji glyph of the font to ``destination`` as size×size RGB PNGs on white.

    With ``mirrored`` each glyph is also stored flipped left–right. Written to a temporary folder
    and renamed at the end, so an interrupted render leaves nothing half-done. Returns the count.
    """
    from PIL import Image, ImageDraw, ImageFont, ImageOps

    font_path = find_font()
    if font_path is None:
        raise DataError(FONT_MISSING)
    font = ImageFont.truetype(str(font_path), RENDER_SIZE)
    destination.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=destination.name + ".", dir=destination.parent))
    count = 0
    try:
        for code in _emoji_codepoints(font_path):
            canvas = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
            ImageDraw.Draw(canvas).text((0, 0), chr(code), font=font, embedded_color=True)
            box = canvas.getbbox()
            if box is None:
                continue
            glyph = canvas.crop(box)
            side = max(glyph.size)
            square = Image.new("RGBA", (side, side), (255, 255, 255, 255))
            square.alpha_composite(glyph, ((side - glyph.width) // 2, (side - glyph.height) // 2))
            image = square.convert("RGB").resize((size, size), Image.Resampling.LANCZOS)
            image.save(work / f"u{code:05x}.png")
            count += 1
            if mirrored:
                ImageOps.mirror(image).save(work / f"u{code:05x}_m.png")
                count += 1
        if destination.exists():
            shutil.rmtree(destination)
        os.replace(work, destination)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return count


_WARNED: set[int] = set()


def _cached_emoji(size: int) -> Path:
    from course_utils.config import data_dir

    return data_dir() / f"emoji{size}" / "images"


def emoji_available(size: int = 64) -> bool:
    """True when the emoji set is rendered in the cache already or the font is there to render it."""
    folder = _cached_emoji(size)
    return (folder.is_dir() and any(folder.iterdir())) or find_font() is not None


def emoji_folder(size: int = 64) -> Path:
    """Folder of rendered emoji PNGs in the data cache, rendered on first use.

    Raises :class:`DataError` naming the fixes when the font is missing; :func:`colour_folder`
    falls back to a stand-in instead.
    """
    folder = _cached_emoji(size)
    if not folder.is_dir() or not any(folder.iterdir()):
        count = render_emoji_folder(folder, size)
        print(f"Rendered {count:,} emoji images into {folder}")
    return folder


def colour_folder(size: int = 64) -> tuple[Path, str]:
    """The offline colour image folder and where it came from: the emoji, or the stand-in.

    Without the font (and no rendered copy in the cache) it prints why and how to get the emoji,
    then returns the folder of synthetic colour shapes, which needs neither font nor network.
    """
    from course_utils.data import shapes

    if emoji_available(size):
        folder = emoji_folder(size)
        font = find_font()
        origin = f"rendered from {font}" if font else "rendered from Noto Color Emoji"
        return folder, f"{origin} (cached in {folder})"
    if size not in _WARNED:  # once per session: the summary line names the source every time
        _WARNED.add(size)
        print(f"⚠ {FONT_MISSING}\n  Until then: {shapes.SOURCE} — not emoji, but colour "
              "images of the same size that train the same models.")
    folder = shapes.shapes_folder(size)
    return folder, f"offline stand-in: {shapes.SOURCE} (no emoji font; cached in {folder})"
