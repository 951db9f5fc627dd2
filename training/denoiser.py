"""The paired-scans task: train the page denoiser on noisy/clean scan pairs.

Data is two folders with the same file names (``train/`` noisy, ``train_cleaned/`` clean, as in
the "Denoising Dirty Documents" set). Pages whose clean images are identical are versions of one
text, so the validation split holds out whole texts. Training draws random crops at several scales
(letters at 300 dpi are several times larger than on the 540-pixel training pages), random flips,
and sometimes lays a synthetic shadow or stain over the noisy input.

Run it as ``python -m training.denoiser --data DIR --out RUN_DIR`` (``--help`` lists options).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from docclean.checkpoint import load_model
from docclean.errors import DataError
from docclean.io import read_gray
from docclean.metrics import pooled_rmse
from docclean.model import DocUNet, DocUNetConfig
from docclean.synth import shadow_field, stain_field
from training.loop import Callback, FitConfig, FitResult, fit

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}


@dataclass
class DenoiserTaskConfig:
    """Data and augmentation options of the paired-scans task."""

    data: Path = Path("../shared/data/dirty-documents")
    noisy_dir: str = "train"
    clean_dir: str = "train_cleaned"
    val_texts: int = 6
    split_seed: int = 0
    crop: int = 160
    batch_size: int = 24
    batches_per_epoch: int = 100
    scales: list[float] = field(default_factory=lambda: [1.0, 1.5, 2.0, 3.0])
    augment_prob: float = 0.3


def find_pairs(data: Path, noisy_dir: str = "train", clean_dir: str = "train_cleaned") -> list[tuple[Path, Path]]:
    """Pair every noisy page with the clean page of the same name; raise DataError on gaps."""
    noisy_root, clean_root = Path(data) / noisy_dir, Path(data) / clean_dir
    for root in (noisy_root, clean_root):
        if not root.is_dir():
            raise DataError("folder not found (expected noisy and clean folders with the same file names)", root)
    noisy = sorted(p for p in noisy_root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not noisy:
        raise DataError("no images found", noisy_root)
    missing = [p.name for p in noisy if not (clean_root / p.name).exists()]
    if missing:
        raise DataError(f"no clean page for {len(missing)} noisy page(s), e.g. {missing[0]}", clean_root)
    return [(p, clean_root / p.name) for p in noisy]


def split_by_text(pairs: list[tuple[Path, Path]], val_texts: int, seed: int = 0
                  ) -> tuple[list[tuple[Path, Path]], list[tuple[Path, Path]]]:
    """Split pairs into (train, val), holding out ``val_texts`` whole texts (pages that share
    an identical clean image), so no validation text is ever seen in training."""
    groups: dict[str, list[tuple[Path, Path]]] = {}
    for noisy, clean in pairs:
        digest = hashlib.md5(read_gray(clean).tobytes()).hexdigest()
        groups.setdefault(digest, []).append((noisy, clean))
    keys = sorted(groups, key=lambda k: min(p.name for p, _ in groups[k]))
    if val_texts >= len(keys):
        raise DataError(f"only {len(keys)} distinct texts; cannot hold out {val_texts}", pairs[0][0].parent)
    random.Random(seed).shuffle(keys)
    val_keys = set(keys[:val_texts])
    train = [p for k in keys if k not in val_keys for p in groups[k]]
    val = [p for k in keys if k in val_keys for p in groups[k]]
    return train, val


def _resize(img: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return img
    h, w = img.shape
    return cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC).clip(0, 1)


class CropBatches:
    """An epoch of random (noisy, clean) crop batches, each of shape (B, 1, crop, crop).

    Pages are resized once per scale up front; every epoch draws fresh crops from the RNG state
    that the training loop seeds per epoch, so runs and resumed runs are reproducible."""

    def __init__(self, pairs: list[tuple[Path, Path]], cfg: DenoiserTaskConfig) -> None:
        self.cfg = cfg
        images = [(read_gray(n), read_gray(c)) for n, c in pairs]
        self.pages = {s: [(_resize(n, s), _resize(c, s)) for n, c in images] for s in cfg.scales}
        for s, pages in self.pages.items():
            too_small = [i for i, (n, _) in enumerate(pages) if min(n.shape) < cfg.crop]
            if too_small:
                raise DataError(f"page smaller than the {cfg.crop}-pixel crop at scale {s}", pairs[too_small[0]][0])

    def __len__(self) -> int:
        return self.cfg.batches_per_epoch

    def _crop(self) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.cfg
        scale = cfg.scales[np.random.randint(len(cfg.scales))]
        pages = self.pages[scale]
        noisy, clean = pages[np.random.randint(len(pages))]
        y = np.random.randint(noisy.shape[0] - cfg.crop + 1)
        x = np.random.randint(noisy.shape[1] - cfg.crop + 1)
        n = noisy[y:y + cfg.crop, x:x + cfg.crop]
        c = clean[y:y + cfg.crop, x:x + cfg.crop]
        if np.random.rand() < 0.5:
            n, c = n[:, ::-1], c[:, ::-1]
        if np.random.rand() < 0.5:
            n, c = n[::-1], c[::-1]
        if np.random.rand() < cfg.augment_prob:
            rng = np.random.default_rng(np.random.randint(2**31))
            # A crop is a small part of a page: lay the field over a page-sized area and cut it.
            big = cfg.crop * 4
            fy, fx = rng.integers(0, big - cfg.crop, size=2)
            fieldfn = shadow_field if rng.random() < 0.6 else stain_field
            n = n * fieldfn(big, big, rng)[fy:fy + cfg.crop, fx:fx + cfg.crop]
        return np.ascontiguousarray(n), np.ascontiguousarray(c)

    def __iter__(self):
        for _ in range(len(self)):
            crops = [self._crop() for _ in range(self.cfg.batch_size)]
            noisy = torch.from_numpy(np.stack([n for n, _ in crops]))[:, None]
            clean = torch.from_numpy(np.stack([c for _, c in crops]))[:, None]
            yield noisy, clean


def mse_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
    """Mean squared error between the cleaned crop and its clean target (RMSE is the metric)."""
    noisy, clean = batch
    return F.mse_loss(model(noisy).float(), clean), {}


def page_rmse_evaluator(pairs: list[tuple[Path, Path]], bf16: bool, prefix: str = "val"):
    """An ``evaluate`` for :func:`training.loop.fit`: pooled RMSE of whole held-out pages at
    scale 1 (the Kaggle metric) and at scale 2 (letters the size of a 300-dpi scan's)."""
    pages = [(read_gray(n), read_gray(c)) for n, c in pairs]
    pages2 = [(_resize(n, 2.0), _resize(c, 2.0)) for n, c in pages]

    @torch.inference_mode()
    def evaluate(model: nn.Module) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, data in ((f"{prefix}_rmse", pages), (f"{prefix}_rmse_x2", pages2)):
            preds = []
            for noisy, clean in data:
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    pred = model(torch.from_numpy(noisy)[None, None]).float().clamp(0, 1)[0, 0].numpy()
                preds.append((pred, clean))
            out[name] = pooled_rmse(preds)
        return out

    return evaluate


def train(task: DenoiserTaskConfig, fit_config: FitConfig, model_config: DocUNetConfig | None = None,
          callbacks: list[Callback] | None = None, init_from: Path | None = None,
          command: str | None = None) -> FitResult:
    """Train (or, with ``init_from``, fine-tune) a DocUNet on paired scans; returns the FitResult.
    The best checkpoint (by held-out-text RMSE) is ``fit_config.out_dir / 'best.safetensors'``."""
    model_config = model_config or DocUNetConfig()
    pairs = find_pairs(task.data, task.noisy_dir, task.clean_dir)
    train_pairs, val_pairs = split_by_text(pairs, task.val_texts, task.split_seed)
    model = DocUNet(model_config)
    if init_from is not None:
        model, meta = load_model(init_from)
        model_config = DocUNetConfig(**meta["config"])
    model = model.to(memory_format=torch.channels_last)
    fit_config.monitor = "val_rmse"
    info: dict[str, Any] = {
        "task": "denoiser",
        "data": str(task.data),
        "task_config": {**asdict(task), "data": str(task.data)},
        "train_pages": [n.name for n, _ in train_pairs],
        "val_pages": [n.name for n, _ in val_pairs],
    }
    if command:
        info["command"] = command
    if init_from is not None:
        info["init_from"] = {"path": str(init_from), "command": meta.get("command"), "epoch": meta.get("epoch")}
    return fit(model, mse_loss, CropBatches(train_pairs, task), fit_config, arch="docunet",
               model_config=model_config.to_dict(), evaluate=page_rmse_evaluator(val_pairs, fit_config.bf16),
               info=info, callbacks=callbacks)


class PrintProgress(Callback):
    """Plain one-line-per-epoch progress for the module's own command line."""

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        shown = {k: round(v, 5) for k, v in metrics.items() if k in ("train_loss", "val_rmse", "val_rmse_x2", "lr", "epoch_seconds")}
        print(f"epoch {epoch}: {shown}", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Command line: train the default denoiser (see the module docstring)."""
    p = argparse.ArgumentParser(description="Train the docclean page denoiser on noisy/clean scan pairs.")
    p.add_argument("--data", type=Path, default=DenoiserTaskConfig.data)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--epochs", type=int, default=120)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--patience", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--no-bf16", action="store_true", help="train in float32 (slower)")
    p.add_argument("--widths", type=int, nargs="+", default=[32, 64, 96, 128])
    p.add_argument("--blocks", type=int, nargs="+", default=[1, 2, 2, 2])
    p.add_argument("--unshuffle", type=int, default=2)
    p.add_argument("--batches-per-epoch", type=int, default=100)
    p.add_argument("--scales", type=float, nargs="+", default=DenoiserTaskConfig().scales,
                   help="crop scales, drawn uniformly (repeat a scale to draw it more often)")
    p.add_argument("--init-from", type=Path, help="fine-tune from this checkpoint (its architecture wins)")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    task = DenoiserTaskConfig(data=a.data, batches_per_epoch=a.batches_per_epoch, scales=a.scales)
    fit_config = FitConfig(out_dir=a.out, epochs=a.epochs, lr=a.lr, optimizer="adamw", weight_decay=1e-4,
                           patience=a.patience, seed=a.seed, bf16=not a.no_bf16, grad_clip=1.0)
    model_config = DocUNetConfig(unshuffle=a.unshuffle, widths=a.widths, blocks=a.blocks)
    command = "python -m training.denoiser " + " ".join(sys.argv[1:] if argv is None else argv)
    result = train(task, fit_config, model_config, callbacks=[PrintProgress()], init_from=a.init_from,
                   command=command)
    print(f"best val_rmse {result.best_metric:.5f} at epoch {result.best_epoch}; checkpoint {result.best_path}")


if __name__ == "__main__":
    main()
