"""Pictures of a trained VAE: the latent space, the decoded manifold, samples from the prior and
interpolations. Each ``plot_*`` function draws from a model in memory, each ``*_picture`` function
from a run folder (as the `docclean vae` commands do); both write one picture whole, in the format its
name ends with (:data:`training.suite.plots.PICTURE_SUFFIXES`), and return its path. The drawing itself is
``training.suite.plots``; this module adds the model and the run folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from docclean.errors import ModelError
from training.suite.fashion_data import CLASS_NAMES
from training.suite.plots import (
    check_picture_path,
    grid_figure,
    image_grid,
    picture_target,
    plot_latent_points,
    save_figure,
)
from training.suite.vae import checkpoint_path, decode_images, latent_means, load_test_set, load_vae
from training.suite.vae_models import VAEBase


def plot_latent(model: VAEBase, images: torch.Tensor, labels: np.ndarray, class_names: list[str],
                path: Path) -> Path:
    """Scatter of the encoder means of ``images`` coloured by class (PCA when the latent has D > 2)."""
    how = "" if model.latent_dim <= 2 else f" (PCA of {model.latent_dim}-D)"
    return plot_latent_points(latent_means(model, images), labels, class_names, check_picture_path(path),
                              f"Latent means of {len(images)} test images{how}")


def manifold_codes(n: int = 15, edge: float = 0.05) -> torch.Tensor:
    """An n x n grid of 2-D codes placed at equal prior probability steps: coordinates are the
    inverse normal CDF of ``linspace(edge, 1 - edge, n)``, so the grid follows N(0, I) (dense near
    the origin, sparse in the tails) rather than an arbitrary box. Row 0 is the largest z2."""
    q = torch.linspace(edge, 1.0 - edge, n, dtype=torch.float64)
    coords = torch.distributions.Normal(0.0, 1.0).icdf(q).float()
    z2, z1 = torch.meshgrid(coords.flip(0), coords, indexing="ij")
    return torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1)


def plot_manifold(model: VAEBase, path: Path, n: int = 15) -> Path:
    """Decode an n x n grid over the 2-D latent plane (see :func:`manifold_codes`); the model must
    have a 2-D latent space, else ModelError."""
    check_picture_path(path)
    if model.latent_dim != 2:
        dims = f"{model.latent_dim} dimension{'s' if model.latent_dim != 1 else ''}"
        raise ModelError(f"the manifold picture needs a 2-D latent space; this model has {dims} "
                         "(use `vae sample` or `vae latent` instead)")
    codes = manifold_codes(n)
    grid = image_grid(decode_images(model, codes), n)
    fig, ax = grid_figure(grid, f"Decoded latent plane, {n}x{n} at prior quantiles", inches_per_pixel=1 / 60)
    ticks = np.arange(n) * 29 + 14
    values = codes[:n, 0].numpy()
    ax.set_xticks(ticks[::2], [f"{v:.1f}" for v in values[::2]], fontsize=7)
    ax.set_yticks(ticks[::2], [f"{v:.1f}" for v in values[::-1][::2]], fontsize=7)
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    return save_figure(fig, path, grayscale=True)


def plot_samples(model: VAEBase, path: Path, n: int = 64, seed: int = 0) -> Path:
    """Decode ``n`` codes drawn from the prior N(0, I) (``seed`` fixes them) in a square-ish grid."""
    check_picture_path(path)
    if n < 1:
        raise ValueError(f"number of samples must be at least 1, got {n}")
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(n, model.latent_dim, generator=generator)
    cols = int(np.ceil(np.sqrt(n)))
    fig, _ = grid_figure(image_grid(decode_images(model, z), cols), f"{n} samples from the prior (seed {seed})")
    return save_figure(fig, path, grayscale=True)


def plot_interpolation(model: VAEBase, first: torch.Tensor, second: torch.Tensor, path: Path,
                       steps: int = 10, title: str = "") -> Path:
    """Originals at both ends and, between them, the decoded points of the straight line between
    the two images' latent means (both ends included)."""
    check_picture_path(path)
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps, got {steps}")
    means = torch.from_numpy(latent_means(model, torch.stack([first, second])))
    t = torch.linspace(0.0, 1.0, steps)[:, None]
    decoded = decode_images(model, (1 - t) * means[0] + t * means[1])
    row = np.concatenate([first.numpy()[None, 0], decoded, second.numpy()[None, 0]])
    fig, _ = grid_figure(image_grid(row, len(row), gap=3), title or "Interpolation between latent means")
    return save_figure(fig, path, grayscale=True)


# Whole pictures of a trained run, as the `docclean vae` commands make them: load the run, draw,
# and write into the run folder unless told otherwise.

def default_output(run: Path, name: str, out: Path | None) -> Path:
    """The picture to write (:func:`training.suite.plots.picture_target`): ``out``, ``name`` inside
    ``out`` when it is a folder, else ``name`` inside the run folder (or beside a checkpoint file)."""
    run = Path(run)
    return picture_target(out, run if run.is_dir() else run.parent, name)


def latent_picture(run: Path, out: Path | None = None, data_dir: Path | None = None,
                   limit: int | None = None, verify: bool | None = None, download: bool = False,
                   device: str = "cpu") -> Path:
    """``latent.png``: the run's test-set latent means coloured by class. ``data_dir`` and ``verify``
    (the MD5 check) default to the run's own (:func:`training.suite.vae.run_data_dir`); ``download``
    fetches missing test files; the model runs on ``device`` (:func:`training.suite.vae.load_vae`)."""
    path = default_output(run, "latent.png", out)  # first: a bad name fails before the model loads
    model, meta = load_vae(run, device)
    images, labels = load_test_set(meta, data_dir, limit, verify, download)
    return plot_latent(model, images, labels, CLASS_NAMES, path)


def manifold_picture(run: Path, out: Path | None = None, n: int = 15, device: str = "cpu") -> Path:
    """``manifold.png``: the decoded n x n grid over a 2-D latent plane, decoded on ``device``."""
    path = default_output(run, "manifold.png", out)
    model, _ = load_vae(run, device)
    try:
        return plot_manifold(model, path, n)
    except ModelError as exc:  # name the checkpoint, which plot_manifold does not know
        raise ModelError(exc.reason, checkpoint_path(run)) from None


def samples_picture(run: Path, out: Path | None = None, n: int = 64, seed: int = 0, device: str = "cpu") -> Path:
    """``samples.png``: n images decoded (on ``device``) from prior samples, which are drawn on the CPU,
    so a seed gives the same codes on every device."""
    path = default_output(run, "samples.png", out)
    model, _ = load_vae(run, device)
    return plot_samples(model, path, n, seed)


def interpolation_picture(run: Path, first: int, second: int, out: Path | None = None, steps: int = 10,
                          data_dir: Path | None = None, verify: bool | None = None,
                          download: bool = False, device: str = "cpu") -> Path:
    """``interpolate-A-B.png``: test images A and B and the decoded line between their latent means.
    ``data_dir``, ``verify``, ``download`` and ``device`` as for :func:`latent_picture`. Raises
    IndexError when A or B is not a test-set index."""
    path = default_output(run, f"interpolate-{first}-{second}.png", out)
    model, meta = load_vae(run, device)
    images, labels = load_test_set(meta, data_dir, verify=verify, download=download)
    for index in (first, second):
        if not 0 <= index < len(images):
            raise IndexError(f"test index {index} is out of range 0..{len(images) - 1}")
    title = (f"test #{first} ({CLASS_NAMES[labels[first]]}) to test #{second} ({CLASS_NAMES[labels[second]]}), "
             f"{steps} steps")
    return plot_interpolation(model, images[first], images[second], path, steps, title)
