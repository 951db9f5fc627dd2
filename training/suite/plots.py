"""Every picture of the teaching suite: loss curves, reconstructions, run comparisons, anomaly grids,
VAE loss terms, latent scatters and image grids.

Functions here draw arrays and histories only; they never load a run or call a model, so any task
module may import this one without a cycle (the VAE's run-folder pictures, which load a model and
decode with it, live in ``training.suite.vae_pictures``). Matplotlib runs on the Agg backend (no
display needed) and every figure is written whole: to a temporary file beside its target, then
renamed (``docclean.atomic``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # chosen before pyplot is imported: figures render without a display
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator
from PIL import Image

from docclean.atomic import atomic_path
from docclean.errors import UsageError
from training.run_folder import writing_in

#: The endings a picture given by name may have, and so the formats it is written in.
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".pdf")

#: The pictures the suite's commands draw of a run, by their default names (every ending).
RUN_PICTURES = ("loss", "reconstructions", "reconstructions-clean", "denoised", "anomalies", "latent", "manifold",
                "samples", "interpolate-*-*", "fashion-compare")

#: What the suite's commands write into a run folder from its model, beside the run itself: scores,
#: the anomaly ranking and the pictures. A run started over in its folder (``--no-resume``) removes
#: them with the earlier run (``training.loop.fit``'s ``derived_files``), so that none of them is left
#: to describe a model that is no longer there.
RUN_OUTPUTS = ("eval.json", "eval-*.json", "anomalies.csv",
               *(stem + suffix for stem in RUN_PICTURES for suffix in PICTURE_SUFFIXES))

#: How every picture of the suite draws an image's pixels: as the data stores them, 0 black and 1 white
#: (Fashion-MNIST's light garments on black, the faces as photographs). One convention for all three
#: commands: the VAE's grids once drew the garments inverted, dark on white, beside its own
#: reconstructions drawn light on black.
IMAGE_CMAP = "gray"

#: Raster formats whose files Pillow rereads to store one gray channel (vector formats stay as drawn).
GRAY_FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "tif": "TIFF", "tiff": "TIFF", "webp": "WEBP"}


def check_picture_path(path: Path, setting: str = "out") -> Path:
    """``path`` if its ending names a picture format we write and no file stands where its folder
    would be; else UsageError (naming ``setting``, the option that gave it), raised before any work,
    since a file whose name says JPEG must not hold PNG bytes."""
    path = Path(path)
    if path.suffix.lower() not in PICTURE_SUFFIXES:
        ending = f"the ending {path.suffix!r}" if path.suffix else "no ending"
        raise UsageError(f"cannot write a picture with {ending}; use one of {', '.join(PICTURE_SUFFIXES)}",
                         path, settings=(setting,))
    for folder in (path.parent, *path.parent.parents):  # the nearest one that is there must be a folder
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                raise UsageError("a file, not a folder: the picture cannot go inside it", folder,
                                 settings=(setting,))
            break
    return path


def picture_target(out: str | Path | None, folder: Path, name: str, setting: str = "out") -> Path:
    """The picture a command writes: ``out`` if it names a file, ``name`` inside ``out`` if it is a
    folder (as ``cp`` does; writing onto the folder itself cannot work) or ends with a slash (a
    folder still to make: ``--plot new/``), else ``name`` in ``folder``; checked by
    :func:`check_picture_path` (``setting``: the option that gave ``out``), so call it before any work."""
    if out is not None:
        text = str(out)
        out = Path(out)
        made = text.endswith(("/", os.sep)) or out.is_dir()  # Path("new/") drops the slash: read it first
        return check_picture_path(out / name if made else out, setting)
    return check_picture_path(Path(folder) / name, setting)


def figure_format(fig: plt.Figure, path: Path) -> str:
    """The format ``path``'s ending names when matplotlib writes it (``jpg``, ``svg``, ``pdf``, ...),
    else ``png``: a file is what its name says, and any other name keeps the PNG it always got."""
    fmt = Path(path).suffix.lower().lstrip(".")
    return fmt if fmt in fig.canvas.get_supported_filetypes() else "png"


def save_figure(fig: plt.Figure, path: Path, dpi: int = 100, grayscale: bool = False) -> Path:
    """Save ``fig`` at ``path`` in the format its ending names (see :func:`figure_format`) through a
    temporary file beside it, then close it. ``grayscale`` stores one channel instead of RGBA in a
    raster format (a third of the size for image grids)."""
    path = Path(path)
    try:
        fmt = figure_format(fig, path)
        with writing_in(path, "write the picture"), atomic_path(path, suffix="." + fmt) as tmp:
            fig.savefig(tmp, dpi=dpi, format=fmt, bbox_inches="tight")
            if grayscale and fmt in GRAY_FORMATS:
                with Image.open(tmp) as img:
                    gray = img.convert("L")
                gray.save(tmp, format=GRAY_FORMATS[fmt], optimize=True)
    finally:
        plt.close(fig)
    return path


def _images(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """(N, 1, H, W) or (N, H, W) tensor/array -> (N, H, W) float array."""
    arr = x.detach().cpu().float().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float32)
    return arr.reshape(arr.shape[0], arr.shape[-2], arr.shape[-1])


def plot_loss_curves(history: Sequence[dict[str, float]], path: Path, title: str = "") -> Path:
    """Train and validation loss per epoch (1-based), with the best validation epoch marked."""
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = [int(row["epoch"]) + 1 for row in history]
    for key, style in (("train_loss", "--"), ("val_loss", "-")):
        values = [row.get(key, np.nan) for row in history]
        if not np.all(np.isnan(values)):
            ax.plot(epochs, values, style, marker="o", markersize=3, label=key.replace("_", " "))
    vals = [row.get("val_loss", np.inf) for row in history]
    if history and np.isfinite(min(vals)):
        best = int(np.argmin(vals))
        ax.axvline(epochs[best], color="grey", linewidth=0.8, linestyle=":", label=f"best (epoch {epochs[best]})")
    ax.set(xlabel="epoch", ylabel="loss", title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


def plot_reconstructions(clean: torch.Tensor, recon: torch.Tensor, path: Path, noisy: torch.Tensor | None = None,
                         title: str = "") -> Path:
    """Rows: originals, the noisy inputs (when given), reconstructions; one column per image."""
    rows = [("original", clean)] + ([("noisy input", noisy)] if noisy is not None else [])
    return plot_image_rows([*rows, ("reconstruction", recon)], path, title)


def plot_image_rows(rows: Sequence[tuple[str, torch.Tensor | np.ndarray]], path: Path, title: str = "",
                    inches: float = 1.1) -> Path:
    """One labelled row per ``(label, images)`` (N, 1, H, W) or (N, H, W) in 0..1; one column per image."""
    arrays = [(label, _images(images)) for label, images in rows]
    n = arrays[0][1].shape[0]
    fig, axes = plt.subplots(len(arrays), n, figsize=(inches * n, (inches + 0.1) * len(arrays)), squeeze=False)
    for r, (label, images) in enumerate(arrays):
        for c in range(n):
            ax = axes[r][c]
            ax.imshow(images[c], cmap=IMAGE_CMAP, vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    fig.suptitle(title)
    return save_figure(fig, path)


def plot_compare(histories: dict[str, Sequence[dict[str, float]]], path: Path, metric: str = "val_bce") -> Path:
    """One validation curve per run (``metric`` per epoch, falling back to val_loss)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, history in histories.items():
        key = metric if history and metric in history[0] else "val_loss"
        ax.plot([int(r["epoch"]) + 1 for r in history], [r.get(key, np.nan) for r in history],
                marker="o", markersize=3, label=name)
    ax.set(xlabel="epoch", ylabel=metric.replace("_", " "), title="Fashion-MNIST autoencoders: validation")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_anomalies(images: np.ndarray, labels: np.ndarray, errors: np.ndarray, typical: np.ndarray,
                   atypical: np.ndarray, path: Path, class_names: Sequence[str], title: str = "") -> Path:
    """Two rows of images: the most typical (lowest error) and the least typical (highest error),
    each captioned with its class and reconstruction error."""
    n = max(len(typical), len(atypical))
    fig, axes = plt.subplots(2, n, figsize=(1.3 * n, 3.4), squeeze=False)
    for r, (label, idx) in enumerate((("most typical", typical), ("least typical", atypical))):
        for c in range(n):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c >= len(idx):
                ax.axis("off")
                continue
            i = int(idx[c])
            ax.imshow(images[i], cmap=IMAGE_CMAP, vmin=0, vmax=255 if images.dtype == np.uint8 else 1)
            ax.set_title(f"{class_names[int(labels[i])]}\n{errors[i]:.4f}", fontsize=6)
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    fig.suptitle(title)
    return save_figure(fig, path)


def image_grid(images: np.ndarray, cols: int, gap: int = 1) -> np.ndarray:
    """Tile (N, H, W) images into one array, ``cols`` per row, ``gap`` background (0) pixels between."""
    n, h, w = images.shape
    rows = (n + cols - 1) // cols
    grid = np.zeros((rows * (h + gap) - gap, cols * (w + gap) - gap), dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        grid[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = img
    return grid


def grid_figure(grid: np.ndarray, title: str, inches_per_pixel: float = 1 / 45) -> tuple[plt.Figure, plt.Axes]:
    """A figure showing one image grid, titled, without ticks. Pixels are drawn as every picture of
    the suite draws them (:data:`IMAGE_CMAP`): 0 black, 1 white, so garments are light on black, as
    Fashion-MNIST stores them and as the reconstructions beside them show them."""
    fig, ax = plt.subplots(figsize=(max(3.0, grid.shape[1] * inches_per_pixel),
                                    max(1.5, grid.shape[0] * inches_per_pixel + 0.4)))
    ax.imshow(grid, cmap=IMAGE_CMAP, vmin=0.0, vmax=1.0, interpolation="antialiased")
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    return fig, ax


def plot_vae_losses(history: Sequence[dict[str, float]], path: Path) -> Path:
    """Total loss, reconstruction and KL per epoch, train and validation, side by side."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    epochs = [int(row["epoch"]) + 1 for row in history]  # 1-based, as the progress lines count
    titles = ("total (recon + beta KL)", "reconstruction (BCE)", "KL to N(0, I)")
    for ax, part, title in zip(axes, ("loss", "recon", "kl"), titles):
        for split, style in (("train", "-"), ("val", "--")):
            key = f"{split}_{part}"
            if any(key in row for row in history):
                ax.plot(epochs, [row.get(key, np.nan) for row in history], style, marker=".", label=split)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
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


def plot_latent_points(points: np.ndarray, labels: np.ndarray, class_names: Sequence[str], path: Path,
                       title: str) -> Path:
    """Scatter of latent points (N, D) coloured by class, with a legend of class names; D > 2 is
    projected on its first two principal components (see :func:`project_2d`)."""
    xy, axis_labels = project_2d(points)
    fig, ax = plt.subplots(figsize=(7.5, 6))
    cmap = plt.get_cmap("tab10")
    for k, name in enumerate(class_names):
        chosen = labels == k
        if chosen.any():
            ax.scatter(xy[chosen, 0], xy[chosen, 1], s=3, alpha=0.6, color=cmap(k % 10), label=name, rasterized=True)
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_title(title, fontsize=10)
    ax.legend(markerscale=4, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.grid(alpha=0.3)
    return save_figure(fig, path)
