"""What a ``docclean train`` run shows of its validation pages after every epoch: their score
(:func:`page_rmse_evaluator`, the pages cleaned as ``docclean eval`` cleans them) and the pictures
``loss.png`` (training loss and validation RMSE against the raw pages' RMSE) and ``samples.png``
(noisy / cleaned / target for a few validation pages), written atomically, so a viewer never sees
half a picture."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from docclean.atomic import atomic_path
from docclean.errors import Cancelled
from docclean.metrics import pooled_rmse
from docclean.settings import CleanSettings
from training.loop import Callback, read_history
from training.page_store import as_float
from training.run_folder import writing_in

if TYPE_CHECKING:
    from docclean.engine import Denoiser

CROP = 320


def eval_cleaner(model: torch.nn.Module, device: str) -> Denoiser:
    """A cleaner that runs ``model`` as ``docclean eval`` and ``docclean clean`` run a model file
    (``Denoiser.with_backend``, which ``Denoiser.from_settings`` uses too, of default
    :class:`CleanSettings`: auto levels, the steps around the network, their tiling), on the torch
    backend in fp32. Validation must score
    what the user gets: the bare network ranked epochs the other way round on dark scans."""
    from docclean.backends.torch_backend import TorchBackend
    from docclean.engine import Denoiser

    settings = CleanSettings(device=device, backend="torch", precision="fp32")
    return Denoiser.with_backend(TorchBackend(model, device=device, precision="fp32"), settings)


def page_rmse_evaluator(val_pages: list[tuple[np.ndarray, np.ndarray]], stop: Callable[[], bool] | None = None):
    """Validation: pooled RMSE of whole validation pages cleaned as ``docclean eval`` cleans them
    (:func:`eval_cleaner`: its figure for the same pages), with the model being trained. ``stop``
    is asked before each page; True raises :class:`Cancelled` (a whole pass over big pages takes
    long: a stop must not wait for it; the epoch in hand is then lost, and resuming redoes it)."""

    def each(what: str):  # one page's floats at a time
        for n, c in val_pages:
            if stop is not None and stop():
                raise Cancelled(f"stopped while {what}")
            yield as_float(n), as_float(c)

    raw = pooled_rmse(each("the validation pages were read"))  # the scans' own score never changes: taken once

    def evaluate(model: torch.nn.Module) -> dict[str, float]:
        device = next(model.parameters()).device.type
        # A copy: the engine's backend turns the model it runs to channels_last in place, and the
        # model being trained would then train in another memory format from its first validation
        # on, which a resumed run (loaded contiguous) does not: its weights drifted 1e-4 apart.
        cleaner = eval_cleaner(copy.deepcopy(model), device)
        return {"val_rmse": pooled_rmse((cleaner.clean(n), c) for n, c in each("the validation pages were scored")),
                "val_raw_rmse": raw}

    return evaluate


class SamplePictures(Callback):
    """Draws ``loss.png`` and ``samples.png`` into the run folder at the end of every epoch."""

    def __init__(self, out: Path, val_pages: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.out = Path(out)
        # A fixed central crop of each page keeps the picture small and comparable across epochs.
        self.crops = [(as_float(_centre(n)), as_float(_centre(c))) for n, c in val_pages]

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        from docclean.checkpoint import load_model

        with writing_in(self.out, "draw the run's pictures"):  # a full disk: DiskFullError naming the run folder
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
