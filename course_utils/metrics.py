"""Sample-quality numbers the notebooks assert on.

Images are judged by the penultimate-layer features of a small convolutional network trained on
the *real* dataset (trained once, cached under ``data/classifiers/``). Labelled sets (MNIST,
Fashion-MNIST, CIFAR-10) use a class classifier; unlabelled sets (emoji, image folders) use a
rotation classifier (predict 0°, 90°, 180° or 270°), which still learns shape features.
On these features: Fréchet distance (FD, the FID formula), kernel inception distance (KID) and a
classifier score (the inception-score formula). For 2-D toys: modes covered, high-quality share.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from course_utils.config import data_dir, fast_or
from course_utils.data.arrays import TANH_RANGE, ImageData, ValueRange, to_range

FEATURE_LAYER = "features"
FEATURE_NET_VERSION = 4  # 4: trained from a fixed seed
FEATURE_NET_SEED = 20_240
# Below these, the features say little (chance: 0.1 for ten classes, 0.25 for rotations; many
# emoji look the same turned, so rotation accuracy stays well under 1 even when features are good).
MIN_TEST_ACCURACY = {"classes": 0.5, "rotation": 0.4}
OUTPUT_CACHE_SIZE = 8  # image sets whose network outputs a meter remembers


# ---------- distances between feature sets (NumPy only, unit-tested) ----------

def _sqrtm_trace(cov_a: np.ndarray, cov_b: np.ndarray) -> float:
    """Tr sqrt(A B) for symmetric PSD A, B, via sqrt(A) B sqrt(A) (symmetric, so eigh is stable)."""
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = root_a @ cov_b @ root_a
    return float(np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None))))


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^½) between two feature sets (rows are samples)."""
    a = np.asarray(features_a, dtype=np.float64)
    b = np.asarray(features_b, dtype=np.float64)
    mean_gap = float(np.sum((a.mean(0) - b.mean(0)) ** 2))
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    return max(0.0, mean_gap + float(np.trace(cov_a) + np.trace(cov_b)) - 2 * _sqrtm_trace(cov_a, cov_b))


def kernel_distance(features_a: np.ndarray, features_b: np.ndarray, subsets: int = 10,
                    subset_size: int = 500, seed: int = 0) -> float:
    """KID: unbiased MMD² with the kernel (x·y / d + 1)³, averaged over random subsets."""
    rng = np.random.default_rng(seed)
    a = np.asarray(features_a, dtype=np.float64)
    b = np.asarray(features_b, dtype=np.float64)
    size = min(subset_size, len(a), len(b))
    dim = a.shape[1]
    total = 0.0
    for _ in range(subsets):
        x = a[rng.choice(len(a), size, replace=False)]
        y = b[rng.choice(len(b), size, replace=False)]
        k_xx = (x @ x.T / dim + 1) ** 3
        k_yy = (y @ y.T / dim + 1) ** 3
        k_xy = (x @ y.T / dim + 1) ** 3
        off = size * (size - 1)
        total += ((k_xx.sum() - np.trace(k_xx)) / off + (k_yy.sum() - np.trace(k_yy)) / off
                  - 2 * k_xy.mean())
    return float(total / subsets)


def classifier_score_from_probs(probs: np.ndarray) -> float:
    """exp(E_x KL(p(y|x) ‖ p(y))): high when samples are confidently classified and diverse."""
    probs = np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0)
    marginal = probs.mean(axis=0, keepdims=True)
    return float(np.exp(np.mean(np.sum(probs * (np.log(probs) - np.log(marginal)), axis=1))))


# ---------- 2-D toys ----------

def ring_metrics(samples: np.ndarray, centres: np.ndarray, std: float,
                 min_fraction: float = 0.01) -> dict:
    """Modes covered and share of high-quality samples for a mixture of Gaussians.

    A sample is high quality when it lies within 3σ of its nearest centre. Two rules for a covered
    mode: the course's ``modes_covered`` needs at least ``min_fraction`` of all samples to be
    high-quality samples of that mode; ``modes_any`` (the rule of the VEEGAN paper, Srivastava et
    al. 2017, behind its published table) needs only one.

    Collapse is measured apart from quality: ``nearest_shares`` is each mode's share of *all*
    samples, each counted at its nearest centre however far away, and ``largest_share`` the
    biggest of them (1 / number of modes for samples spread like the data, 1.0 when every sample
    lies nearer one mode than any other).
    """
    samples = np.asarray(samples, dtype=np.float64)
    distances = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=2)
    nearest = distances.argmin(axis=1)
    good = distances.min(axis=1) <= 3 * std
    counts = np.bincount(nearest[good], minlength=len(centres))
    covered = int(np.sum(counts >= max(1, min_fraction * len(samples))))
    shares = np.bincount(nearest, minlength=len(centres)) / len(samples)
    return {"modes_covered": covered, "modes_any": int(np.sum(counts >= 1)),
            "high_quality": float(good.mean()), "per_mode": counts.tolist(),
            "nearest_shares": shares.tolist(), "largest_share": float(shares.max())}


def sparsity(arrays) -> float:
    """Fraction of exactly-zero entries over a list of arrays (or one array)."""
    if isinstance(arrays, np.ndarray):
        arrays = [arrays]
    zeros = sum(int(np.sum(np.asarray(a) == 0)) for a in arrays)
    total = sum(int(np.asarray(a).size) for a in arrays)
    return zeros / total


# ---------- the feature network ----------

def _build_classifier(image_shape: tuple[int, ...], classes: int):
    import keras
    from keras import layers

    inputs = keras.Input(image_shape)
    x = inputs
    for filters in (32, 64, 128):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
        # momentum 0.9, not Keras's 0.99: with the few hundred steps of fast mode the running
        # statistics must settle, or inference-mode features are garbage.
        x = layers.BatchNormalization(momentum=0.9)(x)
    x = layers.GlobalAveragePooling2D()(x)
    features = layers.Dense(128, activation="relu", name=FEATURE_LAYER)(x)
    outputs = layers.Dense(classes, activation="softmax", name="probabilities")(features)
    return keras.Model(inputs, outputs, name="feature_classifier")


def _rotations(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every image in all four orientations, labelled 0-3 (quarter turns)."""
    turned = np.concatenate([np.rot90(images, k, axes=(1, 2)) for k in range(4)])
    return turned, np.repeat(np.arange(4), len(images))


def _turned_batches(images: np.ndarray, batch_size: int, seed: int = 0):
    """A tf.data pipeline of uint8 ``images``, each turned by a random quarter turn drawn afresh
    every epoch and scaled to [0, 1] batch by batch: a quarter of the steps per epoch of all four
    orientations, and no float copy of the whole set in memory."""
    import tensorflow as tf

    def turn(image, pair):
        k = tf.random.stateless_uniform((), seed=pair, minval=0, maxval=4, dtype=tf.int32)
        return tf.image.rot90(tf.cast(image, tf.float32) / 255.0, k), k

    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    return (tf.data.Dataset.zip(tf.data.Dataset.from_tensor_slices(images), seeds)
            .shuffle(min(len(images), 10_000), seed=seed)
            .map(turn, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(batch_size).prefetch(tf.data.AUTOTUNE))


@dataclass
class FeatureNet:
    """The trained feature network of one dataset and how it was judged."""

    model: object
    task: str  # "classes" or "rotation"
    test_accuracy: float


# The rotation task streams uint8 images, so its cap bounds time, not memory: a folder of 63k
# 64×64 images trains on 20k of them (fast mode: 6k) and is tested on up to 1,000 held-out ones.
FEATURE_TRAIN_CAP = 20_000
FEATURE_TEST_CAP = 1_000


def feature_net(data: ImageData, verbose: bool = True) -> FeatureNet:
    """Train (or load from ``data/classifiers``) the feature network of ``data``."""
    labelled = data.class_names != ()
    task = "classes" if labelled else "rotation"
    # Rotation: one random quarter turn per image per epoch, batches of 64. Fast mode's 12 epochs
    # are about 470 steps on the emoji: rotation accuracy 0.47 in 53 s on 2 CPU cores, where all
    # four turns of every image for 6 epochs took 100 s.
    epochs = fast_or(5, 2) if labelled else fast_or(24, 12)
    limit = fast_or(None, 6000) if labelled else fast_or(FEATURE_TRAIN_CAP, 6000)
    train_x = data.x_train[:limit]
    name = data.name.split(" ")[0]
    tag = (f"{name}-{len(data.x_train)}-{data.image_shape[0]}px-{task}-e{epochs}-n{len(train_x)}"
           f"-v{FEATURE_NET_VERSION}")
    path = data_dir() / "classifiers" / f"{tag}.keras"
    if labelled:
        test_x, test_y = data.x_test, data.y_test
    else:
        test_x, test_y = _rotations(data.x_test[:FEATURE_TEST_CAP])
    test_x = to_range(test_x, (0.0, 1.0))
    # A seed of its own: every run measures with the same network, trained now or cached.
    with _own_random_streams(FEATURE_NET_SEED):
        train_y = data.y_train[:limit] if labelled else None
        model, source = _load_or_train(path, data.image_shape, train_x, train_y, epochs, verbose)
    _, accuracy = model.evaluate(test_x, test_y, batch_size=512, verbose=0)
    if verbose:
        print(f"Feature network for {data.name} ({task}, {source}): test accuracy {accuracy:.3f}")
    if accuracy < MIN_TEST_ACCURACY[task]:
        raise RuntimeError(
            f"The feature network of {data.name} reached only {accuracy:.2f} test accuracy, so "
            f"quality numbers measured with it would mean little. Fix: delete {path} and run again.")
    return FeatureNet(model, task, float(accuracy))


@contextmanager
def _own_random_streams(seed: int):
    """Run the block from ``seed``; afterwards Python, NumPy and TensorFlow continue from a number
    drawn before it, so the caller's later draws do not depend on what the block did (for the
    meter: whether it was trained now or loaded from the cache)."""
    import keras

    follow_on = int(np.random.randint(2**31 - 1))
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        keras.utils.set_random_seed(follow_on)


def _load_or_train(path, image_shape, train_x, train_y, epochs: int, verbose: bool):
    """The cached feature network at ``path``, or one trained now and saved there: a class
    classifier on ``train_x`` and ``train_y``, or (``train_y`` None) a quarter-turn classifier."""
    import keras

    from course_utils.training import float32_layers

    labelled = train_y is not None
    task = "classes" if labelled else "rotation"
    # The meter is the same float32 network whatever precision the notebook trains in, so a
    # measurement never depends on it and a cached network serves every run.
    if path.is_file():
        with float32_layers():
            return keras.models.load_model(path), f"cached {path.name}"
    with float32_layers():
        model = _build_classifier(image_shape, 10 if labelled else 4)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    if verbose:
        print(f"Training the {task} feature network on {len(train_x):,} real images "
              f"({epochs} epochs); cached afterwards in {path.parent} …")
    if labelled:
        model.fit(to_range(train_x, (0.0, 1.0)), train_y, epochs=epochs, batch_size=128,
                  shuffle=True, verbose=0)
    else:
        model.fit(_turned_batches(train_x, 64), epochs=epochs, shuffle=False, verbose=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Saved under a temporary name, then renamed: a run that loads the cache at the same time
    # (two test workers) or an interrupted save never sees half a file.
    partial = path.with_name(f".{path.stem}.{os.getpid()}.keras")
    model.save(partial)
    os.replace(partial, path)
    return model, "trained now"


class QualityMeter:
    """Measures generated images against a real dataset on one feature network.

    ``meter = QualityMeter(course_utils.data.load("fashion_mnist"))`` then
    ``meter.fd(images)``, ``meter.kid(images)``, ``meter.score(images)`` or ``meter.report(images)``
    with images in ``value_range`` (default [-1, 1]). Lower FD/KID is better.
    """

    def __init__(self, data: ImageData, value_range: ValueRange = TANH_RANGE,
                 n_real: int | None = None, verbose: bool = True):
        import keras

        self.data = data
        self.value_range = value_range
        self.net = feature_net(data, verbose)
        self._features = keras.Model(self.net.model.input,
                                     self.net.model.get_layer(FEATURE_LAYER).output)
        n_real = n_real or fast_or(2000, 1000)
        real = data.x_test[:n_real] if len(data.x_test) >= n_real else data.x_train[:n_real]
        self.real_features = self._features.predict(to_range(real, (0.0, 1.0)), batch_size=512,
                                                    verbose=0)
        self._real = real  # uint8, a slice of the dataset: the learning check's real statistics
        labels = data.y_test if len(data.x_test) >= n_real else data.y_train
        self._real_labels = None if labels is None else np.asarray(labels[:n_real], dtype=np.int64)
        self._outputs: OrderedDict[tuple, np.ndarray] = OrderedDict()  # recent network outputs

    def _prepare(self, images) -> np.ndarray:
        import tensorflow as tf

        images = np.asarray(images, dtype=np.float32)
        if images.ndim == 3:
            images = images[..., None]
        low, high = self.value_range
        unit = np.clip((images - low) / (high - low), 0.0, 1.0)
        height, width, channels = self.data.image_shape
        if unit.shape[1:3] != (height, width):
            unit = tf.image.resize(unit, (height, width)).numpy()
        if unit.shape[-1] != channels:
            raise ValueError(f"Images have {unit.shape[-1]} channel(s); {self.data.name} has {channels}.")
        return unit

    def _cached(self, kind: str, images, compute) -> np.ndarray:
        """``compute(prepared images)``, remembered for the last few image sets: a notebook that
        reports FD, KID and the learning check on the same samples runs the network once."""
        array = np.ascontiguousarray(images)
        key = (kind, array.shape, str(array.dtype), hashlib.blake2b(array.tobytes(), digest_size=16).digest())
        if key not in self._outputs:
            self._outputs[key] = compute(self._prepare(array))
            while len(self._outputs) > OUTPUT_CACHE_SIZE:
                self._outputs.popitem(last=False)
        self._outputs.move_to_end(key)
        return self._outputs[key]

    def features(self, images) -> np.ndarray:
        """Penultimate-layer features of images given in ``value_range``."""
        return self._cached("features", images,
                            lambda unit: self._features.predict(unit, batch_size=512, verbose=0))

    def probabilities(self, images) -> np.ndarray:
        """The meter network's output (class or rotation probabilities) for images in ``value_range``."""
        return self._cached("probabilities", images,
                            lambda unit: self.net.model.predict(unit, batch_size=512, verbose=0))

    def fd(self, images) -> float:
        """Fréchet distance to the real test images (lower is better)."""
        return frechet_distance(self.features(images), self.real_features)

    def kid(self, images) -> float:
        """Kernel distance to the real test images (lower is better)."""
        return kernel_distance(self.features(images), self.real_features)

    def score(self, images) -> float:
        """Classifier score (higher is better; at most the number of classes)."""
        return classifier_score_from_probs(self.probabilities(images))

    @property
    def labelled(self) -> bool:
        """True when the meter's network classifies the dataset's classes (not rotations)."""
        return self.net.task == "classes"

    @property
    def bin_names(self) -> list[str]:
        """What each coverage bin is: the class names, or "cluster 0" … for unlabelled data."""
        if self.labelled and self.data.class_names:
            return list(self.data.class_names)
        return [f"cluster {index}" for index in range(COVERAGE_BINS)]

    @cached_property
    def _centres(self) -> np.ndarray:
        """k-means centres of the real features: the coverage bins of unlabelled data."""
        return kmeans(self.real_features, COVERAGE_BINS)

    @cached_property
    def _real_bins(self) -> np.ndarray:
        """Coverage bin of each of the meter's real images (predicted once, shared below)."""
        return self._bins_of_unit(to_range(self._real, (0.0, 1.0)), self.real_features)

    @cached_property
    def real_shares(self) -> np.ndarray:
        """Share of the meter's real images in each coverage bin (measured once, when needed)."""
        return self._shares_of_bins(self._real_bins)

    @cached_property
    def confusion(self) -> np.ndarray:
        """C[i, j]: the share of the meter's real images of class i that its classifier calls j.

        Measured once on the meter's labelled real images (for labelled data only). The classifier
        mixes up similar classes (shirts, pullovers and coats), so the shares it reports for any
        set of images are the true shares passed through C: a generator that never draws a
        pullover still gets some images called pullovers. :meth:`class_shares` undoes that.
        """
        if not self.labelled or self._real_labels is None:
            raise ValueError(f"{self.data.name}: the meter has no labelled classes, so no confusion matrix")
        classes = len(self.bin_names)
        counts = np.zeros((classes, classes))
        np.add.at(counts, (self._real_labels, self._real_bins), 1)
        return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)

    @cached_property
    def real_class_shares(self) -> np.ndarray:
        """Each class's share of the meter's real images, from their labels."""
        return np.bincount(self._real_labels, minlength=len(self.bin_names)) / len(self._real_labels)

    def class_shares(self, images) -> np.ndarray:
        """Each class's estimated share of the images, with the classifier's confusion removed.

        The classifier's shares q are C^T p for the images' true shares p (the images of a class
        are called as the real images of that class are): p solves that system, negative values
        (a class the images lack, estimated below 0 by chance) are set to 0, and p is rescaled
        to sum to 1 (Lipton et al. 2018, black-box shift estimation). On real held-out images it
        gives back their class shares; a class that is missing comes out near 0.
        """
        observed = self._shares_of_bins(self.probabilities(images).argmax(axis=1))
        try:
            estimate = np.linalg.solve(self.confusion.T, observed)
        except np.linalg.LinAlgError:  # a class the classifier never predicts: least squares
            estimate = np.linalg.lstsq(self.confusion.T, observed, rcond=None)[0]
        estimate = np.clip(estimate, 0.0, None)
        return estimate / estimate.sum() if estimate.sum() > 0 else observed

    @cached_property
    def real_roughness(self) -> float:
        """:func:`roughness` of the meter's real images, in [0, 1]."""
        return roughness(to_range(self._real, (0.0, 1.0)))

    def _bins_of_unit(self, unit: np.ndarray, features: np.ndarray | None = None) -> np.ndarray:
        """Coverage bins of images already in [0, 1] at the meter's size (features if known)."""
        if self.labelled:
            return self.net.model.predict(unit, batch_size=512, verbose=0).argmax(axis=1)
        if features is None:
            features = self._features.predict(unit, batch_size=512, verbose=0)
        distances = ((features[:, None, :] - self._centres[None, :, :]) ** 2).sum(axis=2)
        return distances.argmin(axis=1)

    def _shares_of_bins(self, bins: np.ndarray) -> np.ndarray:
        """Share of each coverage bin among ``bins`` (sums to 1; zeros for no images)."""
        counts = np.bincount(bins, minlength=len(self.bin_names))
        return counts / max(1, counts.sum())

    def bins(self, images) -> np.ndarray:
        """Coverage bin of each image: its predicted class, or its nearest real-feature cluster.

        Unlabelled data has no classes, so the real images' features are split into
        ``COVERAGE_BINS`` k-means clusters and a sample counts for the cluster nearest to it.
        """
        return self._bins_of_unit(self._prepare(images))

    def shares(self, images) -> np.ndarray:
        """Share of the images in each coverage bin (sums to 1)."""
        return self._shares_of_bins(self.bins(images))

    def report(self, images) -> dict:
        """FD, KID and (for class classifiers) the classifier score, in one dict."""
        values = {"fd": self.fd(images), "kid": self.kid(images)}
        if self.net.task == "classes":
            values["classifier_score"] = self.score(images)
        return values


# ---------- the learning check every generative notebook ends with ----------

COVERAGE_BINS = 10


def kmeans(points: np.ndarray, k: int, seed: int = 0, iterations: int = 50) -> np.ndarray:
    """Centres of ``k`` clusters of ``points`` (Lloyd's algorithm, k-means++ start, NumPy only)."""
    points = np.asarray(points, dtype=np.float64)
    rng = np.random.default_rng(seed)
    centres = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        gaps = np.min(((points[:, None, :] - np.array(centres)[None]) ** 2).sum(axis=2), axis=1)
        centres.append(points[rng.choice(len(points), p=gaps / gaps.sum())])
    centres = np.array(centres)
    for _ in range(iterations):
        nearest = ((points[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
        moved = np.array([points[nearest == j].mean(axis=0) if np.any(nearest == j) else centres[j]
                          for j in range(k)])
        if np.allclose(moved, centres):
            break
        centres = moved
    return centres


@dataclass(frozen=True)
class CheckBounds:
    """The bounds of :func:`learning_check`; ``CheckBounds.for_mode()`` picks fast or full.

    - ``fd_ratio``: FD of the samples over FD of the untrained model, at most this.
    - ``share_floor`` / ``share_ceiling``: every coverage bin's share of the samples, divided by
      its share of real images, at least / at most these (a one-class generator has a ratio of
      0 for nine classes and up to about 10 for one).
    - ``roughness``: the samples' mean neighbouring-pixel difference over the real images', at
      most this: pixel noise that the feature net shrugs off (it is trained on clean images)
      doubles it.
    - ``baseline_ratio``: FD of the samples over FD of the fitted baseline, at most this.
    - ``only_fd_required``: fast mode. A minute or two of training on two CPU cores leaves GAN
      samples that a one-class generator matches on every part (measured: notebook 05 after 384
      steps draws 100 % trousers), so fast mode requires only the FD row and shows the others
      as what full-mode training must reach.
    """

    fd_ratio: float
    share_floor: float
    share_ceiling: float
    roughness: float
    baseline_ratio: float
    only_fd_required: bool = False

    @classmethod
    def for_mode(cls, fast_fd_ratio: float = 0.6, **overrides) -> CheckBounds:
        """The measured bounds of the current mode (see the test suite), with any overrides.

        ``fast_fd_ratio``: the FD bound of fast mode, which a notebook sets from its own fast
        runs (the FD of a minute of training varies with the model and the device policy).
        """
        values = dict(fd_ratio=0.35, share_floor=0.3, share_ceiling=2.5, roughness=1.5,
                      baseline_ratio=0.5)
        values.update(fast_or({}, dict(fd_ratio=fast_fd_ratio, only_fd_required=True)))
        values.update(overrides)
        return cls(**values)


def roughness(images) -> float:
    """Mean absolute difference between neighbouring pixels (rows and columns), any value range."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 3:
        images = images[..., None]
    return float(np.abs(np.diff(images, axis=1)).mean() + np.abs(np.diff(images, axis=2)).mean())


@dataclass
class CheckRow:
    """One part of a learning check: what was measured, its bound, and whether it held."""

    part: str
    value: float
    bound: str
    passed: bool
    required: bool = True
    detail: str = ""


@dataclass
class LearningCheck:
    """The outcome of :func:`learning_check`: its rows and the raw numbers behind them."""

    name: str
    rows: list[CheckRow]
    numbers: dict = field(default_factory=dict)
    fast: bool = False  # only the rows marked required count (fast mode: the FD row)

    @property
    def passed(self) -> bool:
        """True when every required row held."""
        return all(row.passed for row in self.rows if row.required)

    def table(self) -> str:
        """The check as a text table: part, measured value, bound, result."""
        lines = [f"Learning check of the {self.name}:",
                 f"  {'part':<34} {'measured':>9}  {'bound':<12} result"]
        for row in self.rows:
            result = ("pass" if row.passed else "FAIL") if row.required else (
                "(info: " + ("would pass" if row.passed else "not reached") + ")")
            lines.append(f"  {row.part:<34} {row.value:>9.3g}  {row.bound:<12} {result}"
                         + (f"   {row.detail}" if row.detail else ""))
        lines.append(f"  => {'PASSED' if self.passed else 'FAILED'}")
        if self.fast:
            lines.append("  (fast mode requires only the first row: the others show what full-mode "
                         "training must reach)")
        return "\n".join(lines)

    def assert_passed(self) -> None:
        """Raise ``AssertionError`` with the table when a required part failed."""
        assert self.passed, "The model did not pass its learning check:\n" + self.table()


def learning_check(meter: QualityMeter, samples, untrained, baseline=None,
                   bounds: CheckBounds | None = None, name: str = "model",
                   class_baseline=None) -> LearningCheck:
    """Judge generated ``samples`` on the meter: has the model learned the data?

    ``untrained``: samples of the same model before training (the floor it must rise above).
    ``baseline``: samples of a cheap model fitted to the training images in the same run (for
    example ``baselines.PCAGaussian``), which a trained model should beat by a margin.
    ``class_baseline``: optional samples of a class-conditional cheap model, shown for scale in a
    row that is never required (does the model beat a Gaussian that is told each image's class?).
    Parts: FD against the untrained model; coverage of the classes (each class's share estimated
    with the classifier's confusion removed, :meth:`QualityMeter.class_shares`; for unlabelled
    data, clusters of the real images' features) — no bin below a floor, none above a ceiling,
    relative to the real share; FD against the baseline; FD against ``class_baseline``, shown
    only. Returns a :class:`LearningCheck`;
    print its ``table()`` and call ``assert_passed()``.
    """
    bounds = bounds or CheckBounds.for_mode()
    full = not bounds.only_fd_required
    unit = meter._prepare(samples)
    features = meter.features(samples)  # the meter remembers them if the notebook measured these
    fd = frechet_distance(features, meter.real_features)
    fd_untrained = meter.fd(untrained)
    if meter.labelled:
        # the classifier's confusion removed: a class the samples lack counts as (about) 0
        shares, real_shares = meter.class_shares(samples), meter.real_class_shares
        est = " (estimated)"
    else:
        bins = meter._bins_of_unit(unit, features)
        shares = np.bincount(bins, minlength=len(meter.bin_names)) / max(1, len(bins))
        real_shares, est = meter.real_shares, ""
    relative = shares / np.maximum(real_shares, 1e-9)
    names = meter.bin_names
    low, high = int(relative.argmin()), int(relative.argmax())
    kind = "class" if meter.labelled else "cluster"
    rows = [
        CheckRow("FD / FD of the untrained model", fd / fd_untrained, f"<= {bounds.fd_ratio:g}",
                 fd / fd_untrained <= bounds.fd_ratio, detail=f"FD {fd:.3g} vs {fd_untrained:.3g}"),
        CheckRow(f"rarest {kind}: share / real share", float(relative[low]),
                 f">= {bounds.share_floor:g}", relative[low] >= bounds.share_floor, required=full,
                 detail=f"{names[low]}: {shares[low]:.1%} of samples{est} vs {real_shares[low]:.1%}"),
        CheckRow(f"commonest {kind}: share / real share", float(relative[high]),
                 f"<= {bounds.share_ceiling:g}", relative[high] <= bounds.share_ceiling, required=full,
                 detail=f"{names[high]}: {shares[high]:.1%} of samples{est} vs {real_shares[high]:.1%}"),
    ]
    rough = roughness(unit) / meter.real_roughness
    rows.append(CheckRow("roughness / real roughness", rough, f"<= {bounds.roughness:g}",
                         rough <= bounds.roughness, required=full, detail="pixel noise raises it"))
    numbers = {"fd": fd, "fd_untrained": fd_untrained, "class_shares": shares.tolist(),
               "roughness_ratio": rough}
    if baseline is not None:
        fd_baseline = meter.fd(baseline)
        ratio = fd / fd_baseline
        rows.append(CheckRow("FD / FD of the fitted baseline", ratio, f"<= {bounds.baseline_ratio:g}",
                             ratio <= bounds.baseline_ratio, required=full,
                             detail=f"FD {fd:.3g} vs {fd_baseline:.3g}"))
        numbers["fd_baseline"] = fd_baseline
    if class_baseline is not None:
        fd_class = meter.fd(class_baseline)
        rows.append(CheckRow("FD / FD of a per-class baseline", fd / fd_class, "<= 1", fd <= fd_class,
                             required=False, detail=f"FD {fd:.3g} vs {fd_class:.3g}; for scale"))
        numbers["fd_class_baseline"] = fd_class
    return LearningCheck(name, rows, numbers, fast=not full)


def elbo_check(test_elbo: float, baseline_nll: float, untrained_elbo: float,
               margin: float | None = None) -> LearningCheck:
    """A VAE's learning check on likelihood: its test ELBO against two floors, in nats per image.

    ``baseline_nll`` is ``baselines.pixel_mean_bernoulli_nll`` on the same split: a model that
    knows only how often each pixel is on. The ELBO must beat minus that by ``margin`` nats
    (default: :data:`ELBO_MARGIN` of the current mode), and it must beat the untrained VAE.
    """
    margin = fast_or(*ELBO_MARGIN) if margin is None else margin
    gain = test_elbo - (-baseline_nll)
    rows = [
        CheckRow("ELBO - untrained ELBO (nats)", test_elbo - untrained_elbo, "> 0",
                 test_elbo > untrained_elbo, detail=f"{test_elbo:.1f} vs {untrained_elbo:.1f}"),
        CheckRow("ELBO - pixel-mean Bernoulli (nats)", gain, f">= {margin:g}", gain >= margin,
                 detail=f"{test_elbo:.1f} vs {-baseline_nll:.1f}"),
    ]
    return LearningCheck("VAE (likelihood)", rows, {
        "test_elbo": test_elbo, "baseline_log_likelihood": -baseline_nll,
        "untrained_elbo": untrained_elbo})


# (full, fast): nats per image by which a VAE's ELBO must beat the pixel-mean Bernoulli model.
ELBO_MARGIN = (50.0, 15.0)
