"""Whole epochs inside one graph: the fast path for tiny models whose steps take microseconds.

For a small dense GAN a training step costs less than the work Keras ``fit`` does around it
(iterating a ``tf.data`` pipeline, callbacks, metric reads), even with ``steps_per_execution``.
Measured with ``python -m course_utils.bench``: ``fit`` reached ~33× the eager loop, an epoch in
one graph more. This runs each epoch as one ``tf.function`` that slices batches out of the
in-memory images by a fresh permutation and calls the model's own ``train_step``; Keras callbacks
(progress bar, history, sample grids, monitors) still run between epochs.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def make_epoch_function(model, images: np.ndarray, batch_size: int):
    """A compiled function running one shuffled epoch of ``model.train_step`` on ``images``."""
    data = tf.constant(images)
    batches = len(images) // batch_size  # whole batches only: one traced shape

    shape = (batches, batch_size, *images.shape[1:])

    @tf.function(jit_compile=False, reduce_retracing=True)
    def run_epoch(seed):
        # One gather per epoch into batch-major order; each step then takes a plain slice.
        order = tf.random.experimental.stateless_shuffle(tf.range(len(images)), seed=seed)
        shuffled = tf.reshape(tf.gather(data, order[: batches * batch_size]), shape)
        for index in tf.range(batches):
            model.train_step(shuffled[index])
        return {metric.name: metric.result() for metric in model.metrics}

    return run_epoch, batches


def fit_in_graph(model, images: np.ndarray, epochs: int, batch_size: int, callbacks=(),
                 verbose: int = 1, seed: int = 0) -> keras.callbacks.History:
    """Train ``model`` (with a ``train_step``) for ``epochs`` epochs, each one graph call.

    Returns the Keras ``History``; callbacks get ``on_epoch_end`` with the epoch's metric values.
    """
    run_epoch, batches = make_epoch_function(model, images, batch_size)
    callback_list = keras.callbacks.CallbackList(
        list(callbacks), add_history=True, add_progbar=verbose != 0, model=model,
        verbose=verbose, epochs=epochs, steps=batches)
    model.stop_training = False
    callback_list.on_train_begin()
    for epoch in range(epochs):
        for metric in model.metrics:
            metric.reset_state()
        callback_list.on_epoch_begin(epoch)
        logs = run_epoch(tf.constant([seed, epoch], dtype=tf.int32))
        logs = {name: float(value) for name, value in logs.items()}
        callback_list.on_train_batch_end(batches - 1, logs)
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end()
    return model.history
