"""An offline colour image set: the glyphs of Noto Color Emoji rendered at 64×64."""

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
        raise DataError(
            "The offline colour set needs the Noto Color Emoji font, which is not installed. "
            "Fix: `sudo apt-get install fonts-noto-color-emoji` (Debian/Ubuntu), or use "
            "load('cifar10') with internet, or load_folder('your/images')."
        )
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


def emoji_folder(size: int = 64) -> Path:
    """Folder of rendered emoji PNGs in the data cache, rendered on first use."""
    from course_utils.config import data_dir

    folder = data_dir() / f"emoji{size}" / "images"
    if not folder.is_dir() or not any(folder.iterdir()):
        count = render_emoji_folder(folder, size)
        print(f"Rendered {count:,} emoji images into {folder}")
    return folder
