"""A very short run of the speed benchmark: every case runs, reports a speed, and the table prints."""

from __future__ import annotations

import pytest

pytest.importorskip("tensorflow")

from course_utils import bench  # noqa: E402


def test_bench_runs_every_case_and_prints_the_table(capsys):
    # tiny DCGAN batch and ~1 s per case keep this short; the real run uses `--seconds` ~20
    results = bench.main(["--seconds", "1", "--dcgan-batch", "8"])
    cases = {(r.gan, r.case) for r in results}
    assert ("dense", "eager GradientTape loop") in cases
    assert ("dense", "tf.function per batch") in cases
    assert ("dcgan", "train_on_batch + predict") in cases
    assert ("dense", "epoch in one graph (course)") in cases
    assert any(gan == "dense" and "fit" in case for gan, case in cases)
    assert any(gan == "dcgan" and "fit" in case for gan, case in cases)
    assert all(r.images_per_s > 0 and r.steps > 0 and r.seconds > 0 for r in results)
    printed = capsys.readouterr().out
    assert "images/s" in printed and "ratio" in printed
    assert "dense: course / eager" in printed
    assert "dcgan: fit / train_on_batch" in printed


def test_calibrate_rounds_to_whole_blocks():
    calls = []
    chunk = bench.calibrate(calls.append, seconds=1e-9, warmup=3, multiple=4)
    assert chunk % 4 == 0 and chunk > 0
    assert all(n % 4 == 0 for n in calls)


def test_measure_reports_the_best_round_and_the_spread(monkeypatch):
    import time

    monkeypatch.setattr(bench, "calibrate", lambda *args, **kwargs: 5)  # 5 steps per round
    per_step = iter([0.02, 0.01, 0.04])  # seconds per step in rounds 1-3

    def run(steps):
        time.sleep(next(per_step) * steps)

    (result,) = bench.measure("toy", 10, [bench._Case("timed", run)], seconds=1.0, rounds=3,
                              warmup=lambda multiple: 0, verbose=False)
    assert 10 / 0.04 < result.images_per_s <= 10 / 0.01  # the best round (0.01 s/step), not the mean
    assert result.images_per_s > 10 / 0.015
    assert result.steps == 15
    assert 0.6 < result.spread < 0.76  # (best - worst) / best = 0.75 with exact sleeps


def test_fit_in_graph_runs_one_step_per_batch_and_calls_callbacks():
    import keras
    import numpy as np

    from course_utils.fastloop import fit_in_graph

    generator, discriminator = bench.dense_models()
    model = bench.gan_model_class()(generator, discriminator, bench.DENSE_LATENT, "uniform")
    images = np.random.default_rng(0).uniform(-1, 1, (650, bench.DENSE_PIXELS)).astype("float32")
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((epoch, sorted(logs)))

    history = fit_in_graph(model, images, epochs=2, batch_size=64, callbacks=[Record()], verbose=0)
    assert int(model.g_opt.iterations) == 2 * (650 // 64)  # whole batches only
    assert seen == [(0, ["d_loss", "g_loss"]), (1, ["d_loss", "g_loss"])]
    assert len(history.history["g_loss"]) == 2
