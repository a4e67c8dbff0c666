"""Device policy: which accelerations pay on the device at hand.

Measured on CPU (TensorFlow 2.21): plain graphs (``tf.function``) beat XLA for the course's
GAN steps, so XLA stays off there. On GPUs, XLA and mixed precision pay. bfloat16 needs no loss
scaling, so it is the automatic choice where the GPU has it (compute capability 8.0 or newer);
float16 needs a loss-scale optimizer for *every* optimizer a custom ``train_step`` uses, so it is
only used when a notebook asks for it explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DevicePolicy:
    """What to switch on for the current device."""

    device: str  # "GPU" or "CPU"
    device_name: str
    jit_compile: bool
    mixed_precision: str  # a keras.mixed_precision policy name
    steps_per_execution: int

    def compile_kwargs(self) -> dict:
        """Keyword arguments for ``model.compile`` that make ``fit`` fast on this device."""
        return {"jit_compile": self.jit_compile, "steps_per_execution": self.steps_per_execution}


def choose_policy(gpu_compute_capability: tuple[int, int] | None, device_name: str = "") -> DevicePolicy:
    """Pick the policy for a device. ``None`` means no GPU. Pure function, unit-tested."""
    if gpu_compute_capability is None:
        return DevicePolicy("CPU", device_name or "CPU", False, "float32", 32)
    major, _minor = gpu_compute_capability
    precision = "mixed_bfloat16" if major >= 8 else "float32"
    return DevicePolicy("GPU", device_name or "GPU", True, precision, 32)


def detect_policy() -> DevicePolicy:
    """Inspect TensorFlow's visible devices and return the matching policy."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return choose_policy(None)
    details = tf.config.experimental.get_device_details(gpus[0])
    capability = details.get("compute_capability") or (0, 0)
    return choose_policy(tuple(capability), details.get("device_name", "GPU"))


def apply_policy(policy: DevicePolicy) -> None:
    """Set Keras's global dtype policy to the policy's precision."""
    import keras

    keras.mixed_precision.set_global_policy(policy.mixed_precision)
