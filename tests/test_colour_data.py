"""Notebook 06's colour data: the shapes stand-in, the emoji fallback without the font, CIFAR-10's
fallback chain, the memorisation helper across image sizes, and the notebook's data cells per
``DATASET`` (run in-process), plus one real run of the notebook on a machine without the font."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from course_utils import data
from course_utils.data import emoji, fetch, shapes, sources
from course_utils.data.errors import DataError

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_dcgan_colour.ipynb"
FIXES = ("apt-get install fonts-noto-color-emoji", "!apt-get -qq install fonts-noto-color-emoji",
         "cifar10", "folder")


@pytest.fixture
def no_font(monkeypatch):
    """A machine without the Noto Color Emoji font (whatever this one has installed)."""
    monkeypatch.setattr(emoji, "find_font", lambda: None)
    monkeypatch.setattr(emoji, "_WARNED", set())


@pytest.fixture
def few_shapes(monkeypatch):
    """A 60-image shapes set, so tests do not spend seconds generating the full 3,000."""
    monkeypatch.setattr(shapes, "DEFAULT_COUNT", 60)


@pytest.fixture
def no_colour_rendering(monkeypatch):
    """Fail the test if anything renders the emoji or generates the shapes."""
    def forbidden(*args, **kwargs):
        raise AssertionError("a colour set was rendered although the chosen dataset does not need it")

    monkeypatch.setattr(emoji, "render_emoji_folder", forbidden)
    monkeypatch.setattr(shapes, "render_shapes_folder", forbidden)


def _fake_cifar(folder: Path, per_batch: int = 8) -> str:
    """A small archive in CIFAR-10's python format (5 train batches + test) in ``folder``; its SHA-256."""
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            batch = {b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                     b"labels": list(rng.integers(0, 10, per_batch))}
            payload = pickle.dumps(batch)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cifar-10-python.tar.gz").write_bytes(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


@pytest.fixture
def cached_cifar(data_cache, monkeypatch):
    """A verified CIFAR-10 copy (40 train + 8 test images, 32×32) in the data cache."""
    digest = _fake_cifar(data_cache / "cifar10")
    remote = dataclasses.replace(sources.SPECS["cifar10"].files[0], sha256=digest)
    monkeypatch.setitem(sources.SPECS, "cifar10",
                        dataclasses.replace(sources.SPECS["cifar10"], files=(remote,)))


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setattr(fetch, "network_available", lambda url, timeout=3.0: False)


def _image_folder(folder: Path, count: int = 24, size: int = 40) -> Path:
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


# ---------- the shapes stand-in ----------

def test_shapes_are_deterministic_varied_colour_images():
    first = [shapes.render_shape(0, i) for i in range(120)]
    again = shapes.render_shape(0, 7)
    assert np.array_equal(first[7][0], again[0]) and first[7][1] == again[1]
    assert not np.array_equal(shapes.render_shape(1, 7)[0], again[0])  # another seed, another set
    images = np.stack([image for image, _ in first])
    assert images.shape == (120, 64, 64, 3) and images.dtype == np.uint8
    assert len({label for _, label in first}) >= 6  # several shape classes
    corners = images[:, 0, 0].astype(int)
    assert len({tuple(c // 32) for c in corners}) > 20  # random backgrounds
    assert np.abs(images[..., 0].astype(int) - images[..., 2]).mean() > 10  # colour, not grey
    assert images.std(axis=(1, 2, 3)).min() > 5  # every image shows something


def test_shapes_are_lit_from_above_so_rotations_can_be_told_apart():
    images = np.stack([shapes.render_shape(0, i)[0] for i in range(60)]).astype(float)
    top, bottom = images[:, :8].mean(), images[:, -8:].mean()
    assert top > bottom + 15


def test_shapes_folder_is_written_atomically_and_names_the_classes(tmp_path):
    destination = tmp_path / "shapes" / "images"
    assert shapes.render_shapes_folder(destination, size=32, count=30, seed=3) == 30
    files = sorted(destination.glob("*.png"))
    assert len(files) == 30 and Image.open(files[0]).size == (32, 32)
    labels = shapes.shape_labels(files)
    assert labels.min() >= 0 and len(set(labels)) >= 4
    assert [p.name for p in destination.parent.iterdir()] == ["images"]  # no temporary folder left


def test_an_interrupted_shapes_render_leaves_nothing(tmp_path, monkeypatch):
    real = shapes.render_shape

    def failing(seed, index, size=64):
        if index == 5:
            raise KeyboardInterrupt
        return real(seed, index, size)

    monkeypatch.setattr(shapes, "render_shape", failing)
    with pytest.raises(KeyboardInterrupt):
        shapes.render_shapes_folder(tmp_path / "images", count=10)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_finished_by_another_process_is_kept(tmp_path):
    destination = tmp_path / "images"
    destination.mkdir()
    Image.new("RGB", (64, 64)).save(destination / "00000_circle.png")
    assert shapes.render_shapes_folder(destination, count=3) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["images"]


def test_shapes_default_is_a_few_thousand_images():
    assert 2000 <= shapes.DEFAULT_COUNT <= 10_000


def test_load_shapes_reports_an_honest_source(data_cache, few_shapes, capsys):
    loaded = data.load("shapes")
    assert loaded.image_shape == (64, 64, 3) and len(loaded.x_train) + len(loaded.x_test) == 60
    assert "synthetic colour shapes, a stand-in" in loaded.source
    assert "synthetic colour shapes" in capsys.readouterr().out
    assert any(data_cache.glob("shapes64*/images/*.png"))


# ---------- the emoji loader without the font ----------

def test_emoji_without_font_says_why_and_uses_the_shapes(data_cache, no_font, few_shapes, capsys):
    loaded = data.load("emoji")
    out = capsys.readouterr().out
    for fix in FIXES:
        assert fix in out
    assert "Colab" in out and "not installed" in out
    assert loaded.name == "shapes (stand-in for emoji)"
    assert "stand-in" in loaded.source and "synthetic colour shapes" in loaded.source
    assert "stand-in" in loaded.summary()
    assert loaded.image_shape == (64, 64, 3)
    assert not (data_cache / "emoji64").exists()


def test_the_font_message_is_printed_once_per_session(data_cache, no_font, few_shapes, capsys):
    data.colour_folder()
    data.load_emoji()
    assert capsys.readouterr().out.count("is not installed") == 1


def test_strict_emoji_folder_names_the_fixes(data_cache, no_font):
    with pytest.raises(DataError) as error:
        data.emoji_folder()
    for fix in FIXES:
        assert fix in str(error.value)


def test_installing_the_font_mid_session_replaces_the_remembered_stand_in(
        data_cache, no_font, few_shapes, monkeypatch):
    assert data.load("emoji").name.startswith("shapes")
    rendered = data_cache / "emoji64" / "images"  # as if the font had been installed and used
    _image_folder(rendered, count=12, size=64)
    assert data.load("emoji", verbose=False).name == "emoji"


# ---------- emoji subsets, the split by glyph, one decode per file ----------

def test_the_faces_subset_is_part_of_the_font_and_unknown_names_are_refused():
    assert emoji.SUBSETS["all"] is None
    with pytest.raises(DataError, match="faces"):
        emoji._cached_emoji(64, "flags")


@pytest.mark.skipif(emoji.find_font() is None, reason="fonts-noto-color-emoji not installed")
def test_faces_subset_renders_into_its_own_folder(data_cache):
    everything = emoji._emoji_codepoints(emoji.find_font())
    faces = emoji._emoji_codepoints(emoji.find_font(), "faces")
    assert 150 <= len(faces) <= 200 and set(faces) <= set(everything)
    assert 0x1F600 in faces and 0x1F697 not in faces  # grinning face yes, car no
    folder, origin = data.colour_folder(32, subset="faces")
    assert "faces" in str(folder) and folder != emoji._cached_emoji(32)
    assert "subset 'faces'" in origin
    assert len(list(folder.glob("*.png"))) == 2 * len(faces)  # every glyph and its mirror image


@pytest.mark.skipif(emoji.find_font() is None, reason="fonts-noto-color-emoji not installed")
def test_the_smileys_are_the_round_faces_without_the_heads():
    font = emoji.find_font()
    faces = set(emoji._emoji_codepoints(font, "faces"))
    smileys = set(emoji._emoji_codepoints(font, "smileys"))
    assert 90 <= len(smileys) <= 110 and smileys < faces
    assert 0x1F600 in smileys and 0x263A in smileys  # grinning face, smiling face
    heads = faces - smileys
    assert {0x1F431, 0x1F916, 0x1F466} <= heads  # cat face, robot, boy: faces, not smileys
    assert not heads & smileys


def test_faces_without_font_fall_back_to_the_shapes(data_cache, no_font, few_shapes, capsys):
    loaded = emoji.load_subset("faces")
    assert loaded.name == "shapes (stand-in for emoji)" and "stand-in" in loaded.source
    assert "fonts-noto-color-emoji" in capsys.readouterr().out


def test_mirror_twins_land_in_the_same_split(tmp_path):
    folder = tmp_path / "glyphs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for code in range(40):
        image = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        Image.fromarray(image).save(folder / f"u{code:05x}.png")
        Image.fromarray(image[:, ::-1]).save(folder / f"u{code:05x}_m.png")
    loaded = data.load_folder(folder, (8, 8), test_fraction=0.2, verbose=False)
    assert len(loaded.x_test) == 16 and len(loaded.x_train) == 64
    train = {image.tobytes() for image in loaded.x_train}
    for image in loaded.x_test:  # neither the image nor its mirror twin was trained on
        assert image.tobytes() not in train and image[:, ::-1].tobytes() not in train


def test_a_folder_load_decodes_each_file_once(tmp_path, monkeypatch):
    from PIL import Image as PILImage

    folder = _image_folder(tmp_path / "images", count=12, size=20)
    (folder / "broken.png").write_text("not an image")
    opened = []
    real_open = PILImage.open

    def counting_open(path, *args, **kwargs):
        opened.append(Path(path).name)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(PILImage, "open", counting_open)
    loaded = data.load_folder(folder, (16, 16), verbose=False)
    assert len(loaded.x_train) + len(loaded.x_test) == 12 and "1 unreadable" in loaded.source
    assert sorted(opened) == sorted(path.name for path in folder.iterdir())  # each file once


# ---------- CIFAR-10 ----------

def test_cifar10_offline_without_font_ends_with_the_shapes(data_cache, no_font, few_shapes, offline):
    loaded = data.load("cifar10")
    assert loaded.name == "shapes (stand-in for cifar10)"
    assert loaded.source.startswith("offline stand-in for CIFAR-10")
    assert "synthetic colour shapes" in loaded.source and "internet" in loaded.source
    assert not (data_cache / "emoji64").exists()


def test_cifar10_offline_uses_already_rendered_emoji(data_cache, no_font, offline, no_colour_rendering):
    _image_folder(data_cache / "emoji64" / "images", count=12, size=64)
    loaded = data.load("cifar10", verbose=False)
    assert loaded.name == "emoji (stand-in for cifar10)" and "Noto Color Emoji" in loaded.source


def test_cifar10_from_the_cache_touches_no_colour_set(cached_cifar, no_colour_rendering):
    loaded = data.load("cifar10", verbose=False)
    assert loaded.name == "cifar10" and "local cache" in loaded.source
    assert loaded.x_train.shape == (40, 32, 32, 3) and loaded.x_test.shape == (8, 32, 32, 3)


# ---------- the memorisation helper ----------

def test_pool_at_upsamples_a_32px_pool_to_the_samples_size():
    pool = np.random.default_rng(0).integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    big = data.pool_at(pool, 64)
    assert big.shape == (6, 64, 64, 3) and big.dtype == np.uint8
    assert abs(big.astype(float).mean() - pool.astype(float).mean()) < 3
    assert data.pool_at(big, 64) is big  # right size already: unchanged
    grey = data.pool_at(pool[..., :1], 64)
    assert grey.shape == (6, 64, 64, 1)


def test_pool_at_rejects_float_images_with_a_fix():
    with pytest.raises(DataError, match="uint8"):
        data.pool_at(np.zeros((2, 32, 32, 3), np.float32), 64)


def test_nearest_finds_a_copied_sample_among_a_resized_32px_pool():
    rng = np.random.default_rng(0)
    pool = data.pool_at(rng.integers(0, 256, (50, 32, 32, 3), dtype=np.uint8), 64)
    samples = data.to_range(pool[[7, 21]], (-1, 1)) + rng.normal(0, 0.01, (2, 64, 64, 3))
    index, dist = data.nearest(samples, data.to_range(pool, (-1, 1)))
    assert list(index) == [7, 21] and dist.max() < 2
    _, within = data.nearest(pool[:10].astype(float), pool.astype(float), exclude_self=True)
    assert within.min() > 0  # no image is matched with itself


def test_nearest_with_64px_samples_and_a_32px_pool_names_the_fix():
    samples = np.zeros((4, 64, 64, 3), np.float32)
    pool = np.zeros((9, 32, 32, 3), np.float32)
    with pytest.raises(DataError, match="pool_at"):
        data.nearest(samples, pool)


# ---------- the notebook's own data and memorisation cells, per DATASET ----------

def _cell(cells, marker: str) -> str:
    found = [cell.source for cell in cells if cell.cell_type == "code" and marker in cell.source]
    assert len(found) == 1, f"expected one cell with {marker!r} in {NOTEBOOK.name}"
    return found[0]


class _StubMeter:
    """Stands in for the QualityMeter: 48-d features from an 8×8 average of the image."""

    def features(self, images):
        images = np.asarray(images, np.float32)
        return images.reshape(len(images), 8, images.shape[1] // 8, 8, -1, 3).mean((2, 4)).reshape(
            len(images), -1)


def _run_data_cells(dataset: str, monkeypatch) -> dict:
    """Run the notebook's imports, parameters, data and memorisation cells with ``DATASET``
    (the memorisation check on uniform noise as samples, which must not be flagged)."""
    import matplotlib
    import nbformat

    matplotlib.use("Agg")
    monkeypatch.setenv("COURSE_FAST", "1")
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    scope: dict = {}
    exec(_cell(cells, "from course_utils import artefacts"), scope)
    exec(_cell(cells, "DATASET = "), scope)
    scope["DATASET"] = dataset
    exec(_cell(cells, "image_dataset_from_directory("), scope)
    exec(_cell(cells, "def training_pipeline"), scope)
    exec(_cell(cells, "def thumbnails"), scope)  # cluster labels, then the training pipeline
    batch, labels = next(iter(scope["dataset"]))
    assert labels.shape == batch.shape[:1] and 0 <= int(labels.numpy().min())
    assert int(labels.numpy().max()) < scope["CLUSTERS"]
    rng = np.random.default_rng(0)
    scope["samples"] = rng.uniform(-1, 1, (210, 64, 64, 3)).astype(np.float32)
    scope["meter"] = _StubMeter()
    exec(_cell(cells, "data.neighbours.memorisation("), scope)
    scope["batch"] = batch
    return scope


def test_notebook_cells_with_cifar10_compare_at_64px(cached_cifar, no_colour_rendering, monkeypatch,
                                                     capsys):
    scope = _run_data_cells("cifar10", monkeypatch)
    assert scope["reference"].name == "cifar10" and scope["reference"].image_shape == (32, 32, 3)
    assert tuple(scope["batch"].shape[1:]) == (64, 64, 3)
    assert scope["train_pool"].shape[1:] == (64, 64, 3) and scope["held_out"].shape[1:] == (64, 64, 3)
    assert -1.0 <= float(scope["batch"].numpy().min()) and float(scope["batch"].numpy().max()) <= 1.0
    assert "median distance" in capsys.readouterr().out


def test_notebook_cells_with_a_folder(data_cache, tmp_path, no_colour_rendering, monkeypatch, capsys):
    folder = _image_folder(tmp_path / "my images", count=40, size=50)
    (folder / "broken.png").write_text("not an image")
    scope = _run_data_cells(str(folder), monkeypatch)
    assert scope["reference"].name == "my images" and scope["reference"].image_shape == (64, 64, 3)
    assert tuple(scope["batch"].shape[1:]) == (64, 64, 3)
    out = capsys.readouterr().out
    assert "1 unreadable" in out and "median distance" in out


def test_notebook_cells_with_emoji_but_no_font_use_the_stand_in(data_cache, no_font, few_shapes,
                                                                monkeypatch, capsys):
    scope = _run_data_cells("emoji", monkeypatch)
    assert scope["reference"].name == "shapes (stand-in for emoji)"
    assert len(scope["reference"].x_test) == 9  # TEST_FRACTION of the 60 stand-in images
    out = capsys.readouterr().out
    assert "fonts-noto-color-emoji" in out and "synthetic colour shapes" in out


def test_every_training_setting_of_the_notebook_is_recorded_with_its_run():
    """A changed dataset, subset or hyper-parameter must never reload another run."""
    import re

    import nbformat

    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    parameters = re.findall(r"^([A-Z][A-Z0-9_]+) = ", _cell(cells, "DATASET = "), re.M)
    recorded = _cell(cells, "fit_resumable(")
    not_training = {"EPOCHS", "N_MONITOR", "N_EVAL", "FD_FACTOR", "ART"}  # length, evaluation, paths
    missing = [name for name in parameters if name not in not_training and name not in recorded]
    assert not missing, f"parameters not in fit_resumable's settings: {missing}"
