"""A very short run of the speed benchmark: every case runs, reports a speed, and the table prints."""

from __future__ import annotations

import os
import subprocess
import sys
import time

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


def _sleeper(per_step: float):
    """A fake case that takes ``per_step`` seconds per step."""
    import time

    return lambda steps: time.sleep(per_step * steps)


def test_equal_rounds_gives_every_case_the_longest_block():
    blocky = bench._Case("fit", _sleeper(0.0), multiple=32, chunk=32, step_seconds=0.5)
    single = bench._Case("per batch", _sleeper(0.0), chunk=2, step_seconds=0.4)
    untimed = bench._Case("untimed", _sleeper(0.0), chunk=7)
    bench.equal_rounds([blocky, single, untimed], per_round=1.0)
    assert blocky.chunk == 32  # one block of 16 s is the longest round
    assert single.chunk == 40  # 16 s too, instead of 0.8 s
    assert untimed.chunk == 7  # nothing to go by: unchanged
    bench.equal_rounds([blocky, single], per_round=48.0)
    assert (blocky.chunk, single.chunk) == (96, 120)  # whole blocks, ~48 s each
    slow = bench._Case("eager", _sleeper(0.0), chunk=1, step_seconds=2.0)
    fast = bench._Case("graph", _sleeper(0.0), chunk=1, step_seconds=0.1)
    bench.equal_rounds([slow, fast], per_round=1.0, min_steps=10)
    assert (slow.chunk, fast.chunk) == (10, 20)  # 10 slow steps; the fast case keeps a 2 s round


def test_measure_times_cases_over_rounds_of_similar_length():
    # one case must run blocks of 8 steps (0.16 s), the other takes 0.01 s per step
    blocks = bench._Case("blocks", _sleeper(0.02), multiple=8)
    steps = bench._Case("steps", _sleeper(0.01))
    bench.measure("toy", 1, [blocks, steps], seconds=0.01, rounds=2,
                  warmup=lambda multiple: multiple, verbose=False)
    assert blocks.chunk == 8
    assert steps.chunk >= 4  # ~16 on an idle machine, 7 measured under load; unequal rounds: 1
    assert 0.5 < steps.seconds / blocks.seconds < 2.0


def test_timed_fit_runs_the_steps_and_times_only_the_training():
    import time

    import keras

    class SlowExit(bench.gan_model_class()):
        def fit(self, *args, **kwargs):  # stands in for a slow clean-up after training ended
            history = super().fit(*args, **kwargs)
            time.sleep(0.3)
            return history

    generator, discriminator = bench.dense_models()
    model = SlowExit(generator, discriminator, bench.DENSE_LATENT, "uniform")
    model.compile(jit_compile=False, steps_per_execution=2)
    _, dataset = bench._data(bench.DENSE_BATCH, (bench.DENSE_PIXELS,), batches=4)
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    start = time.perf_counter()
    seconds = bench.timed_fit(model, dataset, 6, callbacks=[Record()])
    wall = time.perf_counter() - start
    assert int(model.g_opt.iterations) == 6 and seen == [1, 3, 5]  # the caller's callbacks run
    assert 0 < seconds < wall - 0.25


def test_paired_ratios_divide_round_by_round_and_feed_the_median():
    course = bench.Result("dcgan", "fit (course, spe=32)", 12.0, 3, 1.0, round_rates=[10.0, 12.0, 9.0])
    source = bench.Result("dcgan", "tf.function per batch", 11.0, 3, 1.0, round_rates=[5.0, 12.0, 10.0])
    other = bench.Result("dcgan", "train_on_batch + predict", 6.0, 3, 1.0, round_rates=[5.0, 6.0, 3.0])
    assert bench.paired_ratios(course, source) == [2.0, 1.0, 0.9]
    found = bench.ratios([source, other, course])
    assert found["dcgan: fit / tf.function per batch, median of rounds"] == 1.0
    assert found["dcgan: fit / train_on_batch, median of rounds"] == 2.0
    assert found["dcgan: fit / tf.function per batch"] == 12.0 / 11.0


def _dense_gan_and_batches():
    """A fresh-model factory for the course's dense GAN and an endless dataset of its batches."""
    _pixels, dataset = bench._data(bench.DENSE_BATCH, (bench.DENSE_PIXELS,), batches=8)

    def make_model():
        generator, discriminator = bench.dense_models()
        return bench.gan_model_class()(generator, discriminator, bench.DENSE_LATENT, "uniform")

    return make_model, dataset


def test_compare_loops_times_xla_and_steps_per_execution_separately():
    import numpy as np

    make_model, dataset = _dense_gan_and_batches()
    results = bench.compare_loops(make_model, dataset, bench.DENSE_BATCH, "dense", spe=4,
                                  seconds=0.6, rounds=3, min_steps=5)
    assert [r.case for r in results] == ["eager", "tf.function", "tf.function + XLA",
                                         "fit, spe=1", "fit, spe=4"]
    assert all(len(r.round_rates) == 3 and r.median_images_per_s > 0 for r in results)
    assert results[-1].steps % 4 == 0  # whole blocks of steps_per_execution
    assert all(r.steps >= 3 * 5 for r in results)  # at least min_steps in every round
    table = bench.loop_table(results).splitlines()
    assert len(table) == 6 and table[1].endswith("1.0x")  # eager over eager
    medians = [r.median_images_per_s for r in results]
    assert medians[0] == float(np.median(results[0].round_rates))


def test_the_median_round_ignores_one_disturbed_round():
    result = bench.Result("toy", "case", images_per_s=100.0, steps=3, seconds=1.0,
                          round_rates=[100.0, 95.0, 10.0])
    assert result.median_images_per_s == 95.0


def test_compare_loops_times_only_the_loops_asked_for_and_names_unknown_ones():
    make_model, dataset = _dense_gan_and_batches()
    results = bench.compare_loops(make_model, dataset, bench.DENSE_BATCH, "dense", spe=4,
                                  seconds=0.3, rounds=2, min_steps=3, loops=("eager", "fit, spe=N"))
    assert [r.case for r in results] == ["eager", "fit, spe=4"]
    with pytest.raises(ValueError, match="fit, spe=8"):
        bench.compare_loops(make_model, dataset, bench.DENSE_BATCH, "dense", loops=("fit, spe=8",))


def test_speed_change_says_slower_when_the_measurement_says_so():
    assert bench.speed_change(3.2, 1.0) == "3.2× faster"
    assert bench.speed_change(1.0, 1.4) == "1.4× slower"
    assert bench.speed_change(2.0, 2.0) == "1.0× faster"
    assert bench.speed_change(1.0, 1.125, digits=2) == "1.12× slower"


def test_the_share_of_the_cpu_used_by_other_processes_is_what_this_process_did_not_use():
    def readings(*values):
        values = iter(values)
        return lambda: next(values)

    # 8 s of wall time on 2 cores; the machine used 12 CPU seconds, 4 of them this process's
    watch = bench.OthersWatch(machine=readings(100.0, 112.0), own=readings(5.0, 9.0), cores=2,
                              clock=readings(0.0, 8.0))
    assert watch.share() == 0.5
    alone = bench.OthersWatch(machine=readings(100.0, 104.0), own=readings(5.0, 9.0), cores=2,
                              clock=readings(0.0, 8.0))
    assert alone.share() == 0.0
    unknown = bench.OthersWatch(machine=lambda: None, cores=2)
    assert unknown.share() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc/stat")
def test_a_busy_neighbour_is_seen():
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        watch = bench.OthersWatch()
        time.sleep(2.0)
        busy = watch.share()
    finally:
        spinner.kill()
    # one spinning process keeps one of the machine's cores busy
    assert busy is not None and busy >= 0.8 / (os.cpu_count() or 1)
