"""Tests of course_utils.layers.SpectralNorm (the layer built in notebook 08)."""

import ast
import json
from pathlib import Path

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
    assert int(layer.u_updates.numpy()) == 0
    layer(x, training=True)
    assert not np.allclose(layer.u.numpy(), u0)
    assert int(layer.u_updates.numpy()) == 1


def test_u_updates_counts_training_calls_inside_a_compiled_function():
    layer = _conv_layer()
    x = tf.random.normal((2, 10, 10, 4))

    @tf.function(jit_compile=True)
    def two_training_calls_one_inference(inputs):
        layer(inputs, training=True)
        layer(inputs, training=False)
        return layer(inputs, training=True)

    for _ in range(3):
        two_training_calls_one_inference(x)
    assert int(layer.u_updates.numpy()) == 6


def _definitions(source: str) -> dict:
    """AST dumps of the top-level functions and classes, without docstrings and decorators."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            node.decorator_list = []
            for inner in ast.walk(node):
                body = getattr(inner, "body", None)
                if (isinstance(inner, ast.FunctionDef | ast.ClassDef) and body
                        and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                        and isinstance(body[0].value.value, str)):
                    inner.body = body[1:] or [ast.Pass()]
            found[node.name] = ast.dump(node)
    return found


def test_notebook_shows_the_package_class():
    """Notebook 08 writes the layer out for the lesson; it must be the package's code."""
    root = Path(__file__).resolve().parents[1]
    cells = json.loads((root / "notebooks" / "08_spectral_norm.ipynb").read_text())["cells"]
    sources = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    cell = next(source for source in sources if "class SpectralNorm(" in source)
    shown = _definitions(cell)
    package = _definitions((root / "course_utils" / "layers.py").read_text())
    for name in ("l2_normalize", "SpectralNorm"):
        assert shown.get(name) == package[name], f"notebook 08's {name} differs from course_utils.layers"


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
