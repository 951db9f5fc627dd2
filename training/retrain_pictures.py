"""The pictures of a ``docclean train`` run, redrawn after every epoch: ``loss.png`` (training loss
and validation RMSE against the raw pages' RMSE) and ``samples.png`` (noisy / cleaned / target for
a few validation pages). Written atomically, so a viewer never sees half a picture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from docclean.atomic import atomic_path
from training.loop import Callback, read_history
from training.page_store import as_float

CROP = 320


class SamplePictures(Callback):
    """Draws ``loss.png`` and ``samples.png`` into the run folder at the end of every epoch."""

    def __init__(self, out: Path, val_pages: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.out = Path(out)
        # A fixed central crop of each page keeps the picture small and comparable across epochs.
        self.crops = [(as_float(_centre(n)), as_float(_centre(c))) for n, c in val_pages]

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        from docclean.checkpoint import load_model

        draw_loss(self.out, read_history(self.out))
        last = self.out / "last.safetensors"  # saved by the loop before it calls back
        if self.crops and last.exists():
            draw_samples(self.out, load_model(last)[0], self.crops)


def _centre(page: np.ndarray) -> np.ndarray:
    h, w = page.shape
    y, x = max(0, (h - CROP) // 2), max(0, (w - CROP) // 2)
    return page[y:y + CROP, x:x + CROP]


def draw_loss(out: Path, history: list[dict[str, float]]) -> None:
    """Training loss and validation RMSE per epoch (with the raw pages' RMSE for reference)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not history:
        return
    epochs = [int(h["epoch"]) + 1 for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    losses = [h.get("train_loss", np.nan) for h in history]
    a.plot(epochs, losses, label="training loss")
    a.set_xlabel("epoch")
    if any(np.isfinite(v) and v > 0 for v in losses):  # a run that diverged at once has nothing to log-scale
        a.set_yscale("log")
    a.legend()
    b.plot(epochs, [h.get("val_rmse", np.nan) for h in history], label="validation RMSE (cleaned)")
    b.plot(epochs, [h.get("val_raw_rmse", np.nan) for h in history], "--", label="raw pages")
    b.set_xlabel("epoch")
    b.legend()
    fig.tight_layout()
    with atomic_path(out / "loss.png") as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)


@torch.inference_mode()
def draw_samples(out: Path, model: torch.nn.Module, crops: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """Rows of noisy / cleaned / target crops of validation pages."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model = model.eval().float().cpu()
    fig, axes = plt.subplots(len(crops), 3, figsize=(9, 3 * len(crops)), squeeze=False)
    for row, (noisy, clean) in zip(axes, crops):
        cleaned = model(torch.from_numpy(np.ascontiguousarray(noisy))[None, None]).clamp(0, 1)[0, 0].numpy()
        for ax, img, title in zip(row, (noisy, cleaned, clean), ("noisy", "cleaned", "target")):
            ax.imshow(img, cmap="gray", vmin=0, vmax=1)
            ax.set_title(title)
            ax.axis("off")
    fig.tight_layout()
    with atomic_path(out / "samples.png") as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)
