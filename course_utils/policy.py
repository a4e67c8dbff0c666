"""Device policy: which accelerations pay on the device at hand.

Measured on CPU (TensorFlow 2.21): plain graphs (``tf.function``) beat XLA for the course's
GAN steps, so XLA stays off there. On GPUs, XLA and mixed precision pay. bfloat16 needs no loss
scaling, so it is the choice offered where the GPU has it (compute capability 8.0 or newer);
float16 needs a loss-scale optimizer for *every* optimizer a custom ``train_step`` uses, so the
course does not offer it.

``COURSE_DEVICE_POLICY`` forces a policy whatever the hardware: ``cpu``, ``gpu`` (a T4-class
GPU, compute capability 7.5: XLA, float32) or ``gpu:8.0`` (an A100/L4-class GPU, which also
offers bfloat16). The Colab rehearsal uses it to run the compiled GPU path on a CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

POLICY_ENV = "COURSE_DEVICE_POLICY"
#: The compute capability a bare ``gpu`` stands for: Colab's free T4.
DEFAULT_FORCED_CAPABILITY = (7, 5)


@dataclass(frozen=True)
class DevicePolicy:
    """What to switch on for the current device."""

    device: str  # "GPU" or "CPU"
    device_name: str
    jit_compile: bool
    mixed_precision: str  # a keras.mixed_precision policy name
    steps_per_execution: int
    forced: bool = False  # chosen by COURSE_DEVICE_POLICY, not by the hardware

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


def forced_policy(value: str) -> DevicePolicy | None:
    """The policy ``COURSE_DEVICE_POLICY=value`` asks for (``None`` for empty or ``auto``)."""
    text = value.strip().lower()
    if text in ("", "auto"):
        return None
    if text == "cpu":
        return DevicePolicy("CPU", "CPU (forced)", False, "float32", 32, forced=True)
    kind, _, capability = text.partition(":")
    if kind == "gpu":
        try:
            default = ".".join(str(part) for part in DEFAULT_FORCED_CAPABILITY)
            major, minor = (int(part) for part in (capability or default).split("."))
        except ValueError:
            major = minor = None
        if major is not None:
            chosen = choose_policy((major, minor), f"GPU policy forced (compute capability {major}.{minor})")
            return DevicePolicy(**{**chosen.__dict__, "forced": True})
    raise ValueError(f"{POLICY_ENV}={value!r} is not understood. Use 'auto', 'cpu', 'gpu' "
                     "(a T4-class GPU) or 'gpu:8.0' (a GPU with bfloat16), or unset it.")


def detect_policy() -> DevicePolicy:
    """The forced policy if ``COURSE_DEVICE_POLICY`` sets one, else the visible hardware's."""
    forced = forced_policy(os.environ.get(POLICY_ENV, ""))
    if forced is not None:
        return forced
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
