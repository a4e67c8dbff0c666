"""One Colab "runtime" of the reset rehearsal: train a small model with ``fit_resumable`` on Drive.

    python resume_probe.py --epochs 4 --die-after 2   # runtime 1: "resets" during epoch 3
    python resume_probe.py --epochs 4                 # runtime 2, a fresh machine: must continue

Runs with the course installed, ``google.colab`` importable and the working folder being the
runtime's own ``/content``. ``setup(drive=True)`` puts checkpoints on the (rehearsal) Drive; the
last line printed is a JSON record: the epochs this runtime trained (1-based) and where the run lives.
"""

from __future__ import annotations

import argparse
import json
import os


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--die-after", type=int, default=0,
                        help="end the process during the epoch after this one")
    args = parser.parse_args()

    import google.colab  # noqa: F401  (Colab imports it before any cell runs)

    import course_utils

    info = course_utils.setup(drive=True, quiet=True)
    import keras
    import numpy as np
    import tensorflow as tf

    from course_utils import training

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x @ rng.normal(size=(8, 1))).astype("float32")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    trained: list[int] = []

    class Record(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if args.die_after and epoch == args.die_after:  # the reset strikes during the next epoch
                print(json.dumps({"trained": trained, "storage": info.storage, "died": True}), flush=True)
                os._exit(3)  # the runtime is gone: no clean-up, no final save
            trained.append(epoch + 1)

    folder = course_utils.artefact_dir("resume_probe") / "checkpoints"
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    history = training.fit_resumable(model, data, args.epochs, folder, callbacks=[Record()], verbose=0,
                                     settings={"epochs": args.epochs})
    print(json.dumps({"trained": trained, "storage": info.storage, "died": False,
                      "history_epochs": len(history.get("loss", []))}))


if __name__ == "__main__":
    main()
