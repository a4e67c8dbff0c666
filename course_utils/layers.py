"""Layers the notebooks build from scratch and later notebooks reuse.

``SpectralNorm`` is the layer written in notebook 08 (the notebook shows the same class body;
``tests/test_layers.py`` compares the two): it wraps a ``Dense`` or ``Conv2D`` layer and uses
W / σ(W) in the forward pass, where σ is estimated by power iteration with a persistent vector
``u``. Unlike ``keras.layers.SpectralNormalization`` it never writes W / σ back into the kernel,
updates ``u`` only when ``training=True``, and lets gradients flow through σ. It counts the
power-iteration steps ``u`` has received (``u_updates``), so a training run can report them.

Under mixed precision the power iteration and σ stay in float32 (``u`` is a float32 weight that is
never autocast); only the normalised kernel W / σ is cast to the layer's compute dtype.
"""

from __future__ import annotations

import keras
from keras import ops


def l2_normalize(x, eps=1e-12):
    """``x`` divided by its Euclidean norm (all axes)."""
    return x / (ops.sqrt(ops.sum(ops.square(x))) + eps)


@keras.saving.register_keras_serializable(package="course_utils")
class SpectralNorm(keras.layers.Layer):
    """Spectral normalisation of a wrapped ``Dense`` or ``Conv2D`` layer (Miyato et al., 2018).

    The kernel (any rank) is viewed as a matrix of shape (everything but the last axis, outputs).
    ``sigma_and_u()`` returns the power-iteration estimate of σ (float32, differentiable in W) and
    the new u (a constant); ``u_updates`` counts the training-mode calls that advanced u.
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, keras.layers.Dense | keras.layers.Conv2D):
            raise TypeError("SpectralNorm wraps a Dense or Conv2D layer.")
        self.layer, self.power_iterations = layer, power_iterations

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        self.u = self.add_weight(shape=(1, self.layer.kernel.shape[-1]), name="u",
                                 trainable=False, autocast=False,      # u stays float32
                                 initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.u_updates = self.add_weight(shape=(), name="u_updates", dtype="int64",
                                         trainable=False, initializer="zeros")

    def sigma_and_u(self):
        kernel = self.layer.kernel
        matrix = ops.reshape(kernel, (-1, kernel.shape[-1]))        # reshape, never transpose
        matrix = ops.cast(matrix, "float32")                         # σ in float32, always
        u = l2_normalize(ops.convert_to_tensor(self.u))
        for _ in range(self.power_iterations):
            v = l2_normalize(ops.matmul(u, ops.transpose(matrix)))
            u = l2_normalize(ops.matmul(v, matrix))
        u, v = ops.stop_gradient(u), ops.stop_gradient(v)
        return ops.sum(ops.matmul(v, matrix) * u), u                 # σ = vᵀ W u

    def call(self, inputs, training=False):
        sigma, u = self.sigma_and_u()
        if training:
            self.u.assign(u)                                         # persistent u
            self.u_updates.assign_add(1)
        kernel = ops.cast(self.layer.kernel, "float32") / sigma      # not assigned anywhere
        kernel = ops.cast(kernel, self.compute_dtype)                # bfloat16 if mixed
        if isinstance(self.layer, keras.layers.Conv2D):
            outputs = ops.conv(inputs, kernel, strides=self.layer.strides,
                               padding=self.layer.padding, dilation_rate=self.layer.dilation_rate)
        else:
            outputs = ops.matmul(inputs, kernel)
        if self.layer.use_bias:
            outputs = outputs + self.layer.bias
        return self.layer.activation(outputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):                                            # for .keras files
        config = super().get_config()
        config.update(layer=keras.saving.serialize_keras_object(self.layer),
                      power_iterations=self.power_iterations)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config, layer=keras.saving.deserialize_keras_object(config["layer"]))
        return cls(**config)
