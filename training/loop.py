"""The one generic training loop that every task (denoiser, Fashion-MNIST autoencoders, VAEs) uses.

``fit`` runs epochs of optimisation, validates after each, logs one CSV row per epoch, keeps the
best checkpoint (by a monitored validation metric) and the last one, stops early when validation
stops improving, and resumes an interrupted run from the state it saved after its last epoch.

A task supplies only a model, a loss function, data iterables and, optionally, an ``evaluate``
function; everything about epochs, checkpoints and logging lives here.
"""

from __future__ import annotations

import csv
import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Sized
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file
from torch import nn

from docclean.atomic import atomic_path
from docclean.checkpoint import atomic_save_tensors, read_metadata, save_model

LossFn = Callable[[nn.Module, Any], "tuple[torch.Tensor, dict[str, float]]"]
"""``loss_fn(model, batch) -> (loss, parts)``: a scalar to minimise and named floats to log."""


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
    bf16: bool = False
    grad_clip: float | None = None
    resume: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["out_dir"] = str(self.out_dir)
        return d


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


def _lr_at(config: FitConfig, epoch: int) -> float:
    if config.lr_schedule == "cosine" and config.epochs > 1:
        return config.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * epoch / config.epochs)))
    return config.lr


def _optimizer_tensors(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimizer state dict into tensors (for safetensors) and JSON (the rest)."""
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, state in sd["state"].items():
        for key, value in state.items():
            if torch.is_tensor(value):
                tensors[f"opt.{idx}.{key}"] = value
            else:
                scalars.setdefault(str(idx), {})[key] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _restore_optimizer(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], info: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith("opt."):
            _, idx, key = name.split(".", 2)
            state.setdefault(int(idx), {})[key] = value
    for idx, values in info.get("scalars", {}).items():
        state.setdefault(int(idx), {}).update(values)
    opt.load_state_dict({"state": state, "param_groups": info["param_groups"]})


def _write_csv(path: Path, history: list[dict[str, float]]) -> None:
    keys: list[str] = []
    for row in history:
        keys += [k for k in row if k not in keys]
    with atomic_path(path) as tmp, tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(history)


def read_history(out_dir: Path) -> list[dict[str, float]]:
    """Read a run folder's ``metrics.csv`` back as a list of rows of floats."""
    path = Path(out_dir) / "metrics.csv"
    if not path.exists():
        return []
    with path.open() as f:
        return [{k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(f)]


def _run_epoch(model: nn.Module, loss_fn: LossFn, data: Iterable, opt: torch.optim.Optimizer,
               config: FitConfig, epoch: int, callbacks: list[Callback]) -> dict[str, float]:
    model.train()
    sums: dict[str, float] = {}
    count = 0
    for i, batch in enumerate(data):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16 and config.device == "cpu"):
            loss, parts = loss_fn(model, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip:
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        opt.step()
        value = float(loss.detach())
        if not math.isfinite(value):
            raise FloatingPointError(f"training loss became {value} at epoch {epoch}, batch {i}")
        for key, part in {"loss": value, **parts}.items():
            sums[key] = sums.get(key, 0.0) + float(part)
        count += 1
        for cb in callbacks:
            cb.on_batch_end(epoch, i, value)
    return {f"train_{k}": v / max(count, 1) for k, v in sums.items()}


@torch.inference_mode()
def evaluate_loss(model: nn.Module, loss_fn: LossFn, data: Iterable, prefix: str = "val",
                  bf16: bool = False) -> dict[str, float]:
    """Mean loss and loss parts over ``data``, weighted by batch size, as ``{prefix}_{name}``."""
    model.eval()
    sums: dict[str, float] = {}
    total = 0
    for batch in data:
        n = len(batch[0]) if isinstance(batch, (list, tuple)) else len(batch)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss, parts = loss_fn(model, batch)
        for key, part in {"loss": float(loss), **parts}.items():
            sums[key] = sums.get(key, 0.0) + float(part) * n
        total += n
    return {f"{prefix}_{k}": v / max(total, 1) for k, v in sums.items()}


def fit(model: nn.Module, loss_fn: LossFn, train_data: Iterable, config: FitConfig, *, arch: str,
        model_config: dict[str, Any], val_data: Iterable | None = None,
        evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
        info: dict[str, Any] | None = None, callbacks: list[Callback] | None = None) -> FitResult:
    """Train ``model`` and return a :class:`FitResult`.

    ``train_data`` is iterated once per epoch; validation uses ``evaluate(model)`` when given,
    else the mean of ``loss_fn`` over ``val_data``. ``config.monitor`` names the metric that
    picks the best checkpoint and drives early stopping (lower is better). ``info`` is stored in
    every checkpoint's metadata next to ``arch`` and ``model_config``.
    """
    callbacks = callbacks or []
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.to(config.device)
    opt = make_optimizer(config.optimizer, model.parameters(), config.lr, config.weight_decay)
    start_epoch, best, best_epoch, bad_epochs = 0, math.inf, -1, 0
    history: list[dict[str, float]] = []
    state_path, last_path, best_path = out / "state.safetensors", out / "last.safetensors", out / "best.safetensors"
    if config.resume and state_path.exists() and last_path.exists():
        state = read_metadata(state_path)["trainer"]
        model.load_state_dict(load_file(str(last_path)))
        _restore_optimizer(opt, load_file(str(state_path)), state["optimizer"])
        start_epoch, best, best_epoch, bad_epochs = state["epoch"] + 1, state["best"], state["best_epoch"], state["bad_epochs"]
        history = read_history(out)[:start_epoch]
    run_info = {"command": " ".join(sys.argv), "fit": config.to_json(), **(info or {})}
    (out / "config.json").write_text(json.dumps({"arch": arch, "model_config": model_config, **run_info}, indent=2))
    batches = len(train_data) if isinstance(train_data, Sized) else None
    for cb in callbacks:
        cb.on_train_start(start_epoch, config.epochs, batches)
    stopped_early = False
    for epoch in range(start_epoch, config.epochs):
        if config.patience is not None and bad_epochs >= config.patience:
            stopped_early = True
            break
        seed_everything(config.seed * 100_003 + epoch)
        for group in opt.param_groups:
            group["lr"] = _lr_at(config, epoch)
        t0 = time.perf_counter()
        metrics = {"epoch": float(epoch), "lr": opt.param_groups[0]["lr"]}
        metrics.update(_run_epoch(model, loss_fn, train_data, opt, config, epoch, callbacks))
        metrics["epoch_seconds"] = time.perf_counter() - t0
        if evaluate is not None:
            model.eval()
            metrics.update(evaluate(model))
        elif val_data is not None:
            metrics.update(evaluate_loss(model, loss_fn, val_data, bf16=config.bf16 and config.device == "cpu"))
        monitored = metrics.get(config.monitor, metrics["train_loss"])
        improved = monitored < best - config.min_delta
        if improved:
            best, best_epoch, bad_epochs = monitored, epoch, 0
        else:
            bad_epochs += 1
        history.append(metrics)
        meta_info = {**run_info, "epoch": epoch, "metrics": metrics}
        save_model(model, last_path, arch, model_config, meta_info)
        if improved:
            save_model(model, best_path, arch, model_config, meta_info)
        opt_tensors, opt_info = _optimizer_tensors(opt)
        trainer_state = {"epoch": epoch, "best": best, "best_epoch": best_epoch, "bad_epochs": bad_epochs,
                         "optimizer": opt_info}
        atomic_save_tensors(opt_tensors or {"empty": torch.zeros(1)}, state_path,
                            {"docclean": json.dumps({"arch": "trainer-state", "trainer": trainer_state})})
        _write_csv(out / "metrics.csv", history)
        for cb in callbacks:
            cb.on_epoch_end(epoch, metrics)
    else:
        stopped_early = config.patience is not None and bad_epochs >= config.patience and len(history) < config.epochs
    result = FitResult(best_epoch, best, len(history), stopped_early, out, history)
    for cb in callbacks:
        cb.on_train_end(result)
    return result
