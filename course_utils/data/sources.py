"""Where each named dataset can come from: cache files, system packages, download addresses, checksums."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

#: A folder URL holding the datasets' files under their own names (a course mirror, a local copy).
MIRROR_ENV = "COURSE_DATA_MIRROR"
KERAS_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: its name in the cache, its address and its SHA-256.

    ``content_sha256`` marks a checksum of the gunzipped content, which stays the same when a
    distribution re-compresses the file (Debian does).
    """

    name: str
    url: str
    sha256: str
    content_sha256: bool = False


@dataclass(frozen=True)
class DatasetSpec:
    """How to find one named dataset."""

    name: str
    description: str
    files: tuple[RemoteFile, ...] = ()
    system_folders: tuple[Path, ...] = ()
    system_package: str = ""
    tfds_name: str = ""
    homepage: str = ""
    class_names: tuple[str, ...] = field(default=())


def _fashion_file(name: str, sha256: str) -> RemoteFile:
    return RemoteFile(name, KERAS_BASE + name, sha256, content_sha256=True)


SPECS = {
    "mnist": DatasetSpec(
        name="mnist",
        description="MNIST handwritten digits, 28×28 grey",
        files=(RemoteFile("mnist.npz", KERAS_BASE + "mnist.npz",
                          "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),),
        tfds_name="mnist",
        homepage="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        class_names=tuple(str(d) for d in range(10)),
    ),
    "fashion_mnist": DatasetSpec(
        name="fashion_mnist",
        description="Fashion-MNIST clothing images, 28×28 grey",
        files=(
            _fashion_file("train-images-idx3-ubyte.gz",
                          "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
            _fashion_file("train-labels-idx1-ubyte.gz",
                          "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            _fashion_file("t10k-images-idx3-ubyte.gz",
                          "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
            _fashion_file("t10k-labels-idx1-ubyte.gz",
                          "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        ),
        system_folders=(Path("/usr/share/datasets/fashion-mnist"),),
        system_package="dataset-fashion-mnist",
        tfds_name="fashion_mnist",
        homepage="https://github.com/zalandoresearch/fashion-mnist",
        class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    ),
    "cifar10": DatasetSpec(
        name="cifar10",
        description="CIFAR-10 colour photos, 32×32 RGB",
        files=(RemoteFile("cifar-10-python.tar.gz",
                          "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                          "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),),
        tfds_name="cifar10",
        homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
        class_names=("airplane", "automobile", "bird", "cat", "deer",
                     "dog", "frog", "horse", "ship", "truck"),
    ),
    "emoji": DatasetSpec(
        name="emoji",
        description="Noto Color Emoji glyphs rendered at 64×64 RGB (and their mirror images)",
        system_folders=(Path("/usr/share/fonts/truetype/noto"),
                        Path("/usr/share/fonts/noto"),
                        Path("/usr/local/share/fonts")),
        system_package="fonts-noto-color-emoji",
        homepage="https://github.com/googlefonts/noto-emoji",
    ),
    "shapes": DatasetSpec(
        name="shapes",
        description=("synthetic colour shapes, a stand-in: 3,000 generated 64×64 RGB images of eight "
                     "shape classes (NumPy + Pillow, offline; the fallback when no emoji font is found)"),
    ),
}


def mirror() -> str:
    """The mirror that ``$COURSE_DATA_MIRROR`` names (ending in ``/``), or ``""``."""
    base = os.environ.get(MIRROR_ENV, "").strip()
    return base if not base or base.endswith("/") else base + "/"


def file_url(item: RemoteFile) -> str:
    """Where to download ``item``: from the mirror when one is set, else its published address.

    The checksum stays the published one, so a mirror can only serve the original bytes.
    """
    base = mirror()
    return base + item.name if base else item.url
