"""Leaderboard: every Fashion-MNIST generative model of the course on one meter, budgets beside.

    python tools/leaderboard.py            # measure the full-mode samples, write the README block
    python tools/leaderboard.py --check    # report only (exit 1 when README.md would change)
    make leaderboard

A comparison teaches the wrong lesson when the budgets differ, so each row says how much the
model was given: real images seen, generator (or network) updates and training seconds, as its
notebook recorded them in ``artefacts/<stem>/metrics.json``. The FD of every model's 1,000 saved
samples is measured again here on one meter (the full-mode Fashion-MNIST feature network), and,
for notebooks that record an FD curve while they train (``training.MetricMonitor``; read from
``metrics.json``'s ``fd_curve`` of [epoch, images seen, FD] where the notebook writes one, else from
its ``history.csv`` at equal images per epoch), the FD after the common budget: the number of real
images seen by the model that saw the fewest. Only full-mode results count; a notebook without one
is listed as not yet run.

Each measured row (budget, FD, recorded curve) is also kept in the notebook's committed record
``docs/gallery/<stem>.json`` beside its gallery grid, so a clone without that notebook's
artefacts still lists its last full-mode result.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
from gallery import read_json, readme_rows, replace_block, run_id  # noqa: E402 (shared)

from course_utils.metrics import FEATURE_NET_VERSION  # noqa: E402 (no TensorFlow)

#: The notebooks whose default data set is Fashion-MNIST, with the model each one trains.
MODELS = {
    "04_dense_gan": "dense GAN",
    "05_dcgan_fashion_mnist": "DCGAN",
    "07_wgan": "WGAN-GP",
    "08_spectral_norm": "SN-GAN",
    "09_progressive_gan": "progressive GAN (32×32)",
    "10_vae": "VAE (section 8)",
    "11_diffusion": "diffusion (DDIM 50)",
}

#: Where a notebook keeps its Fashion-MNIST model's samples and metrics when its main model is
#: trained on another data set (10's VAE: MNIST, with a Fashion-MNIST VAE in section 8).
SUBFOLDERS = {"10_vae": "fashion"}


def artefact_folder(root: Path, stem: str) -> Path:
    """The folder holding ``stem``'s Fashion-MNIST ``samples.npz`` and ``metrics.json``."""
    return root / "artefacts" / stem / SUBFOLDERS.get(stem, "")


@dataclass
class Row:
    """One model's budget and its distances on the common meter."""

    stem: str
    model: str
    images: float | None = None
    updates: float | None = None
    seconds: float | None = None
    fd: float | None = None
    fd_at_common: float | None = None
    common_epoch: int | None = None
    problem: str | None = None
    curve: list = field(default_factory=list)  # [epoch, images seen, FD] the run monitored
    fd_meter: int | None = FEATURE_NET_VERSION  # the meter version that measured ``fd``
    curve_meter: int | None = FEATURE_NET_VERSION  # and the one the run monitored ``curve`` with
    kept_row: str | None = None  # README's row from before records existed, kept as it stands
    run: str | None = None  # run_id of the artefacts measured in this clone (None: from a record)


def record_path(root: Path, stem: str) -> Path:
    """The notebook's committed record of its last full-mode run (shared with the gallery)."""
    return root / "docs" / "gallery" / f"{stem}.json"


def from_record(root: Path, stem: str) -> Row | None:
    """The row the leaderboard measured for ``stem`` in an earlier clone, if it kept one."""
    kept = (read_json(record_path(root, stem)) or {}).get("leaderboard")
    if not kept:
        return None
    # records written before meter versions were kept measured with version 3 or older (None)
    return Row(stem, MODELS[stem], kept.get("images"), kept.get("updates"), kept.get("seconds"),
               kept.get("fd"), curve=[list(point) for point in kept.get("curve", [])],
               fd_meter=kept.get("meter_version"), curve_meter=kept.get("curve_meter_version"))


def keep_in_record(root: Path, row: Row) -> None:
    """Store a freshly measured row in the notebook's record (the gallery writes the rest), tagged
    with the run it measured."""
    path = record_path(root, row.stem)
    record = read_json(path) or {}
    record["leaderboard"] = {"run": row.run, "images": row.images, "updates": row.updates,
                             "seconds": row.seconds, "fd": row.fd, "curve": row.curve,
                             "meter_version": row.fd_meter, "curve_meter_version": row.curve_meter}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def collect(root: Path, stem: str, fd_of: Callable) -> Row:
    """One notebook's full-mode budget (from its metrics.json), the FD of its samples and its
    monitored FD curve; from the committed record when this clone has no full-mode artefacts."""
    row = measure(root, stem, fd_of)
    if row.problem in ("not yet run in full mode", "only a fast-mode result"):
        return from_record(root, stem) or row
    return row


def measure(root: Path, stem: str, fd_of: Callable) -> Row:
    """:func:`collect` from this clone's artefacts only."""
    import numpy as np

    from course_utils import training

    row = Row(stem, MODELS[stem])
    folder = artefact_folder(root, stem)
    metrics = read_json(folder / "metrics.json") or {}
    samples = folder / "samples.npz"
    if not samples.is_file() or not metrics:
        row.problem = "not yet run in full mode"
        return row
    if metrics.get("mode") == "fast":
        row.problem = "only a fast-mode result"
        return row
    dataset = str(metrics.get("dataset", "Fashion-MNIST")).lower().replace("_", "-")
    if "fashion" not in dataset:
        row.problem = f"trained on {metrics.get('dataset')}, not Fashion-MNIST"
        return row
    row.images, row.updates = metrics.get("images_seen"), metrics.get("updates")
    row.seconds = metrics.get("train_seconds")
    with np.load(samples) as archive:
        if bool(archive["fast_mode"]) if "fast_mode" in archive else False:
            row.problem = "only a fast-mode result"
            return row
    from course_utils.artefacts import load_samples

    row.fd = float(fd_of(load_samples(samples).astype(np.float32) / 127.5 - 1.0))
    row.run = run_id(metrics)
    row.curve_meter = metrics.get("meter_version")  # None: recorded before versions were kept
    if metrics.get("fd_curve"):  # [epoch, images seen, FD], for runs whose epochs differ in size
        row.curve = [[int(epoch), float(seen), float(value)] for epoch, seen, value in metrics["fd_curve"]]
    elif metrics.get("epochs") and row.images:
        per_epoch = row.images / metrics["epochs"]
        history = folder / "checkpoints" / "full" / "history.csv"  # full mode only, whatever COURSE_FAST says
        row.curve = training.curve_with_images(history, "fd", per_epoch)
    return row


def fill_common_budget(rows: list[Row]) -> float | None:
    """The fewest real images any measured model saw, and each model's monitored FD near it."""
    from course_utils import training

    seen = [row.images for row in rows if row.images and not row.problem]
    if not seen:
        return None
    common = min(seen)
    for row in rows:
        if row.problem or not row.images:
            continue
        if math.isclose(row.images, common, rel_tol=0.05):
            if row.fd_meter == FEATURE_NET_VERSION:  # its final samples are at the budget
                row.fd_at_common, row.common_epoch = row.fd, None
            continue
        if not row.curve or row.curve_meter != FEATURE_NET_VERSION:
            continue  # a curve measured on another meter is not on this table's scale
        # the nearest measurement within SAME_IMAGES_TOLERANCE of the common budget, else the first
        # one after it, so no row is read at clearly fewer images than the model that set it; else
        # the nearest one
        index = training.index_at_budget([point[1] for point in row.curve], common, factor=1.25)
        epoch, images, value = row.curve[index]
        if math.isclose(images, common, rel_tol=0.25):
            row.common_epoch, row.fd_at_common = epoch, value
    return common


def _number(value: float | None, digits: str = ",.0f") -> str:
    return "–" if value is None else format(value, digits)


def meter_name(version: int | None) -> str:
    """How the table names a meter version (``None``: recorded before versions were kept)."""
    return "v≤3" if version is None else f"v{version}"


def markdown(rows: list[Row], common: float | None) -> str:
    """The README block: one row per model, budgets first."""
    from course_utils.training import SAME_IMAGES_TOLERANCE

    budget = f"{common:,.0f}" if common else "–"
    tolerance = f"{SAME_IMAGES_TOLERANCE * 100:g} %"
    lines = [
        "Produced by `python tools/leaderboard.py` from each notebook's full-mode samples and the",
        "budget it recorded. FD: Fréchet distance on one meter (the Fashion-MNIST feature network,",
        f"version {FEATURE_NET_VERSION}), lower is better; the last column is the FD each notebook "
        "recorded while training",
        f"at the common budget of {budget} real images (the fewest any model saw): its measurement",
        f"nearest that budget within {tolerance}, else its first one after it, where it records a curve on",
        "the same meter. A number measured on an older meter is marked with its version: it is on",
        "another scale, so it is not compared.",
        "",
        "| model | notebook | real images seen | updates | training time | FD | FD at common budget |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.kept_row:
            lines.append(row.kept_row)
            continue
        if row.problem:
            lines.append(f"| {row.model} | {row.stem} | – | – | – | {row.problem} | – |")
            continue
        minutes = "–" if row.seconds is None else f"{row.seconds / 60:.0f} min"
        at_common = _number(row.fd_at_common, ".2f")
        if row.fd_at_common is not None and row.common_epoch:
            at_common += f" (epoch {row.common_epoch})"
        elif row.fd_at_common is None and row.curve and row.curve_meter != FEATURE_NET_VERSION:
            at_common = f"– (curve on meter {meter_name(row.curve_meter)})"
        fd = _number(row.fd, ".2f")
        if row.fd is not None and row.fd_meter != FEATURE_NET_VERSION:
            fd += f" (meter {meter_name(row.fd_meter)})"
        lines.append(f"| {row.model} | {row.stem} | {_number(row.images)} | {_number(row.updates)} | "
                     f"{minutes} | {fd} | {at_common} |")
    return "\n".join(lines)


def fashion_meter_fd() -> Callable:
    """FD on the full-mode Fashion-MNIST meter (the one the notebooks use in full mode)."""
    import os

    from course_utils import data, metrics

    os.environ.pop("COURSE_FAST", None)
    meter = metrics.QualityMeter(data.load("fashion_mnist", verbose=False), verbose=False)
    return meter.fd


def main(argv: list[str] | None = None, root: Path = ROOT, fd_of: Callable | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="report only; exit 1 when README.md would change")
    args = parser.parse_args(argv)
    present = [stem for stem in MODELS if (root / "notebooks" / f"{stem}.ipynb").is_file()]
    has_samples = any((artefact_folder(root, stem) / "samples.npz").is_file() for stem in present)
    fd_of = fd_of or (fashion_meter_fd() if has_samples else (lambda images: float("nan")))
    readme = root / "README.md"
    current = readme.read_text(encoding="utf-8")
    rows = [collect(root, stem, fd_of) for stem in present]
    earlier = readme_rows(current, "leaderboard")
    for row in rows:  # a row measured before records existed stays until the notebook runs again
        kept = earlier.get(row.stem, "not yet run")
        if row.problem == "not yet run in full mode" and "not yet run" not in kept:
            row.kept_row = kept
    if not args.check:
        for row in rows:
            if not row.problem and row.run:  # measured from this clone's artefacts
                keep_in_record(root, row)
    common = fill_common_budget(rows)
    for row in rows:
        status = ("row kept as README had it (no artefacts, no record)" if row.kept_row else
                  row.problem or f"FD {row.fd:.2f}, {_number(row.images)} images")
        print(f"{row.stem:<26} {status}")
    updated = replace_block(current, markdown(rows, common), "leaderboard")
    if args.check:
        return 0 if updated == current else 1
    readme.write_text(updated, encoding="utf-8")
    print(f"wrote the leaderboard into {readme.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
