"""The leaderboard puts every model's budget beside its FD, and compares at the common budget."""

from __future__ import annotations

import json
import shutil

import leaderboard
import numpy as np
import pytest

from course_utils import artefacts

README = "# Course\n\n<!-- leaderboard:start -->\nold\n<!-- leaderboard:end -->\n\n## Tests\n"


def fake_fd(images):
    """A stand-in meter: the mean pixel value tells the fake models apart."""
    return float(10 * (images.mean() + 1))


def make_project(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_FAST", raising=False)
    (tmp_path / "notebooks").mkdir()
    for stem in ("05_dcgan_fashion_mnist", "11_diffusion", "04_dense_gan"):
        (tmp_path / "notebooks" / f"{stem}.ipynb").write_text("{}")
    (tmp_path / "README.md").write_text(README)
    for stem, pixel, budget in (("05_dcgan_fashion_mnist", 51, (3_000_000, 23_400, 4_500, 50)),
                                ("11_diffusion", 102, (600_000, 4_680, 2_400, 10))):
        level = pixel / 127.5 - 1  # saved as exactly this uint8 pixel value
        folder = tmp_path / "artefacts" / stem
        artefacts.save_samples(np.full((20, 28, 28, 1), level, np.float32), folder)
        images, updates, seconds, epochs = budget
        artefacts.write_metrics(folder, {"fd": 1.0, "dataset": "Fashion-MNIST", "images_seen": images,
                                         "updates": updates, "train_seconds": seconds, "epochs": epochs})
    run = tmp_path / "artefacts" / "05_dcgan_fashion_mnist" / "checkpoints" / "full"
    run.mkdir(parents=True)
    rows = ["epoch,fd"] + [f"{epoch},{'' if epoch % 5 != 4 else 100 / (epoch + 1)}" for epoch in range(50)]
    (run / "history.csv").write_text("\n".join(rows) + "\n")
    return tmp_path


def test_rows_carry_budgets_and_the_common_budget_comes_from_the_curve(tmp_path, monkeypatch):
    root = make_project(tmp_path, monkeypatch)
    assert leaderboard.main([], root=root, fd_of=fake_fd) == 0
    block = (root / "README.md").read_text().split("<!-- leaderboard:start -->")[1]
    assert "\nold\n" not in block and "common budget of 600,000 real images" in block
    dcgan = next(line for line in block.splitlines() if line.startswith("| DCGAN"))
    # 3 million images, 23,400 updates, 75 min; FD of the samples on the meter 4.00; after the
    # 10th epoch (600,000 images) its recorded curve says 100 / 10
    assert "3,000,000" in dcgan and "23,400" in dcgan and "75 min" in dcgan
    assert "| 4.00 |" in dcgan and "10.00 (epoch 10)" in dcgan
    # never read at clearly fewer images than the common budget, even when an earlier point is nearer
    rows = [leaderboard.Row("a", "a", images=100.0, fd=5.0),
            leaderboard.Row("b", "b", images=1000.0, fd=1.0, curve=[[1, 94.0, 9.0], [2, 120.0, 7.0]])]
    leaderboard.fill_common_budget(rows)
    assert (rows[1].common_epoch, rows[1].fd_at_common) == (2, 7.0)
    # but a point within 5 % of it counts as taken at that budget
    rows[1].curve[0][1] = 99.0
    leaderboard.fill_common_budget(rows)
    assert (rows[1].common_epoch, rows[1].fd_at_common) == (1, 9.0)
    diffusion = next(line for line in block.splitlines() if line.startswith("| diffusion"))
    assert "600,000" in diffusion and "| 8.00 | 8.00 |" in diffusion
    dense = next(line for line in block.splitlines() if line.startswith("| dense GAN"))
    assert "not yet run in full mode" in dense
    assert leaderboard.main(["--check"], root=root, fd_of=fake_fd) == 0


def test_fast_mode_samples_do_not_enter_the_leaderboard(tmp_path, monkeypatch):
    root = make_project(tmp_path, monkeypatch)
    monkeypatch.setenv("COURSE_FAST", "1")
    artefacts.save_samples(np.zeros((20, 28, 28, 1), np.float32), root / "artefacts" / "11_diffusion")
    leaderboard.main([], root=root, fd_of=fake_fd)
    block = (root / "README.md").read_text()
    assert "| diffusion (DDIM 50) | 11_diffusion | – | – | – | only a fast-mode result | – |" in block


def test_missing_markers_are_named(tmp_path, monkeypatch):
    root = make_project(tmp_path, monkeypatch)
    (root / "README.md").write_text("# no markers\n")
    with pytest.raises(SystemExit, match="leaderboard:start"):
        leaderboard.main([], root=root, fd_of=fake_fd)


def test_metrics_json_is_what_the_notebooks_write(tmp_path):
    artefacts.write_metrics(tmp_path, {"fd": 2.0, "images_seen": 10})
    assert json.loads((tmp_path / "metrics.json").read_text())["images_seen"] == 10


def test_a_clone_without_artefacts_lists_the_rows_kept_in_the_records(tmp_path, monkeypatch):
    root = make_project(tmp_path, monkeypatch)
    leaderboard.main([], root=root, fd_of=fake_fd)
    first = (root / "README.md").read_text()
    kept = json.loads((root / "docs" / "gallery" / "05_dcgan_fashion_mnist.json").read_text())
    assert kept["leaderboard"]["fd"] == pytest.approx(4.0)
    assert [10, 600_000, 10.0] in kept["leaderboard"]["curve"]
    shutil.rmtree(root / "artefacts")  # a fresh clone: only the committed records

    def no_meter(images):
        raise AssertionError("nothing to measure in a clone without samples")

    leaderboard.main([], root=root, fd_of=no_meter)
    assert (root / "README.md").read_text() == first


def test_a_readme_row_from_before_records_is_kept_until_a_new_run(tmp_path, monkeypatch):
    root = make_project(tmp_path, monkeypatch)
    row = "| dense GAN | 04_dense_gan | – | – | – | 9.72 | – |"
    (root / "README.md").write_text(README.replace("\nold\n", f"\n{row}\n"))
    leaderboard.main([], root=root, fd_of=fake_fd)
    assert row in (root / "README.md").read_text()


def test_a_curve_recorded_in_metrics_json_is_read_at_its_own_image_counts(tmp_path, monkeypatch):
    """09's stages differ in images per epoch: its curve gives the images seen at each point."""
    root = make_project(tmp_path, monkeypatch)
    folder = root / "artefacts" / "11_diffusion"
    saved = json.loads((folder / "metrics.json").read_text())
    curve = [[1, 50_000, 40.0], [2, 400_000, 12.0], [3, 600_000, 9.0]]
    artefacts.write_metrics(folder, {**saved, "images_seen": 900_000, "fd_curve": curve})
    row = leaderboard.measure(root, "11_diffusion", fake_fd)
    assert row.curve == curve  # not epoch × images_seen / epochs (300,000 per epoch)
    dcgan = leaderboard.Row("05", "DCGAN", images=500_000, fd=3.0)
    leaderboard.fill_common_budget([dcgan, row])
    assert (row.common_epoch, row.fd_at_common) == (3, 9.0)  # the first point after 500,000 images


def test_numbers_from_an_older_meter_are_marked_and_not_compared(tmp_path, monkeypatch):
    """A curve recorded on another version of the meter is on another scale."""
    root = make_project(tmp_path, monkeypatch)
    folder = root / "artefacts" / "05_dcgan_fashion_mnist"
    saved = json.loads((folder / "metrics.json").read_text())
    assert saved["meter_version"] == leaderboard.FEATURE_NET_VERSION  # written by the notebooks
    del saved["meter_version"]  # as a run from before versions were recorded
    (folder / "metrics.json").write_text(json.dumps(saved))
    leaderboard.main([], root=root, fd_of=fake_fd)
    block = (root / "README.md").read_text()
    dcgan = next(line for line in block.splitlines() if line.startswith("| DCGAN"))
    # its samples are measured again on today's meter, but its own curve is not read
    assert "| 4.00 |" in dcgan and dcgan.endswith("| – (curve on meter v≤3) |")
    kept = json.loads((root / "docs" / "gallery" / "05_dcgan_fashion_mnist.json").read_text())
    assert kept["leaderboard"]["curve_meter_version"] is None

    # a clone with only a record measured on an older meter shows that meter beside the FD
    kept["leaderboard"]["meter_version"] = 3
    (root / "docs" / "gallery" / "05_dcgan_fashion_mnist.json").write_text(json.dumps(kept))
    shutil.rmtree(root / "artefacts")
    leaderboard.main([], root=root, fd_of=fake_fd)
    dcgan = next(line for line in (root / "README.md").read_text().splitlines() if line.startswith("| DCGAN"))
    assert "| 4.00 (meter v3) |" in dcgan


def test_a_final_fd_on_an_older_meter_is_not_the_common_budgets_number(tmp_path):
    rows = [leaderboard.Row("a", "a", images=100.0, fd=5.0, fd_meter=None),
            leaderboard.Row("b", "b", images=1000.0, fd=1.0, curve=[[1, 100.0, 9.0]])]
    leaderboard.fill_common_budget(rows)
    assert rows[0].fd_at_common is None and rows[1].fd_at_common == 9.0


def test_a_fashion_model_kept_in_a_subfolder_is_read_from_there(tmp_path, monkeypatch):
    """10's main VAE is trained on MNIST; its Fashion-MNIST VAE keeps its results in fashion/."""
    root = make_project(tmp_path, monkeypatch)
    (root / "notebooks" / "10_vae.ipynb").write_text("{}")
    artefacts.save_samples(np.zeros((20, 28, 28, 1), np.float32), root / "artefacts" / "10_vae")  # MNIST
    folder = root / "artefacts" / "10_vae" / "fashion"
    artefacts.save_samples(np.full((20, 28, 28, 1), 0.5, np.float32), folder)
    artefacts.write_metrics(folder, {"fd": 1.0, "dataset": "fashion_mnist", "images_seen": 898_560,
                                     "updates": 7_020, "train_seconds": 600, "epochs": 15,
                                     "fd_curve": [[5, 299_520, 20.0], [15, 898_560, 15.0]]})
    leaderboard.main([], root=root, fd_of=fake_fd)
    vae = next(line for line in (root / "README.md").read_text().splitlines() if line.startswith("| VAE"))
    # 0.5 saved as the uint8 pixel 191, read back as 191 / 127.5 - 1; no point of its curve lies within 25 %
    # of the common budget (11's 600,000 images), so that column stays empty
    assert "898,560" in vae and "7,020" in vae and "10 min" in vae
    assert vae.endswith(f"| {fake_fd(np.array([191 / 127.5 - 1])):.2f} | – |")
    # without the subfolder the notebook is not yet run, even though its MNIST samples exist
    shutil.rmtree(folder)
    assert leaderboard.measure(root, "10_vae", fake_fd).problem == "not yet run in full mode"
