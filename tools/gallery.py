"""Results gallery: sample grids and measured metrics of full-mode runs, written into README.md.

    python tools/gallery.py            # read artefacts/ and runs/, write docs/gallery/ + README
    python tools/gallery.py --check    # only report what each notebook has (exit 1 if README is stale)
    make gallery

For every generative notebook it reads what the notebook itself saved in a full-mode run:

    artefacts/<stem>/samples.npz    uint8 samples (``course_utils.artefacts.save_samples``)
    artefacts/<stem>/metrics.json   the measured values (first key = headline metric)
    runs/<stem>/run.json            time, date and machine of the run (``tools/run_notebook.py``)

and writes ``docs/gallery/<stem>.png`` (the first 64 samples), ``docs/gallery/<stem>.json`` (the
metrics and the run's record) and a table between the ``gallery:start`` / ``gallery:end`` markers
of README.md. Samples saved in fast mode are refused: the gallery shows full-mode results only.
The grid and record are committed, so a clone without a notebook's artefacts keeps its last
full-mode result (a README row with no record yet is kept as it stands); a notebook that never
had one is listed as not yet run. Each row names the code version its run started from.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GENERATIVE = ("04", "05", "06", "07", "08", "09", "10", "11")
GRID_COUNT = 64


@dataclass
class Entry:
    """What the gallery knows about one notebook's full-mode run."""

    stem: str
    image: Path | None = None
    metrics: dict | None = None
    run: dict | None = None
    problem: str | None = None  # why there is no result to show
    kept_row: str | None = None  # README's row from before records existed, kept as it stands


def notebook_stems(root: Path) -> list[str]:
    """Stems of the generative notebooks present in ``notebooks/``."""
    return [path.stem for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
            if path.name[:2] in GENERATIVE]


def read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def collect(root: Path, stem: str, out_dir: Path, write: bool = True) -> Entry:
    """One notebook's full-mode result: from its artefacts when this clone has them (then, if
    ``write``, its grid and record are saved under ``out_dir``), else from the committed record."""
    entry = Entry(stem)
    samples_path = root / "artefacts" / stem / "samples.npz"
    metrics = read_json(root / "artefacts" / stem / "metrics.json") or {}
    if samples_path.is_file():
        with np.load(samples_path) as archive:
            fast = bool(archive["fast_mode"]) if "fast_mode" in archive else False
        if not (fast or metrics.get("mode") == "fast"):
            return from_artefacts(entry, root, samples_path, metrics, out_dir, write)
        entry.problem = f"{samples_path.relative_to(root)} comes from a fast-mode run"
    else:
        entry.problem = "not yet run in full mode"
    record = read_json(out_dir / f"{stem}.json")
    if record is not None and (out_dir / f"{stem}.png").is_file():
        entry.problem, entry.image = None, out_dir / f"{stem}.png"
        entry.metrics, entry.run = record.get("metrics") or {}, record.get("run")
    return entry


def from_artefacts(entry: Entry, root: Path, samples_path: Path, metrics: dict, out_dir: Path,
                   write: bool) -> Entry:
    """The entry of a full-mode run this clone holds; writes its grid and record if ``write``."""
    from course_utils.artefacts import load_samples
    from course_utils.plotting import image_grid

    run = read_json(root / "runs" / entry.stem / "run.json")
    if run is not None and run.get("mode") != "full":
        run = None  # a later fast run through run_notebook.py: its time is not the full run's
    entry.metrics, entry.run = metrics, run
    entry.image = out_dir / f"{entry.stem}.png"
    if write:
        from PIL import Image

        samples = load_samples(samples_path)[:GRID_COUNT]
        grid = Image.fromarray(image_grid(samples, (0, 255), columns=16))
        scale = max(1, 64 // samples.shape[1])  # 28×28 images drawn at 2×, so they can be read
        grid = grid.resize((grid.width * scale, grid.height * scale), Image.NEAREST)
        entry.image.parent.mkdir(parents=True, exist_ok=True)
        grid.save(entry.image, optimize=True)
        kept_run = {key: value for key, value in (run or {}).items() if key != "cells"}
        record = {"metrics": metrics, "run": kept_run or None}
        earlier = read_json(out_dir / f"{entry.stem}.json") or {}
        if (earlier.get("leaderboard") or {}).get("run") == run_id(metrics):
            record["leaderboard"] = earlier["leaderboard"]  # the leaderboard's row of the same run
        (out_dir / f"{entry.stem}.json").write_text(json.dumps(record, indent=1, ensure_ascii=False)
                                                    + "\n", encoding="utf-8")
    return entry


def run_id(metrics: dict) -> str:
    """A short fingerprint of a run's metrics: the gallery and the leaderboard tell by it whether
    their parts of a record describe the same run."""
    text = json.dumps(metrics, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def readme_rows(text: str, name: str = "gallery") -> dict[str, str]:
    """The table rows README.md holds now between the ``name`` markers, by the notebook they are
    about (the cell that reads like ``04_dense_gan``)."""
    if f"<!-- {name}:start -->" not in text:
        return {}
    block = text.split(f"<!-- {name}:start -->", 1)[1].split(f"<!-- {name}:end -->", 1)[0]
    rows = {}
    for line in block.splitlines():
        stems = [cell.strip() for cell in line.split("|") if re.fullmatch(r"\d\d_\w+", cell.strip())]
        if stems:
            rows[stems[0]] = line
    return rows


# Extra numbers worth a place in the table where a notebook measures many (first three shown).
HIGHLIGHTS = {
    # the run's length beside the fitted baseline and the raw (not averaged) weights
    "06_dcgan_colour": ("updates", "fd_baseline", "fd_raw_weights"),
    "07_wgan": ("fd_wgan_clip", "ring_wgan_gp_toy_modes", "ring_wgan_gp_toy_high_quality"),
    # the 1000-step samplers run on whichever weights (EMA or raw) did better at 50 steps
    "11_diffusion": ("fd_dcgan_05", "fd_EMA_ddpm_1000", "fd_raw_ddpm_1000", "images_seen"),
}


def describe_metrics(metrics: dict, preferred: tuple[str, ...] = ()) -> str:
    """The headline metric, the untrained model's value where the notebook measured one, and up
    to three more numbers (``preferred`` ones first)."""
    numbers = {k: v for k, v in metrics.items() if isinstance(v, int | float) and k != "epochs"}
    if not numbers:
        return "–"
    headline, value = next(iter(numbers.items()))
    text = f"{headline} = {value:.4g}"
    untrained = numbers.get(f"{headline}_untrained")
    if untrained is not None:
        text += f" (untrained: {untrained:.4g})"
    others = [k for k in numbers if k != headline and not k.endswith("_untrained")]
    others.sort(key=lambda k: preferred.index(k) if k in preferred else len(preferred))
    extras = [f"{k} = {numbers[k]:.3g}" for k in others][:3]
    return text + ("; " + ", ".join(extras) if extras else "")


def describe_entry_metrics(entry: Entry) -> str:
    """:func:`describe_metrics` for one notebook, with its :data:`HIGHLIGHTS` first."""
    return describe_metrics(entry.metrics or {}, HIGHLIGHTS.get(entry.stem, ()))


def describe_run(run: dict | None) -> str:
    if not run:
        return "time not recorded (no runs/<stem>/run.json from tools/run_notebook.py)"
    machine = run.get("machine") or {}
    where = machine.get("cpu", "unknown machine")
    if machine.get("cores"):
        where += f", {machine['cores']} cores"
    if machine.get("gpus"):
        where += ", GPU: " + ", ".join(machine["gpus"])
    seconds = float(run.get("seconds", 0))
    cpu = run.get("cpu_seconds")
    cpu_text = f" ({float(cpu) / 60:.0f} CPU-min)" if cpu and float(cpu) >= 60 else ""
    # A resumed run, or a rerun that reloads finished training, records only its own wall time;
    # the epoch log counts the training of every part.
    training = float(run.get("training_seconds") or 0)
    resumed = (f"; {training / 60:.0f} min of training, counting earlier parts of the run"
               if training > seconds else "")
    load = run.get("training_load")
    if load is not None and machine.get("cores") and load > float(machine["cores"]) + 0.5:
        resumed += f"; shared machine while training (mean load {load:.1f}), so slower than alone"
    wall = f"{seconds:.0f} s" if seconds < 60 else f"{seconds / 60:.0f} min"
    code = f", code {run['code']}" if run.get("code") else ""
    if run.get("status") not in (None, "ok") and "FAILED" in str(run.get("error")):
        code += ": its learning check failed"
    return (f"{wall}{cpu_text} on {where} "
            f"({run.get('started', '?')[:10]}, {run.get('status')}{code}){resumed}")


def markdown(entries: list[Entry], root: Path) -> str:
    """The README block: one row per generative notebook."""
    lines = [
        "Produced by `python tools/gallery.py` from the samples and metrics each notebook saved in",
        "its own full-mode run (`make run NB=..`). Metrics: Fréchet distance (fd, lower is better)",
        "and kernel distance (kid) on the course's feature network; for the VAE, the ELBO in nats",
        "(heldout_elbo_nats) on 1,000 images of MNIST's training split that it never trained on.",
        "",
        "| notebook | samples (full mode) | measured | run |",
        "|---|---|---|---|",
    ]
    for entry in entries:
        if entry.kept_row:
            lines.append(entry.kept_row)
            continue
        if entry.problem:
            lines.append(f"| {entry.stem} | – | {entry.problem} | – |")
            continue
        image = entry.image.relative_to(root).as_posix()
        lines.append(f"| {entry.stem} | ![{entry.stem} samples]({image}) | "
                     f"{describe_entry_metrics(entry)} | "
                     f"{describe_run(entry.run)} |")
    return "\n".join(lines)


def replace_block(text: str, block: str, name: str = "gallery") -> str:
    """``text`` with the part between the ``<!-- name:start -->`` / ``<!-- name:end -->`` markers
    replaced by ``block``; the error names the missing markers."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        raise SystemExit(f"error: README.md has no {start} … {end} markers; add them where the "
                         f"{name} belongs")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{block}\n{end}{tail}"


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="report only; exit 1 when README.md would change")
    args = parser.parse_args(argv)
    out_dir = root / "docs" / "gallery"
    readme = root / "README.md"
    current = readme.read_text(encoding="utf-8")
    entries = [collect(root, stem, out_dir, write=not args.check) for stem in notebook_stems(root)]
    earlier = readme_rows(current)
    for entry in entries:  # a row with a grid from before records existed stays until a new run
        if entry.problem and "![" in earlier.get(entry.stem, ""):
            entry.kept_row = earlier[entry.stem]
            entry.problem = None
    for entry in entries:
        status = entry.problem or ("row kept as README had it (no artefacts, no record)"
                                   if entry.kept_row else f"ok: {describe_entry_metrics(entry)}")
        print(f"{entry.stem:<28} {status}")
    updated = replace_block(current, markdown(entries, root))
    if args.check:
        return 0 if updated == current else 1
    readme.write_text(updated, encoding="utf-8")
    print(f"wrote {readme.relative_to(root)} and {sum(e.image is not None for e in entries)} "
          f"grids under {out_dir.relative_to(root)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
