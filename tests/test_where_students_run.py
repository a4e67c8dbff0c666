"""Where students run the course: forced device policies, the storage setting and Google Drive,
downloads from a mirror, the course map's links, the pinned stack and the Colab rehearsal's parts."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import sys
import types
from pathlib import Path

import pytest
import rehearse
from nbtool import ROOT

from course_utils import config, course_map, runtime
from course_utils.data import loaders, sources
from course_utils.policy import forced_policy

# ----------------------------------------------------------------------------------- device policy


@pytest.mark.parametrize("value, device, xla, precision", [
    ("cpu", "CPU", False, "float32"),
    ("gpu", "GPU", True, "float32"),        # a T4: XLA, no bfloat16
    ("GPU:8.0", "GPU", True, "mixed_bfloat16"),
    ("gpu:9.0", "GPU", True, "mixed_bfloat16"),
])
def test_forced_policy_follows_the_setting(value, device, xla, precision):
    policy = forced_policy(value)
    assert (policy.device, policy.jit_compile, policy.mixed_precision) == (device, xla, precision)
    assert policy.forced and policy.compile_kwargs()["steps_per_execution"] == 32


@pytest.mark.parametrize("value", ["", "auto", "  "])
def test_no_forced_policy_means_the_hardware_decides(value):
    assert forced_policy(value) is None


@pytest.mark.parametrize("value", ["tpu", "gpu:eight", "gpu:8"])
def test_a_bad_policy_setting_names_the_valid_ones(value):
    with pytest.raises(ValueError, match="'gpu:8.0'"):
        forced_policy(value)


def test_setup_reports_the_forced_policy(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DEVICE_POLICY", "gpu:8.0")
    info = runtime.setup()
    printed = capsys.readouterr().out
    assert info.policy.forced and info.policy.jit_compile
    assert "GPU policy forced" in printed and "mixed_bfloat16 would pay" in printed


# ------------------------------------------------------------------------------------------ storage


def test_one_setting_moves_artefacts_and_the_dataset_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_FAST", "1")
    monkeypatch.setenv("COURSE_STORAGE", str(tmp_path / "kept"))
    assert config.artefact_dir("05_dcgan") == tmp_path / "kept" / "artefacts" / "fast" / "05_dcgan"
    assert config.data_dir() == tmp_path / "kept" / "data"
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "elsewhere"))
    assert config.data_dir() == tmp_path / "elsewhere"  # the narrower setting still wins


def test_outside_a_checkout_everything_lands_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_STORAGE", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config, "__file__", str(tmp_path / "site-packages" / "course_utils" / "config.py"))
    assert config.storage_root() == tmp_path


def _fake_colab(monkeypatch, mounted: list) -> None:
    colab = types.ModuleType("google.colab")
    drive = types.ModuleType("google.colab.drive")
    drive.mount = lambda point, **kwargs: (mounted.append(point), Path(point, "MyDrive").mkdir(parents=True))
    colab.drive = drive
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.drive", drive)


def test_drive_keeps_everything_on_google_drive_on_colab(tmp_path, monkeypatch):
    mounted: list = []
    _fake_colab(monkeypatch, mounted)
    monkeypatch.setenv("COURSE_STORAGE", "")  # empty is unset; the test's end removes what setup sets
    where = runtime.keep_on_drive(str(tmp_path / "drive"))
    assert mounted == [str(tmp_path / "drive")]
    assert Path(where) == (tmp_path / "drive" / "MyDrive" / "tf-course").resolve()
    assert config.storage_root() == Path(where)


def test_drive_outside_colab_says_how_to_choose_a_folder(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    with pytest.raises(RuntimeError, match="COURSE_STORAGE"):
        runtime.keep_on_drive()


def test_on_colab_setup_warns_that_the_working_folder_is_wiped():
    warned = runtime.storage_report(colab=True, persistent=False)
    assert "wiped" in warned and "setup(drive=True)" in warned
    assert "wiped" not in runtime.storage_report(colab=True, persistent=True)
    assert "wiped" not in runtime.storage_report(colab=False, persistent=False)


# ------------------------------------------------------------------------------------------ mirror


def test_a_mirror_serves_the_files_checked_against_the_published_checksums(data_cache, file_server,
                                                                              monkeypatch, capsys):
    base, folder, _ = file_server
    payload = b"not the real file"
    (folder / "mnist.npz").write_bytes(payload)
    monkeypatch.setenv("COURSE_DATA_MIRROR", base.rstrip("/"))
    monkeypatch.setattr(loaders, "_download_tfds", lambda *a: pytest.fail("tfds knows no mirror"))
    # The published checksum does not match these bytes: the download is refused, and the
    # loader falls back as it would offline.
    monkeypatch.setattr(loaders, "_stand_in", lambda spec: None)
    with pytest.raises(Exception, match="No copy of mnist"):
        loaders.load("mnist")
    assert "does not match the published checksum" in capsys.readouterr().out
    assert not (data_cache / "mnist" / "mnist.npz").exists()
    # The same bytes under a matching checksum are accepted, from the mirror.
    item = sources.RemoteFile("mnist.npz", "https://example.invalid/mnist.npz",
                              hashlib.sha256(payload).hexdigest())
    monkeypatch.setitem(sources.SPECS, "mnist", dataclasses.replace(sources.SPECS["mnist"], files=(item,)))
    assert sources.file_url(item) == base + "mnist.npz"
    monkeypatch.setattr(loaders, "_parse", lambda spec, cache, source: source)
    assert loaders._download(sources.SPECS["mnist"], data_cache / "mnist").startswith(f"download from {base}")


# --------------------------------------------------------------------------------------- course map


def _links(table: str) -> list[str]:
    return re.findall(r"^\| \d\d \| \[[^]]+\]\(([^)]+)\)", table, flags=re.MULTILINE)


def test_the_course_map_links_work_from_readme_from_notebook_00_and_on_colab():
    notebooks = ROOT / "notebooks"
    readme = _links(course_map.markdown_table("repo"))
    here = _links(course_map.markdown_table("here"))
    colab = _links(course_map.markdown_table("colab"))
    assert len(readme) == len(here) == len(colab) == 12
    assert all((ROOT / link).is_file() for link in readme)
    assert all((notebooks / link).is_file() for link in here)  # 00 sits in notebooks/
    assert colab == [config.colab_url(lesson.file) for lesson in course_map.LESSONS]


def test_the_gpu_column_never_shows_a_time_that_was_not_measured_on_a_gpu():
    table = course_map.markdown_table()
    assert "Full mode, Colab GPU" in table.splitlines()[0]
    for lesson in course_map.LESSONS:
        assert lesson.gpu_time == course_map.NOT_MEASURED_ON_GPU or "measured" in lesson.gpu_time


# ------------------------------------------------------------------------------------ pinned stack


def _pins(lines) -> dict[str, str]:
    found = {}
    for line in lines:
        match = re.match(r"^\s*(?:- )?([A-Za-z0-9_.-]+)==([^\s#]+)", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_environment_yml_pins_the_versions_ci_tested():
    tested = _pins((ROOT / "constraints.txt").read_text().splitlines())
    conda = _pins((ROOT / "environment.yml").read_text().splitlines())
    assert conda and all(tested.get(name) == version for name, version in conda.items()), (
        {name: (version, tested.get(name)) for name, version in conda.items() if tested.get(name) != version})
    for name in ("tensorflow", "keras", "numpy", "jupyterlab", "nbval"):
        assert name in tested


def test_the_makefile_installs_with_the_constraints():
    makefile = (ROOT / "Makefile").read_text()
    assert "-c constraints.txt" in makefile
    assert re.search(r"^\$\(STAMP\): .*constraints\.txt", makefile, flags=re.MULTILINE)


def test_declared_minimums_are_the_versions_the_rehearsal_runs():
    stack = _pins(rehearse.STACK_FILE.read_text().splitlines())
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = " ".join(project["optional-dependencies"]["tf"])
    for name in ("tensorflow", "keras"):
        assert runtime.REQUIREMENTS[name] == f">={stack[name].rsplit('.', 1)[0]}", name
        assert f"{name}>={stack[name].rsplit('.', 1)[0]}" in extras, name
    assert stack["ipywidgets"] == "7.7.1"
    assert rehearse.PYTHON_VERSION == "3.13"


def test_ci_runs_readmes_commands_and_nothing_else():
    script = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
              if line.strip() and not line.lstrip().startswith("#")]
    commands = [line for line in script if line.startswith("make ")]
    assert commands == ["make test", "make rehearse"]
    assert not any("apt-get" in line or "pip " in line for line in script)
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make rehearse" in readme


# --------------------------------------------------------------------------- the rehearsal's parts


def test_the_rehearsal_replaces_exactly_the_install_target(tmp_path):
    notebook = ROOT / "notebooks" / "05_dcgan_fashion_mnist.ipynb"
    text = rehearse.colab_notebook(notebook, tmp_path / "checkout", mixed=False)
    assert config.pip_install_target() not in text and json.dumps(str(tmp_path / "checkout"))[1:-1] in text
    mixed = rehearse.colab_notebook(notebook, tmp_path / "checkout", mixed=True)
    assert "setup(mixed_precision=True" in mixed


def test_the_rehearsal_refuses_a_notebook_without_the_generated_bootstrap(tmp_path):
    odd = tmp_path / "odd.ipynb"
    odd.write_text(json.dumps({"cells": [{"source": "import course_utils"}]}))
    with pytest.raises(SystemExit, match="install target"):
        rehearse.colab_notebook(odd, tmp_path, mixed=False)


def test_the_rehearsal_serves_only_byte_exact_files(tmp_path, monkeypatch):
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir(), bad.mkdir()
    payload = b"published bytes"
    (good / "a.bin").write_bytes(payload)
    (bad / "b.bin").write_bytes(b"something else")
    spec = sources.DatasetSpec("toy", "toy", files=(
        sources.RemoteFile("a.bin", "https://x/a.bin", hashlib.sha256(payload).hexdigest()),
        sources.RemoteFile("b.bin", "https://x/b.bin", hashlib.sha256(b"published b").hexdigest())),
        system_folders=(good, bad))
    monkeypatch.setattr(rehearse, "SPECS", {"toy": spec})
    served = tmp_path / "served"
    served.mkdir()
    assert rehearse.servable_files(served) == ["a.bin"]
    assert (served / "a.bin").read_bytes() == payload and not (served / "b.bin").exists()


def test_the_colab_stand_in_mounts_drive_on_the_persistent_folder(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(rehearse.STUB))
    for name in ("google.colab", "google.colab.drive"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    from google.colab import drive

    monkeypatch.setenv("COLAB_REHEARSAL_DRIVE", str(tmp_path / "persistent"))
    drive.mount(str(tmp_path / "content" / "drive"))
    (tmp_path / "content" / "drive" / "MyDrive" / "kept.txt").write_text("x")
    assert (tmp_path / "persistent" / "kept.txt").read_text() == "x"


def test_a_rehearsal_runtime_hides_the_font_and_data_and_has_its_own_content(tmp_path, monkeypatch):
    monkeypatch.setattr(rehearse.os, "geteuid", lambda: 0)
    monkeypatch.setattr(rehearse, "CONTENT", tmp_path / "content-mountpoint")
    (tmp_path / "rt" / "content").mkdir(parents=True)
    command = rehearse.in_runtime(tmp_path / "rt" / "content", ["python", "x.py"])
    assert command[:3] == ["unshare", "--mount", "--"] and command[-2:] == ["python", "x.py"]
    script = command[5]
    for hidden in rehearse.HIDDEN:
        assert (f"{hidden}" in script) == hidden.is_dir()
    assert f"mount --bind {tmp_path / 'rt' / 'content'} {tmp_path / 'content-mountpoint'}" in script


def test_the_rehearsal_needs_root_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(rehearse.os, "geteuid", lambda: 1000)
    with pytest.raises(SystemExit, match="sudo make rehearse"):
        rehearse.in_runtime(tmp_path, ["true"])


def test_a_missing_python_names_the_command_that_installs_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setattr(rehearse.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match="pyenv install 3.99"):
        rehearse.find_python("3.99")


def test_a_notebook_installs_the_helpers_of_its_own_release():
    import course_utils

    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"]["attr"] == "course_utils.config.COURSE_VERSION"
    assert course_utils.__version__ == config.COURSE_VERSION
    target = config.pip_install_target()
    assert target.endswith(f"@v{config.COURSE_VERSION}") and "@main" not in target
    assert f"/blob/v{config.COURSE_VERSION}/notebooks/" in config.colab_url("05_x.ipynb")


def test_bfloat16_is_offered_only_where_the_notebook_is_tested_with_it(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DEVICE_POLICY", "gpu:8.0")
    untested = next((lesson for lesson in course_map.LESSONS if not lesson.mixed_precision), None)
    tested = next((lesson for lesson in course_map.LESSONS if lesson.mixed_precision), None)
    if untested is not None:
        name = untested.file.removesuffix(".ipynb")
        runtime.setup(notebook=name)
        assert "would pay" not in capsys.readouterr().out
        with pytest.raises(RuntimeError, match=f"info = course_utils.setup\\(notebook='{name}'\\)"):
            runtime.setup(notebook=name, mixed_precision=True)
    if tested is not None:
        name = tested.file.removesuffix(".ipynb")
        runtime.setup(notebook=name)
        assert f"setup(notebook='{name}', mixed_precision=True)" in capsys.readouterr().out
    assert untested or tested


def test_a_notebook_over_the_fast_budget_fails_the_rehearsal_and_names_its_slowest_cells():
    durations = ("============================= slowest 5 durations ==============================\n"
                 "107.24s call     06_dcgan_colour.ipynb::Cell 15\n"
                 "68.70s call     06_dcgan_colour.ipynb::Cell 12\n"
                 "23 passed in 212.91s (0:03:32)\n")
    message = rehearse.over_budget(216.0, 1.0, durations)
    assert "216 s" in message and f"{rehearse.FAST_BUDGET_S:.0f} s × 1.00" in message
    assert "Cell 15 107 s; Cell 12 69 s" in message
    assert "not reported" in rehearse.over_budget(200.0, 1.0, "no durations here")


def test_the_fast_budget_follows_a_slower_machine_but_never_shrinks():
    reference = rehearse.REFERENCE_PROBE_S
    assert rehearse.slowdown(reference, reference) == 1.0
    assert rehearse.slowdown(reference / 2, reference / 2) == 1.0   # a faster machine keeps 180 s
    assert rehearse.slowdown(1.2 * reference, 1.6 * reference) == pytest.approx(1.4)
    assert rehearse.slowdown(None, 1.2 * reference) == pytest.approx(1.2)   # one probe failed
    assert rehearse.slowdown(None, None) == 1.0
    assert rehearse.slowdown(5 * reference, 5 * reference) == rehearse.MAX_SLOWDOWN
    message = rehearse.over_budget(300.0, 1.4, "  94.10s call     11_diffusion.ipynb::Cell 17\n")
    assert "252 s = 180 s × 1.40" in message and "Cell 17 94 s" in message


def test_the_bfloat16_pass_is_not_judged_by_time_but_the_float32_pass_is():
    assert not rehearse.judged_by_time(mixed=True) and rehearse.judged_by_time(mixed=False)
    assert rehearse.time_budget(factor=1.5) == pytest.approx(1.5 * rehearse.FAST_BUDGET_S)
    assert rehearse.budget_text(None) == " (time not judged)"
    assert rehearse.budget_text(270.0) == " of 270 s"


def test_runtimes_at_the_same_time_each_get_their_own_environment(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "lib" / "course_utils").mkdir(parents=True)
    (venv / "lib" / "course_utils" / "__init__.py").write_text("installed\n")
    (venv / "bin" / "python").symlink_to(sys.executable)
    slots = rehearse.runtime_slots(venv / "bin" / "python", 2)
    assert slots[0] == venv / "bin" / "python"
    assert slots[1] != slots[0] and slots[1].is_symlink()
    assert slots[1].resolve() == Path(sys.executable).resolve()
    copied = slots[1].parent.parent / "lib" / "course_utils" / "__init__.py"
    assert copied.read_text() == "installed\n"
    copied.unlink()  # what pip uninstall does in that runtime
    assert (venv / "lib" / "course_utils" / "__init__.py").read_text() == "installed\n"


def test_the_bfloat16_pass_runs_two_notebooks_at_once_each_in_a_slot_of_its_own(tmp_path, monkeypatch):
    import threading
    import time

    running, seen, lock = {}, [], threading.Lock()

    def fake_run(notebook, scratch, python, install_from, mirror, policy, mixed, probe_before):
        with lock:
            assert python not in running.values(), "two runtimes shared one environment"
            running[notebook] = python
            seen.append(len(running))
        time.sleep(0.2)
        with lock:
            del running[notebook]
        assert mixed and policy == "gpu:8.0" and probe_before is None
        return rehearse.Outcome(notebook.stem, True, 0.2, budget=None)

    monkeypatch.setattr(rehearse, "run_notebook", fake_run)
    notebooks = [tmp_path / f"{n:02d}_x.ipynb" for n in (4, 7, 8, 9, 10)]
    slots = [tmp_path / "a" / "python", tmp_path / "b" / "python"]
    outcomes = rehearse.run_mixed_pass(notebooks, tmp_path, slots, tmp_path / "course.whl", "http://mirror/")
    assert [item.name for item in outcomes] == [path.stem for path in notebooks]
    assert max(seen) == 2


def test_the_speed_probe_stays_running_and_measures_again_on_request(tmp_path):
    probe = rehearse.SpeedProbe(Path(sys.executable), tmp_path / "probe.log")
    try:
        first = probe.seconds()
        pid = probe.process.pid
        second = probe.seconds()
        assert probe.process.pid == pid  # the same process: TensorFlow imported once
    finally:
        probe.close()
    assert first > 0 and second > 0 and probe.process is None and probe._log_file is None


def test_a_failing_speed_probe_warns_and_leaves_the_budget_unscaled(tmp_path, capsys):
    probe = rehearse.SpeedProbe(Path("/bin/false"), tmp_path / "probe.log")
    assert probe.seconds() is None
    assert "the speed probe failed" in capsys.readouterr().out
    assert rehearse.slowdown(None, None) == 1.0
