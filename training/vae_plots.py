"""Pictures of a trained VAE: loss curves, the latent space, the decoded manifold, samples from the
prior and interpolations. Each ``plot_*`` function draws from a model in memory, each ``*_picture``
function from a run folder; both write one PNG whole (temporary file, then rename) and return its
path. Matplotlib runs with the Agg backend, so no display is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # before pyplot loads: pictures are files, no display is needed
import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image

from docclean.atomic import atomic_path
from docclean.errors import ModelError
from training.fashion_data import CLASS_NAMES
from training.vae import checkpoint_path, decode_images, latent_means, load_test_set, load_vae
from training.vae_models import VAEBase


def save_figure(fig: plt.Figure, path: Path, dpi: int = 100, grayscale: bool = False) -> Path:
    """Save ``fig`` as a PNG at ``path`` through a temporary file beside it, then close it.
    ``grayscale`` stores one channel instead of RGBA (a third of the size for image grids)."""
    path = Path(path)
    try:
        with atomic_path(path, suffix=".png") as tmp:
            fig.savefig(tmp, dpi=dpi, format="png", bbox_inches="tight")
            if grayscale:
                with Image.open(tmp) as img:
                    gray = img.convert("L")
                gray.save(tmp, format="PNG", optimize=True)
    finally:
        plt.close(fig)
    return path


def image_grid(images: np.ndarray, cols: int, gap: int = 1) -> np.ndarray:
    """Tile (N, H, W) images into one array, ``cols`` per row, ``gap`` background (0) pixels between."""
    n, h, w = images.shape
    rows = (n + cols - 1) // cols
    grid = np.zeros((rows * (h + gap) - gap, cols * (w + gap) - gap), dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        grid[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = img
    return grid


def _grid_figure(grid: np.ndarray, title: str, inches_per_pixel: float = 1 / 45) -> tuple[plt.Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(max(3.0, grid.shape[1] * inches_per_pixel),
                                    max(1.5, grid.shape[0] * inches_per_pixel + 0.4)))
    # 1 - image: dark garments on white paper read better in print than white on black.
    ax.imshow(1.0 - grid, cmap="gray", vmin=0.0, vmax=1.0, interpolation="antialiased")
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    return fig, ax


def plot_losses(history: Sequence[dict[str, float]], path: Path) -> Path:
    """Total loss, reconstruction and KL per epoch, train and validation, side by side."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    epochs = [int(row["epoch"]) + 1 for row in history]  # 1-based, as the progress lines count
    for ax, part, title in zip(axes, ("loss", "recon", "kl"), ("total (recon + beta KL)", "reconstruction (BCE)", "KL to N(0, I)")):
        for split, style in (("train", "-"), ("val", "--")):
            key = f"{split}_{part}"
            if any(key in row for row in history):
                ax.plot(epochs, [row.get(key, np.nan) for row in history], style, marker=".", label=split)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_ylabel("nats per image")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)


def project_2d(points: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Points (N, D) -> (N, 2) and axis labels: the points themselves for D <= 2, else their
    projection on the first two principal components (SVD of the centred points)."""
    d = points.shape[1]
    if d == 1:
        return np.stack([points[:, 0], np.zeros(len(points))], axis=1), ["z1", ""]
    if d == 2:
        return points, ["z1", "z2"]
    centred = points - points.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    share = s**2 / max(float((s**2).sum()), 1e-12)
    return centred @ vt[:2].T, [f"PC{i + 1} ({100 * share[i]:.0f}% of variance)" for i in range(2)]


def plot_latent(model: VAEBase, images: torch.Tensor, labels: np.ndarray, class_names: Sequence[str],
                path: Path) -> Path:
    """Scatter of the encoder means of ``images`` coloured by class, with a legend of class names."""
    xy, axis_labels = project_2d(latent_means(model, images))
    fig, ax = plt.subplots(figsize=(7.5, 6))
    cmap = plt.get_cmap("tab10")
    for k, name in enumerate(class_names):
        chosen = labels == k
        if chosen.any():
            ax.scatter(xy[chosen, 0], xy[chosen, 1], s=3, alpha=0.6, color=cmap(k % 10), label=name, rasterized=True)
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    how = "" if model.latent_dim <= 2 else f" (PCA of {model.latent_dim}-D)"
    ax.set_title(f"Latent means of {len(images)} test images{how}", fontsize=10)
    ax.legend(markerscale=4, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


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
    if model.latent_dim != 2:
        raise ModelError(f"the manifold picture needs a 2-D latent space; this model has {model.latent_dim} "
                         "dimensions (use `vae sample` or `vae latent` instead)")
    codes = manifold_codes(n)
    grid = image_grid(decode_images(model, codes), n)
    fig, ax = _grid_figure(grid, f"Decoded latent plane, {n}x{n} at prior quantiles", inches_per_pixel=1 / 60)
    ticks = np.arange(n) * 29 + 14
    values = codes[:n, 0].numpy()
    ax.set_xticks(ticks[::2], [f"{v:.1f}" for v in values[::2]], fontsize=7)
    ax.set_yticks(ticks[::2], [f"{v:.1f}" for v in values[::-1][::2]], fontsize=7)
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    return save_figure(fig, path, grayscale=True)


def plot_samples(model: VAEBase, path: Path, n: int = 64, seed: int = 0) -> Path:
    """Decode ``n`` codes drawn from the prior N(0, I) (``seed`` fixes them) in a square-ish grid."""
    if n < 1:
        raise ValueError(f"number of samples must be at least 1, got {n}")
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(n, model.latent_dim, generator=generator)
    cols = int(np.ceil(np.sqrt(n)))
    fig, _ = _grid_figure(image_grid(decode_images(model, z), cols), f"{n} samples from the prior (seed {seed})")
    return save_figure(fig, path, grayscale=True)


def plot_interpolation(model: VAEBase, first: torch.Tensor, second: torch.Tensor, path: Path,
                       steps: int = 10, title: str = "") -> Path:
    """Originals at both ends and, between them, the decoded points of the straight line between
    the two images' latent means (both ends included)."""
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps, got {steps}")
    means = torch.from_numpy(latent_means(model, torch.stack([first, second])))
    t = torch.linspace(0.0, 1.0, steps)[:, None]
    decoded = decode_images(model, (1 - t) * means[0] + t * means[1])
    row = np.concatenate([first.numpy()[None, 0], decoded, second.numpy()[None, 0]])
    fig, _ = _grid_figure(image_grid(row, len(row), gap=3), title or "Interpolation between latent means")
    return save_figure(fig, path, grayscale=True)


# Whole pictures of a trained run, as the `docclean vae` commands make them: load the run, draw,
# and write into the run folder unless told otherwise.

def default_output(run: Path, name: str, out: Path | None) -> Path:
    """``out`` if given, else ``name`` inside the run folder (or beside a checkpoint file)."""
    if out is not None:
        return Path(out)
    run = Path(run)
    return (run if run.is_dir() else run.parent) / name


def latent_picture(run: Path, out: Path | None = None, data_dir: Path | None = None,
                   limit: int | None = None) -> Path:
    """``latent.png``: the run's test-set latent means coloured by class."""
    model, meta = load_vae(run)
    images, labels = load_test_set(meta, data_dir, limit)
    return plot_latent(model, images, labels, CLASS_NAMES, default_output(run, "latent.png", out))


def manifold_picture(run: Path, out: Path | None = None, n: int = 15) -> Path:
    """``manifold.png``: the decoded n x n grid over a 2-D latent plane."""
    model, _ = load_vae(run)
    try:
        return plot_manifold(model, default_output(run, "manifold.png", out), n)
    except ModelError as exc:  # name the checkpoint, which plot_manifold does not know
        raise ModelError(exc.reason, checkpoint_path(run)) from None


def samples_picture(run: Path, out: Path | None = None, n: int = 64, seed: int = 0) -> Path:
    """``samples.png``: n images decoded from prior samples."""
    model, _ = load_vae(run)
    return plot_samples(model, default_output(run, "samples.png", out), n, seed)


def interpolation_picture(run: Path, first: int, second: int, out: Path | None = None, steps: int = 10,
                          data_dir: Path | None = None) -> Path:
    """``interpolate-A-B.png``: test images A and B and the decoded line between their latent means.
    Raises IndexError when A or B is not a test-set index."""
    model, meta = load_vae(run)
    images, labels = load_test_set(meta, data_dir)
    for index in (first, second):
        if not 0 <= index < len(images):
            raise IndexError(f"test index {index} is out of range 0..{len(images) - 1}")
    title = (f"test #{first} ({CLASS_NAMES[labels[first]]}) to test #{second} ({CLASS_NAMES[labels[second]]}), "
             f"{steps} steps")
    return plot_interpolation(model, images[first], images[second],
                              default_output(run, f"interpolate-{first}-{second}.png", out), steps, title)
