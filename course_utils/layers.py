"""Layers the notebooks build from scratch and later notebooks reuse.

``SpectralNorm`` is the layer written in notebook 08: it wraps a ``Dense`` or ``Conv2D`` layer and
uses W / σ(W) in the forward pass, where σ is estimated by power iteration with a persistent vector
``u``. Unlike ``keras.layers.SpectralNormalization`` it never writes W / σ back into the kernel,
updates ``u`` only when ``training=True``, and lets gradients flow through σ.

Under mixed precision the power iteration and σ stay in float32 (``u`` is a float32 weight that is
never autocast); only the normalised kernel W / σ is cast to the layer's compute dtype.
"""

from __future__ import annotations

import keras
from keras import ops


def _l2_normalize(x, eps: float = 1e-12):
    return x / (ops.sqrt(ops.sum(ops.square(x))) + eps)


@keras.saving.register_keras_serializable(package="course_utils")
class SpectralNorm(keras.layers.Layer):
    """Spectral normalisation of a wrapped ``Dense`` or ``Conv2D`` layer (Miyato et al., 2018).

    The kernel (any rank) is viewed as a matrix of shape (everything but the last axis, outputs).
    """

    def __init__(self, layer, power_iterations: int = 1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, keras.layers.Dense | keras.layers.Conv2D):
            raise TypeError("SpectralNorm wraps a Dense or Conv2D layer.")
        self.layer = layer
        self.power_iterations = power_iterations

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        outputs = self.layer.kernel.shape[-1]
        self.u = self.add_weight(shape=(1, outputs), name="u", trainable=False, autocast=False,
                                 initializer=keras.initializers.RandomNormal(stddev=1.0))

    def sigma_and_u(self):
        """Power-iteration estimate of σ(W) (differentiable in W) and the new u (constant).

        Both are float32, whatever the layer's compute dtype.
        """
        kernel = self.layer.kernel
        # (fan-in, outputs), no transpose; float32 even where mixed precision autocasts W
        matrix = ops.cast(ops.reshape(kernel, (-1, kernel.shape[-1])), "float32")
        u = _l2_normalize(ops.convert_to_tensor(self.u))
        v = None
        for _ in range(self.power_iterations):
            v = _l2_normalize(ops.matmul(u, ops.transpose(matrix)))
            u = _l2_normalize(ops.matmul(v, matrix))
        u, v = ops.stop_gradient(u), ops.stop_gradient(v)
        sigma = ops.sum(ops.matmul(v, matrix) * u)  # vᵀ W u: gradients flow through W
        return sigma, u

    def call(self, inputs, training=False):
        sigma, u = self.sigma_and_u()
        if training:
            self.u.assign(u)
        # a new tensor (the variable keeps W), in the compute dtype (bfloat16 under mixed precision)
        kernel = ops.cast(ops.cast(self.layer.kernel, "float32") / sigma, self.compute_dtype)
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

    def get_config(self):
        config = super().get_config()
        config.update({"layer": keras.saving.serialize_keras_object(self.layer),
                       "power_iterations": self.power_iterations})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = keras.saving.deserialize_keras_object(config["layer"])
        return cls(**config)
