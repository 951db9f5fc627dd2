"""Pictures of Fashion-MNIST autoencoder runs: loss curves, reconstructions, run comparison and
anomaly grids. Matplotlib runs on the Agg backend (no display needed) and every figure is written
to a temporary file beside its target, then renamed, so a picture appears whole or not at all."""

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

from training.fashion_data import CLASS_NAMES


def _save(fig: plt.Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        fig.savefig(tmp, dpi=100, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
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
    return _save(fig, path)


def plot_reconstructions(clean: torch.Tensor, recon: torch.Tensor, path: Path, noisy: torch.Tensor | None = None,
                         title: str = "") -> Path:
    """Rows: originals, the noisy inputs (when given), reconstructions; one column per image."""
    rows = [("original", _images(clean))] + ([("noisy input", _images(noisy))] if noisy is not None else [])
    rows.append(("reconstruction", _images(recon)))
    n = rows[0][1].shape[0]
    fig, axes = plt.subplots(len(rows), n, figsize=(1.1 * n, 1.2 * len(rows)), squeeze=False)
    for r, (label, images) in enumerate(rows):
        for c in range(n):
            ax = axes[r][c]
            ax.imshow(images[c], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    fig.suptitle(title)
    return _save(fig, path)


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
    return _save(fig, path)


def plot_anomalies(images: np.ndarray, labels: np.ndarray, errors: np.ndarray, typical: np.ndarray,
                   atypical: np.ndarray, path: Path, title: str = "") -> Path:
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
            ax.imshow(images[i], cmap="gray", vmin=0, vmax=255 if images.dtype == np.uint8 else 1)
            ax.set_title(f"{CLASS_NAMES[int(labels[i])]}\n{errors[i]:.4f}", fontsize=6)
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    fig.suptitle(title)
    return _save(fig, path)
