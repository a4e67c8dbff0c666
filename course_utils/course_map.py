"""The course map: one row per notebook, used by README, notebook 00 and the tests."""

from __future__ import annotations

from dataclasses import dataclass

from course_utils.config import colab_badge, colab_url

#: What the GPU column says until a full run has been timed on a GPU runtime.
NOT_MEASURED_ON_GPU = "not measured on a GPU yet"


@dataclass(frozen=True)
class Lesson:
    """One notebook of the course, with run times measured on a 2-core CPU without GPU."""

    file: str
    topic: str
    dataset: str
    full_time: str  # full mode, measured on a 2-core CPU
    fast_time: str  # fast mode (COURSE_FAST=1) on 2 cores: range over CI's runs (make test, rehearsal)
    gpu_time: str = NOT_MEASURED_ON_GPU  # full mode on a Colab GPU runtime, only once measured there
    mixed_precision: bool = False  # setup() offers bfloat16 here (tested in the Colab rehearsal)


LESSONS = (
    Lesson("00_start_here.ipynb", "Start here: environment, GPU, course map", "–", "≈ 40 s", "≈ 7–11 s"),
    Lesson("01_keras_basics.ipynb",
           "Keras basics: tf.function, Sequential, Functional, subclassing, train_step, saving",
           "8×8 digits, synthetic", "≈ 1.5 min (measured 96 s)", "≈ 36–51 s"),
    Lesson("02_sgd_and_optimizers.ipynb", "SGD and optimizers from scratch, loss surfaces",
           "2-D test functions, MNIST", "≈ 1.5 min (MNIST subset)", "≈ 36–55 s"),
    Lesson("03_lottery_ticket.ipynb", "Lottery tickets: iterative magnitude pruning",
           "MNIST (full mode offline: Fashion-MNIST)",
           "45 min measured on a busy machine (3 seeds, 84 runs of 2,000 iterations; now 90)", "≈ 21–32 s"),
    Lesson("04_dense_gan.ipynb", "Dense GAN, GAN theory, mode collapse", "Fashion-MNIST, 8-Gaussian ring",
           "≈ 10 min (measured 593 s)", "≈ 1.7–2.7 min", mixed_precision=True),
    Lesson("05_dcgan_fashion_mnist.ipynb", "DCGAN, convolution arithmetic", "Fashion-MNIST",
           "≈ 2–2.5 h (measured 8,067 s of training: 137–214 s per epoch × 50, most near 150 s)",
           "≈ 55–82 s"),
    Lesson("06_dcgan_colour.ipynb", "DCGAN on 64×64 colour images", "emoji smileys / CIFAR-10 / your folder",
           "≈ 55–60 min (measured 56 min: 58–84 s per epoch, 68 s on average with the monitors)",
           "≈ 1–2.7 min"),
    Lesson("07_wgan.ipynb", "Wasserstein GAN: clipping and gradient penalty", "Fashion-MNIST, ring",
           "≈ 90 min (measured: training WGAN 2,033 s, WGAN-GP 2,453 s; ring models 729 s)",
           "≈ 85–118 s", mixed_precision=True),
    Lesson("08_spectral_norm.ipynb", "Spectral normalisation, SN-GAN", "Fashion-MNIST",
           "≈ 2.5 h (measured 8,682 s: SN-GAN 3,545 s of training, stability runs 739 s, "
           "layer comparison 6 × 4 epochs 4,363 s)",
           "≈ 78–100 s",
           mixed_precision=True),
    Lesson("09_progressive_gan.ipynb", "Progressive growing 4→32", "Fashion-MNIST at 32×32",
           "≈ 55 min (measured: 2,377 s of training, 21 min of it at 32×32; "
           "four Adam side runs, one timed: 159 s)",
           "≈ 1–2 min (640 steps; 63–114 s in CI)",
           mixed_precision=True),
    Lesson("10_vae.ipynb", "Autoencoders, information theory, VAE", "MNIST",
           "≈ 13.5 min (measured 809 s, 4,000-image MNIST subset)", "≈ 100–148 s",
           mixed_precision=True),
    Lesson("11_diffusion.ipynb", "Diffusion: DDPM training, DDIM sampling", "Fashion-MNIST",
           "≈ 70 min (measured 71 min: 41 min of training, 11 min for a 1000-step sampler on 300 images)",
           "≈ 112–171 s",
           mixed_precision=True),
)


def lesson_link(file: str, link: str) -> str:
    """Where a notebook's name links to: ``repo`` (README, from the repository root), ``here``
    (notebook 00, which sits beside the others) or ``colab`` (on Colab, where there is no folder)."""
    if link == "repo":
        return f"notebooks/{file}"
    if link == "here":
        return file
    if link == "colab":
        return colab_url(file)
    raise ValueError(f"link must be 'repo', 'here' or 'colab', not {link!r}")


def markdown_table(link: str = "repo") -> str:
    """The course map as a Markdown table, the notebook names linked as ``link`` says."""
    lines = ["| # | Notebook | Topic | Dataset | Full mode, 2-core CPU | Full mode, Colab GPU | Fast mode "
             "| Colab |",
             "|---|---|---|---|---|---|---|---|"]
    for lesson in LESSONS:
        name = f"[{lesson.file}]({lesson_link(lesson.file, link)})"
        lines.append(f"| {lesson.file[:2]} | {name} | {lesson.topic} | {lesson.dataset} | "
                     f"{lesson.full_time} | {lesson.gpu_time} | {lesson.fast_time} | "
                     f"{colab_badge(lesson.file)} |")
    return "\n".join(lines)
