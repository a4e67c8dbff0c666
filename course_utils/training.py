"""Training plumbing for the notebooks: compile options, latent seeds, callbacks, resumable fit.

The notebooks keep the lesson (models and their ``train_step``); this module keeps what repeats:
sample grids from fixed latent seeds, a progress GIF, a metric monitor, and checkpoint + resume,
so re-running a training cell after the kernel died continues from the last finished epoch.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from course_utils.config import mode_name
from course_utils.data.arrays import TANH_RANGE, ValueRange
from course_utils.plotting import image_grid
from course_utils.policy import DevicePolicy, detect_policy
from course_utils.timing import EPOCH_SECONDS_FILE, machine_load, training_seconds  # noqa: F401 (re-export)

try:
    import keras

    Callback = keras.callbacks.Callback
except ImportError:  # course_utils imports without TensorFlow; training needs it
    keras = None
    Callback = object


def compile_options(policy: DevicePolicy | None = None) -> dict:
    """``jit_compile`` and ``steps_per_execution`` that pay on the current device.

    CPU: graphs without XLA (XLA was slower for the course's GAN steps); GPU: XLA on.
    With ``steps_per_execution = k``, Keras runs whole blocks of k steps: an explicit
    ``steps_per_epoch`` is rounded up to a multiple of k, so choose multiples of k.
    """
    return (policy or detect_policy()).compile_kwargs()


def short_run_options(policy: DevicePolicy | None = None) -> dict:
    """:func:`compile_options` for a short side run (a demonstration of a few dozen steps).

    An XLA compile takes seconds and pays back only over many steps, so a run that short is
    faster as a plain graph on every device: ``jit_compile`` is off, ``steps_per_execution`` kept.
    """
    return {**compile_options(policy), "jit_compile": False}


@contextlib.contextmanager
def float32_layers() -> Iterator[None]:
    """Layers built inside ``with float32_layers():`` compute in float32, even after
    ``setup(mixed_precision=True)`` made bfloat16 the default; the global policy is restored after.

    For numerical checks that compare a layer with NumPy to many digits. Keras reads the global
    dtype policy when a layer is created, so the layers keep float32 after the block.
    """
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def latent_seeds(count: int, dim: int, seed: int = 1234, distribution: str = "normal") -> np.ndarray:
    """Fixed latent vectors, so progress images of different epochs are comparable."""
    rng = np.random.default_rng(seed)
    if distribution == "uniform":
        return rng.uniform(-1.0, 1.0, size=(count, dim)).astype(np.float32)
    return rng.normal(size=(count, dim)).astype(np.float32)


def generate(generator, count: int, latent_dim: int, seed: int = 7, batch: int = 250,
             batch_stats: bool = False) -> np.ndarray:
    """``count`` images from ``generator`` for the fixed latents of ``seed``, ``batch`` at a time.

    The model is called directly: ``predict`` inside a loop is slow. ``batch_stats=True`` runs
    BatchNorm as in training, normalising with the statistics of each batch of ``batch`` images;
    that call also moves BatchNorm's running averages, so save and restore them around it.
    """
    z = latent_seeds(count, latent_dim, seed=seed)
    return np.concatenate([np.asarray(generator(z[i:i + batch], training=batch_stats))
                           for i in range(0, count, batch)])


def _due(callback, epoch: int, every: int) -> bool:
    """True on every ``every``-th epoch and on the last one (``epoch`` is 0-based)."""
    last = bool(callback.params) and epoch + 1 == callback.params.get("epochs")
    return (epoch + 1) % every == 0 or last


def default_generate(model, latents: np.ndarray):
    """``model.generator(latents, training=False)`` as a NumPy array."""
    return np.asarray(model.generator(latents, training=False))


class SampleGrid(Callback):
    """Every ``every`` epochs (and after the last), draw images from fixed latents.

    Each grid is kept in ``self.frames`` (uint8), written as a PNG to ``folder`` if given, and
    shown inline when ``show`` is true.
    """

    def __init__(self, latents: np.ndarray, every: int = 1, folder: Path | None = None,
                 value_range: ValueRange = TANH_RANGE, show: bool = True,
                 generate: Callable = default_generate, columns: int | None = None):
        super().__init__()
        self.latents, self.every, self.folder = latents, every, folder
        self.value_range, self.show, self.generate, self.columns = value_range, show, generate, columns
        self.frames: list[np.ndarray] = []
        self.epochs: list[int] = []

    def draw(self, epoch: int) -> np.ndarray:
        """Generate, store and return the grid for ``epoch`` (1-based)."""
        images = self.generate(self.model, self.latents)
        grid = image_grid(images, self.value_range, self.columns)
        self.frames.append(grid)
        self.epochs.append(epoch)
        if self.folder is not None:
            from PIL import Image

            Path(self.folder).mkdir(parents=True, exist_ok=True)
            Image.fromarray(grid).save(Path(self.folder) / f"epoch_{epoch:04d}.png")
        return grid

    def on_epoch_end(self, epoch, logs=None):
        if _due(self, epoch, self.every):
            grid = self.draw(epoch + 1)
            if self.show:
                import matplotlib.pyplot as plt

                plt.figure(figsize=(3, 3))
                plt.imshow(grid, cmap="gray", vmin=0, vmax=255)
                plt.title(f"epoch {epoch + 1}")
                plt.axis("off")
                plt.show()


def save_gif(frames: list[np.ndarray], path: Path, duration_ms: int = 300,
             labels: list[int] | None = None) -> Path:
    """Write uint8 frames as an animated GIF (last frame held longer)."""
    from PIL import Image, ImageDraw

    images = []
    for index, frame in enumerate(frames):
        image = Image.fromarray(frame).convert("RGB")
        if labels is not None:
            ImageDraw.Draw(image).text((2, 0), f"epoch {labels[index]}", fill=(255, 0, 0))
        images.append(image)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    durations = [duration_ms] * (len(images) - 1) + [duration_ms * 4]
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0)
    return path


class ProgressGif(SampleGrid):
    """A :class:`SampleGrid` that also writes every frame so far into a GIF after each frame."""

    def __init__(self, latents: np.ndarray, path: Path, every: int = 1,
                 value_range: ValueRange = TANH_RANGE, generate: Callable = default_generate):
        super().__init__(latents, every, None, value_range, show=False, generate=generate)
        self.path = Path(path)

    def draw(self, epoch: int) -> np.ndarray:
        grid = super().draw(epoch)
        save_gif(self.frames, self.path, labels=self.epochs)
        return grid


class MetricMonitor(Callback):
    """Every ``every`` epochs, compute ``fn(model) -> float`` and add it to the epoch's logs.

    The values are also kept in ``self.values`` as (epoch, value) pairs, so they survive a
    resumed run that skipped earlier epochs.
    """

    def __init__(self, name: str, fn: Callable, every: int = 1, verbose: bool = True):
        super().__init__()
        self.name, self.fn, self.every, self.verbose = name, fn, every, verbose
        self.values: list[tuple[int, float]] = []

    def on_epoch_end(self, epoch, logs=None):
        if _due(self, epoch, self.every):
            value = float(self.fn(self.model))
            self.values.append((epoch + 1, value))
            if self.verbose:
                print(f"  epoch {epoch + 1}: {self.name} = {value:.4g}")
        else:
            value = float("nan")  # a column on every epoch, so CSV logs keep it
        if logs is not None:
            logs[self.name] = value


class SnapshotAtUpdate(Callback):
    """Save the weights of ``select(model)`` once, right after the optimizer's ``updates``-th step.

    A comparison at equal budget can then reuse the first ``updates`` steps of a longer run
    instead of training a second model for them. ``select`` picks the part to save (default: the
    whole model); ``counter`` reads the update count (default: ``model.optimizer.iterations``).
    Keras calls batch callbacks once per block of ``steps_per_execution`` steps, so ``updates``
    must be a multiple of it; a run that starts past ``updates`` (resumed later) saves nothing.
    """

    def __init__(self, updates: int, path: Path, select: Callable | None = None,
                 counter: Callable | None = None):
        super().__init__()
        self.updates, self.path = int(updates), Path(path)
        self.select = select or (lambda model: model)
        self.counter = counter or (lambda model: model.optimizer.iterations)
        self.waiting = False

    def on_train_begin(self, logs=None):
        self.waiting = int(self.counter(self.model)) < self.updates

    def on_train_batch_end(self, batch, logs=None):
        if not self.waiting:
            return
        made = int(self.counter(self.model))
        if made < self.updates:
            return
        self.waiting = False
        if made != self.updates:
            raise ValueError(
                f"SnapshotAtUpdate: the first update count seen at or past {self.updates} was "
                f"{made}. Keras runs steps_per_execution steps between two callbacks; choose "
                "`updates` as a multiple of it (compile_options()['steps_per_execution']).")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.select(self.model).save_weights(self.path)


class EpochTimer(Callback):
    """Append each epoch's wall-clock seconds and the machine's load to a CSV file.

    Columns ``epoch,seconds,load``; the load is the 1-minute load average at the epoch's end,
    which says whether other jobs shared the cores while the time was measured.

    The file survives an interrupted run, so the total training time of a run that was resumed
    several times is the sum of its rows (see :func:`training_seconds`).
    """

    def __init__(self, path: Path):
        super().__init__()
        self.path = Path(path)
        self.started = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.started
        new_file = not self.path.is_file()
        with self.path.open("a") as handle:
            if new_file:
                handle.write("epoch,seconds,load\n")
            handle.write(f"{epoch + 1},{seconds:.3f},{machine_load():.2f}\n")


def run_folder(folder: Path) -> Path:
    """A mode-specific subfolder, so fast-mode checkpoints never stand in for a full run."""
    path = Path(folder) / mode_name()
    path.mkdir(parents=True, exist_ok=True)
    return path


SETTINGS_FILE = "settings.json"
PRECISION_KEY = "precision"


def check_settings(root: Path, settings: dict | None) -> None:
    """Refuse to resume or reload a run of ``root`` that was trained with other ``settings``.

    The settings of a new (or matching) run are recorded in ``root/settings.json``. A run saved
    before settings were recorded adopts the given ones, and so does a setting that the saved run
    never recorded.
    """
    if settings is None:
        return
    wanted = json.loads(json.dumps(settings, default=str))  # tuples → lists, as stored
    path = root / SETTINGS_FILE
    has_run = (root / "backup").exists() or (root / "final.weights.h5").is_file()
    if has_run and path.is_file():
        saved = json.loads(path.read_text())
        saved.setdefault(PRECISION_KEY, "float32")  # runs saved before precision was recorded
        # A setting the run never recorded (it was saved before the notebook tracked it) is adopted.
        adopted = sorted(wanted.keys() - saved.keys())
        if adopted:
            print(f"{root.name}: recording {', '.join(adopted)} for a run saved before they were "
                  "tracked (assumed unchanged)")
        changed = sorted(key for key in saved.keys() & wanted.keys()
                         if saved.get(key) != wanted.get(key))
        if changed:
            details = "; ".join(f"{key}: {saved.get(key)!r} there, {wanted.get(key)!r} now"
                                for key in changed)
            raise RuntimeError(
                f"{root} holds a run trained with other settings ({details}). Move or delete "
                "that folder to train with the new settings, or set the old values again to "
                "reuse it.")
    path.write_text(json.dumps(wanted, indent=1, sort_keys=True))


def fit_resumable(model, data, epochs: int, folder: Path, callbacks: list | None = None,
                  settings: dict | None = None, **fit_kwargs) -> dict:
    """``model.fit`` that survives an interrupted kernel and does not redo finished work.

    - During training, ``keras.callbacks.BackupAndRestore`` saves after every epoch in
      ``folder/<mode>/backup``; re-running the cell after a crash continues from there.
    - After training, weights and the history are saved; re-running the cell then loads them
      instead of training again (delete ``folder/<mode>`` to retrain from scratch).
    - Raising ``epochs`` after a finished run continues it from its saved weights and optimizer
      state; asking for fewer epochs than a finished run has raises (its weights are kept).
    - ``settings`` (hyper-parameters, JSON-friendly) are recorded with the run; resuming or
      reloading a run trained with other settings raises instead of silently reusing it.
    Returns the history dict (lists per metric).
    """
    root = run_folder(folder)
    # The precision is part of every run's settings: weights trained in float32 are not resumed
    # (or reloaded) silently after setup(mixed_precision=True), nor the other way round.
    precision = keras.mixed_precision.global_policy().name
    check_settings(root, {**(settings or {}), PRECISION_KEY: precision})
    if not model.built:
        # A GAN/VAE wrapper has no forward pass of its own; its sub-models are built already,
        # and BackupAndRestore refuses models that do not say so.
        model.built = True
    check_optimizers_built(model)
    weights, history_file = root / "final.weights.h5", root / "history.json"
    backup_dir, log_file = root / "backup", root / "history.csv"
    finished_epochs = 0
    if weights.is_file() and history_file.is_file():
        saved = json.loads(history_file.read_text())
        finished_epochs = int(saved.get("epochs", 0))
        if finished_epochs == epochs:
            model.load_weights(weights)
            print(f"Loaded the finished run from {root} (delete that folder to train again).")
            return saved["history"]
        if finished_epochs > epochs:
            raise RuntimeError(
                f"{root} holds a finished run of {finished_epochs} epochs, more than the {epochs} "
                f"asked for. Set the number of epochs to {finished_epochs} to load it, or move or "
                "delete that folder to train a shorter run.")
        if not backup_dir.exists():  # a longer run asked for: continue the finished one
            model.load_weights(weights)
            fit_kwargs["initial_epoch"] = finished_epochs
            print(f"Continuing the finished {finished_epochs}-epoch run from {root} "
                  f"to {epochs} epochs.")
    if hasattr(data, "element_spec"):
        fit_kwargs.setdefault("shuffle", False)  # a tf.data pipeline shuffles itself
    timer_file = root / EPOCH_SECONDS_FILE
    if not backup_dir.exists() and not finished_epochs:
        log_file.unlink(missing_ok=True)  # a fresh start: no rows of an older run
        timer_file.unlink(missing_ok=True)
    backup = keras.callbacks.BackupAndRestore(str(backup_dir), delete_checkpoint=True)
    log = HistoryLogger(log_file)
    # The logger comes last, so values that callbacks add to the logs (MetricMonitor) are saved.
    timer = EpochTimer(timer_file)
    model.fit(data, epochs=epochs, callbacks=[backup, timer, *(callbacks or []), log], **fit_kwargs)
    model.save_weights(weights)
    history = read_history_csv(log_file)
    history_file.write_text(json.dumps({"epochs": epochs, "history": history}))
    return history


class HistoryLogger(Callback):
    """Append each epoch's logs to a CSV file (the format of ``keras.callbacks.CSVLogger``).

    Unlike ``CSVLogger`` it rewrites the file with the union of all columns, so a value logged
    only from some epoch on (a monitor added when a finished run is continued) gets its own
    column, "nan" in the earlier rows, instead of shifting the other columns.
    """

    def __init__(self, path: Path):
        super().__init__()
        self.path = Path(path)

    def on_epoch_end(self, epoch, logs=None):
        import csv

        rows = _history_rows(self.path) if self.path.is_file() else []
        rows.append({"epoch": epoch, **{key: float(value) for key, value in (logs or {}).items()}})
        columns = ["epoch"] + sorted({key for row in rows for key in row} - {"epoch"})
        partial = self.path.with_suffix(".csv.part")
        with open(partial, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, restval="nan")
            writer.writeheader()
            writer.writerows(rows)
        partial.replace(self.path)  # never a half-written history


def _history_rows(path: Path) -> list[dict]:
    """The rows of a CSVLogger file, one dict per epoch (epochs of resumed runs included)."""
    import csv

    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def read_history_csv(path: Path) -> dict:
    """Read a CSVLogger file into {metric: [values per epoch]} (epochs of resumed runs included)."""
    rows = _history_rows(path)
    keys = [key for key in (rows[0].keys() if rows else []) if key != "epoch"]
    columns = {key: [float(row[key]) for row in rows if row.get(key) not in (None, "", "NA")]
               for key in keys}
    return {key: values for key, values in columns.items() if values}


def monitored_curve(history_csv: Path, name: str) -> list[tuple[int, float]]:
    """``(epoch, value)`` pairs that a :class:`MetricMonitor` called ``name`` logged to a run's
    history file (the ``history.csv`` of :func:`fit_resumable`), epochs counted from 1.

    Epochs it did not measure are left out; a missing file or column gives an empty list.
    """
    path = Path(history_csv)
    if not path.is_file():
        return []
    curve = []
    for row in _history_rows(path):
        try:
            value = float(row.get(name) or "nan")
        except ValueError:
            continue
        if np.isfinite(value):
            curve.append((int(row["epoch"]) + 1, value))
    return curve


def curve_with_images(history_csv: Path, name: str, images_per_epoch: float) -> list[list[float]]:
    """``[epoch, real images seen, value]`` for each point of :func:`monitored_curve`: the form a
    run's ``metrics.json`` keeps as ``fd_curve``, comparable with runs whose epochs differ in size."""
    return [[epoch, epoch * images_per_epoch, value]
            for epoch, value in monitored_curve(history_csv, name)]


#: Two runs count as trained at equal budget when their real images seen differ by at most this factor.
EQUAL_BUDGET_FACTOR = 2.0

#: A winner that saw more than this share of extra images is not called better at equal budget.
SAME_IMAGES_TOLERANCE = 0.05


def index_at_budget(images_seen: list[float], images: float,
                    factor: float = EQUAL_BUDGET_FACTOR) -> int | None:
    """Which of a run's measurements (taken after ``images_seen[i]`` real images) to compare with a
    run that saw ``images``.

    A measurement within :data:`SAME_IMAGES_TOLERANCE` of ``images`` (either side) counts as taken
    at that budget, as in :func:`equal_budget_verdict`: the nearest of those. Else the first
    measurement taken after at least ``images`` real images, when one was taken within ``factor``
    times that many: the measured model is then never given the smaller budget, so a run that
    beats it did not win by having seen more data. Otherwise (the measurements stop earlier or
    start later) the one nearest in images. ``None`` when there are none.
    """
    if not images_seen:
        return None
    order = range(len(images_seen))
    same = [i for i in order if abs(images_seen[i] - images) <= SAME_IMAGES_TOLERANCE * images]
    if same:
        return min(same, key=lambda i: abs(images_seen[i] - images))
    at_or_after = [i for i in order if images <= images_seen[i] <= factor * images]
    if at_or_after:
        return min(at_or_after, key=lambda i: images_seen[i])
    return min(order, key=lambda i: abs(images_seen[i] - images))


def point_near(curve: list[tuple[int, float]], images_per_epoch: float,
               images: float) -> tuple[int, float] | None:
    """The ``(epoch, value)`` of a :func:`monitored_curve` to compare with a run that saw ``images``,
    chosen by :func:`index_at_budget` (``None`` for an empty curve)."""
    index = index_at_budget([epoch * images_per_epoch for epoch, _ in curve], images)
    return None if index is None else curve[index]


def monitored_near(folder: Path, name: str, images: float,
                   run: str = "checkpoints") -> tuple[int, float, float] | None:
    """Another notebook's monitored metric after about ``images`` real images seen.

    ``folder`` is that notebook's artefact folder: its ``metrics.json`` gives the images seen and
    epochs of the run, and ``folder/run/<mode>/history.csv`` the :class:`MetricMonitor` values.
    Returns ``(epoch, images seen by then, value)``, or ``None`` when either file lacks them or
    the run measured its curve on another version of the meter (the values are on another scale).
    """
    from course_utils.metrics import FEATURE_NET_VERSION

    folder = Path(folder)
    metrics_file = folder / "metrics.json"
    saved = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
    if not saved.get("images_seen") or not saved.get("epochs"):
        return None
    if saved.get("meter_version") != FEATURE_NET_VERSION:
        recorded = saved.get("meter_version") or "3 or older"
        print(f"({folder.name}'s curve was measured on meter version {recorded}, this notebook's is "
              f"{FEATURE_NET_VERSION}: not comparable. Fix: run {folder.name} again.)")
        return None
    images_per_epoch = saved["images_seen"] / saved["epochs"]
    history_csv = folder / run / mode_name() / "history.csv"
    point = point_near(monitored_curve(history_csv, name), images_per_epoch, images)
    return None if point is None else (point[0], point[0] * images_per_epoch, point[1])


def budget_near(folder: Path, images: float, name: str = "fd",
                run: str = "checkpoints") -> dict | None:
    """Another notebook's monitored metric after about ``images`` real images, with its budget.

    Like :func:`monitored_near`, plus what that run had spent by then, so a comparison can print
    the budgets beside the numbers: ``{"epoch", "images", "updates", "seconds", "load", name}``.
    Updates come from the run's ``metrics.json`` (``updates`` over ``epochs``), seconds and the
    machine's mean load average from its per-epoch timer; each is ``nan`` when the run did not
    record it. ``None`` without a monitored curve.
    """
    from course_utils.timing import mean_load, seconds_of_epochs

    near = monitored_near(folder, name, images, run)
    if near is None:
        return None
    epoch, seen, value = near
    saved = json.loads((Path(folder) / "metrics.json").read_text())
    timer_folder = Path(folder) / run / mode_name()
    seconds = seconds_of_epochs(timer_folder, epoch)
    return {"epoch": epoch, "images": seen,
            "updates": saved.get("updates", float("nan")) / saved["epochs"] * epoch,
            "seconds": float("nan") if seconds is None else seconds,
            "load": mean_load(timer_folder, epoch), name: value}


def recorded_budget(folder: Path) -> dict:
    """What another notebook's finished run was given, from its ``metrics.json``: real images
    seen, updates and seconds of training (``nan`` for what it did not record), its mode, and the
    machine's mean load average while it trained (from its timers; ``nan`` if not recorded)."""
    from course_utils.timing import mean_load

    saved = json.loads((Path(folder) / "metrics.json").read_text())
    return {"images": saved.get("images_seen", float("nan")), "updates": saved.get("updates", float("nan")),
            "seconds": saved.get("train_seconds", float("nan")), "mode": saved.get("mode", "?"),
            "load": mean_load(Path(folder))}


def budget_table(rows: dict[str, dict], name: str = "fd") -> str:
    """Rows of budgets and one metric as aligned text: images, updates, training seconds, value.

    When a row knows the machine's mean load average while it trained (``load``), a load column
    and a note on reading it follow: seconds measured on a busy machine are not the model's cost.
    """
    loads = [row.get("load", math.nan) for row in rows.values()]
    with_load = any(not math.isnan(load) for load in loads)
    header = f"{'':34s}{'images':>11s}{'updates':>9s}{'seconds':>9s}{name.upper():>8s}"
    lines = [header + (f"{'load':>7s}" if with_load else "")]
    for (label, row), load in zip(rows.items(), loads):
        line = (f"{label:34s}{row['images']:>11,.0f}{row['updates']:>9,.0f}"
                f"{row['seconds']:>9,.0f}{row[name]:>8.2f}")
        if with_load:  # "–": that run did not record the load (or, untrained, had none)
            line += f"{'–':>7s}" if math.isnan(load) else f"{load:>7.1f}"
        lines.append(line)
    if with_load:
        lines.append(f"load: mean 1-minute load average of the machine while that run trained (this "
                     f"machine has {os.cpu_count()} cores); well above the trainer's core count, the "
                     f"seconds include time spent waiting for other jobs.")
    return "\n".join(lines)


def equal_budget_verdict(this: str, this_row: dict, other: str, other_row: dict, name: str = "fd") -> str:
    """One sentence: which of two models has the lower ``name`` after about as many real images.

    Rows are :func:`budget_table` rows (``images`` and ``name``). When one model saw more than
    :data:`EQUAL_BUDGET_FACTOR` times the other's images, the sentence says so and names no winner:
    a comparison at unequal budget teaches the wrong lesson. When the winner saw more than
    :data:`SAME_IMAGES_TOLERANCE` more images than the loser, the sentence says that the win may
    come from the larger budget.
    """
    ratio = other_row["images"] / this_row["images"]
    if not 1 / EQUAL_BUDGET_FACTOR <= ratio <= EQUAL_BUDGET_FACTOR:
        return (f"→ no comparison at equal budget: the {other}'s nearest measurement is after "
                f"{other_row['images']:,.0f} real images, {ratio:.2g}× the {this}'s "
                f"{this_row['images']:,.0f}")
    rows = {this: this_row, other: other_row}
    winner, loser = (this, other) if this_row[name] < other_row[name] else (other, this)
    sentence = (f"→ after about as many real images ({this_row['images']:,.0f} vs "
                f"{other_row['images']:,.0f}) the {winner} has the lower {name.upper()} "
                f"({rows[winner][name]:.2f} against the {loser}'s {rows[loser][name]:.2f})")
    more = rows[winner]["images"] / rows[loser]["images"]
    if more > 1 + SAME_IMAGES_TOLERANCE:
        sentence += (f", but it saw {more:.2f}× the {loser}'s images, so the win may come from the "
                     f"larger budget")
    return sentence


def check_optimizers_built(model) -> None:
    """Resuming restores optimizer state only into built optimizers; say how to build them.

    The optimizer given to ``compile`` (if any) is built here; custom ones (``g_opt``,
    ``d_opt``…) must be built by the model, because only it knows which variables each one updates.
    """
    optimizer_type = keras.optimizers.Optimizer
    if isinstance(getattr(model, "optimizer", None), optimizer_type) and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    for name, value in vars(model).items():
        if isinstance(value, optimizer_type) and not value.built and value is not model.optimizer:
            raise RuntimeError(
                f"Optimizer `{name}` of {type(model).__name__} is not built, so a resumed run could "
                f"not restore its state. Fix: build it in the model's __init__ or compile(), e.g. "
                f"`self.{name}.build(self.generator.trainable_variables)`.")
