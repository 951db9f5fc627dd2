"""The VAE task on Fashion-MNIST: loss, data, training, loading and the test negative ELBO.

The loss of one image is the negative evidence lower bound with a weight on its second term:
``recon + beta * kl``, where ``recon`` is the binary cross-entropy summed over the 784 pixels (a
Bernoulli decoder; nats) and ``kl`` is the closed-form KL divergence from q(z|x) = N(mean, diag
exp(logvar)) to the prior N(0, I). ``beta = 1`` is the plain VAE; larger values trade
reconstruction for a latent code closer to the prior (beta-VAE). Batches average over images, so
every logged figure is per image. The test negative ELBO always uses ``beta = 1``, whatever the
training beta, so runs with different betas are compared on the same bound.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from docclean.checkpoint import load_model, read_metadata
from docclean.errors import DataError, ModelError
from docclean.places import user_path
from training.device import resolve_device
from training.loop import Callback, FitConfig, FitResult, StopHook, fit, read_history
from training.suite import fashion_data
from training.suite.vae_models import ARCH_NAMES, VAE_PREFIX, VAEBase, build_vae


@dataclass
class VAETaskConfig:
    """Model and data options of a VAE run (stored in the run's config and checkpoints)."""

    arch: str = "conv"
    latent_dim: int = 2
    beta: float = 1.0
    batch_size: int = 128
    data_dir: Path | None = None
    verify: bool = True
    download: bool = False
    limit: int | None = None
    val_fraction: float = 1 / 12
    split_seed: int = 0

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        # Absolute, so the pictures and eval commands find the data from any working folder.
        d["data_dir"] = str(user_path(self.data_dir).resolve()) if self.data_dir is not None else None
        return d


def kl_to_standard_normal(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, diag exp(logvar)) || N(0, I)) per row, in nats:
    ``0.5 * sum(exp(logvar) + mean**2 - 1 - logvar)``."""
    return 0.5 * (logvar.exp() + mean.pow(2) - 1.0 - logvar).sum(dim=1)


def reconstruction_nll(logits: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """Bernoulli negative log-likelihood (binary cross-entropy) summed over pixels, per image."""
    bce = F.binary_cross_entropy_with_logits(logits.float(), images, reduction="none")
    return bce.flatten(1).sum(dim=1)


def vae_loss(model: VAEBase, images: torch.Tensor, beta: float = 1.0) -> tuple[torch.Tensor, dict[str, float]]:
    """``(mean over images of recon + beta * kl, {"recon": ..., "kl": ...})`` for one batch."""
    logits, mean, logvar = model(images)
    recon = reconstruction_nll(logits, images).mean()
    kl = kl_to_standard_normal(mean.float(), logvar.float()).mean()
    return recon + beta * kl, {"recon": float(recon.detach()), "kl": float(kl.detach())}


class VAELoss:
    """A ``loss_fn`` for :func:`training.loop.fit` with a fixed ``beta`` (a class, not a lambda,
    so that it has a readable repr and can be tested on its own)."""

    def __init__(self, beta: float = 1.0) -> None:
        self.beta = beta

    def __call__(self, model: VAEBase, batch: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        return vae_loss(model, batch, self.beta)  # fit has moved the batch to the model's device

    def __repr__(self) -> str:
        return f"VAELoss(beta={self.beta})"


class ImageBatches:
    """An in-memory tensor of images served in batches; with ``shuffle``, each pass draws a new order
    from torch's global generator, which :func:`fit` seeds per epoch (so runs and resumes repeat).
    Far cheaper than a DataLoader for 47 MB of tensors that already sit in memory."""

    def __init__(self, images: torch.Tensor, batch_size: int, shuffle: bool = False) -> None:
        if batch_size < 1:
            raise ValueError(f"batch size must be at least 1, got {batch_size}")
        self.images, self.batch_size, self.shuffle = images, batch_size, shuffle

    def __len__(self) -> int:
        return (len(self.images) + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[torch.Tensor]:
        order = torch.randperm(len(self.images)) if self.shuffle else torch.arange(len(self.images))
        for start in range(0, len(order), self.batch_size):
            yield self.images[order[start:start + self.batch_size]]


def load_split_images(task: VAETaskConfig) -> tuple[torch.Tensor, torch.Tensor, fashion_data.FashionMNIST]:
    """Load Fashion-MNIST and return (train images, validation images, the whole data set);
    ``task.limit`` keeps only the first ``limit`` training images (for quick tries)."""
    data = fashion_data.load_fashion_mnist(task.data_dir, verify=task.verify, download=task.download)
    images = data.train_images[: task.limit] if task.limit else data.train_images
    if len(images) < 2:
        raise DataError(f"need at least 2 training images, got {len(images)}",
                        fashion_data.resolve_data_dir(task.data_dir))
    train_idx, val_idx = fashion_data.train_val_split(len(images), task.val_fraction, task.split_seed)
    return fashion_data.to_tensor(images[train_idx]), fashion_data.to_tensor(images[val_idx]), data


def train_vae(task: VAETaskConfig, fit_config: FitConfig, callbacks: list[Callback] | None = None,
              should_stop: StopHook | None = None) -> FitResult:
    """Train a VAE on Fashion-MNIST; writes the run folder (config.json, metrics.csv, best/last
    checkpoints, loss.png, and reconstructions.png once the run finishes) under
    ``fit_config.out_dir`` and returns the FitResult."""
    from training.suite.plots import RUN_OUTPUTS, plot_reconstructions, plot_vae_losses

    train_images, val_images, data = load_split_images(task)
    if task.data_dir is None:  # found through $DOCCLEAN_DATA or the cache: kept, so eval finds it later too
        task = replace(task, data_dir=fashion_data.resolve_data_dir(None))
    arch = ARCH_NAMES.get(task.arch, task.arch)
    torch.manual_seed(fit_config.seed)  # the initial weights depend on the seed alone (as fashion's do)
    model = build_vae(arch, {"latent_dim": task.latent_dim})
    model_config = model.config.to_dict()
    fit_config.monitor = "val_loss"
    info = {"task": "vae", "task_config": task.to_json(),
            "train_images": len(train_images), "val_images": len(val_images)}
    result = fit(model, VAELoss(task.beta), ImageBatches(train_images, task.batch_size, shuffle=True), fit_config,
                 arch=arch, model_config=model_config, val_data=ImageBatches(val_images, 512),
                 info=info, callbacks=callbacks, should_stop=should_stop, derived_files=RUN_OUTPUTS)
    if result.stopped:
        return result  # pictures are drawn when the run finishes, as in the other tasks
    plot_vae_losses(read_history(result.out_dir), result.out_dir / "loss.png")
    best, _ = load_vae(result.out_dir)
    test = fashion_data.to_tensor(data.test_images[:10])
    with torch.inference_mode():  # the decoded encoder mean: the reconstruction, without sampling noise
        recon = torch.sigmoid(best.decode(best.encode(test)[0]))
    plot_reconstructions(test, recon, result.out_dir / "reconstructions.png",
                         title=f"{arch}, latent {task.latent_dim}: test reconstructions")
    return result


def checkpoint_path(run: Path) -> Path:
    """The checkpoint a run folder stands for (``best.safetensors``), or ``run`` itself if a file."""
    run = Path(run)
    return run / "best.safetensors" if run.is_dir() else run


def load_vae(run: Path, device: str = "cpu") -> tuple[VAEBase, dict[str, Any]]:
    """Rebuild a trained VAE from a run folder or checkpoint file; returns (model in eval mode on
    ``device``: auto, cpu, cuda, cuda:N or mps, metadata). Raises ValueError naming a device that is not
    there (before the file is read, as ``fit`` refuses one before training), ModelError naming the file
    when it is missing or not a VAE."""
    target = resolve_device(device)
    path = checkpoint_path(run)
    arch = read_metadata(path)["arch"]
    if not arch.startswith(VAE_PREFIX):  # before loading: another network's weights would not fit
        raise ModelError(f"not a VAE checkpoint (architecture {arch!r})", path)
    model, meta = load_model(path)
    return model.to(target).eval(), meta


def _device_of(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def run_data_dir(meta: dict[str, Any], data_dir: Path | None,
                 verify: bool | None = None) -> tuple[Path | None, bool]:
    """The data folder and MD5 setting to evaluate a run with: ``data_dir`` and ``verify`` when given,
    else those the run was trained with (so a run trained on a private copy is evaluated on that
    copy, and a run trained on the official files can still be scored on a copy with ``verify=False``)."""
    task = meta.get("task_config", {})
    if verify is None:
        verify = bool(task.get("verify", True))
    if data_dir is not None:
        return data_dir, verify
    saved = task.get("data_dir")
    return (Path(saved) if saved else None), verify


def load_test_set(meta: dict[str, Any], data_dir: Path | None = None, limit: int | None = None,
                  verify: bool | None = None, download: bool = False) -> tuple[torch.Tensor, np.ndarray]:
    """Test images (N, 1, 28, 28) and labels (N,) for a run's metadata (see :func:`run_data_dir`);
    only the two test files are read (``fashion_data.load_test_split``), fetched when missing and
    ``download``. Raises DataError naming the test file that is missing or bad."""
    folder, verify = run_data_dir(meta, data_dir, verify)
    images, labels = fashion_data.load_test_split(folder, verify=verify, download=download)
    return fashion_data.to_tensor(images[:limit]), labels[:limit]


@torch.inference_mode()
def negative_elbo(model: VAEBase, images: torch.Tensor, batch_size: int = 500, seed: int = 0) -> dict[str, float]:
    """Per-image negative ELBO (beta = 1), reconstruction and KL in nats, averaged over ``images``
    (on the CPU; scored on the model's device). One latent sample per image, drawn from a CPU
    generator seeded with ``seed``: the figure repeats on every device, and the caller's random
    state (a GPU's too) is left alone."""
    model.eval()
    device = _device_of(model)
    generator = torch.Generator().manual_seed(seed)
    totals = {"nelbo": 0.0, "recon": 0.0, "kl": 0.0}
    for batch in ImageBatches(images, batch_size):
        batch = batch.to(device)
        mean, logvar = model.encode(batch)
        logits = model.decode(model.reparameterize(mean, logvar, generator))
        recon = reconstruction_nll(logits, batch)
        kl = kl_to_standard_normal(mean, logvar)
        totals["recon"] += float(recon.sum())
        totals["kl"] += float(kl.sum())
        totals["nelbo"] += float((recon + kl).sum())
    return {k: v / max(len(images), 1) for k, v in totals.items()}


@torch.inference_mode()
def latent_means(model: VAEBase, images: torch.Tensor, batch_size: int = 1000) -> np.ndarray:
    """Encoder means of ``images`` (on the CPU; encoded on the model's device) as an (N, latent_dim)
    float array."""
    model.eval()
    device = _device_of(model)
    return torch.cat([model.encode(b.to(device))[0].float().cpu() for b in ImageBatches(images, batch_size)]).numpy()


@torch.inference_mode()
def decode_images(model: VAEBase, z: torch.Tensor) -> np.ndarray:
    """Decode latent codes (N, latent_dim) to images (N, 28, 28) in 0..1, on the model's device."""
    model.eval()
    return torch.sigmoid(model.decode(z.float().to(_device_of(model))).float())[:, 0].cpu().numpy()
