"""Unit tests of course_utils.metrics and course_utils.training that can actually fail."""

from __future__ import annotations

import json

import numpy as np
import pytest

from course_utils import artefacts, metrics
from course_utils.data import ring_centres
from course_utils.metrics import FEATURE_NET_VERSION

# ---------- metrics: distances ----------


def test_frechet_distance_of_identical_sets_is_zero():
    features = np.random.default_rng(0).normal(size=(400, 6))
    assert metrics.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_of_a_shifted_set_is_the_squared_shift():
    # Shifting every row by delta moves the mean by delta and leaves the covariance unchanged,
    # so the trace term vanishes exactly: FD = ||delta||^2.
    features = np.random.default_rng(1).normal(size=(500, 5))
    delta = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    assert metrics.frechet_distance(features, features + delta) == pytest.approx(
        float(delta @ delta), rel=1e-8)


def test_frechet_distance_of_gaussian_samples_matches_the_closed_form():
    # N(mu_a, I) vs N(mu_b, 4 I) in d dims: ||mu_a - mu_b||^2 + d (1 + 4 - 2 * 2) = ||dmu||^2 + d.
    rng = np.random.default_rng(2)
    dim, n = 4, 200_000
    mu_b = np.array([0.5, 0.0, -1.0, 2.0])
    a = rng.normal(size=(n, dim))
    b = mu_b + 2.0 * rng.normal(size=(n, dim))
    expected = float(mu_b @ mu_b) + dim
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=0.02)


def test_frechet_distance_is_symmetric():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(300, 4)), rng.normal(1.0, 2.0, size=(300, 4))
    assert metrics.frechet_distance(a, b) == pytest.approx(metrics.frechet_distance(b, a), rel=1e-6)


def test_kernel_distance_near_zero_for_same_distribution_and_positive_for_different():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(1000, 8)), rng.normal(size=(1000, 8))
    shifted = rng.normal(0.7, 1.0, size=(1000, 8))
    same = metrics.kernel_distance(a, b)
    different = metrics.kernel_distance(a, shifted)
    assert abs(same) < 0.01
    assert different > 0.1
    assert different > 20 * abs(same)


def test_classifier_score_of_confident_uniform_classes_is_the_class_count():
    probs = np.eye(10)[np.arange(1000) % 10]  # one-hot, every class equally often
    assert metrics.classifier_score_from_probs(probs) == pytest.approx(10.0, rel=1e-6)
    one_class = np.eye(10)[np.zeros(1000, dtype=int)]  # confident but not diverse
    assert metrics.classifier_score_from_probs(one_class) == pytest.approx(1.0, rel=1e-6)
    unsure = np.full((1000, 10), 0.1)  # diverse on average but never confident
    assert metrics.classifier_score_from_probs(unsure) == pytest.approx(1.0, rel=1e-6)


# ---------- metrics: ring of Gaussians ----------


def test_ring_metrics_exact_ring_samples_cover_all_modes():
    centres = ring_centres(8, 2.0)
    samples = np.repeat(centres, 50, axis=0)
    result = metrics.ring_metrics(samples, centres, std=0.02)
    assert result["modes_covered"] == 8
    assert result["high_quality"] == pytest.approx(1.0)
    assert result["per_mode"] == [50] * 8
    assert result["largest_share"] == pytest.approx(1 / 8)


def test_ring_metrics_single_mode_and_off_ring_samples():
    centres = ring_centres(8, 2.0)
    rng = np.random.default_rng(5)
    collapsed = centres[3] + rng.normal(0, 0.02, size=(400, 2))
    result = metrics.ring_metrics(collapsed, centres, std=0.02)
    assert result["modes_covered"] == 1
    assert result["per_mode"][3] == max(result["per_mode"])
    assert result["high_quality"] > 0.95
    assert result["largest_share"] == 1.0 and np.argmax(result["nearest_shares"]) == 3
    # the origin is 2 away from every centre: never high quality, no mode covered
    at_origin = np.zeros((100, 2))
    result = metrics.ring_metrics(at_origin, centres, std=0.02)
    assert {key: result[key] for key in ("modes_covered", "modes_any", "high_quality", "per_mode")} == {
        "modes_covered": 0, "modes_any": 0, "high_quality": 0.0, "per_mode": [0] * 8}


def test_a_collapsed_blob_off_the_centre_is_collapse_without_quality():
    """A generator that hops between modes lands beside one, not on it: collapse, no quality."""
    centres = ring_centres(8, 2.0)
    rng = np.random.default_rng(6)
    blob = centres[5] * 0.8 + rng.normal(0, 0.1, size=(1000, 2))  # 0.4 inside the ring, 5× wider
    result = metrics.ring_metrics(blob, centres, std=0.02)
    assert result["largest_share"] > 0.95 and np.argmax(result["nearest_shares"]) == 5
    assert result["high_quality"] < 0.01 and result["modes_covered"] == 0
    spread = rng.normal(0, 2.0, size=(4000, 2))  # no collapse: every mode gets a share
    assert metrics.ring_metrics(spread, centres, std=0.02)["largest_share"] < 0.2


def test_the_veegan_rule_counts_a_mode_with_a_single_good_sample_and_the_course_rule_does_not():
    centres = ring_centres(8, 2.0)
    stray = np.concatenate([np.repeat(centres[:1], 995, axis=0), centres[1:6]])  # 1 sample each
    result = metrics.ring_metrics(stray, centres, std=0.02)
    assert result["modes_any"] == 6
    assert result["modes_covered"] == 1  # 1 of 1,000 samples is under the 1 % floor


# ---------- training: a tiny GAN-shaped model ----------

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from course_utils import training  # noqa: E402


class TinyModel(keras.Model):
    """GAN-shaped: a generator sub-model and a custom optimizer built in __init__."""

    def __init__(self, latent_dim=3):
        super().__init__()
        self.latent_dim = latent_dim
        self.generator = keras.Sequential([
            keras.Input((latent_dim,)),
            keras.layers.Dense(16, activation="tanh"),
            keras.layers.Reshape((4, 4, 1)),
        ])
        self.g_opt = keras.optimizers.Adam(1e-2)
        self.g_opt.build(self.generator.trainable_variables)
        self.tracker = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.tracker]

    def train_step(self, batch):
        z = tf.random.normal((tf.shape(batch)[0], self.latent_dim))
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((self.generator(z, training=True) - 0.5) ** 2)
        variables = self.generator.trainable_variables
        self.g_opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        self.tracker.update_state(loss)
        return {"g_loss": self.tracker.result()}


STEPS_PER_EPOCH = 4


def tiny_dataset():
    return tf.data.Dataset.from_tensor_slices(np.zeros((8 * STEPS_PER_EPOCH, 3), np.float32)).batch(
        8, drop_remainder=True)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_FAST", "1")
    keras.utils.set_random_seed(0)
    return tmp_path


def test_sample_grid_and_progress_gif_write_frames(isolated):
    from PIL import Image

    model = TinyModel()
    model.compile()
    latents = training.latent_seeds(4, 3)
    grid = training.SampleGrid(latents, every=2, folder=isolated / "grids", show=False, columns=2)
    gif = training.ProgressGif(latents, isolated / "progress.gif", every=1)
    model.fit(tiny_dataset(), epochs=3, callbacks=[grid, gif], verbose=0, shuffle=False)
    # every 2 epochs plus the last one: epochs 2 and 3
    assert grid.epochs == [2, 3]
    assert sorted(p.name for p in (isolated / "grids").iterdir()) == ["epoch_0002.png",
                                                                      "epoch_0003.png"]
    assert grid.frames[0].dtype == np.uint8 and grid.frames[0].ndim in (2, 3)
    assert gif.epochs == [1, 2, 3]
    with Image.open(isolated / "progress.gif") as image:
        assert image.n_frames == 3


def test_metric_monitor_adds_values_to_logs(isolated):
    model = TinyModel()
    model.compile()
    monitor = training.MetricMonitor("probe", lambda m: 42.0, every=2, verbose=False)
    history = model.fit(tiny_dataset(), epochs=3, callbacks=[monitor], verbose=0, shuffle=False)
    assert monitor.values == [(2, 42.0), (3, 42.0)]
    # skipped epochs log NaN, so the column exists from the first epoch (CSV logs keep it)
    probe = history.history["probe"]
    assert np.isnan(probe[0]) and probe[1:] == [42.0, 42.0]


class StopAt(keras.callbacks.Callback):
    """Simulates a kernel dying at the start of a given epoch (0-based)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt(f"stopped at epoch {epoch}")


class EpochRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs, self.start_iterations = [], None

    def on_train_begin(self, logs=None):
        self.start_iterations = int(self.model.g_opt.iterations.numpy())

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_fit_resumable_resumes_then_reloads(isolated):
    folder, epochs = isolated / "run", 4
    first = TinyModel()
    first.compile()
    with pytest.raises(KeyboardInterrupt):
        training.fit_resumable(first, tiny_dataset(), epochs, folder, callbacks=[StopAt(2)], verbose=0)
    assert int(first.g_opt.iterations.numpy()) == 2 * STEPS_PER_EPOCH
    assert (folder / "fast" / "backup").exists()
    assert not (folder / "fast" / "final.weights.h5").exists()
    timing = folder / "fast" / "epoch_seconds.csv"
    assert [line.split(",")[0] for line in timing.read_text().splitlines()] == ["epoch", "1", "2"]
    first_part = training.training_seconds(folder)
    assert first_part > 0

    # a fresh model (new kernel) continues at epoch 2 with the optimizer state restored
    second = TinyModel()
    second.compile()
    recorder = EpochRecorder()
    history = training.fit_resumable(second, tiny_dataset(), epochs, folder, callbacks=[recorder],
                                     verbose=0)
    assert recorder.epochs == [2, 3]
    assert recorder.start_iterations == 2 * STEPS_PER_EPOCH
    assert int(second.g_opt.iterations.numpy()) == epochs * STEPS_PER_EPOCH
    assert len(history["g_loss"]) == epochs  # CSV rows of both runs
    saved = json.loads((folder / "fast" / "history.json").read_text())
    assert saved["epochs"] == epochs
    # the time of both parts is kept, one row per epoch
    assert [line.split(",")[0] for line in timing.read_text().splitlines()[1:]] == ["1", "2", "3", "4"]
    assert training.training_seconds(folder) > first_part

    # a finished run reloads its weights instead of training again
    third = TinyModel()
    third.compile()
    recorder = EpochRecorder()
    reloaded = training.fit_resumable(third, tiny_dataset(), epochs, folder, callbacks=[recorder],
                                      verbose=0)
    assert recorder.epochs == []
    assert reloaded == history
    for a, b in zip(second.generator.get_weights(), third.generator.get_weights()):
        np.testing.assert_allclose(a, b)


def test_fit_resumable_continues_a_finished_run_to_more_epochs(isolated):
    folder = isolated / "run"
    first = TinyModel()
    first.compile()
    shorter = training.fit_resumable(first, tiny_dataset(), 2, folder, verbose=0)
    # a longer run asked for, with a monitor the first part did not have
    second = TinyModel()
    second.compile()
    recorder = EpochRecorder()
    late = training.MetricMonitor("late", lambda model: 1.5, verbose=False)
    longer = training.fit_resumable(second, tiny_dataset(), 3, folder, callbacks=[recorder, late],
                                    verbose=0)
    assert recorder.epochs == [2] and recorder.start_iterations == 2 * STEPS_PER_EPOCH
    assert int(second.g_opt.iterations.numpy()) == 3 * STEPS_PER_EPOCH
    assert longer["g_loss"][:2] == shorter["g_loss"] and len(longer["g_loss"]) == 3
    assert np.isnan(longer["late"][:2]).all() and longer["late"][2] == 1.5  # its own column
    assert training.monitored_curve(folder / "fast" / "history.csv", "late") == [(3, 1.5)]
    # fewer epochs than the finished run: refused, and the run is still there
    third = TinyModel()
    third.compile()
    with pytest.raises(RuntimeError, match="finished run of 3 epochs"):
        training.fit_resumable(third, tiny_dataset(), 2, folder, verbose=0)
    reloaded = training.fit_resumable(third, tiny_dataset(), 3, folder, verbose=0)
    assert reloaded["g_loss"] == longer["g_loss"]
    np.testing.assert_array_equal(reloaded["late"], longer["late"])  # nan where not measured


def test_training_seconds_sums_every_epoch_file_below_a_folder(tmp_path):
    for stage, rows in (("stage_04", ["1,1.5", "2,2.5"]), ("stage_08", ["1,10.0"])):
        folder = tmp_path / stage / "full"
        folder.mkdir(parents=True)
        (folder / "epoch_seconds.csv").write_text("epoch,seconds\n" + "\n".join(rows) + "\n")
    assert training.training_seconds(tmp_path) == pytest.approx(14.0)
    assert training.training_seconds(tmp_path / "stage_08") == pytest.approx(10.0)
    assert training.training_seconds(tmp_path / "missing") == 0.0


def test_fit_resumable_refuses_unbuilt_custom_optimizers(isolated):
    model = TinyModel()
    model.d_opt = keras.optimizers.Adam()  # never built: its state could not be restored
    model.compile()
    with pytest.raises(RuntimeError, match="d_opt"):
        training.fit_resumable(model, tiny_dataset(), 1, isolated / "unbuilt", verbose=0)


def test_monitored_curve_reads_a_resumed_run_with_true_epoch_numbers(isolated):
    folder, calls = isolated / "run", []

    def probe(model):
        calls.append(1)
        return 10.0 * len(calls)

    first = TinyModel()
    first.compile()
    with pytest.raises(KeyboardInterrupt):
        training.fit_resumable(first, tiny_dataset(), 6, folder, verbose=0,
                               callbacks=[training.MetricMonitor("fd", probe, every=2, verbose=False),
                                          StopAt(3)])
    second = TinyModel()
    second.compile()
    training.fit_resumable(second, tiny_dataset(), 6, folder, verbose=0,
                           callbacks=[training.MetricMonitor("fd", probe, every=2, verbose=False)])
    history_csv = folder / "fast" / "history.csv"
    assert training.monitored_curve(history_csv, "fd") == [(2, 10.0), (4, 20.0), (6, 30.0)]
    assert training.monitored_curve(history_csv, "kid") == []
    assert training.monitored_curve(folder / "missing.csv", "fd") == []
    assert training.curve_with_images(history_csv, "fd", 128) == [[2, 256, 10.0], [4, 512, 20.0],
                                                                   [6, 768, 30.0]]


def test_point_near_never_gives_the_curves_model_a_clearly_smaller_budget():
    curve = [(2, 30.0), (4, 20.0), (6, 10.0)]
    assert training.point_near(curve, 1000, 4400) == (6, 10.0)   # 4,000 is nearer but fewer images
    assert training.point_near(curve, 1000, 4000) == (4, 20.0)   # exactly as many images
    assert training.point_near(curve, 1000, 4100) == (4, 20.0)   # 2.4 % fewer: the same budget
    assert training.point_near(curve, 1000, 2500) == (4, 20.0)
    assert training.point_near(curve, 1000, 100_000) == (6, 10.0)  # the curve stops earlier: nearest
    assert training.point_near(curve, 1000, 500) == (2, 30.0)      # it starts more than 2x later
    assert training.point_near([], 1000, 4400) is None


def test_index_at_budget_reads_uneven_spacing_and_a_narrower_window():
    seen = [1_000, 2_600, 2_900, 7_000]
    assert training.index_at_budget(seen, 1_700) == 1                # first at or after, not the nearest
    assert training.index_at_budget(seen, 2_700) == 1                # 3.7 % fewer: the same budget
    assert training.index_at_budget([9_900, 10_400], 10_000) == 0    # both within 5 %: the nearest
    assert training.index_at_budget(seen, 1_020) == 0                # 2 % fewer counts as equal
    assert training.index_at_budget(seen, 4_000) == 3                # 7,000 is within 2x
    assert training.index_at_budget(seen, 4_000, factor=1.25) == 2  # not within 1.25x: the nearest
    assert training.index_at_budget([], 4_000) is None


def test_monitored_near_reads_another_notebooks_run(isolated):
    folder = isolated / "05_like"
    history = folder / "checkpoints" / "fast" / "history.csv"  # the isolated fixture sets fast mode
    history.parent.mkdir(parents=True)
    history.write_text("epoch,fd,g_loss\n0,nan,1.0\n1,30.0,0.9\n2,nan,0.8\n3,20.0,0.7\n")
    assert training.monitored_near(folder, "fd", 3000) is None  # no metrics.json yet
    artefacts.write_metrics(folder, {"fd": 20.0, "epochs": 4.0, "images_seen": 4000})
    assert training.monitored_near(folder, "fd", 3900) == (4, 4000.0, 20.0)
    assert training.monitored_near(folder, "fd", 1500) == (2, 2000.0, 30.0)
    assert training.monitored_near(folder, "kid", 1500) is None


def test_budget_near_adds_what_the_other_run_had_spent_by_then(isolated):
    folder = isolated / "05_like"
    run = folder / "checkpoints" / "fast"
    run.mkdir(parents=True)
    (run / "history.csv").write_text("epoch,fd\n0,nan\n1,30.0\n2,nan\n3,20.0\n")
    (run / "epoch_seconds.csv").write_text("epoch,seconds,load\n1,5.0,2.0\n2,6.0,4.0\n3,7.0,1.0\n4,8.0,1.0\n")
    (folder / "metrics.json").write_text(json.dumps({"epochs": 4, "images_seen": 4000, "updates": 40,
                                                     "meter_version": FEATURE_NET_VERSION}))
    row = training.budget_near(folder, 1900)
    assert row == {"epoch": 2, "images": 2000.0, "updates": 20.0, "seconds": 11.0, "load": 3.0, "fd": 30.0}
    table = training.budget_table({"DCGAN after epoch 2": row,
                                   "VAE": {"images": 1800, "updates": 14, "seconds": 3.5, "fd": 41.5}})
    assert "DCGAN after epoch 2" in table and "41.50" in table and "2,000" in table
    assert "load" in table.splitlines()[0] and table.splitlines()[1].endswith("3.0")
    assert table.splitlines()[2].endswith("–") and "waiting for other jobs" in table
    final = training.recorded_budget(folder)
    assert (final["images"], final["updates"], final["mode"]) == (4000, 40, "?")
    assert np.isnan(final["seconds"]) and final["load"] == 2.0
    (folder / "metrics.json").write_text(json.dumps({"epochs": 4, "images_seen": 4000,
                                                     "meter_version": FEATURE_NET_VERSION}))
    assert np.isnan(training.budget_near(folder, 1900)["updates"])  # not recorded by that run


def test_a_curve_measured_on_another_meter_is_not_compared(isolated, capsys):
    folder = isolated / "05_like"
    history = folder / "checkpoints" / "fast" / "history.csv"
    history.parent.mkdir(parents=True)
    history.write_text("epoch,fd\n0,30.0\n1,20.0\n")
    metrics = {"fd": 20.0, "epochs": 2, "images_seen": 2000}
    (folder / "metrics.json").write_text(json.dumps(metrics))  # recorded before versions were kept
    assert training.budget_near(folder, 2000) is None
    assert "meter version 3 or older" in capsys.readouterr().out
    (folder / "metrics.json").write_text(json.dumps({**metrics, "meter_version": FEATURE_NET_VERSION - 1}))
    assert training.monitored_near(folder, "fd", 2000) is None
    (folder / "metrics.json").write_text(json.dumps({**metrics, "meter_version": FEATURE_NET_VERSION}))
    assert training.monitored_near(folder, "fd", 2000) == (2, 2000.0, 20.0)


def test_equal_budget_verdict_names_the_lower_fd_only_when_the_budgets_are_close():
    dcgan = {"images": 60_000, "fd": 9.0}
    verdict = training.equal_budget_verdict("diffusion model", {"images": 51_200, "fd": 12.5}, "DCGAN", dcgan)
    assert "the DCGAN has the lower FD (9.00 against the diffusion model's 12.50)" in verdict
    assert "51,200 vs 60,000" in verdict and "1.17× the diffusion model's images" in verdict
    better = training.equal_budget_verdict("VAE", {"images": 58_000, "fd": 4.0}, "DCGAN", dcgan)
    assert better.endswith("the VAE has the lower FD (4.00 against the DCGAN's 9.00)")  # fewer images
    lucky = training.equal_budget_verdict("VAE", {"images": 90_000, "fd": 4.0}, "DCGAN", dcgan)
    assert "the VAE has the lower FD" in lucky and "1.50× the DCGAN's images" in lucky
    for far in (2_560, 180_000):   # more than 2x apart either way: no winner named
        verdict = training.equal_budget_verdict("VAE", {"images": far, "fd": 1.0}, "DCGAN", dcgan)
        assert verdict.startswith("→ no comparison at equal budget") and "lower" not in verdict
        assert f"{far:,}" in verdict and "60,000" in verdict


def test_fit_resumable_refuses_a_run_trained_with_other_settings(isolated):
    folder = isolated / "run"
    first = TinyModel()
    first.compile()
    with pytest.raises(KeyboardInterrupt):
        training.fit_resumable(first, tiny_dataset(), 3, folder, callbacks=[StopAt(1)], verbose=0,
                               settings={"learning_rate": 2e-4, "widths": (8, 16)})
    saved = json.loads((folder / "fast" / "settings.json").read_text())
    assert saved == {"learning_rate": 2e-4, "widths": [8, 16], "precision": "float32"}

    # a changed setting is named, and the interrupted run is kept for the old settings
    second = TinyModel()
    second.compile()
    with pytest.raises(RuntimeError, match=r"learning_rate: 0\.0002 there, 0\.001 now"):
        training.fit_resumable(second, tiny_dataset(), 3, folder, verbose=0,
                               settings={"learning_rate": 1e-3, "widths": (8, 16)})
    assert (folder / "fast" / "backup").exists()
    assert json.loads((folder / "fast" / "settings.json").read_text()) == saved

    # the same settings (a tuple equal to the stored list) resume and then reload the run
    recorder = EpochRecorder()
    training.fit_resumable(second, tiny_dataset(), 3, folder, callbacks=[recorder], verbose=0,
                           settings={"learning_rate": 2e-4, "widths": (8, 16)})
    assert recorder.epochs == [1, 2]
    third = TinyModel()
    third.compile()
    with pytest.raises(RuntimeError, match="widths"):
        training.fit_resumable(third, tiny_dataset(), 3, folder, verbose=0,
                               settings={"learning_rate": 2e-4, "widths": (8, 32)})


def test_fit_resumable_refuses_to_resume_a_float32_run_in_bfloat16(isolated):
    import keras

    folder = isolated / "run"
    first = TinyModel()
    first.compile()
    with pytest.raises(KeyboardInterrupt):
        training.fit_resumable(first, tiny_dataset(), 3, folder, callbacks=[StopAt(1)], verbose=0)
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        second = TinyModel()
        second.compile()
        with pytest.raises(RuntimeError, match="precision: 'float32' there, 'mixed_bfloat16' now"):
            training.fit_resumable(second, tiny_dataset(), 3, folder, verbose=0)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    # a run saved before the precision was recorded counts as float32
    settings = folder / "fast" / "settings.json"
    settings.write_text(json.dumps({"learning_rate": 2e-4}))
    third = TinyModel()
    third.compile()
    training.fit_resumable(third, tiny_dataset(), 3, folder, verbose=0, settings={"learning_rate": 2e-4})
    assert json.loads(settings.read_text())["precision"] == "float32"
    # a setting the saved run never recorded is adopted; a recorded one still has to match
    training.fit_resumable(third, tiny_dataset(), 3, folder, verbose=0,
                           settings={"learning_rate": 2e-4, "dataset": "fashion"})
    assert json.loads(settings.read_text())["dataset"] == "fashion"
    with pytest.raises(RuntimeError, match="dataset"):
        training.fit_resumable(third, tiny_dataset(), 3, folder, verbose=0,
                               settings={"learning_rate": 2e-4, "dataset": "mnist"})


def test_seconds_of_epochs_counts_each_epoch_once_and_needs_them_all(tmp_path):
    from course_utils.timing import seconds_of_epochs

    (tmp_path / "epoch_seconds.csv").write_text("epoch,seconds\n1,10.0\n2,12.5\n2,11.0\n3,9.0\n")
    assert seconds_of_epochs(tmp_path, 2) == 21.0   # epoch 2 retrained after a resume: last row
    assert seconds_of_epochs(tmp_path, 3) == 30.0
    assert seconds_of_epochs(tmp_path, 4) is None


def test_mean_load_reads_the_load_column_and_skips_rows_without_one(tmp_path):
    from course_utils.timing import mean_load, training_seconds

    assert np.isnan(mean_load(tmp_path))  # no timer at all
    # an old two-column file resumed by the new timer: the header stays, rows gain a load
    (tmp_path / "epoch_seconds.csv").write_text("epoch,seconds\n1,10.0\n2,12.0,3.5\n2,11.0,1.5\n3,9.0,2.5\n")
    assert mean_load(tmp_path) == pytest.approx((3.5 + 1.5 + 2.5) / 3)
    assert mean_load(tmp_path, epochs=2) == 1.5   # epoch 1 has none; epoch 2's last row counts
    assert np.isnan(mean_load(tmp_path, epochs=1))
    assert training_seconds(tmp_path) == 42.0


def test_epoch_timer_writes_seconds_and_the_load_average(tmp_path):
    timer = training.EpochTimer(tmp_path / "epoch_seconds.csv")
    for epoch in range(2):
        timer.on_epoch_begin(epoch)
        timer.on_epoch_end(epoch)
    lines = (tmp_path / "epoch_seconds.csv").read_text().splitlines()
    assert lines[0] == "epoch,seconds,load" and [line.split(",")[0] for line in lines[1:]] == ["1", "2"]
    assert all(float(line.split(",")[2]) >= 0 for line in lines[1:])


class WeightsAtUpdate(keras.callbacks.Callback):
    """Keeps the generator's weights as they were after a given update (the reference)."""

    def __init__(self, updates):
        super().__init__()
        self.updates, self.weights = updates, None

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.g_opt.iterations) == self.updates:
            self.weights = self.model.generator.get_weights()


@pytest.mark.parametrize("steps_per_execution", [1, 2])
def test_snapshot_at_update_saves_the_weights_of_that_update(isolated, steps_per_execution):
    model = TinyModel()
    model.compile(steps_per_execution=steps_per_execution)
    path = isolated / "snap" / "generator.weights.h5"
    snapshot = training.SnapshotAtUpdate(6, path, select=lambda m: m.generator,
                                         counter=lambda m: m.g_opt.iterations)
    reference = WeightsAtUpdate(6)
    model.fit(tiny_dataset(), epochs=3, callbacks=[snapshot, reference], verbose=0, shuffle=False)
    assert int(model.g_opt.iterations) == 12
    saved = keras.models.clone_model(model.generator)
    saved.load_weights(path)
    for got, want, final in zip(saved.get_weights(), reference.weights, model.generator.get_weights()):
        np.testing.assert_array_equal(got, want)
        assert not np.array_equal(got, final)   # a later state would not pass


def test_snapshot_at_update_names_steps_per_execution_when_it_skips_the_update(isolated):
    model = TinyModel()
    model.compile(steps_per_execution=4)
    snapshot = training.SnapshotAtUpdate(6, isolated / "g.weights.h5", select=lambda m: m.generator,
                                         counter=lambda m: m.g_opt.iterations)
    with pytest.raises(ValueError, match="steps_per_execution"):
        model.fit(tiny_dataset(), epochs=3, callbacks=[snapshot], verbose=0, shuffle=False)
    assert not (isolated / "g.weights.h5").exists()


def test_snapshot_at_update_saves_nothing_in_a_run_that_starts_past_it(isolated):
    model = TinyModel()
    model.compile()
    model.fit(tiny_dataset(), epochs=2, verbose=0, shuffle=False)     # 8 updates made
    snapshot = training.SnapshotAtUpdate(6, isolated / "g.weights.h5", select=lambda m: m.generator,
                                         counter=lambda m: m.g_opt.iterations)
    model.fit(tiny_dataset(), epochs=1, callbacks=[snapshot], verbose=0, shuffle=False)
    assert not (isolated / "g.weights.h5").exists()


class _RecordsTraining:
    """A stand-in generator: returns its latents and records the ``training`` flag of each call."""

    def __init__(self):
        self.flags, self.sizes = [], []

    def __call__(self, z, training=False):
        self.flags.append(training)
        self.sizes.append(len(z))
        return np.asarray(z)


def test_generate_draws_fixed_latents_in_batches():
    model = _RecordsTraining()
    images = training.generate(model, 7, latent_dim=3, seed=5, batch=3)
    assert np.array_equal(images, training.latent_seeds(7, 3, seed=5))  # the same latents, in order
    assert model.sizes == [3, 3, 1] and model.flags == [False] * 3
    default = training.generate(model, 2, latent_dim=3, batch_stats=True)
    assert model.flags[-1] is True  # BatchNorm as in training
    assert np.array_equal(default, training.latent_seeds(2, 3, seed=7))  # 04 and 05 rely on seed 7
