"""The recipe probe of notebook 11 reads the notebook's own cells and refuses bad settings clearly."""

from __future__ import annotations

import probe_diffusion_recipe as probe
import pytest


def test_settings_are_python_literals():
    assert probe.parse_setting("BATCH_SIZE=64") == ("BATCH_SIZE", 64)
    assert probe.parse_setting("MIN_SNR_GAMMA=None") == ("MIN_SNR_GAMMA", None)
    assert probe.parse_setting("MIN_SNR_GAMMA=5.0") == ("MIN_SNR_GAMMA", 5.0)


@pytest.mark.parametrize("text", ["BATCH_SIZE", "batch_size=64", "BATCH_SIZE=sixty"])
def test_a_bad_setting_names_the_fix(text):
    with pytest.raises(SystemExit, match="--set"):
        probe.parse_setting(text)


def test_the_probe_runs_the_cells_that_build_the_model():
    code = probe.notebook_code()
    assert "model = make_diffusion(" in code[-1]
    parameters = next(source for source in code if source.startswith(probe.PARAMETER_CELL))
    for name in ("BATCH_SIZE", "MIN_SNR_GAMMA", "PREDICTION", "EPOCHS"):   # what the probes change
        assert f"\n{name} = " in parameters
    assert any("def min_snr_weights" in source for source in code)
    assert not any(source.startswith("# Set-up") for source in code)
