"""How fast this machine trains a small convolutional network right now.

Prints ``{"seconds": ...}``: the median time of a few rounds of the same training steps (after the
first, traced, step). With ``--serve`` it then stays running and measures again for every line read
from its standard input (the rehearsal probes between notebooks without importing TensorFlow
each time: 11 of a probe's 20 s on a 2-core CI machine). The rehearsal's time budget holds for an
idle machine of the CI kind; on a slower or busier machine ``tools/rehearse.py`` scales it (up to
2×) by this probe's time, taken before and after the notebook, over the reference time measured on
the idle machine.
"""
import json
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

STEPS_PER_ROUND = 20
ROUNDS = 5


def probe_model() -> keras.Model:
    """A small DCGAN-like discriminator: strided convolutions, LeakyReLU, one logit per class."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(64, 4, strides=2, padding="same"),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Conv2D(128, 4, strides=2, padding="same"),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
    ])


def measure(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> dict:
    """The median of ROUNDS rounds of STEPS_PER_ROUND training steps, and every round."""
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(STEPS_PER_ROUND):
            model.train_on_batch(images, labels)
        rounds.append(time.perf_counter() - start)
    return {"seconds": statistics.median(rounds), "rounds": rounds}


def main(argv: list[str]) -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    images = rng.normal(size=(64, 28, 28, 1)).astype("float32")
    labels = rng.integers(0, 10, size=64)
    model = probe_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-4),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.train_on_batch(images, labels)  # the trace is not part of the probe
    print(json.dumps(measure(model, images, labels)), flush=True)
    if "--serve" in argv:
        for _ in sys.stdin:
            print(json.dumps(measure(model, images, labels)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
