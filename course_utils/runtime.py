"""The first cell of every notebook: seeds, plot style, environment check, device report, banner."""

from __future__ import annotations

import importlib.metadata
import os
import random
import sys
from dataclasses import dataclass, field

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from course_utils.config import FAST_ENV, STORAGE_ENV, is_fast, storage_root, use_storage
from course_utils.policy import DevicePolicy, apply_policy, detect_policy

#: Distribution name -> requirement the course is tested with.
REQUIREMENTS = {
    "tensorflow": ">=2.20",
    "keras": ">=3.10",
    "numpy": ">=1.26",
    "matplotlib": ">=3.7",
    "pillow": ">=10",
    "ipywidgets": ">=7.7",
    "packaging": ">=23",
}
OPTIONAL = {"tensorflow-datasets": ">=4.9"}
#: Where Colab mounts Google Drive, and the course's folder in it.
DRIVE_MOUNT = "/content/drive"
DRIVE_FOLDER = "MyDrive/tf-course"
COLAB_GPU_HINT = "Runtime → Change runtime type → Hardware accelerator: GPU (e.g. T4) → Save."


@dataclass
class PackageCheck:
    """One row of the environment table."""

    package: str
    required: str
    installed: str | None
    ok: bool


@dataclass
class RuntimeInfo:
    """What ``setup`` found; notebooks may read ``info.policy``."""

    fast: bool
    on_colab: bool
    policy: DevicePolicy
    packages: list[PackageCheck] = field(default_factory=list)
    storage: str = ""


def check_package(package: str, required: str) -> PackageCheck:
    """Compare the installed version of ``package`` with the ``required`` specifier."""
    try:
        installed = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return PackageCheck(package, required, None, False)
    try:
        ok = Version(installed) in SpecifierSet(required)
    except InvalidVersion:
        ok = False
    return PackageCheck(package, required, installed, ok)


def environment_table(requirements: dict[str, str] | None = None) -> list[PackageCheck]:
    """Check every required package (and the optional ones that are installed)."""
    rows = [check_package(name, spec) for name, spec in (requirements or REQUIREMENTS).items()]
    for name, spec in OPTIONAL.items():
        row = check_package(name, spec)
        if row.installed is not None:
            rows.append(row)
    return rows


def format_table(rows: list[PackageCheck]) -> str:
    """Render the environment table as aligned text."""
    lines = [f"{'package':<22}{'required':<11}{'installed':<14}status"]
    for row in rows:
        status = "OK" if row.ok else "FAIL"
        lines.append(f"{row.package:<22}{row.required:<11}{row.installed or '-':<14}{status}")
    return "\n".join(lines)


def on_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow/Keras."""
    import keras
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


def set_plot_style() -> None:
    """A compact, readable matplotlib style shared by all notebooks."""
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "figure.figsize": (7, 4),
            "figure.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "image.cmap": "gray",
        }
    )


def require_keras3() -> str:
    """Raise a clear error when Keras older than 3 is installed."""
    import keras

    if Version(keras.__version__).major < 3:
        raise RuntimeError(
            f"This course needs Keras 3 or newer, found {keras.__version__}. "
            "Fix: pip install -U 'keras>=3.10' 'tensorflow>=2.20'."
        )
    return keras.__version__


def keep_on_drive(mount_point: str = DRIVE_MOUNT) -> str:
    """Mount Google Drive (Colab asks for permission once) and keep the course's files there."""
    if not on_colab():
        raise RuntimeError(
            "drive=True keeps checkpoints on Google Drive and works only on Colab. Here, choose "
            f"any folder with the environment variable {STORAGE_ENV}=/path/to/folder "
            "(or course_utils.config.use_storage(path)).")
    from google.colab import drive

    drive.mount(mount_point)
    return str(use_storage(f"{mount_point}/{DRIVE_FOLDER}"))


def setup_call(notebook: str = "", **options) -> str:
    """The set-up line of ``notebook`` with ``options`` added, as a student would type it."""
    arguments = [f"notebook={notebook!r}"] if notebook else []
    arguments += [f"{key}={value!r}" for key, value in options.items()]
    return f"info = course_utils.setup({', '.join(arguments)})"


def storage_report(colab: bool, persistent: bool, notebook: str = "") -> str:
    """The line ``setup`` prints about where checkpoints and downloads are kept."""
    line = f"Checkpoints, samples and downloads: {storage_root()}"
    if colab and not persistent:
        line += ("\n⚠ This folder is wiped when the Colab runtime resets, and training could not "
                 f"resume. Keep it on Google Drive: {setup_call(notebook, drive=True)}")
    return line


def mixed_precision_tested(notebook: str) -> bool:
    """True when ``notebook`` is tested under bfloat16 (or is not one of the course's notebooks)."""
    from course_utils.course_map import LESSONS

    lesson = next((item for item in LESSONS if item.file.startswith(notebook)), None) if notebook else None
    return lesson is None or lesson.mixed_precision


def setup(seed: int = 42, quiet: bool = False, mixed_precision: bool = False,
          drive: bool = False, notebook: str = "") -> RuntimeInfo:
    """Prepare a notebook: seeds, plot style, environment table, device report, mode banner.

    Returns a :class:`RuntimeInfo` whose ``policy`` tells the device and the compile options
    that pay on it (see :mod:`course_utils.policy`). Mixed precision changes every layer's
    numerics, so it is opt-in (``mixed_precision=True``); otherwise Keras computes in float32.
    ``drive=True`` (Colab only) keeps checkpoints, samples and downloads on Google Drive, so a
    training run continues after a runtime reset. ``notebook`` names the course notebook (the
    generated first cell passes it): bfloat16 is only offered where that notebook is tested with it.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if mixed_precision and not mixed_precision_tested(notebook):
        raise RuntimeError(
            f"{notebook} is not tested under mixed precision, and its lesson depends on float32 "
            f"numerics. Fix: {setup_call(notebook)}")
    if drive:
        keep_on_drive()
    rows = environment_table()
    require_keras3()
    seed_everything(seed)
    set_plot_style()
    policy = detect_policy()
    if mixed_precision:
        apply_policy(policy)
    else:
        import keras

        keras.mixed_precision.set_global_policy("float32")
    colab = on_colab()
    info = RuntimeInfo(fast=is_fast(), on_colab=colab, policy=policy, packages=rows,
                       storage=str(storage_root()))
    if not quiet:
        print(format_table(rows))
        failing = [row.package for row in rows if not row.ok]
        if failing:
            print(f"\n⚠ Fix these packages before going on: {', '.join(failing)} "
                  "(pip install -U 'course_utils[tf]' or `make lab`).")
        precision = policy.mixed_precision if mixed_precision else "float32"
        print(f"\nDevice: {policy.device} ({policy.device_name}); XLA: {policy.jit_compile}; "
              f"precision: {precision}")
        if not mixed_precision and policy.mixed_precision != "float32" and mixed_precision_tested(notebook):
            print(f"  ({policy.mixed_precision} would pay on this GPU: "
                  f"{setup_call(notebook, mixed_precision=True)})")
        if colab and policy.device == "CPU":
            print(f"⚠ Colab is running without a GPU. {COLAB_GPU_HINT}")
        print(storage_report(colab, persistent=bool(os.environ.get(STORAGE_ENV)), notebook=notebook))
        if info.fast:
            print(f"Mode: FAST ({FAST_ENV}=1): smaller data and fewer steps, every cell runs.")
        else:
            print(f"Mode: FULL. Set {FAST_ENV}=1 before starting Jupyter for a quick run.")
    return info
