"""Project-wide constants and paths: the one repository constant, run mode, data and artefact folders."""

from __future__ import annotations

import os
from pathlib import Path

#: The one place that names the public repository; badges and links are built from it.
GITHUB_REPO = "tf-generative-course/course"
#: The course's version: its notebooks and the helper package they install (pyproject.toml reads it).
COURSE_VERSION = "0.2.0"
#: The git tag a release is published under. Badges open the notebooks of this tag and the Colab
#: bootstrap installs course_utils from it, so a notebook always gets the helpers it was written for.
RELEASE_REF = f"v{COURSE_VERSION}"
NOTEBOOK_FOLDER = "notebooks"

FAST_ENV = "COURSE_FAST"
DATA_ENV = "COURSE_DATA_DIR"
STORAGE_ENV = "COURSE_STORAGE"


def colab_url(notebook_name: str) -> str:
    """Return the "Open in Colab" address of a notebook in this repository's notebook folder."""
    name = Path(notebook_name).name
    return (
        f"https://colab.research.google.com/github/{GITHUB_REPO}/blob/"
        f"{RELEASE_REF}/{NOTEBOOK_FOLDER}/{name}"
    )


def colab_badge(notebook_name: str) -> str:
    """Return the Markdown "Open in Colab" badge of a notebook."""
    return (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(notebook_name)})"
    )


def pip_install_target() -> str:
    """Return the pip requirement that installs the helper package of this release from the repository."""
    return f"course_utils @ git+https://github.com/{GITHUB_REPO}@{RELEASE_REF}"


def is_fast() -> bool:
    """True when the course runs in fast mode (``COURSE_FAST=1``)."""
    return os.environ.get(FAST_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def fast_or(full, fast):
    """Return ``fast`` in fast mode and ``full`` otherwise: ``EPOCHS = fast_or(50, 2)``."""
    return fast if is_fast() else full


def mode_name() -> str:
    """``"fast"`` or ``"full"``: the name under which a run's results and checkpoints are kept."""
    return fast_or("full", "fast")


def project_root() -> Path:
    """The checkout this package runs from, or the working directory when it is installed elsewhere."""
    candidates = [Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[1]]
    for folder in candidates:
        if (folder / "pyproject.toml").is_file() and (folder / "course_utils").is_dir():
            return folder
    return Path.cwd()


def storage_root() -> Path:
    """Where artefacts and the dataset cache live: ``$COURSE_STORAGE`` if set, else the project.

    One setting moves both, so a folder that outlives the machine (Google Drive on Colab, see
    :func:`use_storage`) keeps checkpoints and downloads across a runtime reset.
    """
    configured = os.environ.get(STORAGE_ENV, "").strip()
    return Path(configured).expanduser() if configured else project_root()


def use_storage(folder) -> Path:
    """Keep artefacts and the dataset cache under ``folder`` from now on (sets ``$COURSE_STORAGE``)."""
    path = Path(folder).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.environ[STORAGE_ENV] = str(path)
    return path


def data_dir() -> Path:
    """Dataset cache: ``$COURSE_DATA_DIR`` if set, else ``data/`` under :func:`storage_root`."""
    configured = os.environ.get(DATA_ENV)
    folder = Path(configured).expanduser() if configured else storage_root() / "data"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def artefact_root(fast: bool | None = None) -> Path:
    """``artefacts/`` for full-mode runs, ``artefacts/fast/`` for fast mode (``fast=None``: current),
    under :func:`storage_root`.

    Fast runs (CI, quick checks) keep to their own folder, so they never overwrite the samples,
    metrics and checkpoints of a long full-mode run.
    """
    fast = is_fast() if fast is None else fast
    root = storage_root() / "artefacts"
    return root / "fast" if fast else root


def artefact_dir(notebook: str) -> Path:
    """The gitignored folder where a notebook writes checkpoints, GIFs, samples and models."""
    folder = artefact_root() / Path(notebook).stem
    folder.mkdir(parents=True, exist_ok=True)
    return folder
