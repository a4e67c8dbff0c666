"""The course map: one row per notebook, used by README, notebook 00 and the tests."""

from __future__ import annotations

from dataclasses import dataclass

from course_utils.config import colab_badge


@dataclass(frozen=True)
class Lesson:
    """One notebook of the course."""

    file: str
    topic: str
    dataset: str
    full_time: str  # full mode: laptop CPU (Colab T4 GPU)
    fast_time: str  # fast mode on a 2-core CPU


LESSONS = (
    Lesson("00_start_here.ipynb", "Start here: environment, GPU, course map", "–", "1 min", "< 1 min"),
    Lesson("01_keras_basics.ipynb", "Keras basics: tf.function, Dense, fit, saving", "8×8 digits, synthetic",
           "3 min (1 min)", "< 1 min"),
    Lesson("02_sgd_and_optimizers.ipynb", "SGD and optimizers from scratch, loss surfaces",
           "2-D test functions, MNIST", "5 min (2 min)", "≈ 1.5 min"),
    Lesson("03_lottery_ticket.ipynb", "Lottery tickets: iterative magnitude pruning", "MNIST",
           "15 min (4 min)", "≈ 1.5 min"),
    Lesson("04_dense_gan.ipynb", "Dense GAN, GAN theory, mode collapse", "Fashion-MNIST, 8-Gaussian ring",
           "15 min (3 min)", "≈ 1.5 min"),
    Lesson("05_dcgan_fashion_mnist.ipynb", "DCGAN, convolution arithmetic", "Fashion-MNIST",
           "90 min (10 min)", "≈ 1.5 min"),
    Lesson("06_dcgan_colour.ipynb", "DCGAN on 64×64 colour images", "emoji / CIFAR-10 / your folder",
           "60 min (8 min)", "≈ 1.5 min"),
    Lesson("07_wgan.ipynb", "Wasserstein GAN: clipping and gradient penalty", "Fashion-MNIST, ring",
           "90 min (12 min)", "≈ 1.5 min"),
    Lesson("08_spectral_norm.ipynb", "Spectral normalisation, SN-GAN", "Fashion-MNIST",
           "60 min (8 min)", "≈ 1.5 min"),
    Lesson("09_progressive_gan.ipynb", "Progressive growing 4→32", "Fashion-MNIST at 32×32",
           "90 min (12 min)", "≈ 1.5 min"),
    Lesson("10_vae.ipynb", "Autoencoders, information theory, VAE", "MNIST", "30 min (5 min)", "≈ 1.5 min"),
    Lesson("11_diffusion.ipynb", "Diffusion: DDPM training, DDIM sampling", "MNIST",
           "3 h (25 min)", "≈ 1.5 min"),
)


def markdown_table(available: set[str] | None = None) -> str:
    """The course map as a Markdown table; lessons not in ``available`` are marked as coming."""
    lines = ["| # | Notebook | Topic | Dataset | Full: CPU (T4 GPU) | Fast | Colab |",
             "|---|---|---|---|---|---|---|"]
    for lesson in LESSONS:
        number = lesson.file[:2]
        ready = available is None or lesson.file in available
        name = f"[{lesson.file}](notebooks/{lesson.file})" if ready else f"{lesson.file} *(coming)*"
        badge = colab_badge(lesson.file) if ready else "–"
        lines.append(f"| {number} | {name} | {lesson.topic} | {lesson.dataset} | "
                     f"{lesson.full_time} | {lesson.fast_time} | {badge} |")
    return "\n".join(lines)
