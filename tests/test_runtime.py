"""runtime.setup, the environment table, the fast-mode switch and the device policy."""

from __future__ import annotations

import sys
import types

import pytest

import course_utils
from course_utils import config, runtime
from course_utils.policy import choose_policy


def test_fast_or_follows_the_switch(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert course_utils.fast_or(50, 2) == 2
    monkeypatch.setenv("COURSE_FAST", "0")
    assert course_utils.fast_or(50, 2) == 50
    monkeypatch.delenv("COURSE_FAST")
    assert course_utils.fast_or(50, 2) == 50


def test_mode_name_names_the_folder_of_each_mode(monkeypatch):
    from course_utils.config import mode_name

    monkeypatch.setenv("COURSE_FAST", "1")
    assert mode_name() == "fast"
    monkeypatch.setenv("COURSE_FAST", "0")
    assert mode_name() == "full"


def test_colab_url_is_built_from_the_repo_constant():
    url = config.colab_url("notebooks/05_dcgan_fashion_mnist.ipynb")
    assert url == (f"https://colab.research.google.com/github/{config.GITHUB_REPO}/blob/"
                   f"v{config.COURSE_VERSION}/notebooks/05_dcgan_fashion_mnist.ipynb")


def test_check_package_reports_ok_fail_and_missing():
    ok = runtime.check_package("numpy", ">=1.0")
    too_old = runtime.check_package("numpy", ">=999")
    missing = runtime.check_package("no-such-package-xyz", ">=1")
    assert ok.ok and ok.installed
    assert not too_old.ok and too_old.installed == ok.installed
    assert not missing.ok and missing.installed is None
    table = runtime.format_table([ok, too_old, missing])
    assert "OK" in table and table.count("FAIL") == 2


def test_policy_cpu_uses_graphs_without_xla_or_mixed_precision():
    policy = choose_policy(None)
    assert (policy.device, policy.jit_compile, policy.mixed_precision) == ("CPU", False, "float32")
    assert policy.compile_kwargs()["jit_compile"] is False


@pytest.mark.parametrize(("capability", "precision"), [((8, 0), "mixed_bfloat16"),
                                                        ((9, 0), "mixed_bfloat16"),
                                                        ((7, 5), "float32")])
def test_policy_gpu_turns_on_xla_and_bfloat16_only_where_supported(capability, precision):
    policy = choose_policy(capability, "Tesla")
    assert policy.device == "GPU" and policy.jit_compile
    # float16 would need loss scaling in every custom optimizer, so it is never automatic.
    assert policy.mixed_precision == precision


def test_setup_prints_table_device_and_banner(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    info = course_utils.setup()
    printed = capsys.readouterr().out
    assert "tensorflow" in printed and "keras" in printed and "status" in printed
    assert "Device: CPU" in printed and "FAST" in printed
    assert info.fast and info.policy.device == "CPU"


def test_setup_on_colab_without_gpu_says_how_to_switch(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    course_utils.setup()
    assert "Change runtime type" in capsys.readouterr().out


def test_old_keras_is_refused_with_a_fix(monkeypatch):
    import keras

    monkeypatch.setattr(keras, "__version__", "2.15.0")
    with pytest.raises(RuntimeError, match="Keras 3"):
        runtime.require_keras3()


def test_mixed_precision_is_opt_in(monkeypatch):
    import keras

    from course_utils import policy as policy_module

    gpu = choose_policy((8, 0), "A100")
    monkeypatch.setattr(runtime, "detect_policy", lambda: gpu)
    course_utils.setup(quiet=True)
    assert keras.mixed_precision.global_policy().name == "float32"
    course_utils.setup(quiet=True, mixed_precision=True)
    assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    policy_module.apply_policy(choose_policy(None))
    assert keras.mixed_precision.global_policy().name == "float32"
