"""Mixed bfloat16 precision: SpectralNorm keeps σ and u in float32, float32_layers() restores the policy."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from course_utils.layers import SpectralNorm  # noqa: E402
from course_utils.training import float32_layers  # noqa: E402


@pytest.fixture
def mixed_bfloat16():
    """The global policy that setup(mixed_precision=True) sets on a bfloat16 GPU, undone afterwards."""
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def _exact_sigma(kernel) -> float:
    w = np.asarray(kernel)
    return float(np.linalg.svd(w.reshape(-1, w.shape[-1]), compute_uv=False)[0])


class _RecordingSpectralNorm(SpectralNorm):
    """Remembers the dtypes of σ and u as computed inside ``call`` (where Keras autocasts)."""

    def sigma_and_u(self):
        sigma, u = super().sigma_and_u()
        self.seen = (sigma.dtype, u.dtype)
        return sigma, u


def test_spectral_norm_under_mixed_precision_keeps_sigma_and_u_in_float32(mixed_bfloat16):
    keras.utils.set_random_seed(0)
    layer = _RecordingSpectralNorm(keras.layers.Conv2D(8, 3, strides=2, padding="same"))
    x = tf.random.normal((2, 10, 10, 4))
    for _ in range(60):
        outputs = layer(x, training=True)
    assert outputs.dtype == tf.bfloat16  # the convolution itself runs in the compute dtype
    assert layer.seen == (tf.float32, tf.float32)  # σ and u inside call, where W arrives as bfloat16
    assert layer.u.dtype == "float32" and layer.layer.kernel.dtype == "float32"
    sigma, _ = layer.sigma_and_u()
    # the power iteration ran on float32 numbers: σ agrees with the SVD far beyond bfloat16's 2^-8
    assert abs(float(sigma) - _exact_sigma(layer.layer.kernel)) < 1e-4 * _exact_sigma(layer.layer.kernel)


def test_spectral_norm_inside_a_mixed_model_with_a_float32_head(mixed_bfloat16):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((6, 6, 1)),
        SpectralNorm(keras.layers.Conv2D(4, 3, padding="same")),
        keras.layers.Flatten(),
        SpectralNorm(keras.layers.Dense(1), dtype="float32"),
    ])
    real = tf.random.normal((5, 6, 6, 1))
    with tf.GradientTape() as tape:
        scores = model(real, training=True)
        loss = tf.reduce_mean(tf.nn.relu(1.0 - scores))  # the hinge loss of notebook 08, float32
    grads = tape.gradient(loss, model.trainable_variables)
    assert scores.dtype == tf.float32
    assert all(g is not None and g.dtype == tf.float32 for g in grads)
    assert any(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)


def test_float32_layers_builds_float32_layers_and_restores_the_policy(mixed_bfloat16):
    with float32_layers():
        inside = keras.layers.Dense(3)
    outside = keras.layers.Dense(3)
    assert inside.compute_dtype == "float32"
    assert outside.compute_dtype == "bfloat16"
    assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    assert inside(tf.ones((1, 2))).dtype == tf.float32


def test_float32_layers_restores_the_policy_after_an_error(mixed_bfloat16):
    with pytest.raises(RuntimeError), float32_layers():
        raise RuntimeError("boom")
    assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
