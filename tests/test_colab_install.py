"""Colab readiness: the bootstrap cell installs only course_utils, only on Colab, then calls setup().

Fast tests read and execute the bootstrap cell (with ``google.colab`` faked and ``subprocess.run``
recorded) and check the package metadata. The slow test does what the cell does on Colab, in a
fresh virtual environment that already holds Colab's kind of stack (tensorflow 2.20, ipywidgets
7.7.1): it installs this checkout with the cell's own pip command and proves that TensorFlow, Keras,
ipywidgets — and every other package that was there — keep their versions.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
import types
from pathlib import Path

import nbformat
import pytest
from nbtool import ROOT, bootstrap_source, notebook_paths
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from rehearse import copy_checkout

from course_utils.config import GITHUB_REPO, RELEASE_REF, pip_install_target

PATHS = notebook_paths()
#: What Colab ships and the course must never replace.
COLAB_OWNED = ("tensorflow", "keras", "ipywidgets")
#: Distributions that would pull or replace a deep-learning stack if the base install named them.
HEAVY = {"tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tf-nightly", "keras", "tf-keras",
         "jax", "jaxlib", "torch", "tensorflow-datasets"}
COLAB_LIKE = ("tensorflow==2.20.*", "ipywidgets==7.7.1")
FORBIDDEN_PIP_FLAGS = {"-U", "--upgrade", "--force-reinstall", "--ignore-installed", "-I",
                       "--upgrade-strategy", "--no-deps", "-e", "--editable"}


def _first_code_cell(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return next(cell.source for cell in notebook.cells if cell.cell_type == "code")


def run_bootstrap(source: str, on_colab: bool, monkeypatch) -> tuple[list[list[str]], list, dict]:
    """Execute a bootstrap cell offline: returns (pip commands it ran, setup() calls, its namespace)."""
    import course_utils

    commands: list[list[str]] = []
    setups: list = []

    def fake_run(args, **kwargs):
        assert kwargs.get("check") is True, "the install must fail loudly (check=True)"
        commands.append([str(arg) for arg in args])
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(course_utils, "setup", lambda *a, **k: setups.append((a, k)) or "setup-info")
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    namespace: dict = {}
    exec(compile(source, "<bootstrap cell>", "exec"), namespace)
    return commands, setups, namespace


def bootstrap_pip_command() -> list[str]:
    """The pip command line the bootstrap cell runs on Colab (``sys.executable -m pip install …``)."""
    with pytest.MonkeyPatch.context() as patch:
        commands, _, _ = run_bootstrap(bootstrap_source(), True, patch)
    assert len(commands) == 1
    return commands[0]


# ------------------------------------------------------------------------------------ fast checks

@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_first_code_cell_is_the_generated_bootstrap(path):
    assert _first_code_cell(path) == bootstrap_source(path.name), (
        f"{path.name}: run `python tools/nbtool.py normalize` to refresh the bootstrap cell")


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_install_is_guarded_by_the_colab_check_and_setup_always_runs(path):
    tree = ast.parse(_first_code_cell(path))
    guards = [node for node in tree.body if isinstance(node, ast.If)]
    assert len(guards) == 1, "expected exactly one top-level `if` (the Colab check)"
    guard = guards[0]
    condition = ast.unparse(guard.test)
    assert condition == "'google.colab' in sys.modules", f"not the Colab check: {condition}"
    assert not guard.orelse
    pip_calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and "pip" in ast.unparse(node)]
    assert pip_calls, "no pip install in the bootstrap cell"
    inside = {id(node) for stmt in guard.body for node in ast.walk(stmt)}
    assert all(id(call) in inside for call in pip_calls), "a pip call runs outside the Colab check"
    top_level = [ast.unparse(stmt) for stmt in tree.body]
    call = f"info = course_utils.setup(notebook={path.stem!r})"
    assert call in top_level, "setup() must run on every platform, naming its notebook"
    assert top_level.index(call) > top_level.index(ast.unparse(guard))


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_requests_a_gpu_on_colab(path):
    metadata = nbformat.read(path, as_version=4).metadata
    assert metadata.get("accelerator") == "GPU"
    assert metadata.get("colab", {}).get("gpuType"), "colab.gpuType missing"


def test_bootstrap_installs_only_course_utils_from_the_repository_on_colab(monkeypatch):
    commands, setups, namespace = run_bootstrap(bootstrap_source(), True, monkeypatch)
    assert len(commands) == 1 and len(setups) == 1
    assert namespace["info"] == "setup-info"
    command = commands[0]
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    options = [arg for arg in command[4:] if arg.startswith("-")]
    targets = [arg for arg in command[4:] if not arg.startswith("-")]
    assert not set(options) & FORBIDDEN_PIP_FLAGS, f"pip options that could replace Colab's stack: {options}"
    assert targets == [pip_install_target()]
    requirement = Requirement(targets[0])
    assert canonicalize_name(requirement.name) == "course-utils"
    assert not requirement.extras, "extras would pull TensorFlow or JupyterLab onto Colab"
    assert requirement.url == f"git+https://github.com/{GITHUB_REPO}@{RELEASE_REF}"


def test_bootstrap_installs_nothing_outside_colab(monkeypatch):
    commands, setups, namespace = run_bootstrap(bootstrap_source(), False, monkeypatch)
    assert commands == [], "the bootstrap cell ran pip outside Colab"
    assert len(setups) == 1 and namespace["info"] == "setup-info"


def test_base_dependencies_leave_colabs_stack_alone():
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11+")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(text) for text in project["dependencies"]]
    names = {canonicalize_name(req.name) for req in requirements}
    assert not names & HEAVY, f"base dependencies name a deep-learning stack: {sorted(names & HEAVY)}"
    ipywidgets = next(req for req in requirements if canonicalize_name(req.name) == "ipywidgets")
    for version in ("7.7.1", "8.1.5"):
        assert ipywidgets.specifier.contains(version), f"ipywidgets {version} must satisfy {ipywidgets}"


# ------------------------------------------------------------------------------------ slow check

NETWORK_SIGNS = ("NewConnectionError", "Max retries exceeded", "Temporary failure in name resolution",
                 "Name or service not known", "Network is unreachable", "Connection refused",
                 "ConnectTimeoutError", "ReadTimeoutError", "No matching distribution found",
                 "Could not find a version that satisfies")


def _tail(text: str, lines: int = 15) -> str:
    noise = "is ignored: it is neither a file nor a directory"  # a find-links folder that is absent
    kept = [line for line in text.splitlines() if noise not in line]
    return "\n".join(kept[-lines:])


# Every command runs in a folder of its own: `python -m pip` and `python -c` put the working
# directory on sys.path, and the checkout's course_utils.egg-info would pass for an installed copy.

def _pip(python: Path, *args: str, env: dict, cwd: Path, timeout: int = 1800) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "pip", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def _installed(python: Path, env: dict, cwd: Path) -> dict[str, str]:
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))")
    done = subprocess.run([str(python), "-c", code], env=env, cwd=cwd, capture_output=True, text=True,
                          check=True)
    return {canonicalize_name(name): version for name, version in json.loads(done.stdout).items()}


def _package_files(root: Path) -> set[str]:
    """The package's modules, as paths relative to the folder that holds ``course_utils``."""
    return {str(path.relative_to(root)) for path in (root / "course_utils").rglob("*.py")
            if "__pycache__" not in path.parts}


PROBE = """
import importlib, inspect, json, pkgutil
import ipywidgets
import course_utils
info = course_utils.setup(quiet=True)
import_errors, explorers, explorer_errors = {}, [], {}
for module in pkgutil.walk_packages(course_utils.__path__, "course_utils."):
    try:
        loaded = importlib.import_module(module.name)
    except Exception as error:
        import_errors[module.name] = f"{type(error).__name__}: {error}"
        continue
    if module.name.startswith("course_utils.widgets."):
        for name, function in inspect.getmembers(loaded, inspect.isfunction):
            parameters = inspect.signature(function).parameters.values()
            if name.endswith("_explorer") and all(p.default is not p.empty for p in parameters):
                try:
                    widget = function()
                    assert widget is None or isinstance(widget, ipywidgets.Widget), type(widget)
                    explorers.append(f"{module.name}.{name}")
                except Exception as error:
                    explorer_errors[f"{module.name}.{name}"] = f"{type(error).__name__}: {error}"
print(json.dumps({"file": course_utils.__file__, "ipywidgets": ipywidgets.__version__,
                  "rows": [[r.package, r.installed, r.ok] for r in info.packages],
                  "import_errors": import_errors, "explorers": explorers,
                  "explorer_errors": explorer_errors}))
"""


@pytest.mark.slow
def test_colab_like_install_keeps_tensorflow_keras_and_ipywidgets(tmp_path, capsys):
    command = bootstrap_pip_command()
    started = time.monotonic()
    env = {key: value for key, value in os.environ.items()
           if key not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    venv = tmp_path / "colab-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"

    # 1. A Colab-like stack (downloads are large; pip's cache makes later runs quick).
    work = tmp_path / "work"
    work.mkdir()
    stack = _pip(python, "install", "--retries", "2", "--timeout", "60", *COLAB_LIKE, env=env, cwd=work)
    if stack.returncode != 0:
        output = stack.stdout + stack.stderr
        if any(sign in output for sign in NETWORK_SIGNS):
            pytest.skip(f"cannot reach PyPI to build a Colab-like environment:\n{_tail(output, 5)}")
        pytest.fail(f"installing {' '.join(COLAB_LIKE)} failed:\n{_tail(output)}")
    stack_seconds = time.monotonic() - started
    before = _installed(python, env, work)
    assert before["tensorflow"].startswith("2.20.") and before["ipywidgets"] == "7.7.1"
    assert "course-utils" not in before

    # 2. Exactly the bootstrap cell's pip command, with this checkout in place of the GitHub URL.
    checkout = copy_checkout(tmp_path / "checkout")  # what a clone holds, as the rehearsal copies it
    command = [str(python), *(str(checkout) if arg == pip_install_target() else arg for arg in command[1:])]
    install_started = time.monotonic()
    done = subprocess.run(command, env=env, cwd=work, capture_output=True, text=True, timeout=900)
    install_seconds = time.monotonic() - install_started
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{_tail(done.stdout + done.stderr)}"
    after = _installed(python, env, work)

    # 3. Nothing that was there changed; the only newcomers are course_utils and its light needs.
    changed = {name: (version, after.get(name)) for name, version in before.items()
               if after.get(name) != version}
    assert not changed, f"installing course_utils changed Colab's packages: {changed}"
    for name in COLAB_OWNED:
        assert after[name] == before[name]
    assert "course-utils" in after
    added = sorted(set(after) - set(before))
    assert not set(added) & HEAVY, f"installing course_utils added {sorted(set(added) & HEAVY)}"

    # 4. The installed package (not this checkout) imports, every module of it imports, setup()
    #    accepts this stack, and the explorers that need no arguments build with ipywidgets 7.7.1.
    probe_env = {**env, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"}
    ran = subprocess.run([str(python), "-c", PROBE], env=probe_env, cwd=work, capture_output=True, text=True,
                         timeout=600)
    assert ran.returncode == 0, f"the probe in the Colab-like environment failed:\n{_tail(ran.stderr)}"
    report = json.loads(ran.stdout.strip().splitlines()[-1])
    assert not report["import_errors"], f"modules that do not import there: {report['import_errors']}"
    broken = report["explorer_errors"]
    assert not broken, f"explorers failing with ipywidgets {report['ipywidgets']}: {broken}"
    installed_at = Path(report["file"]).parent.parent
    assert installed_at.is_relative_to(venv), f"imported {report['file']}, not the installed copy"
    missing = _package_files(ROOT) - _package_files(installed_at)
    assert not missing, f"modules missing from the installed package: {sorted(missing)}"
    failing = [row for row in report["rows"] if not row[2]]
    assert not failing, f"setup() rejects the Colab-like stack: {failing}"

    with capsys.disabled():
        versions = ", ".join(f"{name} {after[name]}" for name in COLAB_OWNED)
        print(f"\n[colab-install] stack ready in {stack_seconds:.0f} s; bootstrap install took "
              f"{install_seconds:.1f} s; unchanged: {versions}; added: {', '.join(added)}; "
              f"explorers built with ipywidgets {report['ipywidgets']}: {', '.join(report['explorers'])}; "
              f"total {time.monotonic() - started:.0f} s")
