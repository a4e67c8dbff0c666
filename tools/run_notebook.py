"""Run one course notebook headlessly, in full mode, and keep the executed copy.

    python tools/run_notebook.py 05                      # by number
    python tools/run_notebook.py dcgan                   # by a unique part of the name
    python tools/run_notebook.py notebooks/05_dcgan_fashion_mnist.ipynb
    python tools/run_notebook.py 05 --fast               # fast mode (COURSE_FAST=1), as CI runs it
    make run NB=05

The notebook runs top to bottom in a fresh kernel started in its folder (as in JupyterLab) with
COURSE_FAST unset, so every size is the full one; progress is printed per cell, with the cell's
printed output echoed as it arrives (``--quiet`` hides it). Written under the gitignored ``runs/``
(``runs/fast/`` with ``--fast``, so a quick run never replaces the record of a full one):

    runs/<stem>/<stem>.executed.ipynb   the notebook with all outputs (also after a failure)
    runs/<stem>/run.json                mode, status, wall-clock and CPU seconds, per-cell seconds,
                                        the metrics

The notebook itself writes its artefacts (checkpoints, GIFs, samples, metrics.json) to
``artefacts/<stem>/`` (``artefacts/fast/<stem>/`` in fast mode); they are listed at the end.
run.json also records the machine (CPU, cores, GPU), so a result says what it was measured on.
Exit status: 0 when every cell ran, 1 when a cell failed, 2 for a bad argument, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a clone without installing the package
from course_utils.config import artefact_root  # noqa: E402 (no TensorFlow import)
from course_utils.timing import mean_load, training_seconds  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
RUNS = ROOT / "runs"


def find_notebook(spec: str) -> Path:
    """A notebook from a path, a number ("5", "05") or a unique part of its name ("dcgan_fashion")."""
    path = Path(spec)
    if path.suffix == ".ipynb" and path.is_file():
        return path.resolve()
    candidates = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if spec.isdigit():
        matches = [p for p in candidates if p.name[:2] == f"{int(spec):02d}"]
    else:
        matches = [p for p in candidates if spec.lower() in p.name.lower()]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(p.name for p in (matches or candidates)) or "none"
    problem = "matches several notebooks" if matches else "matches no notebook"
    raise SystemExit(f"error: {spec!r} {problem}; notebooks: {names}")


def display(path: Path) -> str:
    """A path relative to the repository when it is inside it."""
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def first_line(source: str, width: int = 60) -> str:
    """The first line of a cell that is not blank, shortened to ``width`` characters."""
    line = next((text.strip() for text in source.splitlines() if text.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"


def configure_environment(fast: bool) -> None:
    """Full mode unless ``fast``; quiet TensorFlow; inline figures (so they land in the copy)."""
    if fast:
        os.environ["COURSE_FAST"] = "1"
    else:
        os.environ.pop("COURSE_FAST", None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.pop("MPLBACKEND", None)  # Agg would keep figures out of the executed copy


def make_client(notebook, folder: Path, timeout: int | None, echo: bool, log: list[dict]):
    """An nbclient ``NotebookClient`` that prints progress per cell and echoes printed output."""
    from nbclient import NotebookClient

    code_cells = [i for i, cell in enumerate(notebook.cells)
                  if cell.cell_type == "code" and cell.source.strip()]
    total = len(code_cells)
    state = {"start": 0.0}

    class ProgressClient(NotebookClient):
        def output(self, outs, msg, display_id, cell_index):
            if echo:
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    stream = sys.stderr if content.get("name") == "stderr" else sys.stdout
                    stream.write(content.get("text", ""))
                    stream.flush()
                elif kind == "error":
                    print(f"        {content.get('ename')}: {content.get('evalue')}", flush=True)
                elif kind in ("display_data", "execute_result"):
                    data = content.get("data", {})
                    images = [key for key in data if key.startswith("image/")]
                    if images:
                        print(f"        [{', '.join(images)}]", flush=True)
                    elif "text/plain" in data:
                        lines = data["text/plain"].splitlines()
                        more = f"\n        … {len(lines) - 20} more lines" if len(lines) > 20 else ""
                        print("\n".join(lines[:20]) + more, flush=True)
            return super().output(outs, msg, display_id, cell_index)

    def on_execute(cell, cell_index, **_):
        state["start"] = time.monotonic()
        number = code_cells.index(cell_index) + 1
        print(f"[{number:>2}/{total}] cell {cell_index:>2}  {first_line(cell.source)}", flush=True)

    def on_executed(cell, cell_index, execute_reply, **_):
        seconds = time.monotonic() - state["start"]
        status = execute_reply.get("content", {}).get("status", "ok")
        log.append({"cell": cell_index, "seconds": round(seconds, 2), "status": status,
                    "first_line": first_line(cell.source)})
        print(f"        {'ok' if status == 'ok' else status.upper()} in {seconds:.1f} s", flush=True)

    return ProgressClient(
        notebook,
        timeout=timeout,
        kernel_name=notebook.metadata.get("kernelspec", {}).get("name", "python3"),
        resources={"metadata": {"path": str(folder)}},
        coalesce_streams=True,
        on_cell_execute=on_execute,
        on_cell_executed=on_executed,
    )


def artefact_folder(stem: str, fast: bool) -> Path:
    """Where the notebook writes its artefacts: under ``$COURSE_STORAGE`` when set, as the notebook
    itself decides (``course_utils.config.artefact_root``)."""
    return artefact_root(fast) / stem


def read_metrics(stem: str, fast: bool) -> dict:
    try:
        metrics = json.loads((artefact_folder(stem, fast) / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return metrics if isinstance(metrics, dict) else {}


def describe_artefacts(stem: str, since: float, fast: bool) -> list[str]:
    folder = artefact_folder(stem, fast)
    if not folder.is_dir():
        return [f"artefacts:      none ({display(folder)}/ was not written)"]
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    fresh = [path for path in files if path.stat().st_mtime >= since - 1]
    size = sum(path.stat().st_size for path in fresh)
    lines = [f"artefacts:      {display(folder)}/ — {len(fresh)} files written by this run "
             f"({size / 1e6:.1f} MB), {len(files) - len(fresh)} older"]
    lines += [f"                  {path.relative_to(folder)}" for path in fresh[:12]]
    if len(fresh) > 12:
        lines.append(f"                  … and {len(fresh) - 12} more")
    return lines


def rounded_or_none(value: float) -> float | None:
    """``value`` to two decimals, or ``None`` for nan (JSON has no nan)."""
    return None if math.isnan(value) else round(value, 2)


def children_cpu_seconds() -> float:
    """User + system CPU seconds of finished child processes (the kernel, after it exits)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_description() -> dict:
    """CPU model, core count and GPUs (from ``nvidia-smi`` when present) of this machine."""
    import platform
    import shutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpus: list[str] = []
    if shutil.which("nvidia-smi"):
        result = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                                capture_output=True, text=True, check=False)
        gpus = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    return {"cpu": cpu, "cores": os.cpu_count(), "gpus": gpus, "system": platform.platform(terse=True)}


def code_version() -> str:
    """The checkout's commit (short), with ``+changes`` when files differ from it; ``unknown``
    outside a git checkout."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+changes" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("notebook", help="number (05), part of the name, or path of a notebook")
    parser.add_argument("--fast", action="store_true", help="fast mode (COURSE_FAST=1), as CI runs it")
    parser.add_argument("--timeout", type=int, default=None,
                        help="seconds allowed per cell (default: no limit)")
    parser.add_argument("--quiet", action="store_true", help="do not echo the cells' printed output")
    parser.add_argument("--out", type=Path, default=RUNS, help="folder for runs (default: runs/)")
    args = parser.parse_args(argv)

    try:
        path = find_notebook(args.notebook)
    except SystemExit as problem:
        print(problem, file=sys.stderr)
        return 2
    import nbformat

    configure_environment(args.fast)
    stem = path.stem
    out_dir = (args.out / "fast" if args.fast else args.out) / stem  # fast never replaces full
    out_dir.mkdir(parents=True, exist_ok=True)
    executed_path = out_dir / f"{stem}.executed.ipynb"
    notebook = nbformat.read(path, as_version=4)
    mode = "fast" if args.fast else "full"
    print(f"running {display(path)} in {mode} mode "
          f"(COURSE_FAST={'1' if args.fast else 'unset'}), kernel in {path.parent}", flush=True)

    log: list[dict] = []
    client = make_client(notebook, path.parent, args.timeout, not args.quiet, log)
    started_wall, started = time.time(), time.monotonic()
    code = code_version()  # read now: the checkout may change during a long run
    cpu_before = children_cpu_seconds()
    status, error = "ok", None
    try:
        # The kernel's own stderr would repeat what it also sends as output messages (echoed above).
        client.execute(stderr=subprocess.DEVNULL)
    except KeyboardInterrupt:
        status, error = "interrupted", "interrupted by the user"
    except Exception as exc:  # CellExecutionError, timeouts, a dead kernel: keep the partial copy
        lines = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().splitlines()  # drop ANSI colours
        status, error = "error", f"{type(exc).__name__}: {lines[-1] if lines else ''}"
    seconds = time.monotonic() - started
    cpu_seconds = children_cpu_seconds() - cpu_before  # the kernel's CPU time, once it has exited

    nbformat.write(client.nb, executed_path)
    metrics = read_metrics(stem, args.fast)
    record = {
        "notebook": display(path),
        "mode": mode,
        "started": datetime.fromtimestamp(started_wall, timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
        # Summed over every epoch of fit_resumable, including earlier runs this one resumed.
        "training_seconds": round(training_seconds(artefact_folder(stem, args.fast)), 1),
        # The machine's mean 1-minute load average at the end of those epochs (None: not recorded).
        "training_load": rounded_or_none(mean_load(artefact_folder(stem, args.fast))),
        "status": status,
        "error": error,
        "machine": machine_description(),
        "code": code,
        "cells": log,
        "metrics": metrics,
    }
    record_path = out_dir / "run.json"
    record_path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    shown_metrics = ", ".join(f"{name}={value:.4g}" if isinstance(value, float) else f"{name}={value}"
                              for name, value in list(metrics.items())[:3])
    print()
    detail = f" — {error}" if error else ""
    print(f"result:         {status.upper()} in {seconds:.1f} s ({mode} mode){detail}")
    print(f"executed copy:  {display(executed_path)}")
    print(f"run record:     {display(record_path)}")
    print(f"metric:         {shown_metrics or '–'}")
    for line in describe_artefacts(stem, started_wall, args.fast):
        print(line)
    slowest = sorted(log, key=lambda entry: entry["seconds"], reverse=True)[:3]
    if slowest:
        print("slowest cells:  " + "; ".join(f"cell {e['cell']} {e['seconds']:.1f} s" for e in slowest))
    return {"ok": 0, "interrupted": 130}.get(status, 1)


if __name__ == "__main__":
    sys.exit(main())
