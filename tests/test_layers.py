"""Tests of course_utils.layers.SpectralNorm (the layer built in notebook 08)."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from course_utils.layers import SpectralNorm  # noqa: E402


def _conv_layer(seed=0):
    keras.utils.set_random_seed(seed)
    layer = SpectralNorm(keras.layers.Conv2D(8, 3, strides=2, padding="same"))
    layer.build((None, 10, 10, 4))
    return layer


def test_sigma_matches_svd_after_power_iterations():
    layer = _conv_layer()
    x = tf.random.normal((2, 10, 10, 4))
    for _ in range(100):
        layer(x, training=True)
    kernel = layer.layer.kernel.numpy()
    exact = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
    sigma, _ = layer.sigma_and_u()
    assert abs(float(sigma) - exact) < 1e-3 * exact


def test_kernel_unchanged_by_call():
    layer = _conv_layer()
    before = layer.layer.kernel.numpy().copy()
    x = tf.random.normal((2, 10, 10, 4))
    for _ in range(5):
        layer(x, training=True)
    np.testing.assert_array_equal(layer.layer.kernel.numpy(), before)


def test_u_changes_only_in_training():
    layer = _conv_layer()
    x = tf.random.normal((2, 10, 10, 4))
    u0 = layer.u.numpy().copy()
    layer(x, training=False)
    layer(x)
    np.testing.assert_array_equal(layer.u.numpy(), u0)
    layer(x, training=True)
    assert not np.allclose(layer.u.numpy(), u0)


def test_output_uses_normalised_kernel():
    keras.utils.set_random_seed(1)
    layer = SpectralNorm(keras.layers.Dense(5, use_bias=False))
    x = tf.random.normal((3, 7))
    layer(x, training=True)
    sigma, _ = layer.sigma_and_u()
    expected = x.numpy() @ (layer.layer.kernel.numpy() / float(sigma))
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_gradient_flows_through_sigma():
    # W / σ(W) is scale invariant, so with σ differentiated the gradient is orthogonal to W;
    # treating σ as a constant would give <grad, W> = loss-dependent, clearly non-zero.
    keras.utils.set_random_seed(2)
    layer = SpectralNorm(keras.layers.Dense(6, use_bias=False))
    x = tf.random.normal((16, 9))
    for _ in range(20):
        layer(x, training=True)
    kernel = layer.layer.kernel
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(layer(x) - 1.0))
    grad = tape.gradient(loss, kernel)
    assert grad is not None
    sigma, _ = layer.sigma_and_u()
    with tf.GradientTape() as tape:
        const_sigma = tf.stop_gradient(sigma)
        loss_const = tf.reduce_sum(tf.square(tf.matmul(x, kernel / const_sigma) - 1.0))
    grad_const = tape.gradient(loss_const, kernel)
    inner = abs(float(tf.reduce_sum(grad * kernel)))
    inner_const = abs(float(tf.reduce_sum(grad_const * kernel)))
    assert inner < 1e-4 * max(1.0, inner_const)
    assert inner_const > 1e-2
    assert not np.allclose(grad.numpy(), grad_const.numpy())


def test_rejects_other_layers():
    with pytest.raises(TypeError):
        SpectralNorm(keras.layers.BatchNormalization())
