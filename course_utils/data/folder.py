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


def _readable(path: Path) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
        return True
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
        return False


def check_image_folder(folder: str | Path, verbose: bool = True) -> FolderReport:
    """Find the images under ``folder`` (recursively) and check each opens.

    Raises :class:`DataError` naming the folder when it is missing, not a folder, empty, has no
    image with an accepted extension, or has no readable image. Unreadable files are skipped and
    counted, never deleted.
    """
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
    good, unreadable = [], []
    for path in candidates:
        (good if _readable(path) else unreadable).append(path)
    if not good:
        raise DataError(f"None of the {len(candidates)} images in {folder} could be read "
                        "(all corrupt or truncated). Fix: replace them with valid image files.")
    report = FolderReport(folder, good, unreadable)
    if verbose:
        print(report.describe())
    return report


def load_folder(folder: str | Path, image_size: tuple[int, int] = (64, 64),
                test_fraction: float = 0.1, verbose: bool = True) -> ImageData:
    """Read every readable image of a folder as RGB, resized to ``image_size``, into an ImageData."""
    from PIL import Image

    report = check_image_folder(folder, verbose=False)
    images = []
    for path in report.good:
        with Image.open(path) as image:
            rgb = image.convert("RGB").resize(image_size[::-1], Image.Resampling.BILINEAR)
            images.append(np.asarray(rgb, dtype=np.uint8))
    # A fixed shuffle, so the held-out images are not just the first files in name order.
    stacked = np.stack(images)[np.random.default_rng(0).permutation(len(images))]
    n_test = int(len(stacked) * test_fraction)
    labels = np.zeros(len(stacked), dtype=np.int64)
    data = ImageData(
        name=Path(folder).name, x_train=stacked[n_test:], y_train=labels[n_test:],
        x_test=stacked[:n_test], y_test=labels[:n_test],
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
