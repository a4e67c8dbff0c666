"""The results gallery: built from what full-mode runs saved; fast-mode results are refused."""

from __future__ import annotations

import json
import shutil

import gallery
import numpy as np
import pytest

from course_utils import artefacts

README = "# Course\n\n## Results gallery\n\n<!-- gallery:start -->\nold\n<!-- gallery:end -->\n\n## Tests\n"


def make_project(tmp_path, monkeypatch, fast_samples=False):
    (tmp_path / "notebooks").mkdir()
    for name in ("03_pruning", "04_dense_gan", "05_dcgan"):
        (tmp_path / "notebooks" / f"{name}.ipynb").write_text("{}")
    (tmp_path / "README.md").write_text(README)
    images = np.random.default_rng(0).uniform(-1, 1, (80, 28, 28, 1)).astype(np.float32)
    if fast_samples:
        monkeypatch.setenv("COURSE_FAST", "1")
    else:
        monkeypatch.delenv("COURSE_FAST", raising=False)
    folder = tmp_path / "artefacts" / "04_dense_gan"
    artefacts.save_samples(images, folder)
    artefacts.write_metrics(folder, {"fd": 11.35, "fd_untrained": 117.0, "kid": 0.17})
    run = {"mode": "full", "seconds": 261.3, "cpu_seconds": 480.0, "status": "ok",
           "started": "2026-11-22T23:17:31+00:00",
           "machine": {"cpu": "Test CPU 3000", "cores": 2, "gpus": []}}
    (tmp_path / "runs" / "04_dense_gan").mkdir(parents=True)
    (tmp_path / "runs" / "04_dense_gan" / "run.json").write_text(json.dumps(run))
    return tmp_path


def test_preferred_numbers_come_first_among_the_extras():
    metrics = {"fd": 20.0, "fd_clip": 30.0, "fd_untrained": 150.0, "ring_a_modes": 1,
               "ring_b_modes": 2, "ring_c_modes": 8, "ring_c_high_quality": 0.9}
    assert gallery.describe_metrics(metrics) == (
        "fd = 20 (untrained: 150); fd_clip = 30, ring_a_modes = 1, ring_b_modes = 2")
    text = gallery.describe_metrics(metrics, ("ring_c_modes", "ring_c_high_quality", "missing"))
    assert text == "fd = 20 (untrained: 150); ring_c_modes = 8, ring_c_high_quality = 0.9, fd_clip = 30"


def test_a_resumed_run_reports_the_training_time_of_all_its_parts():
    run = {"seconds": 600, "training_seconds": 5400, "status": "ok", "started": "2026-11-23",
           "machine": {"cpu": "Test CPU", "cores": 2}}
    text = gallery.describe_run(run)
    assert text.startswith("10 min") and "90 min of training, counting earlier parts" in text


def test_gallery_shows_full_mode_results_with_time_and_machine(tmp_path, monkeypatch):
    root = make_project(tmp_path, monkeypatch)
    assert gallery.main([], root=root) == 0
    text = (root / "README.md").read_text()
    block = text.split("<!-- gallery:start -->")[1].split("<!-- gallery:end -->")[0]
    assert "old" not in block and text.endswith("## Tests\n")
    row = next(line for line in block.splitlines() if line.startswith("| 04_dense_gan"))
    assert "docs/gallery/04_dense_gan.png" in row
    assert "fd = 11.35 (untrained: 117)" in row and "kid = 0.17" in row
    assert "4 min (8 CPU-min) on Test CPU 3000, 2 cores" in row and "2026-11-22" in row
    assert "| 05_dcgan | – | not yet run in full mode |" in block
    assert "resumed" not in row
    assert "03_pruning" not in block  # not a generative notebook
    from PIL import Image

    grid = Image.open(root / "docs" / "gallery" / "04_dense_gan.png")
    # 64 samples in 16 columns with 2-pixel padding, drawn at 2× because they are only 28 pixels
    assert grid.size == (2 * (16 * 30 + 2), 2 * (4 * 30 + 2))
    assert gallery.main(["--check"], root=root) == 0  # README is up to date now


def test_gallery_refuses_samples_from_a_fast_run(tmp_path, monkeypatch):
    root = make_project(tmp_path, monkeypatch, fast_samples=True)
    orphan = root / "docs" / "gallery" / "04_dense_gan.png"  # a grid without its record is not shown
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"grid of an earlier full run")
    gallery.main([], root=root)
    block = (root / "README.md").read_text()
    assert "04_dense_gan | – | artefacts/04_dense_gan/samples.npz comes from a fast-mode run" in block
    assert "04_dense_gan.png" not in block


def test_a_clone_without_artefacts_shows_the_committed_record_with_its_code_version(tmp_path,
                                                                                   monkeypatch):
    root = make_project(tmp_path, monkeypatch)
    run_path = root / "runs" / "04_dense_gan" / "run.json"
    run = json.loads(run_path.read_text())
    run_path.write_text(json.dumps({**run, "code": "abc1234", "cells": [{"index": 0}]}))
    gallery.main([], root=root)
    record_path = root / "docs" / "gallery" / "04_dense_gan.json"
    record = json.loads(record_path.read_text())
    assert record["metrics"]["fd"] == 11.35 and "cells" not in record["run"]
    same_run = {"run": gallery.run_id(record["metrics"]), "fd": 9.0}
    record_path.write_text(json.dumps({**record, "leaderboard": same_run}))
    gallery.main([], root=root)  # the same run again: the leaderboard's row stays
    assert json.loads(record_path.read_text())["leaderboard"] == same_run
    record_path.write_text(json.dumps({**record, "leaderboard": {**same_run, "run": "older run"}}))
    gallery.main([], root=root)  # the leaderboard's row of another run goes
    assert "leaderboard" not in json.loads(record_path.read_text())
    first = (root / "README.md").read_text()
    for folder in ("artefacts", "runs"):  # a fresh clone: nothing but what was committed
        shutil.rmtree(root / folder)
    gallery.main([], root=root)
    again = (root / "README.md").read_text()
    assert again == first and "code abc1234" in again and "fd = 11.35 (untrained: 117)" in again
    # a fast run later in that clone does not hide the last full-mode result
    monkeypatch.setenv("COURSE_FAST", "1")
    artefacts.save_samples(np.zeros((8, 28, 28, 1), np.float32), root / "artefacts" / "04_dense_gan")
    gallery.main([], root=root)
    assert (root / "README.md").read_text() == first


def test_a_readme_row_from_before_records_is_kept_until_a_new_run(tmp_path, monkeypatch):
    root = make_project(tmp_path, monkeypatch)
    row = "| 05_dcgan | ![05_dcgan samples](docs/gallery/05_dcgan.png) | fd = 2.2 | 57 min on a CPU |"
    (root / "README.md").write_text(README.replace("\nold\n", f"\n{row}\n"))
    gallery.main([], root=root)
    block = (root / "README.md").read_text()
    assert row in block and "04_dense_gan.png" in block


def test_gallery_names_the_missing_markers(tmp_path, monkeypatch):
    root = make_project(tmp_path, monkeypatch)
    (root / "README.md").write_text("# Course without a gallery section\n")
    with pytest.raises(SystemExit, match="gallery:start"):
        gallery.main([], root=root)


def test_a_rerun_that_reloads_finished_training_reports_seconds_not_zero_minutes():
    run = {"seconds": 15.5, "cpu_seconds": 20.0, "training_seconds": 1650, "status": "ok",
           "started": "2026-11-23", "machine": {"cpu": "Test CPU", "cores": 2}}
    text = gallery.describe_run(run)
    assert text.startswith("16 s on Test CPU") and "28 min of training" in text


def test_a_run_trained_on_a_busy_machine_says_so():
    run = {"seconds": 600, "training_seconds": 500, "training_load": 4.2, "status": "ok",
           "started": "2026-11-23", "machine": {"cpu": "Test CPU", "cores": 2}}
    assert "shared machine while training (mean load 4.2)" in gallery.describe_run(run)
    run["training_load"] = 2.1  # the training itself keeps two cores busy
    assert "shared machine" not in gallery.describe_run(run)


def test_a_run_whose_learning_check_failed_says_so():
    run = {"seconds": 2241.8, "training_seconds": 3067.9, "status": "error", "started": "2026-11-30",
           "error": "CellExecutionError:   => FAILED", "code": "c677b89",
           "machine": {"cpu": "Test CPU", "cores": 2}}
    assert "(2026-11-30, error, code c677b89: its learning check failed)" in gallery.describe_run(run)
