"""The Colab rehearsal: every notebook in fast mode, run the way Colab runs it, on this machine.

    python tools/rehearse.py                 # all notebooks, then the mixed-precision pass and the reset test
    python tools/rehearse.py --only 05 09    # some notebooks (the other parts still run unless skipped)
    python tools/rehearse.py --no-mixed --no-reset
    make rehearse

What "the way Colab runs it" means here:
- a virtual environment of Colab's kind of stack (``rehearsal/colab-stack.txt``: Python 3.13, the
  oldest TensorFlow the course supports, the oldest Keras 3 that TensorFlow accepts, ipywidgets 7.7.1),
  kept in ``.rehearsal/venv`` and rebuilt when that file changes. ``course_utils`` is not in it:
  the bootstrap cell of each notebook installs it with its own pip command, whose one target (the
  repository address) is replaced by a wheel built once, with the stack's own pip, from a clean copy
  of this checkout (what pip does with the repository address: build it, then install it);
- each notebook runs alone in a fresh "runtime": a scratch folder mounted at ``/content`` (the
  working folder, no checkout), a fresh HOME, ``google.colab`` importable, and the Noto emoji font
  and the Debian dataset packages hidden (a private mount namespace, so root is needed);
- datasets arrive through the real download path: a local HTTP server serves the original files
  that this machine has byte for byte (``COURSE_DATA_MIRROR``), checked against the published
  checksums; what it cannot serve falls back exactly as it would for a student offline;
- the GPU device policy is forced (``COURSE_DEVICE_POLICY=gpu``: XLA, ``steps_per_execution``), so the
  compiled path a GPU student gets runs here on the CPU; a second pass forces an A100-class policy
  with ``setup(mixed_precision=True)`` for the notebooks where ``setup`` offers bfloat16, two
  runtimes at a time (its times are printed, not judged: see :func:`judged_by_time`);
- a reset test: a training run on the rehearsal's Google Drive, killed during an epoch in one
  runtime, must continue from its last finished epoch in a fresh runtime that shares only Drive.

Prints a table (notebook, pass, time, headline metric) and exits 1 if anything failed.
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from course_utils.config import pip_install_target  # noqa: E402
from course_utils.course_map import LESSONS  # noqa: E402
from course_utils.data.sources import SPECS  # noqa: E402

STACK_FILE = ROOT / "rehearsal" / "colab-stack.txt"
PYTHON_VERSION = "3.13"
VENV = ROOT / ".rehearsal" / "venv"
STUB = ROOT / "tools" / "colab_stub"
PROBE = ROOT / "tools" / "resume_probe.py"
SPEED_PROBE = ROOT / "tools" / "speed_probe.py"
CONTENT = Path("/content")
#: What a Colab runtime lacks: the colour-emoji font and the Debian dataset packages.
HIDDEN = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/datasets"))
SETUP_CALL = re.compile(r"info = course_utils\.setup\(notebook=\\\"(\w+)\\\"\)")
#: A notebook's whole fast-mode run in the rehearsal (install, kernel, every cell) must fit in this
#: on an idle machine of the CI kind (2 cores), where tools/speed_probe.py takes REFERENCE_PROBE_S.
FAST_BUDGET_S = 180.0
#: Median of the probe in the rehearsal's stack on that idle machine (measured 2026-11-30).
REFERENCE_PROBE_S = 0.30
#: The bfloat16 pass runs this many notebooks at once: its times are not judged, and one notebook
#: keeps about 1.3 of the 2 cores busy, so two at a time finish the pass sooner.
MIXED_RUNTIMES_AT_ONCE = 2


@dataclass
class Outcome:
    """One notebook (or check) of the rehearsal."""

    name: str
    passed: bool
    seconds: float
    metric: str = "–"
    detail: str = ""
    budget: float | None = FAST_BUDGET_S  # None: its time is printed, not judged
    probe_after: float | None = None  # the speed probe taken just after it (the next one's "before")


# ---------------------------------------------------------------------------------- environment

def find_python(version: str = PYTHON_VERSION) -> Path:
    """Python ``version`` from pyenv or PATH (one that runs); a clear error naming the fix otherwise."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(root.glob(f"versions/{version}.*/bin/python{version}"),
                        key=lambda p: [int(x) for x in p.parts[-3].split(".") if x.isdigit()], reverse=True)
    on_path = shutil.which(f"python{version}")
    for candidate in [*candidates, *([Path(on_path)] if on_path else [])]:
        if subprocess.run([str(candidate), "-c", "import venv"], capture_output=True).returncode == 0:
            return candidate
    raise SystemExit(f"error: the rehearsal needs Python {version} (Colab's). Fix: `pyenv install "
                     f"{version}` (or install python{version} another way), then run again.")


def stack_stamp(python: Path) -> str:
    """What the rehearsal environment was built from: the stack file and the interpreter."""
    digest = hashlib.sha256(STACK_FILE.read_bytes())
    digest.update(str(python).encode())
    return digest.hexdigest()


def ensure_venv(python: Path) -> Path:
    """Create or reuse ``.rehearsal/venv`` holding the Colab-like stack; returns its python."""
    stamp_file = VENV / ".stack-stamp"
    venv_python = VENV / "bin" / "python"
    stamp = stack_stamp(python)
    if venv_python.is_file() and stamp_file.is_file() and stamp_file.read_text() == stamp:
        print(f"Colab-like environment: {VENV} (up to date with {STACK_FILE.name})")
        return venv_python
    shutil.rmtree(VENV, ignore_errors=True)
    print(f"Building the Colab-like environment in {VENV} with {python} …", flush=True)
    subprocess.run([str(python), "-m", "venv", str(VENV)], check=True)
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run([str(venv_python), "-m", "pip", "install", "-q", "-r", str(STACK_FILE)],
                   check=True, env=env)
    stamp_file.write_text(stamp)
    return venv_python


def installed_versions(venv_python: Path) -> dict[str, str]:
    """Versions of the packages that matter, as the rehearsal kernel sees them."""
    code = ("import importlib.metadata as m, json, sys; names = ['tensorflow', 'keras', 'numpy', "
            "'ipywidgets', 'matplotlib']; print(json.dumps({'python': sys.version.split()[0], "
            "**{n: m.version(n) for n in names}}))")
    done = subprocess.run([str(venv_python), "-c", code], capture_output=True, text=True, check=True,
                          cwd=tempfile.gettempdir())
    return json.loads(done.stdout)


# ------------------------------------------------------------------------------------- scratch

def copy_checkout(target: Path) -> Path:
    """The files git would clone (tracked and new, not ignored): what a student's pip would fetch."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def colab_notebook(source: Path, install_from: Path, mixed: bool) -> str:
    """The notebook's text with its one install target pointed at ``install_from``."""
    text = source.read_text(encoding="utf-8")
    target = json.dumps(pip_install_target())[1:-1]
    if text.count(target) != 1:
        raise SystemExit(f"error: {source.name} should name the install target {target!r} exactly once")
    text = text.replace(target, str(install_from))
    if mixed:
        text, count = SETUP_CALL.subn(
            lambda match: match.group(0)[:-1] + ", mixed_precision=True)", text)
        if count != 1:
            raise SystemExit(f"error: {source.name} should call course_utils.setup(notebook=...) "
                             "exactly once")
    return text


def build_wheel(venv_python: Path, checkout: Path, folder: Path) -> Path:
    """``course_utils``'s wheel, built from ``checkout`` by the stack's pip (as pip builds the
    repository a notebook names), so each runtime's install is an install, not a build."""
    subprocess.run([str(venv_python), "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(folder),
                    str(checkout)], check=True, capture_output=True, cwd=folder.parent)
    wheels = sorted(folder.glob("course_utils-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"error: building course_utils from {checkout} gave {wheels or 'no wheel'}")
    return wheels[0]


def runtime_slots(venv_python: Path, count: int) -> list[Path]:
    """The pythons of ``count`` runtimes that run at the same time.

    The first is the rehearsal's own environment. Each other gets a copy made of hard links: a
    runtime uninstalls and reinstalls ``course_utils``, which replaces files rather than writing
    into them, so one runtime never changes a file another is using."""
    venv = venv_python.parent.parent
    slots = [venv_python]
    for index in range(1, count):
        copy = venv.with_name(f"{venv.name}-runtime{index + 1}")
        shutil.rmtree(copy, ignore_errors=True)
        try:
            shutil.copytree(venv, copy, symlinks=True, copy_function=os.link)
        except OSError:  # another file system: a plain copy
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(venv, copy, symlinks=True)
        slots.append(copy / "bin" / "python")
    return slots


def make_home(folder: Path, stub: Path) -> Path:
    """A fresh HOME whose IPython imports ``google.colab`` at start, as Colab's kernel does."""
    startup = folder / ".ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text(f"import sys\nsys.path.insert(0, {str(stub)!r})\n"
                                         "import google.colab  # noqa: F401\n")
    return folder


# -------------------------------------------------------------------------------- data server

def servable_files(folder: Path) -> list[str]:
    """Copy into ``folder`` every dataset file this machine has with its published content.

    The system packages keep the original content (Debian re-compresses Fashion-MNIST, so its
    checksum is of the gunzipped bytes, as the course checks it). Returns the names served.
    """
    from course_utils.data import fetch

    served = []
    for spec in SPECS.values():
        for item in spec.files:
            for place in spec.system_folders:
                candidate = place / item.name
                if not candidate.is_file():
                    continue
                try:
                    fetch.verify(candidate, item.sha256, item.content_sha256)
                except Exception:
                    continue
                shutil.copy2(candidate, folder / item.name)
                served.append(item.name)
                break
    return served


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    log: list = []

    def log_message(self, format, *args):
        pass

    def log_request(self, code="-", size="-"):
        self.log.append((self.path, int(code) if str(code).isdigit() else code))


def start_server(folder: Path) -> tuple[http.server.ThreadingHTTPServer, list]:
    """Serve ``folder`` on 127.0.0.1; returns the server and its request log."""
    log: list = []
    handler = type("Handler", (_QuietHandler,), {"log": log})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a, **k: handler(*a, directory=str(folder), **k))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, log


# ------------------------------------------------------------------------------------ runtimes

def in_runtime(content: Path, command: list[str]) -> list[str]:
    """``command`` in a private mount namespace: ``content`` at /content, font and data packages hidden."""
    if os.geteuid() != 0:
        raise SystemExit("error: the rehearsal hides the font and data packages in a private mount "
                         "namespace, which needs root. Fix: run `sudo make rehearse`.")
    empty = content.parent / "empty"
    empty.mkdir(exist_ok=True)
    CONTENT.mkdir(exist_ok=True)
    binds = [f"mount --bind {empty} {path}" for path in HIDDEN if path.is_dir()]
    script = " && ".join(["mount --make-rprivate /", *binds, f"mount --bind {content} {CONTENT}",
                          f"cd {CONTENT}", 'exec "$@"'])
    return ["unshare", "--mount", "--", "bash", "-c", script, "runtime", *command]


def runtime_env(home: Path, venv_python: Path, stub: Path, mirror: str, policy: str,
                drive: Path) -> dict[str, str]:
    """The environment of a rehearsal runtime: nothing of this shell's but what Colab also has."""
    keep = {key: os.environ[key] for key in ("LANG", "LC_ALL", "TZ", "TERM") if key in os.environ}
    return {
        **keep,
        "PATH": f"{venv_python.parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "PYTHONPATH": str(stub),
        "COURSE_FAST": "1",
        "COURSE_DEVICE_POLICY": policy,
        "COURSE_DATA_MIRROR": mirror,
        "COLAB_REHEARSAL_DRIVE": str(drive),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_ROOT_USER_ACTION": "ignore",
    }


def fast_metrics(content: Path, stem: str) -> dict:
    """The notebook's fast-mode metrics.json in a runtime's /content ({} when it wrote none)."""
    path = content / "artefacts" / "fast" / stem / "metrics.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def headline(values: dict) -> str:
    """The first value of a metrics.json, as ``name = value``."""
    if not values:
        return "–"
    name, value = next(iter(values.items()))
    return f"{name} = {value:.4g}" if isinstance(value, int | float) else f"{name} = {value}"


class SpeedProbe:
    """tools/speed_probe.py kept running between notebooks: TensorFlow is imported and the probe's
    step traced once (11 of a probe's 20 s on a 2-core CI machine); each ``seconds()`` after that
    costs only the probe's rounds, which are the same steps in the same process as the first."""

    def __init__(self, venv_python: Path, log: Path):
        self.venv_python, self.log = venv_python, log
        self.process: subprocess.Popen | None = None
        self._log_file = None  # the probe's stderr, open while it runs

    def seconds(self) -> float | None:
        """The probe's time on this machine right now (``None``, with a warning, when the probe
        fails: the budget then stays unscaled)."""
        try:
            if self.process is None or self.process.poll() is not None:
                self.close()
                self._log_file = self.log.open("a")
                self.process = subprocess.Popen(
                    [str(self.venv_python), str(SPEED_PROBE), "--serve"], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=self._log_file, text=True, cwd=self.log.parent,
                    env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""})
            else:
                self.process.stdin.write("\n")
                self.process.stdin.flush()
            return float(json.loads(self.process.stdout.readline())["seconds"])
        except (OSError, KeyError, ValueError) as error:
            tail = self.log.read_text()[-800:] if self.log.is_file() else ""
            print(f"warning: the speed probe failed ({error}), the budget is not scaled:\n{tail}",
                  flush=True)
            self.close()
            return None

    def close(self) -> None:
        """Stop the probe's process and close its log."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


#: The budget follows the machine up to this slowdown; beyond it the machine is too busy to judge.
MAX_SLOWDOWN = 2.0


def slowdown(before: float | None, after: float | None) -> float:
    """How many times slower than the reference machine this one trained around a notebook (1–2).

    One CI machine stretched every notebook of a rehearsal by 1.35–1.65× at once; the budget follows
    the machine (probed just before and just after the notebook, so load that comes and goes during
    the run is missed), up to MAX_SLOWDOWN."""
    times = [value for value in (before, after) if value is not None]
    if not times:
        return 1.0
    return min(MAX_SLOWDOWN, max(1.0, sum(times) / len(times) / REFERENCE_PROBE_S))


def judged_by_time(mixed: bool) -> bool:
    """Whether a pass judges the notebooks' times: the float32 GPU-policy pass does, the bfloat16
    pass does not. On a CPU without bfloat16 instructions its arithmetic is emulated (measured
    2026-12-02 on an AVX2-only machine: 08 took 405 s in bfloat16 against 119 s in float32, and the
    float32 speed probe does not see it), so its time says nothing about a GPU."""
    return not mixed


def time_budget(factor: float) -> float:
    """The seconds a fast-mode run may take on a machine ``factor`` times slower than the reference."""
    return FAST_BUDGET_S * factor


def run_notebook(notebook: Path, scratch: Path, venv_python: Path, install_from: Path, mirror: str,
                 policy: str, mixed: bool, probe_before: float | None,
                 probe: SpeedProbe | None = None) -> Outcome:
    """One notebook in a fresh runtime; PASS when every cell ran, every assertion held, and the run
    fit the fast-mode budget scaled by the machine's slowdown measured around it.

    ``probe_before`` is the speed probe taken just before (for all but the first notebook, the one
    taken after the notebook before it: a probe costs a process start and a TensorFlow import)."""
    subprocess.run([str(venv_python), "-m", "pip", "uninstall", "-q", "-y", "course_utils"],
                   capture_output=True, cwd=scratch)  # a fresh runtime has no course_utils yet
    runtime = Path(tempfile.mkdtemp(prefix=notebook.stem[:2] + "-", dir=scratch))
    content, home = runtime / "content", make_home(runtime / "home", STUB)
    content.mkdir()
    (content / notebook.name).write_text(colab_notebook(notebook, install_from, mixed), encoding="utf-8")
    env = runtime_env(home, venv_python, STUB, mirror, policy, runtime / "drive")
    command = [str(venv_python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
               "--nbval-cell-timeout=900", "--durations=5", notebook.name]
    started = time.monotonic()
    done = subprocess.run(in_runtime(content, command), env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    (runtime / "pytest.log").write_text(done.stdout + done.stderr)
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
    passed, values = done.returncode == 0, fast_metrics(content, notebook.stem)
    if passed and mixed:  # the pass proves something only if the notebook really ran in bfloat16
        ran_in = values.get("precision")
        if ran_in != "mixed_bfloat16":
            passed, tail = False, f"the mixed-precision pass ran in {ran_in!r}, not 'mixed_bfloat16'"
    probe_after, budget = None, None
    if judged_by_time(mixed):
        probe_after = probe.seconds() if probe else None
        factor = slowdown(probe_before, probe_after)
        budget = time_budget(factor)
        if passed and seconds > budget:
            passed, tail = False, over_budget(seconds, factor, done.stdout)
    return Outcome(notebook.stem, passed, seconds, headline(values), "" if passed else tail, budget,
                   probe_after)


def over_budget(seconds: float, factor: float, pytest_output: str) -> str:
    """The failure message of a notebook that ran too long, naming its slowest cells."""
    slowest = re.findall(r"^\s*([\d.]+)s call\s+\S+::(Cell \d+)", pytest_output, flags=re.M)
    cells = "; ".join(f"{cell} {float(took):.0f} s" for took, cell in slowest) or "not reported"
    return (f"took {seconds:.0f} s, over the fast-mode budget of a Colab runtime: "
            f"{time_budget(factor):.0f} s = {FAST_BUDGET_S:.0f} s × {factor:.2f} (this machine's "
            "slowdown, measured around the run) "
            f"(slowest cells, counted from 0 over code cells: {cells})")


def reset_test(scratch: Path, venv_python: Path, mirror: str) -> Outcome:
    """Train on Drive in runtime 1, kill it during epoch 3, continue in a fresh runtime 2."""
    drive = scratch / "reset-drive"
    records = []
    started = time.monotonic()
    # As the bootstrap cell does in a notebook: the course, installed from the checkout's copy.
    subprocess.run([str(venv_python), "-m", "pip", "install", "-q", str(scratch / "checkout")],
                   check=True, capture_output=True, cwd=scratch)
    for index, extra in enumerate((["--die-after", "2"], [])):
        runtime = scratch / f"reset-runtime-{index + 1}"
        content, home = runtime / "content", make_home(runtime / "home", STUB)
        content.mkdir(parents=True)
        shutil.copy2(PROBE, content / PROBE.name)
        env = runtime_env(home, venv_python, STUB, mirror, "gpu", drive)
        command = [str(venv_python), PROBE.name, "--epochs", "4", *extra]
        done = subprocess.run(in_runtime(content, command), env=env, capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if not lines:
            output = done.stdout[-1500:] + done.stderr[-1500:]
            return Outcome("reset: resume on Drive", False, time.monotonic() - started, "–",
                           f"runtime {index + 1} printed no record:\n{output}")
        records.append(json.loads(lines[-1]))
    first, second = records
    ok = (first["died"] and first["trained"] == [1, 2] and not second["died"]
          and second["trained"] == [3, 4] and second["history_epochs"] == 4)
    metric = f"runtime 1 trained {first['trained']}, runtime 2 {second['trained']}"
    return Outcome("reset: resume on Drive", ok, time.monotonic() - started, metric,
                   "" if ok else json.dumps(records))


# ---------------------------------------------------------------------------------------- main

def select(only: list[str]) -> list[Path]:
    """The notebooks to rehearse, in course order."""
    paths = [ROOT / "notebooks" / lesson.file for lesson in LESSONS]
    if only:
        paths = [p for p in paths if any(p.name.startswith(key.zfill(2)) or key in p.name for key in only)]
    return paths


def mixed_precision_offered() -> list[str]:
    """The notebooks whose setup offers bfloat16 on an A100-class GPU (and so get the second pass)."""
    return [lesson.file for lesson in LESSONS if lesson.mixed_precision]


def report(outcome: Outcome, mixed: bool) -> None:
    """One line as a notebook finishes, with the failure's detail."""
    print(f"  {outcome.name}{' (bfloat16)' if mixed else ''}: {'PASS' if outcome.passed else 'FAIL'}"
          f" in {outcome.seconds:.0f} s{budget_text(outcome.budget)} ({outcome.metric})", flush=True)
    if not outcome.passed:
        print(outcome.detail, flush=True)


def run_mixed_pass(notebooks: list[Path], scratch: Path, slots: list[Path], install_from: Path,
                   mirror: str) -> list[Outcome]:
    """The bfloat16 pass: as many notebooks at a time as ``slots`` (see :func:`runtime_slots`),
    each in its own runtime with a slot's environment; outcomes in the order of ``notebooks``."""
    free: queue.Queue = queue.Queue()
    for slot in slots:
        free.put(slot)

    def in_a_free_slot(notebook: Path) -> Outcome:
        python = free.get()
        try:
            return run_notebook(notebook, scratch, python, install_from, mirror, "gpu:8.0", mixed=True,
                                probe_before=None)
        finally:
            free.put(python)

    results = {}
    with ThreadPoolExecutor(max_workers=len(slots)) as pool:
        running = {pool.submit(in_a_free_slot, notebook): notebook for notebook in notebooks}
        for future in as_completed(running):
            results[running[future]] = outcome = future.result()
            report(outcome, mixed=True)
    return [results[notebook] for notebook in notebooks]


def budget_text(budget: float | None) -> str:
    return " (time not judged)" if budget is None else f" of {budget:.0f} s"


def print_table(title: str, outcomes: list[Outcome]) -> None:
    print(f"\n{title}")
    print(f"{'notebook':<30}{'result':<8}{'time':>8}{'budget':>8}  metric")
    for item in outcomes:
        result = "PASS" if item.passed else "FAIL"
        budget = "–" if item.budget is None else f"{item.budget:.0f}s"
        print(f"{item.name:<30}{result:<8}{item.seconds:>7.0f}s{budget:>8}  {item.metric}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=[], help="notebook numbers or name parts")
    parser.add_argument("--no-mixed", action="store_true", help="skip the mixed-precision pass")
    parser.add_argument("--no-reset", action="store_true", help="skip the reset test")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)

    venv_python = ensure_venv(find_python())
    versions = installed_versions(venv_python)
    print("Stack:", ", ".join(f"{name} {version}" for name, version in versions.items()))

    scratch = Path(tempfile.mkdtemp(prefix="course-rehearsal-"))
    checkout = copy_checkout(scratch / "checkout")
    wheels = scratch / "wheel"
    wheels.mkdir()
    wheel = build_wheel(venv_python, checkout, wheels)
    served = scratch / "served"
    served.mkdir()
    names = servable_files(served)
    server, requests = start_server(served)
    mirror = f"http://127.0.0.1:{server.server_address[1]}/"
    missing = [item.name for spec in SPECS.values() for item in spec.files if item.name not in names]
    print(f"Data server {mirror}: serves {', '.join(names) or 'nothing'}; cannot serve byte-exact "
          f"(a student offline gets the stand-in): {', '.join(missing) or 'nothing'}")
    print(f"Scratch folder: {scratch}; each notebook runs in its own runtime with /content, HOME fresh, "
          f"hidden: {', '.join(str(p) for p in HIDDEN)}", flush=True)

    probe = SpeedProbe(venv_python, scratch / "speed-probe.log")
    latest_probe = probe.seconds()  # each notebook's "after" probe is the next one's "before"

    def run_pass(notebooks: list[Path], title: str) -> list[Outcome]:
        """The float32 pass: one notebook at a time, each judged by its time."""
        nonlocal latest_probe
        results = []
        for notebook in notebooks:
            outcome = run_notebook(notebook, scratch, venv_python, wheel, mirror, "gpu", mixed=False,
                                   probe_before=latest_probe, probe=probe)
            latest_probe = outcome.probe_after or latest_probe
            results.append(outcome)
            report(outcome, mixed=False)
        print_table(title, results)
        return results

    outcomes = run_pass(select(args.only),
                        "Colab rehearsal, forced GPU policy (XLA, steps_per_execution), fast mode")
    probe.close()
    mixed_outcomes: list[Outcome] = []
    if not args.no_mixed:
        offered = set(mixed_precision_offered())
        chosen = [p for p in select(args.only) if p.name in offered]
        slots = runtime_slots(venv_python, max(1, min(MIXED_RUNTIMES_AT_ONCE, len(chosen))))
        mixed_outcomes = run_mixed_pass(chosen, scratch, slots, wheel, mirror)
        print_table(f"Second pass: A100-class policy with setup(mixed_precision=True), {len(slots)} "
                    "runtime(s) at a time (times printed, not judged: a CPU may emulate bfloat16)",
                    mixed_outcomes)

    extra: list[Outcome] = []
    if not args.no_reset:
        extra.append(reset_test(scratch, venv_python, mirror))
        print_table("Runtime reset", extra)
        if not extra[0].passed:
            print(extra[0].detail)

    server.shutdown()
    served_ok = sorted({path.lstrip("/") for path, code in requests if code == 200})
    refused = sorted({path.lstrip("/") for path, code in requests if code != 200})
    print(f"\nData server: served {', '.join(served_ok) or 'nothing'}; "
          f"not available (stand-ins used): {', '.join(refused) or 'nothing'}")
    print("Stack:", ", ".join(f"{name} {version}" for name, version in versions.items()))
    everything = outcomes + mixed_outcomes + extra
    if args.keep or not all(item.passed for item in everything):
        print(f"Logs kept in {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if all(item.passed for item in everything) else 1


if __name__ == "__main__":
    sys.exit(main())
