"""Speed benchmark of GAN training loops: the sources' loops against the course's path.

    python -m course_utils.bench                   # both GANs (DCGAN: minutes, see below)
    python -m course_utils.bench --seconds 3 --only dense
    python -m course_utils.bench --spe 8 128 512   # also try other steps_per_execution values

Everything runs in one process on the same machine, on synthetic data of the real shapes (the data
pipeline is not what is measured). Each case is warmed up first (tracing excluded); then the cases
are timed in ``--rounds`` interleaved rounds of the same length, about ``--seconds / --rounds`` or
one whole ``steps_per_execution`` block, whichever is longer, and each case's best round counts
(images per second). Interleaving exposes every case to the same slow phases of
a shared machine; the "spread" column shows how much the rounds differed.

Dense GAN (the second source's MNIST GAN: z = 20 uniform in [-1, 1], one hidden layer of 100 units
in G and D, 784 pixels, batch 64):
- ``eager``: the source's loop, a Python function with two GradientTapes called per batch.
- ``tf.function``: the same function decorated with ``tf.function`` (one graph call per batch).
- ``fit``: a ``keras.Model`` with ``train_step`` trained by ``fit`` with
  ``training.compile_options()`` (``steps_per_execution`` steps per graph call).
- ``epoch in one graph``: the course's path for this tiny model, the same ``train_step`` run a
  whole epoch per graph call by ``course_utils.fastloop.fit_in_graph``.

DCGAN (notebook 05's architecture and batch size, 128; the TensorFlow tutorial it comes from used
256, which ``--dcgan-batch 256`` measures):
- ``tf.function``: the source's per-batch ``@tf.function`` step.
- ``train_on_batch``: the Keras 2 recipe: ``G.predict`` + ``D.train_on_batch`` on real and fake +
  ``gan.train_on_batch`` of the stacked model (frozen D). As that recipe is written, it does more
  per step than the others: one more G forward pass (``predict``) and two D updates, not one.
- ``fit``: the course's path, as above, timed by :func:`timed_fit`.

What was measured (2-core Xeon CPU with AVX-512, no GPU, TensorFlow 2.21, Keras 3.15, oneDNN on;
the machine was shared, load average 4-10 on 2 cores, so every number below is noisy):
- Where the time goes. The TensorFlow profiler shows the same kernels in both DCGAN paths,
  dominated by oneDNN convolutions (``_MklNativeConv2D`` and its two backprops, about two thirds
  of op time), then Keras's dropout masks (``StatelessRandomUniformV2`` + ``GreaterEqual`` +
  ``SelectV2``, ~10%) and batch-norm moments. A step takes 0.5-1.3 s, so the per-step Python
  and dispatch work that ``steps_per_execution`` saves (about a millisecond) does not matter
  for this model; the dense GAN, whose steps take microseconds, is where it pays.
- The old bench was unfair to ``fit`` in two ways, both fixed. (1) ``fit`` was timed around the
  whole call, and freeing the part-read iterator of the endless pipeline after ``fit`` returned
  stalled, idle, for 0.4-10 s (profiler: one ``TFE_DeleteTensorHandle`` of 7.7 s after a 12.8 s
  block of 16 steps; whole calls lasted 10.24 or 20.5 s where training took 6-13 s). A notebook
  pays this once per ``fit`` call, not per epoch. :func:`timed_fit` now times from
  ``on_train_begin`` to ``on_train_end``, and the synthetic data no longer goes through
  ``cache()``, with which it struck 5 calls in 6 (1 in 6 without). (2) ``fit`` must run whole
  blocks of 32 steps (~20 s a round) while the other cases ran rounds of 1-2 s; the best of
  several short rounds on a shared machine is optimistic in a way a long round never is.
  :func:`equal_rounds` now gives every case rounds of the same length.
- After both fixes, three runs with 3 rounds of about 25-35 s per case (images/s of the best
  round, spread of the rounds in brackets):

  ====  ===================  ==================  ================  ==========  ===========
  run   tf.function          train_on_batch      fit (spe=32)      fit / tf.f  fit / t_o_b
  ====  ===================  ==================  ================  ==========  ===========
  1     149 (6%)             93 (18%)            127 (8%)          0.85x       1.37x
  2     224 (49%)            118 (13%)           151 (11%)         0.68x       1.28x
  3     169 (7%)             (not run)           177 (33%)         1.05x       -
  ====  ===================  ==================  ================  ==========  ===========

  Run 3 also timed ``fit`` with ``steps_per_execution=1``: 161 images/s (28%), 0.96x, so the
  32-step loop neither costs nor gains anything measurable for this model.
- On a quiet machine (load average 0.5 at the start, nothing else running), two runs of
  ``--only dcgan``:

  ================  ===========  ==============  ===========  ==========  ===========
  run               tf.function  train_on_batch  fit (spe=32) fit / tf.f  fit / t_o_b
  ================  ===========  ==============  ===========  ==========  ===========
  5 rounds, 6 s     318 (27%)    196 (14%)       309 (15%)    0.97x       1.58x
  9 rounds, 90 s    342 (17%)    216 (22%)       351 (15%)    1.03x       1.62x
  ================  ===========  ==============  ===========  ==========  ===========

  The 9-round run also gives the median of the paired round ratios (each ``fit`` round over the
  round of the other case that ran next to it): 1.04x over ``tf.function`` and 1.62x over
  ``train_on_batch``. The course's path is as fast as the fastest source loop (they run the
  same kernels; what is left is the machine's noise, a few percent either way) and over 1.5x
  faster than the Keras 2 recipe. On a loaded machine, use more rounds and read the medians.
- XLA on this CPU: the same per-batch step with ``jit_compile=True`` ran at 194-210 images/s
  against 268-317 without (5 interleaved rounds of 20 steps): XLA's CPU convolutions are
  slower than oneDNN's, which is why the CPU policy leaves ``jit_compile`` off.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DENSE_BATCH, DENSE_LATENT, DENSE_HIDDEN, DENSE_PIXELS = 64, 20, 100, 784
DCGAN_BATCH, DCGAN_LATENT = 128, 100


@dataclass
class Result:
    """One measured case."""

    gan: str
    case: str
    images_per_s: float
    steps: int
    seconds: float
    spread: float = 0.0  # (best - worst) / best over the rounds
    round_rates: list[float] = field(default_factory=list)  # images/s of each round, in order
    #: The share of the machine's CPU that other processes used while the rounds ran (None where the
    #: system does not report it): speed ratios measured beside a busy neighbour are not the code's.
    others_share: float | None = None

    @property
    def median_images_per_s(self) -> float:
        """The median round: less sensitive to one lucky or disturbed round than the best."""
        return float(np.median(self.round_rates)) if self.round_rates else self.images_per_s


#: Above this share of the machine's CPU used by other processes during a timing, its ratios say
#: more about the neighbours than about the code (two notebooks at once on 2 cores: about 0.5).
BUSY_SHARE = 0.25


def machine_cpu_seconds() -> float | None:
    """CPU seconds every process on this machine has used since boot (Linux ``/proc/stat``), or
    ``None`` where the system does not report it."""
    try:
        ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle and waiting for I/O
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


class OthersWatch:
    """Measures the share of the machine's CPU that processes other than this one use meanwhile.

    ``share()`` = (CPU seconds of the whole machine − this process's) / (wall seconds × cores)."""

    def __init__(self, machine: Callable[[], float | None] = machine_cpu_seconds,
                 own: Callable[[], float] = time.process_time, cores: int | None = None,
                 clock: Callable[[], float] = time.perf_counter):
        self._machine, self._own, self._clock = machine, own, clock
        self._cores = cores or os.cpu_count() or 1
        self._start = (self._machine(), self._own(), self._clock())

    def share(self) -> float | None:
        machine_start, own_start, wall_start = self._start
        machine_now, wall = self._machine(), self._clock() - wall_start
        if machine_start is None or machine_now is None or wall <= 0:
            return None
        others = (machine_now - machine_start) - (self._own() - own_start)
        return min(1.0, max(0.0, others / (wall * self._cores)))


# ---------- models ----------

def dense_models():
    """The second source's MNIST GAN: one hidden layer of 100 units in each network."""
    import keras
    from keras import layers

    generator = keras.Sequential([
        keras.Input((DENSE_LATENT,)),
        layers.Dense(DENSE_HIDDEN, activation="relu"),
        layers.Dense(DENSE_PIXELS, activation="tanh"),
    ], name="dense_generator")
    discriminator = keras.Sequential([
        keras.Input((DENSE_PIXELS,)),
        layers.Dense(DENSE_HIDDEN),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Dense(1),
    ], name="dense_discriminator")
    return generator, discriminator


def dcgan_models():
    """Notebook 05's DCGAN (the TensorFlow tutorial architecture) for 28x28x1 images."""
    import keras
    from keras import layers

    generator = keras.Sequential([
        keras.Input((DCGAN_LATENT,)),
        layers.Dense(7 * 7 * 256, use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", activation="tanh"),
    ], name="dcgan_generator")
    discriminator = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same"),
        layers.BatchNormalization(),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Dropout(0.3),
        layers.Conv2D(128, 5, strides=2, padding="same"),
        layers.BatchNormalization(),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dense(1),
    ], name="dcgan_discriminator")
    return generator, discriminator


def sample_latent(batch: int, dim: int, distribution: str):
    import tensorflow as tf

    if distribution == "uniform":
        return tf.random.uniform((batch, dim), -1.0, 1.0)
    return tf.random.normal((batch, dim))


def make_step(generator, discriminator, g_opt, d_opt, latent_dim: int, distribution: str):
    """The sources' train step: two tapes, BCE from logits, non-saturating generator loss."""
    import keras
    import tensorflow as tf

    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def step(real):
        z = sample_latent(tf.shape(real)[0], latent_dim, distribution)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(z, training=True)
            real_logits = discriminator(real, training=True)
            fake_logits = discriminator(fake, training=True)
            d_loss = (bce(tf.ones_like(real_logits), real_logits)
                      + bce(tf.zeros_like(fake_logits), fake_logits))
            g_loss = bce(tf.ones_like(fake_logits), fake_logits)
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, generator.trainable_variables),
                                  generator.trainable_variables))
        d_opt.apply_gradients(zip(d_tape.gradient(d_loss, discriminator.trainable_variables),
                                  discriminator.trainable_variables))
        return g_loss, d_loss

    return step


def gan_model_class():
    """The course's pattern: a ``keras.Model`` whose ``train_step`` holds the two tapes."""
    import keras
    import tensorflow as tf

    class BenchGAN(keras.Model):
        def __init__(self, generator, discriminator, latent_dim, distribution, learning_rate=1e-3):
            super().__init__()
            self.generator, self.discriminator = generator, discriminator
            self.latent_dim, self.distribution = latent_dim, distribution
            self.g_opt = keras.optimizers.Adam(learning_rate)
            self.d_opt = keras.optimizers.Adam(learning_rate)
            self.g_opt.build(generator.trainable_variables)
            self.d_opt.build(discriminator.trainable_variables)
            self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
            self.g_tracker = keras.metrics.Mean(name="g_loss")
            self.d_tracker = keras.metrics.Mean(name="d_loss")

        @property
        def metrics(self):
            return [self.g_tracker, self.d_tracker]

        def train_step(self, real):
            z = sample_latent(tf.shape(real)[0], self.latent_dim, self.distribution)
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                fake = self.generator(z, training=True)
                real_logits = self.discriminator(real, training=True)
                fake_logits = self.discriminator(fake, training=True)
                d_loss = (self.bce(tf.ones_like(real_logits), real_logits)
                          + self.bce(tf.zeros_like(fake_logits), fake_logits))
                g_loss = self.bce(tf.ones_like(fake_logits), fake_logits)
            g_vars = self.generator.trainable_variables
            d_vars = self.discriminator.trainable_variables
            self.g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
            self.d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars))
            self.g_tracker.update_state(g_loss)
            self.d_tracker.update_state(d_loss)
            return {m.name: m.result() for m in self.metrics}

    return BenchGAN


# ---------- timing ----------

def calibrate(run_steps: Callable[[int], None], seconds: float, warmup: int = 3,
              multiple: int = 1, timing: list | None = None) -> int:
    """Warm up (tracing excluded), then find a step count whose run takes about ``seconds``.

    ``run_steps(n)`` must run ``n`` training steps and wait for them; ``multiple`` rounds step
    counts (``fit`` with ``steps_per_execution`` runs whole blocks). If ``timing`` is a list, the
    last probe's ``(steps, elapsed seconds)`` is appended to it.
    """
    def rounded(steps):
        return max(multiple, int(steps) // multiple * multiple)

    run_steps(rounded(warmup))
    steps = rounded(1)
    elapsed = _timed(run_steps, steps)
    while elapsed < seconds / 2 and steps < 10**7:  # grow until one call takes a fair time
        steps = rounded(steps * 2)
        elapsed = _timed(run_steps, steps)
    if timing is not None:
        timing.append((steps, elapsed))
    return rounded(max(steps, steps * seconds / max(elapsed, 1e-9)))


def speed_change(before_seconds: float, after_seconds: float, digits: int = 1) -> str:
    """How the second time compares with the first, in words that follow the measurement:
    ``"3.2× faster"`` when it took less time, ``"1.4× slower"`` when it took more."""
    if after_seconds <= before_seconds:
        return f"{before_seconds / after_seconds:.{digits}f}× faster"
    return f"{after_seconds / before_seconds:.{digits}f}× slower"


def _timed(run_steps: Callable[[int], float | None], steps: int) -> float:
    """Seconds of ``run_steps(steps)``: the wall time, or the seconds it returns itself."""
    start = time.perf_counter()
    seconds = run_steps(steps)
    return seconds if seconds is not None else time.perf_counter() - start


def timed_fit(model, data, steps: int, **fit_kwargs) -> float:
    """Run ``model.fit(data, epochs=1, steps_per_epoch=steps)``; return the seconds of training.

    The clock runs from ``on_train_begin`` to ``on_train_end``: iterator set-up, every step and
    the callbacks count; freeing the part-read iterator of an endless pipeline after ``fit``
    returns does not. That clean-up happens once per ``fit`` call, not per epoch, yet it
    stalled for 0.4-10 s here (idle, in multiples of ~5 s), which would dwarf a short timed run.
    """
    import keras

    marks: dict[str, float] = {}

    class Clock(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            marks["begin"] = time.perf_counter()

        def on_train_end(self, logs=None):
            marks["end"] = time.perf_counter()

    callbacks = [*fit_kwargs.pop("callbacks", []), Clock()]
    fit_kwargs.setdefault("verbose", 0)
    model.fit(data, epochs=1, steps_per_epoch=steps, callbacks=callbacks, **fit_kwargs)
    return marks["end"] - marks["begin"]


@dataclass
class _Case:
    name: str
    run: Callable[[int], float | None]  # runs n steps; may return its own timed seconds
    multiple: int = 1
    chunk: int = 0
    rates: list[float] = field(default_factory=list)  # steps per second, one per round
    seconds: float = 0.0
    step_seconds: float = 0.0  # estimated by the calibration


def equal_rounds(cases: list[_Case], per_round: float, min_steps: int = 1) -> None:
    """Give every case a round of about the same duration: the longest whole block, at least.

    A case that must run whole blocks (``fit`` with ``steps_per_execution`` 32 of a DCGAN step
    takes ~20 s) would otherwise be timed over rounds many times longer than the others, and the
    best of several short rounds on a shared machine is an optimistic estimate that a long round
    never gets. ``min_steps``: no case runs fewer steps per round, which lengthens the rounds of a
    slow case (an eager loop) without lengthening everyone else's. Cases without a measured step
    time keep their chunk.
    """
    timed = [case for case in cases if case.step_seconds > 0]
    if not timed:
        return
    target = max(per_round, *(case.multiple * case.step_seconds for case in timed))
    for case in timed:
        steps = int(round(target / case.step_seconds / case.multiple)) * case.multiple
        case.chunk = max(case.multiple, min_steps, steps)


def measure(gan: str, batch: int, cases: list[_Case], seconds: float, rounds: int,
            warmup: Callable[[int], int], verbose: bool, min_steps: int = 1) -> list[Result]:
    """Time every case in ``rounds`` interleaved rounds; report each case's best round.

    Interleaving spreads slow phases of the machine over all cases alike, and the best round
    (as ``timeit`` recommends) is the least disturbed estimate of what the code itself costs.
    """
    per_round = seconds / rounds
    for case in cases:
        timing: list[tuple[int, float]] = []
        case.chunk = calibrate(case.run, per_round, warmup(case.multiple), case.multiple, timing=timing)
        if timing:
            steps, elapsed = timing[-1]
            case.step_seconds = elapsed / steps
    equal_rounds(cases, per_round, min_steps)
    watch = OthersWatch()
    for _ in range(rounds):
        for case in cases:
            elapsed = _timed(case.run, case.chunk)
            case.rates.append(case.chunk / elapsed)
            case.seconds += elapsed
    others = watch.share()
    results = []
    for case in cases:
        best = max(case.rates)
        result = Result(gan, case.name, best * batch, case.chunk * rounds, case.seconds,
                        spread=(max(case.rates) - min(case.rates)) / best,
                        round_rates=[rate * batch for rate in case.rates], others_share=others)
        results.append(result)
        if verbose:
            print(f"  {gan:<6} {case.name:<28} {result.images_per_s:>12,.0f} images/s "
                  f"(rounds differ by {result.spread:.0%})", flush=True)
    return results


def _data(batch: int, shape: tuple[int, ...], batches: int = 64):
    """Synthetic images of the real shape and an endless pipeline of whole batches.

    The images are in memory already, so there is no ``cache()``: a new iterator over a partly
    read cache (``fit`` makes one per call) stalled for up to several seconds when it was freed.
    """
    import tensorflow as tf

    rng = np.random.default_rng(0)
    pixels = rng.uniform(-1, 1, size=(batch * batches, *shape)).astype(np.float32)
    dataset = tf.data.Dataset.from_tensor_slices(pixels).repeat().batch(batch, drop_remainder=True)
    return pixels, dataset.prefetch(tf.data.AUTOTUNE)


def _per_batch_case(models, latent, distribution, dataset, compiled: bool):
    import keras
    import tensorflow as tf

    generator, discriminator = models()
    step = make_step(generator, discriminator, keras.optimizers.Adam(1e-3),
                     keras.optimizers.Adam(1e-3), latent, distribution)
    if compiled:
        step = tf.function(step)
    return _python_loop(step, dataset, wait=lambda losses: float(losses[0]))


def _python_loop(step: Callable, dataset, wait: Callable) -> Callable[[int], None]:
    """``run(steps)``: call ``step`` on the next ``steps`` batches from Python, then ``wait`` on the
    last output (reading a value makes TensorFlow finish the work it queued)."""
    iterator = iter(dataset)

    def run(steps):
        for _ in range(steps):
            output = step(next(iterator))
        wait(output)

    return run


def _fit_case(models, latent, distribution, dataset, spe: int | None):
    from course_utils import training

    generator, discriminator = models()
    model = gan_model_class()(generator, discriminator, latent, distribution)
    options = training.compile_options()
    if spe is not None:
        options["steps_per_execution"] = spe
    model.compile(**options)
    spe_used = options["steps_per_execution"]

    def run(steps):
        return timed_fit(model, dataset, steps, shuffle=False)

    return run, spe_used


def _graph_epoch_case(models, latent, distribution, pixels):
    import tensorflow as tf

    from course_utils.fastloop import make_epoch_function

    generator, discriminator = models()
    model = gan_model_class()(generator, discriminator, latent, distribution)
    run_epoch, batches = make_epoch_function(model, pixels, DENSE_BATCH)
    calls = [0]

    def run(steps):
        for _ in range(max(1, steps // batches)):
            calls[0] += 1
            logs = run_epoch(tf.constant([0, calls[0]], dtype=tf.int32))
        float(logs["g_loss"])  # wait for the last step

    return run, batches


def bench_dense(seconds: float = 6.0, spe_values: tuple[int, ...] = (), rounds: int = 3,
                verbose: bool = True) -> list[Result]:
    """Images/s of the dense GAN's training loops (see the module docstring)."""
    pixels, dataset = _data(DENSE_BATCH, (DENSE_PIXELS,))
    fit_run, spe = _fit_case(dense_models, DENSE_LATENT, "uniform", dataset, None)
    graph_run, batches = _graph_epoch_case(dense_models, DENSE_LATENT, "uniform", pixels)
    cases = [
        _Case("eager GradientTape loop",
              _per_batch_case(dense_models, DENSE_LATENT, "uniform", dataset, compiled=False)),
        _Case("tf.function per batch",
              _per_batch_case(dense_models, DENSE_LATENT, "uniform", dataset, compiled=True)),
        _Case(f"fit (spe={spe})", fit_run, spe),
        _Case("epoch in one graph (course)", graph_run, batches),
    ]
    for value in spe_values:
        if value != spe:
            run, _ = _fit_case(dense_models, DENSE_LATENT, "uniform", dataset, value)
            cases.append(_Case(f"fit (spe={value})", run, value))
    return measure("dense", DENSE_BATCH, cases, seconds, rounds, lambda multiple: 2 * multiple, verbose)


def _train_on_batch_case(dataset, batch):
    """The Keras 2 recipe: compile D, freeze it inside a stacked model, train batch by batch."""
    import keras

    generator, discriminator = dcgan_models()
    discriminator.compile(keras.optimizers.Adam(2e-4, beta_1=0.5),
                          keras.losses.BinaryCrossentropy(from_logits=True))
    ones, zeros = np.ones((batch, 1), np.float32), np.zeros((batch, 1), np.float32)
    first = next(iter(dataset))
    discriminator.train_on_batch(first, ones)  # traced while D is trainable
    discriminator.trainable = False
    z_in = keras.Input((DCGAN_LATENT,))
    gan = keras.Model(z_in, discriminator(generator(z_in)))
    gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5),
                keras.losses.BinaryCrossentropy(from_logits=True))
    iterator = iter(dataset)
    rng = np.random.default_rng(0)

    def run(steps):
        for _ in range(steps):
            real = next(iterator)
            noise = rng.normal(size=(batch, DCGAN_LATENT)).astype(np.float32)
            fake = generator.predict(noise, verbose=0, batch_size=batch)
            discriminator.train_on_batch(real, ones)
            discriminator.train_on_batch(fake, zeros)
            gan.train_on_batch(noise, ones)

    return run


def bench_dcgan(seconds: float = 6.0, batch: int = DCGAN_BATCH, rounds: int = 3,
                verbose: bool = True) -> list[Result]:
    """Images/s of the DCGAN's training loops (see the module docstring)."""
    _, dataset = _data(batch, (28, 28, 1), batches=8)
    fit_run, spe = _fit_case(dcgan_models, DCGAN_LATENT, "normal", dataset, None)
    cases = [
        _Case("tf.function per batch",
              _per_batch_case(dcgan_models, DCGAN_LATENT, "normal", dataset, compiled=True)),
        _Case("train_on_batch + predict", _train_on_batch_case(dataset, batch)),
        _Case(f"fit (course, spe={spe})", fit_run, spe),
    ]
    return measure("dcgan", batch, cases, seconds, rounds, lambda multiple: max(2, multiple), verbose)


def _model_step_case(model, dataset, mode: str):
    """Run ``model.train_step`` per batch from Python: eagerly, as a graph, or as an XLA graph."""
    import tensorflow as tf

    if mode == "eager":
        step = model.train_step
    else:
        step = tf.function(model.train_step, jit_compile=(mode == "xla"))
    return _python_loop(step, dataset, wait=lambda logs: float(next(iter(logs.values()))))


#: The loops :func:`compare_loops` can time, in its order.
LOOPS = ("eager", "tf.function", "tf.function + XLA", "fit, spe=1", "fit, spe=N")


def compare_loops(make_model: Callable, dataset, batch: int, gan: str, spe: int | None = None,
                  seconds: float = 6.0, rounds: int = 5, min_steps: int = 8,
                  verbose: bool = False, loops: tuple[str, ...] = LOOPS) -> list[Result]:
    """Time one model's ``train_step`` five ways (or the ``loops`` named), each on a fresh
    ``make_model()``.

    - ``eager``: the step called per batch from Python, every operation dispatched one by one;
    - ``tf.function``: the same step traced once into a graph, one graph call per batch;
    - ``tf.function + XLA``: the same graph compiled by XLA (``jit_compile=True``);
    - ``fit, spe=1``: Keras ``fit`` with :func:`training.compile_options` but one step per call;
    - ``fit, spe=N``: the same with ``N`` steps inside one graph call (``N`` = ``spe``, by default
      the course's ``steps_per_execution``).

    So XLA and ``steps_per_execution`` are measured separately. ``dataset`` yields batches of
    ``batch`` images forever. The cases run in ``rounds`` interleaved rounds of similar length
    (whole blocks of ``N`` steps, and ``min_steps`` steps of the slowest case, at least); read
    each case's median round
    (:attr:`Result.median_images_per_s`) and see :func:`loop_table`. Each XLA compile (the XLA
    case, and the ``fit`` cases where the device policy switches XLA on) costs seconds to tens of
    seconds before the timing starts, which is why ``loops`` can leave cases out.
    """
    from course_utils import training

    unknown = [name for name in loops if name not in LOOPS]
    if unknown or not loops:
        raise ValueError(f"compare_loops: loops {unknown or '()'} not known; choose from {LOOPS}")
    options = training.compile_options()
    spe = spe or options["steps_per_execution"]
    cases = [_Case(name, _model_step_case(make_model(), dataset, mode))
             for name, mode in (("eager", "eager"), ("tf.function", "graph"), ("tf.function + XLA", "xla"))
             if name in loops]
    for steps, name in ((1, "fit, spe=1"), (spe, "fit, spe=N")):
        if name not in loops:
            continue
        model = make_model()
        model.compile(**{**options, "steps_per_execution": steps})
        cases.append(_Case(f"fit, spe={steps}",
                           lambda n, model=model: timed_fit(model, dataset, n, shuffle=False), steps))
    return measure(gan, batch, cases, seconds, rounds, lambda multiple: max(2, multiple), verbose,
                   min_steps=min_steps)


def loop_table(results: list[Result]) -> str:
    """Median images/s of each case, the range of its rounds, and its speed-up over eager."""
    lines = [f"{'model':<10} {'case':<20} {'median img/s':>13} {'rounds: min – max':>22} "
             f"{'steps timed':>12} {'× eager':>8}"]
    eager: dict[str, float] = {}
    for r in results:
        median = r.median_images_per_s
        if r.case == "eager":
            eager[r.gan] = median
        ratio = median / eager[r.gan] if r.gan in eager else float("nan")
        spread = f"{min(r.round_rates):,.0f} – {max(r.round_rates):,.0f}" if r.round_rates else "–"
        lines.append(f"{r.gan:<10} {r.case:<20} {median:>13,.0f} {spread:>22} {r.steps:>12,} {ratio:>7.1f}x")
    return "\n".join(lines)


def table(results: list[Result]) -> str:
    """A text table with each case's speed relative to the first case of its GAN."""
    lines = [f"{'GAN':<6} {'case':<28} {'images/s':>12} {'steps':>7} {'s':>6} {'spread':>7} {'ratio':>8}"]
    baselines: dict[str, float] = {}
    for r in results:
        baselines.setdefault(r.gan, r.images_per_s)
        ratio = r.images_per_s / baselines[r.gan]
        lines.append(f"{r.gan:<6} {r.case:<28} {r.images_per_s:>12,.0f} {r.steps:>7} "
                     f"{r.seconds:>6.1f} {r.spread:>6.0%} {ratio:>7.2f}x")
    return "\n".join(lines)


def paired_ratios(course: Result, source: Result) -> list[float]:
    """Course over source speed, round by round (the rounds ran back to back, interleaved).

    A round of one case and the same round of the other share the machine's state, so their
    ratio cancels slow phases that the best-round ratio does not; the median of these ratios is
    the more robust estimate, their range says how far one round can be trusted.
    """
    return [c / s for c, s in zip(course.round_rates, source.round_rates)]


def ratios(results: list[Result]) -> dict[str, float]:
    """The goal ratios: course path (fastest course case) over each source loop.

    Best round over best round, and for the DCGAN also the median of the paired round ratios.
    """
    by = {(r.gan, r.case): r.images_per_s for r in results}
    out = {}
    eager = by.get(("dense", "eager GradientTape loop"))
    dense_fits = {c: v for (g, c), v in by.items() if g == "dense" and c.startswith("fit")}
    course = by.get(("dense", "epoch in one graph (course)"))
    if course and eager:
        out["dense: course / eager"] = course / eager
        out["dense: course / tf.function per batch"] = course / by[("dense", "tf.function per batch")]
    if dense_fits and eager:
        best = max(dense_fits, key=dense_fits.get)
        out[f"dense: {best} / eager"] = dense_fits[best] / eager
    dc_fit = next((v for (g, c), v in by.items() if g == "dcgan" and "course" in c), None)
    if dc_fit:
        out["dcgan: fit / tf.function per batch"] = dc_fit / by[("dcgan", "tf.function per batch")]
        out["dcgan: fit / train_on_batch"] = dc_fit / by[("dcgan", "train_on_batch + predict")]
        named = {(r.gan, r.case): r for r in results}
        fit = next(r for r in results if r.gan == "dcgan" and "course" in r.case)
        for label, case in (("tf.function per batch", "tf.function per batch"),
                            ("train_on_batch", "train_on_batch + predict")):
            paired = paired_ratios(fit, named[("dcgan", case)])
            if paired:
                out[f"dcgan: fit / {label}, median of rounds"] = float(np.median(paired))
    return out


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="timed seconds per case, all rounds")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; the best one counts")
    parser.add_argument("--only", choices=["dense", "dcgan"], help="run one GAN only")
    parser.add_argument("--spe", type=int, nargs="*", default=[],
                        help="extra steps_per_execution values to try for the dense GAN's fit")
    parser.add_argument("--dcgan-batch", type=int, default=DCGAN_BATCH)
    args = parser.parse_args(argv)

    import os

    import tensorflow as tf

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU(s), load average {load:.2f}")
    results: list[Result] = []
    if args.only in (None, "dense"):
        results += bench_dense(args.seconds, tuple(args.spe), args.rounds)
    if args.only in (None, "dcgan"):
        results += bench_dcgan(args.seconds, args.dcgan_batch, args.rounds)
    print()
    print(table(results))
    for name, value in ratios(results).items():
        print(f"{name:<52} {value:6.2f}x")
    return results


if __name__ == "__main__":
    main()
