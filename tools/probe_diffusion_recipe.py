"""One-epoch probes of notebook 11's training recipe: which batch size and loss weighting pay.

    python tools/probe_diffusion_recipe.py base --set BATCH_SIZE=128 --set MIN_SNR_GAMMA=None
    python tools/probe_diffusion_recipe.py b64-minsnr5 --set BATCH_SIZE=64 --set MIN_SNR_GAMMA=5.0
    python tools/probe_diffusion_recipe.py v-pred --set 'PREDICTION="v"' --ddpm 300

Runs the notebook's own code cells (parameters, data, schedule, U-Net, ``Diffusion``,
``make_diffusion``) in full mode, with the given parameters replaced and ``EPOCHS = 1``, so the
learning-rate warm-up and decay are compressed into one pass over the 60,000 training images.
It trains with plain ``fit`` (no checkpoints; nothing of the notebook's own run is touched), then
measures the FD of 500 DDIM-50 samples of the raw weights with η = 0 and η = 1. ``--seed`` changes
the network's initialisation; one seed per probe cannot tell a difference of a point or two from
noise. ``--ddpm N`` also draws N samples with the 1000-step DDPM sampler and N DDIM-50 samples
with each η, and records DDIM-50's FD over DDPM's at equal sample counts (section 5's 10 % goal;
DDPM costs about 1.8 ms per image and step on 2 CPU cores: 9 minutes for N = 300). Each result
is printed and appended, as one JSON line, to ``runs/probes/11_recipes.jsonl``.
About 6–7 minutes per probe on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import ast
import json
import linecache
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "11_diffusion.ipynb"
RESULTS = ROOT / "runs" / "probes" / "11_recipes.jsonl"
SAMPLES, STEPS = 500, 50
#: Skipped: the set-up cell (it installs on Colab) and the widget cell; plots run on the Agg backend.
SETUP_CELL, WIDGET_CALL = "# Set-up", "schedule_explorer"
#: The notebook's initialisation seed (``make_diffusion(seed=11)``), used when ``--seed`` is not given.
NOTEBOOK_SEED = 11
#: How the parameter cell begins.
PARAMETER_CELL = "DATASET = "


def parse_setting(text: str) -> tuple[str, object]:
    """``NAME=literal`` → ``(NAME, value)``; the value is a Python literal (``64``, ``5.0``, ``None``)."""
    name, separator, value = text.partition("=")
    if not separator or not name.isidentifier() or not name.isupper():
        raise SystemExit(f"--set {text!r}: write NAME=value with a parameter of the notebook, "
                         f"e.g. --set BATCH_SIZE=64")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise SystemExit(f"--set {text!r}: the value must be a Python literal "
                         f"such as 64, 5.0 or None") from None


def notebook_code() -> list[str]:
    """The code cells of notebook 11 up to and including the one that builds ``model``."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    code = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if not source.startswith(SETUP_CELL) and WIDGET_CALL not in source:
            code.append(source)
        if "model = make_diffusion(" in source:
            return code
    raise SystemExit(f"{NOTEBOOK.name} has no cell that builds the model: the probe needs updating")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("name", help="a label for this probe in the results")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="replace one parameter of the notebook's parameter cell")
    parser.add_argument("--seed", type=int, default=None,
                        help="initialise the network with this seed instead of the notebook's 11")
    parser.add_argument("--ddpm", type=int, default=0, metavar="N",
                        help="also compare N DDIM-50 samples with N of the 1000-step DDPM sampler")
    args = parser.parse_args()
    if args.ddpm < 0:
        raise SystemExit(f"--ddpm {args.ddpm}: give a number of samples, e.g. --ddpm 300 (0: skip)")
    overrides = dict(parse_setting(text) for text in args.set)
    os.environ.pop("COURSE_FAST", None)
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.path.insert(0, str(ROOT))

    names: dict = {}
    for number, source in enumerate(notebook_code()):
        # a file name per cell that linecache can serve, so AutoGraph can read the functions' source
        filename = f"{NOTEBOOK}#code-cell-{number}"
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        exec(compile(source, filename, "exec"), names)
        if source.startswith(PARAMETER_CELL):
            unknown = sorted(set(overrides) - set(names))
            if unknown:
                raise SystemExit(f"{', '.join(unknown)}: not a parameter of {NOTEBOOK.name}")
            names.update(overrides, EPOCHS=1)
            names["ART"] = names["course_utils"].artefact_dir("11_recipe_probe")
    model = names["model"] if args.seed is None else names["make_diffusion"](seed=args.seed)
    start = time.perf_counter()
    model.fit(names["train_data"], epochs=1, verbose=0, shuffle=False)  # the pipeline shuffles
    seconds = time.perf_counter() - start
    updates = int(model.updates.numpy())
    seed = NOTEBOOK_SEED if args.seed is None else args.seed
    result = {"name": args.name, "settings": overrides, "seed": seed, "updates": updates,
              "images": updates * names["BATCH_SIZE"], "train_seconds": round(seconds)}
    ddim = {}
    for eta in (0.0, 1.0):
        ddim[eta] = names["generate"](model.network, max(SAMPLES, args.ddpm), STEPS, eta=eta)
        result[f"fd_ddim{STEPS}_eta{eta:g}"] = round(float(names["meter"].fd(ddim[eta][:SAMPLES])), 2)
    if args.ddpm:
        ddpm = names["generate"](model.network, args.ddpm, names["T"], sampler="ddpm")
        fd_ddpm = float(names["meter"].fd(ddpm))
        result[f"fd_ddpm{names['T']}_n{args.ddpm}"] = round(fd_ddpm, 2)
        for eta in (0.0, 1.0):  # the first N DDIM samples above: FD's small-sample bias is the same
            fd_ddim = float(names["meter"].fd(ddim[eta][:args.ddpm]))
            result[f"ratio_ddim{STEPS}_eta{eta:g}_over_ddpm"] = round(fd_ddim / fd_ddpm, 3)
    print(json.dumps(result), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as file:
        file.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
