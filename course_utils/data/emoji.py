"""An offline colour image set: the glyphs of Noto Color Emoji rendered at 64×64.

The font comes from a system package (``fonts-noto-color-emoji``); Colab and many machines lack it.
:func:`colour_folder` then prints why and how to get it, and falls back to the synthetic colour
shapes stand-in (:mod:`course_utils.data.shapes`).

``subset`` picks part of the font: ``"all"`` (every glyph, about 1,400), ``"faces"`` (the glyphs
that show one face: smileys, cat and monkey faces, people's heads, animal heads and creatures such
as the ghost or the robot) or ``"smileys"`` (only the round yellow smileys), see :data:`SUBSETS`.
Each subset is rendered into its own cache folder. Every glyph is also stored mirrored, as
``u<code>_m.png`` next to ``u<code>.png``; :func:`course_utils.data.load_folder` keeps such twins
in the same split.
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


# Code-point ranges (inclusive) of the round smileys: one yellow face, front on.
_SMILEYS = (
    (0x1F600, 0x1F637), (0x1F641, 0x1F644),  # grinning … medical mask, frowning … eye roll
    (0x1F910, 0x1F915), (0x1F917, 0x1F917), (0x1F920, 0x1F925), (0x1F927, 0x1F92F),
    (0x1F970, 0x1F976), (0x1F978, 0x1F97A), (0x1F9D0, 0x1F9D0), (0x1FAE0, 0x1FAE5),
    (0x1FAE8, 0x1FAE8), (0x2639, 0x263A),  # 2639/263A: frowning/smiling face
)
# The other glyphs that show one face, front on: heads of cats, animals, people and creatures.
_HEADS = (
    (0x1F638, 0x1F640), (0x1F648, 0x1F64A),  # cat faces, the three monkeys
    (0x1F42D, 0x1F432), (0x1F434, 0x1F43C), (0x1F428, 0x1F428), (0x1F981, 0x1F981),
    (0x1F984, 0x1F984), (0x1F98A, 0x1F98A),  # animal heads: mouse … panda, koala, lion, unicorn, fox
    (0x1F466, 0x1F469), (0x1F46E, 0x1F46E), (0x1F471, 0x1F478), (0x1F47C, 0x1F47C),
    (0x1F482, 0x1F482), (0x1F385, 0x1F385), (0x1F934, 0x1F934), (0x1F936, 0x1F936),
    (0x1F9D1, 0x1F9D5),  # people's heads: boy, girl, man, woman, police officer … older person
    (0x1F479, 0x1F47B), (0x1F47D, 0x1F47D), (0x1F47F, 0x1F480), (0x1F916, 0x1F916),
    (0x1F4A9, 0x1F4A9), (0x1F383, 0x1F383),  # creatures: ogre, goblin, ghost, alien, imp, skull …
)
_FACES = _SMILEYS + _HEADS
#: Named parts of the font: ``None`` means every glyph.
SUBSETS: dict[str, tuple[tuple[int, int], ...] | None] = {
    "all": None, "faces": _FACES, "smileys": _SMILEYS}
SUBSET_VERSION = 1  # part of a subset's cache folder name: a changed list never reuses old images


def _check_subset(subset: str) -> None:
    if subset not in SUBSETS:
        raise DataError(f"Unknown emoji subset {subset!r}. Valid subsets: {', '.join(SUBSETS)}.")


def _emoji_codepoints(font_path: Path, subset: str = "all") -> list[int]:
    from fontTools.ttLib import TTFont

    _check_subset(subset)
    ranges = SUBSETS[subset]
    cmap = TTFont(font_path)["cmap"].getBestCmap()
    return sorted(
        code for code in cmap
        if code >= 0x2190 and code not in SKIPPED_CODEPOINTS
        and not 0x1F1E6 <= code <= 0x1F1FF  # regional-indicator letters
        and not 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
        and (ranges is None or any(low <= code <= high for low, high in ranges))
    )


def render_emoji_folder(destination: Path, size: int = 64, mirrored: bool = True,
                        subset: str = "all") -> int:
    """Render the emoji glyphs of ``subset`` to ``destination`` as size×size RGB PNGs on white.

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
        for code in _emoji_codepoints(font_path, subset):
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


def _cached_emoji(size: int, subset: str = "all") -> Path:
    from course_utils.config import data_dir

    _check_subset(subset)
    name = f"emoji{size}" if subset == "all" else f"emoji{size}-{subset}-v{SUBSET_VERSION}"
    return data_dir() / name / "images"


def emoji_available(size: int = 64, subset: str = "all") -> bool:
    """True when the emoji set is rendered in the cache already or the font is there to render it."""
    folder = _cached_emoji(size, subset)
    return (folder.is_dir() and any(folder.iterdir())) or find_font() is not None


def emoji_folder(size: int = 64, subset: str = "all") -> Path:
    """Folder of rendered emoji PNGs (of one :data:`SUBSETS` entry) in the data cache, rendered
    on first use.

    Raises :class:`DataError` naming the fixes when the font is missing; :func:`colour_folder`
    falls back to a stand-in instead.
    """
    folder = _cached_emoji(size, subset)
    if not folder.is_dir() or not any(folder.iterdir()):
        count = render_emoji_folder(folder, size, subset=subset)
        what = "emoji" if subset == "all" else f"emoji ({subset})"
        print(f"Rendered {count:,} {what} images into {folder}")
    return folder


def colour_folder(size: int = 64, subset: str = "all") -> tuple[Path, str]:
    """The offline colour image folder and where it came from: the emoji, or the stand-in.

    ``subset``: ``"all"``, ``"faces"`` or ``"smileys"`` (see :data:`SUBSETS`). Without the font (and
    no rendered copy in the cache) it prints why and how to get the emoji, then returns the folder
    of synthetic colour shapes, which needs neither font nor network, whatever the subset.
    """
    from course_utils.data import shapes

    if emoji_available(size, subset):
        folder = emoji_folder(size, subset)
        font = find_font()
        origin = f"rendered from {font}" if font else "rendered from Noto Color Emoji"
        part = "" if subset == "all" else f", subset {subset!r}"
        return folder, f"{origin}{part} (cached in {folder})"
    if size not in _WARNED:  # once per session: the summary line names the source every time
        _WARNED.add(size)
        print(f"⚠ {FONT_MISSING}\n  Until then: {shapes.SOURCE} — not emoji, but colour "
              "images of the same size that train the same models.")
    folder = shapes.shapes_folder(size)
    return folder, f"offline stand-in: {shapes.SOURCE} (no emoji font; cached in {folder})"


def load_subset(subset: str = "faces", size: int = 64, test_fraction: float = 0.15,
                verbose: bool = True):
    """One :data:`SUBSETS` entry of the emoji as an ImageData, split by glyph into train and test.

    A glyph and its mirror image always land in the same split, so a test image's twin is never
    among the training images. Named ``emoji`` (``"all"``) or ``emoji-<subset>``; without the font
    it returns the synthetic shapes stand-in, named ``shapes (stand-in for emoji)``, and says so.
    """
    from course_utils.data.folder import load_folder

    folder, source = colour_folder(size, subset)
    data = load_folder(folder, (size, size), test_fraction=test_fraction, verbose=False)
    if source.startswith("rendered"):
        data.name = "emoji" if subset == "all" else f"emoji-{subset}"
    else:
        data.name = "shapes (stand-in for emoji)"
    data.source = source
    if verbose:
        print(data.summary())
    return data
