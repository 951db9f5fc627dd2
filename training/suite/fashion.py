"""The Fashion-MNIST autoencoder task: dense, sparse, deep, contractive and convolutional autoencoders,
and the denoising autoencoder (the conv network fed corrupted inputs, scored against clean targets).

This module supplies what ``training.loop.fit`` needs (a model, a loss, batches, a config) and
writes the run folder's pictures; fit itself writes ``config.json``, ``metrics.csv`` and the
checkpoints, keeps the best one by validation loss, stops early and resumes. Evaluation, comparison
and anomaly ranking live in ``training.suite.fashion_eval``; plots in ``training.suite.plots``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from docclean.checkpoint import load_model
from training.device import resolve_device
from training.loop import Callback, FitConfig, FitResult, StopHook, fit
from training.suite.fashion_data import (
    load_fashion_mnist,
    load_test_split,
    resolve_data_dir,
    to_tensor,
    train_val_split,
)
from training.suite.fashion_models import (
    ARCH_PREFIX,
    build_fashion_model,
    default_config,
    short_arch,
)
from training.suite.noise import resolve_noise_level
from training.suite.plots import RUN_OUTPUTS, plot_loss_curves, plot_reconstructions

NOISES = ("gaussian", "salt-pepper")
DEFAULT_NOISE_LEVEL = {"gaussian": 0.5, "salt-pepper": 0.1}
SPARSE_L1 = 1e-4
"""The Keras tutorial's ``activity_regularizer=l1(10e-5)``, added per image (summed over code units)."""
CONTRACTIVE_WEIGHT = 0.1
"""Default weight of the contractive penalty (the squared Frobenius norm of the encoder's Jacobian,
per image) against the per-pixel mean BCE; ``bench/contractive.py`` measures what it does."""
EVAL_NOISE_SEED = 1234
"""Validation and test inputs are corrupted once with this seed, so their losses compare across epochs and runs."""


@dataclass
class FashionTaskConfig:
    """Options of a Fashion-MNIST autoencoder run (stored as ``task`` in config.json and checkpoints)."""

    arch: str = "dense"
    loss: str = "bce"
    noise: str | None = None
    noise_level: float | None = None
    activity_l1: float | None = None
    contractive_weight: float | None = None
    batch_size: int = 256
    limit: int | None = None
    val_fraction: float = 1 / 12
    split_seed: int = 0
    data_dir: str | None = None
    verify: bool = True
    model_config: dict[str, Any] = field(default_factory=dict)

    def resolved(self) -> FashionTaskConfig:
        """Check the options and fill the defaults that depend on the architecture and noise."""
        arch = short_arch(self.arch)
        if self.loss not in ("bce", "mse"):
            raise ValueError(f"unknown loss {self.loss!r}; choose bce or mse")
        level = resolve_noise_level(self.noise, self.noise_level, DEFAULT_NOISE_LEVEL, bounded="salt-pepper")
        l1 = self.activity_l1 if self.activity_l1 is not None else (SPARSE_L1 if arch == "sparse" else 0.0)
        contractive = self.contractive_weight
        if contractive is None:
            contractive = CONTRACTIVE_WEIGHT if arch == "contractive" else 0.0
        if contractive < 0 or (contractive and arch != "contractive"):
            raise ValueError(f"contractive weight {contractive} needs --arch contractive and a value >= 0 "
                             "(the exact Jacobian penalty is for its one-layer sigmoid encoder)")
        return FashionTaskConfig(**{**asdict(self), "arch": arch, "noise_level": level, "activity_l1": l1,
                                    "contractive_weight": contractive,
                                    "model_config": {**default_config(arch), **self.model_config}})


def add_noise(images: torch.Tensor, kind: str | None, level: float | None,
              generator: torch.Generator | None = None) -> torch.Tensor:
    """Corrupt images in 0..1: ``gaussian`` adds ``level`` x N(0, 1) and clips to 0..1;
    ``salt-pepper`` sets a fraction ``level`` of pixels to 0 or 1 (half each). None returns the input."""
    if kind is None or not level:
        return images
    if kind == "gaussian":
        noise = torch.randn(images.shape, generator=generator, dtype=images.dtype, device=images.device)
        return (images + level * noise).clamp_(0.0, 1.0)
    if kind == "salt-pepper":
        u = torch.rand(images.shape, generator=generator, dtype=images.dtype, device=images.device)
        out = images.clone()
        out[u < level / 2] = 0.0
        out[(u >= level / 2) & (u < level)] = 1.0
        return out
    raise ValueError(f"unknown noise {kind!r}; choose {' or '.join(NOISES)}")


class Batches:
    """Mini-batches of (input, target) from a clean image tensor.

    Training batches are shuffled and freshly corrupted each epoch from the global torch RNG, which
    ``fit`` seeds per epoch, so a resumed run sees the same batches. Evaluation batches (``fixed=True``)
    keep their order and are corrupted once with :data:`EVAL_NOISE_SEED`.
    """

    def __init__(self, images: torch.Tensor, batch_size: int, noise: str | None = None,
                 noise_level: float | None = None, fixed: bool = False) -> None:
        self.images, self.batch_size, self.fixed = images, batch_size, fixed
        self.noise, self.noise_level = noise, noise_level
        self.noisy = (add_noise(images, noise, noise_level, torch.Generator().manual_seed(EVAL_NOISE_SEED))
                      if fixed else None)

    def __len__(self) -> int:
        return (len(self.images) + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.images)
        order = None if self.fixed else torch.randperm(n)
        for start in range(0, n, self.batch_size):
            if order is None:
                clean = self.images[start:start + self.batch_size]
                yield self.noisy[start:start + self.batch_size], clean  # type: ignore[index]
            else:
                clean = self.images[order[start:start + self.batch_size]]
                yield add_noise(clean, self.noise, self.noise_level), clean


def to_model_input(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Move a batch to the model's device in channels_last layout (see :func:`prepare_model`)."""
    # channels_last is what makes oneDNN's CPU convolutions fast (about 2.5x here); see prepare_model.
    p = next(model.parameters())
    return x.to(p.device).contiguous(memory_format=torch.channels_last)


def prepare_model(model: nn.Module, device: str = "cpu") -> nn.Module:
    """Move a model to ``device`` (auto, cpu, cuda, mps) in channels_last layout (a no-op for the
    dense networks)."""
    return model.to(device=resolve_device(device), memory_format=torch.channels_last)


def make_loss_fn(task: FashionTaskConfig):
    """``loss_fn(model, (inputs, targets)) -> (loss, {"bce", "mse"[, "l1"]})`` for training.loop.fit.

    The loss is per-pixel mean BCE (the tutorials' figure) or MSE, plus for the sparse network the
    L1 penalty on the code, summed over code units and averaged over the batch (as Keras does), and
    for the contractive network ``contractive_weight`` x the squared Frobenius norm of the encoder's
    Jacobian, averaged over the batch (logged as ``jacobian``).
    """
    def loss_fn(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        # fit has moved the batch to the model's device; channels_last is the layout the model wants.
        inputs, targets = (t.contiguous(memory_format=torch.channels_last) for t in batch)
        code = model.encode(inputs)
        logits = model.decode_logits(code).float()
        bce = F.binary_cross_entropy_with_logits(logits, targets)
        mse = F.mse_loss(torch.sigmoid(logits), targets)
        loss = bce if task.loss == "bce" else mse
        parts = {"bce": float(bce.detach()), "mse": float(mse.detach())}
        if task.activity_l1:
            l1 = code.float().abs().flatten(1).sum(1).mean()
            loss = loss + task.activity_l1 * l1
            parts["l1"] = float(l1.detach())
        if task.contractive_weight:
            jacobian = model.jacobian_penalty(code).mean()
            loss = loss + task.contractive_weight * jacobian
            parts["jacobian"] = float(jacobian.detach())
        return loss, parts
    return loss_fn


def load_task_data(task: FashionTaskConfig, data_dir: Path | None = None, download: bool = False
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, np.ndarray]:
    """(train, val, test) image tensors and the test labels, with ``task.limit`` applied to train."""
    root = data_dir if data_dir is not None else (Path(task.data_dir) if task.data_dir else None)
    data = load_fashion_mnist(root, verify=task.verify, download=download)
    images = data.train_images[:task.limit] if task.limit else data.train_images
    train_idx, val_idx = train_val_split(len(images), task.val_fraction, task.split_seed)
    return to_tensor(images[train_idx]), to_tensor(images[val_idx]), to_tensor(data.test_images), data.test_labels


def load_test_data(task: FashionTaskConfig, data_dir: Path | None = None, download: bool = False
                   ) -> tuple[torch.Tensor, np.ndarray]:
    """The test images as a tensor and their labels, read from the two test files alone (scoring a
    trained run needs no training file); ``data_dir`` None: the folder the run was trained on."""
    root = data_dir if data_dir is not None else (Path(task.data_dir) if task.data_dir else None)
    images, labels = load_test_split(root, verify=task.verify, download=download)
    return to_tensor(images), labels


def train_fashion(task: FashionTaskConfig, fit_config: FitConfig, *, download: bool = False,
                  callbacks: list[Callback] | None = None, should_stop: StopHook | None = None) -> FitResult:
    """Train one autoencoder into ``fit_config.out_dir`` and draw ``loss.png`` and ``reconstructions.png``.

    Raises DataError when the data is missing or corrupt and ValueError for bad options.
    """
    task = task.resolved()
    train, val, test, _ = load_task_data(task, download=download)
    if task.data_dir is None:  # found through $DOCCLEAN_DATA or the cache: kept, so eval finds it later too
        task = replace(task, data_dir=str(resolve_data_dir(None).resolve()))
    torch.manual_seed(fit_config.seed)  # the initial weights depend on the seed alone
    model = prepare_model(build_fashion_model(task.arch, task.model_config))  # fit moves it to the device
    result = fit(model, make_loss_fn(task), Batches(train, task.batch_size, task.noise, task.noise_level),
                 fit_config, arch=ARCH_PREFIX + task.arch, model_config=task.model_config,
                 val_data=Batches(val, task.batch_size, task.noise, task.noise_level, fixed=True),
                 info={"task": asdict(task), "data": {"train": len(train), "val": len(val)}},
                 callbacks=callbacks, should_stop=should_stop, derived_files=RUN_OUTPUTS)
    if result.stopped:
        return result  # pictures are drawn when the run finishes
    best = prepare_model(load_model(result.best_path)[0]).eval()
    name = f"{task.arch} denoiser, {task.noise} {task.noise_level:g}" if task.noise else task.arch
    plot_loss_curves(result.history, result.out_dir / "loss.png", title=f"{name} ({task.loss})")
    sample = Batches(test[:10], 10, task.noise, task.noise_level, fixed=True)
    noisy, clean = next(iter(sample))
    with torch.inference_mode():
        recon = best(to_model_input(best, noisy)).float().cpu()
    plot_reconstructions(clean, recon, result.out_dir / "reconstructions.png",
                         noisy=noisy if task.noise else None, title=f"{name}: test reconstructions")
    return result
