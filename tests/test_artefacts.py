"""Artefact files: cached measurements survive a rerun unless the model changed; metrics are replaced."""

import json

import numpy as np

from course_utils import artefacts
from course_utils.artefacts import MeasurementCache


def test_cache_keeps_finished_measurements_for_the_same_signature(tmp_path):
    path = tmp_path / "sampling.json"
    calls = []

    def slow(value):
        calls.append(value)
        return value

    first = MeasurementCache(path, signature="updates=4690")
    assert first.measure("EMA/DDIM/50", lambda: slow(12.5)) == 12.5
    assert first.measure("EMA/DDIM/50", lambda: slow(99.0)) == 12.5  # not computed again
    # an interrupted run: a new kernel opens the same file
    second = MeasurementCache(path, signature="updates=4690")
    assert "EMA/DDIM/50" in second and second.get("EMA/DDIM/50") == 12.5
    assert second.measure("EMA/DDIM/100", lambda: slow([11.0, 3.5])) == [11.0, 3.5]
    assert calls == [12.5, [11.0, 3.5]]


def test_cache_drops_values_of_a_different_model(tmp_path):
    path = tmp_path / "sampling.json"
    MeasurementCache(path, signature="updates=100").put("EMA/DDIM/50", 40.0)
    retrained = MeasurementCache(path, signature="updates=4690")
    assert "EMA/DDIM/50" not in retrained and retrained.get("EMA/DDIM/50") is None
    assert retrained.measure("EMA/DDIM/50", lambda: 12.0) == 12.0


def test_metrics_file_keeps_only_the_latest_run(tmp_path):
    import keras  # noqa: F401  (loaded, as in every notebook: the precision is recorded)

    artefacts.write_metrics(tmp_path, {"fd": 20.0, "fd_old_setting": 30.0})
    artefacts.write_metrics(tmp_path, {"fd": 10.0, "kid": np.float32(0.5)})
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert list(saved) == ["fd", "kid", "mode", "meter_version", "precision"]
    assert saved["fd"] == 10.0 and isinstance(saved["kid"], float)


def test_metrics_record_the_precision_they_were_measured_in(tmp_path):
    import json

    import keras

    from course_utils.artefacts import write_metrics

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        path = write_metrics(tmp_path, {"fd": 3.5})
    finally:
        keras.mixed_precision.set_global_policy("float32")
    saved = json.loads(path.read_text())
    assert saved["fd"] == 3.5 and saved["precision"] == "mixed_bfloat16"
    assert json.loads(write_metrics(tmp_path, {"fd": 1.0}).read_text())["precision"] == "float32"
