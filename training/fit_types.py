"""What a training run is configured with and what it ends with (``FitConfig``, ``FitResult``), the
progress hooks (``Callback``), and the pieces of an optimisation that are not the loop itself:
seeding, optimizers by name and the learning-rate schedule. ``training.loop.fit`` uses them and
re-exports them, so tasks import everything from ``training.loop``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["Callback", "FitConfig", "FitResult", "lr_at", "make_optimizer", "seed_everything"]


@dataclass
class FitConfig:
    """Options of one training run (written, resolved, to the run folder's ``config.json``)."""

    out_dir: Path
    epochs: int = 10
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    lr_schedule: str = "cosine"
    patience: int | None = 10
    min_delta: float = 0.0
    monitor: str = "val_loss"
    seed: int = 0
    device: str = "cpu"
    """auto (cuda, else mps, else cpu), cpu, cuda, cuda:N or mps."""
    bf16: bool = False
    """Shorthand kept for older callers: ``precision=None`` with ``bf16=True`` means ``bf16``."""
    precision: str | None = None
    """auto, bf16, fp16 or fp32, answered per device type (``training.device``); None: see bf16."""
    grad_clip: float | None = None
    resume: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["out_dir"] = str(self.out_dir)
        return d

    def requested_precision(self) -> str:
        """The precision asked for, with ``bf16=True`` standing for ``bf16``."""
        return self.precision or ("bf16" if self.bf16 else "fp32")


class Callback:
    """Progress hooks; subclasses override what they need (the CLI draws progress bars here)."""

    def on_train_start(self, start_epoch: int, epochs: int, batches_per_epoch: int | None) -> None: ...
    def on_batch_end(self, epoch: int, batch: int, loss: float) -> None: ...
    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None: ...
    def on_train_end(self, result: FitResult) -> None: ...


@dataclass
class FitResult:
    """What a run ended with: the best epoch and metric, why it stopped, and where files are."""

    best_epoch: int
    best_metric: float
    epochs_run: int
    stopped_early: bool
    out_dir: Path
    history: list[dict[str, float]]
    stopped: bool = False
    """True when the stop hook ended the run; rerunning with resume continues it."""

    @property
    def best_path(self) -> Path:
        return self.out_dir / "best.safetensors"


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so that a run (and a resumed run) is reproducible."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def make_optimizer(name: str, params: Iterable[nn.Parameter], lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """Build an optimizer by name: adam, adamw, sgd (momentum 0.9), rmsprop or adadelta."""
    name = name.lower()
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=weight_decay)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; choose adam, adamw, sgd, rmsprop or adadelta")


def lr_at(config: FitConfig, epoch: int) -> float:
    """The learning rate of ``epoch``: cosine from ``lr`` down to 2% of it, or constant."""
    if config.lr_schedule == "cosine" and config.epochs > 1:
        return config.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * epoch / config.epochs)))
    return config.lr
