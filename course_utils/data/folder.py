"""Image folders: validation with clear messages, arrays, and tf.data pipelines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_utils.data.arrays import TANH_RANGE, ImageData, ValueRange
from course_utils.data.errors import DataError

#: What ``keras.utils.image_dataset_from_directory`` accepts.
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


@dataclass
class FolderReport:
    """The readable images of a folder and the files that had to be skipped."""

    folder: Path
    good: list[Path]
    unreadable: list[Path]

    def describe(self) -> str:
        """A one-line account for the student."""
        text = f"{self.folder}: {len(self.good):,} readable images"
        if self.unreadable:
            names = ", ".join(path.name for path in self.unreadable[:5])
            more = " …" if len(self.unreadable) > 5 else ""
            text += f"; skipped {len(self.unreadable)} unreadable file(s): {names}{more}"
        return text


_DECODE_ERRORS = (OSError, SyntaxError, ValueError)  # PIL's UnidentifiedImageError is an OSError


def _decode(path: Path, image_size: tuple[int, int] | None = None) -> np.ndarray | None:
    """The image at ``path`` as RGB uint8 (resized to ``image_size`` if given), or ``None`` when
    it cannot be read. Opens the file once."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB")  # decodes the whole file: a truncated one fails here
    except _DECODE_ERRORS:
        return None
    if image_size is not None:
        rgb = rgb.resize(image_size[::-1], Image.Resampling.BILINEAR)
    return np.asarray(rgb, dtype=np.uint8)


def _candidates(folder: str | Path) -> tuple[Path, list[Path]]:
    """The folder and its files with an accepted extension, or a :class:`DataError` that names
    the problem (missing, a file, empty, no accepted extension)."""
    folder = Path(folder).expanduser()
    accepted = ", ".join(IMAGE_EXTENSIONS)
    if not folder.exists():
        raise DataError(f"Image folder {folder} does not exist. Fix: check the path, or create it "
                        f"and put images ({accepted}) inside.")
    if not folder.is_dir():
        raise DataError(f"{folder} is a file, not a folder. Fix: pass the folder that holds the images.")
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    if not files:
        raise DataError(f"Image folder {folder} is empty. Fix: put images ({accepted}) inside it.")
    candidates = [path for path in files if path.suffix.lower() in IMAGE_EXTENSIONS]
    if not candidates:
        raise DataError(f"Image folder {folder} has {len(files)} file(s) but none with an accepted "
                        f"extension ({accepted}). Fix: convert or add images in one of these formats.")
    return folder, candidates


def _read_folder(folder: str | Path, image_size: tuple[int, int] | None
                 ) -> tuple[FolderReport, list[np.ndarray]]:
    """Check and decode every candidate file once: the report and the decoded images."""
    folder, candidates = _candidates(folder)
    good, unreadable, images = [], [], []
    for path in candidates:
        image = _decode(path, image_size)
        if image is None:
            unreadable.append(path)
        else:
            good.append(path)
            images.append(image)
    if not good:
        raise DataError(f"None of the {len(candidates)} images in {folder} could be read "
                        "(all corrupt or truncated). Fix: replace them with valid image files.")
    return FolderReport(folder, good, unreadable), images


def check_image_folder(folder: str | Path, verbose: bool = True) -> FolderReport:
    """Find the images under ``folder`` (recursively) and check each opens.

    Raises :class:`DataError` naming the folder when it is missing, not a folder, empty, has no
    image with an accepted extension, or has no readable image. Unreadable files are skipped and
    counted, never deleted. (:func:`load_folder` runs the same check while it reads the images.)
    """
    report, _ = _read_folder(folder, (1, 1))  # decoded once; the tiny resize keeps memory flat
    if verbose:
        print(report.describe())
    return report


def twin_key(path: Path) -> tuple[str, str]:
    """The group of an image file for splitting: ``NAME_m.png`` (a mirror image) belongs with
    ``NAME.png``."""
    return str(path.parent), path.stem.removesuffix("_m")


def split_by_group(keys: list, test_fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the train and test items, with all items of one key in the same split.

    Whole groups are drawn in a fixed random order until the test split holds at least
    ``test_fraction`` of the items; both index arrays are shuffled (fixed seed).
    """
    rng = np.random.default_rng(seed)
    groups: dict = {}
    for index, key in enumerate(keys):
        groups.setdefault(key, []).append(index)
    order = [list(groups.values())[i] for i in rng.permutation(len(groups))]
    wanted, test = int(len(keys) * test_fraction), []
    for members in order:
        if len(test) >= wanted:
            break
        test.extend(members)
    chosen = set(test)
    train = [index for index in range(len(keys)) if index not in chosen]
    return rng.permutation(np.array(train, dtype=np.int64)), rng.permutation(np.array(test, dtype=np.int64))


def load_folder(folder: str | Path, image_size: tuple[int, int] = (64, 64),
                test_fraction: float = 0.1, verbose: bool = True) -> ImageData:
    """Read every readable image of a folder as RGB, resized to ``image_size``, into an ImageData.

    Each file is opened and decoded once (checked while it is read). The held-out split takes
    ``test_fraction`` of the images in a fixed random order, keeping a file ``NAME_m.png`` (a
    mirror image, as the emoji set stores them) in the same split as ``NAME.png``: otherwise a test
    image's mirror twin would be a training image.
    """
    report, images = _read_folder(folder, image_size)
    stacked = np.stack(images)
    train, test = split_by_group([twin_key(path) for path in report.good], test_fraction)
    labels = np.zeros(len(stacked), dtype=np.int64)
    data = ImageData(
        name=Path(folder).name, x_train=stacked[train], y_train=labels[train],
        x_test=stacked[test], y_test=labels[test],
        source=f"image folder {report.folder}" + (
            f" ({len(report.unreadable)} unreadable file(s) skipped)" if report.unreadable else ""),
    )
    if verbose:
        print(data.summary())
    return data


def image_folder_dataset(folder: str | Path, image_size: tuple[int, int] = (64, 64),
                         batch_size: int = 128, value_range: ValueRange = TANH_RANGE,
                         shuffle: bool = True, seed: int = 0):
    """A batched ``tf.data`` pipeline of a folder's images scaled to ``value_range``.

    Uses ``keras.utils.image_dataset_from_directory`` when every image is readable; otherwise
    builds the same pipeline from the readable files only, so one bad file does not stop training.
    """
    import keras
    import tensorflow as tf

    report = check_image_folder(folder)
    low, high = value_range

    def scale(batch):
        return tf.cast(batch, tf.float32) / 255.0 * (high - low) + low

    if not report.unreadable:
        dataset = keras.utils.image_dataset_from_directory(
            report.folder, labels=None, image_size=image_size, batch_size=batch_size,
            shuffle=shuffle, seed=seed)
        return dataset.map(scale, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

    def decode(path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        return tf.image.resize(image, image_size)

    paths = tf.data.Dataset.from_tensor_slices([str(path) for path in report.good])
    if shuffle:
        paths = paths.shuffle(len(report.good), seed=seed)
    dataset = paths.map(decode, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size)
    return dataset.map(scale).prefetch(tf.data.AUTOTUNE)
