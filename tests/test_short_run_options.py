"""training.short_run_options: the device's options without XLA, for runs too short to repay it."""

from __future__ import annotations

import pytest

from course_utils import policy, training


@pytest.mark.parametrize("forced", ["cpu", "gpu", "gpu:8.0"])
def test_short_runs_keep_steps_per_execution_and_turn_xla_off(forced):
    chosen = policy.forced_policy(forced)
    options = training.short_run_options(chosen)
    assert options == {**training.compile_options(chosen), "jit_compile": False}
    assert options["steps_per_execution"] == chosen.steps_per_execution


def test_the_gpu_policy_itself_still_compiles_with_xla():
    chosen = policy.forced_policy("gpu")
    assert training.compile_options(chosen)["jit_compile"] is True
    assert training.short_run_options(chosen)["jit_compile"] is False


def test_short_run_options_follow_the_environment(monkeypatch):
    monkeypatch.setenv(policy.POLICY_ENV, "gpu")
    assert training.short_run_options() == {"jit_compile": False, "steps_per_execution": 32}
