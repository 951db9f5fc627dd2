"""The faces task: a deep convolutional autoencoder on the Olivetti faces, and its denoising version.

The plain autoencoder learns to squeeze a 64x64 face through a 64-number code and back; the
denoising one is the same network fed corrupted faces and scored against the clean ones. Two
corruptions: ``gaussian`` adds ``level`` x N(0, 1) to every pixel (clipped to 0..1), and ``mask``
blanks whole 8x8 patches (each with probability ``level``), so the network must fill in eyes,
mouths and cheeks it cannot see from what the rest of the face says.

This module supplies what ``training.loop.fit`` needs (model, loss, batches, config) and draws the
run folder's pictures; fit writes ``config.json``, ``metrics.csv`` and the checkpoints. Faces are
split by person (``faces_data.split_people``), so validation and test faces belong to people the
network never saw. Evaluation and pictures of trained runs are in ``training.suite.faces_eval``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from training.loop import Callback, FitConfig, FitResult, StopHook, fit
from training.suite.faces_data import load_faces, resolve_data_dir, split_people, to_tensor
from training.suite.faces_models import FacesAEConfig, build_faces_model
from training.suite.noise import resolve_noise_level

ARCH = "faces-conv"
NOISES = ("gaussian", "mask")
DEFAULT_NOISE_LEVEL = {"gaussian": 0.2, "mask": 0.25}
PATCH = 8
"""Side of the square patches the ``mask`` corruption blanks (an eye is about 10 pixels wide)."""
EVAL_NOISE_SEED = 1234
"""Validation and test faces are corrupted once with this seed, so their scores compare across runs."""


@dataclass
class FacesTaskConfig:
    """Options of a faces run (stored as ``task`` in config.json and the checkpoints)."""

    noise: str | None = None
    noise_level: float | None = None
    code: int = 64
    widths: list[int] = field(default_factory=lambda: [32, 64, 128, 128])
    batch_size: int = 32
    test_people: int = 8
    val_people: int = 4
    split_seed: int = 0
    people: int | None = None
    """Use only the first N people (quick tries and tests); None: all 40."""
    flip: bool = True
    """Mirror training faces at random: faces are nearly symmetric, so this doubles the data."""
    data_dir: str | None = None
    verify: bool = True

    def resolved(self) -> FacesTaskConfig:
        """Check the options and fill the noise level's default."""
        level = resolve_noise_level(self.noise, self.noise_level, DEFAULT_NOISE_LEVEL, bounded="mask")
        return FacesTaskConfig(**{**asdict(self), "noise_level": level})

    def model_config(self) -> dict[str, Any]:
        """The network's config dict (what the checkpoint stores)."""
        return FacesAEConfig(widths=list(self.widths), code=self.code).to_dict()


def corrupt(faces: torch.Tensor, kind: str | None, level: float | None,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """Corrupt faces (N, 1, 64, 64) in 0..1: ``gaussian`` or ``mask`` (see the module docstring);
    None or a zero level returns the input."""
    if kind is None or not level:
        return faces
    if kind == "gaussian":
        noise = torch.randn(faces.shape, generator=generator, dtype=faces.dtype, device=faces.device)
        return (faces + level * noise).clamp_(0.0, 1.0)
    if kind == "mask":
        n, _, h, w = faces.shape
        keep = torch.rand((n, 1, h // PATCH, w // PATCH), generator=generator, device=faces.device) >= level
        keep = keep.repeat_interleave(PATCH, dim=2).repeat_interleave(PATCH, dim=3)
        return faces * keep.to(faces.dtype)
    raise ValueError(f"unknown noise {kind!r}; choose {' or '.join(NOISES)}")


class FaceBatches:
    """Mini-batches of (input, target) faces. Training batches are shuffled, mirrored at random and
    freshly corrupted each epoch from torch's global generator (which ``fit`` seeds per epoch);
    ``fixed=True`` batches keep their order and are corrupted once with :data:`EVAL_NOISE_SEED`."""

    def __init__(self, faces: torch.Tensor, batch_size: int, noise: str | None = None,
                 noise_level: float | None = None, fixed: bool = False, flip: bool = False) -> None:
        self.faces, self.batch_size, self.fixed, self.flip = faces, batch_size, fixed, flip and not fixed
        self.noise, self.noise_level = noise, noise_level
        self.noisy = (corrupt(faces, noise, noise_level, torch.Generator().manual_seed(EVAL_NOISE_SEED))
                      if fixed else None)

    def __len__(self) -> int:
        return (len(self.faces) + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.faces)
        order = None if self.fixed else torch.randperm(n)
        for start in range(0, n, self.batch_size):
            if order is None:
                yield self.noisy[start:start + self.batch_size], self.faces[start:start + self.batch_size]  # type: ignore[index]
                continue
            clean = self.faces[order[start:start + self.batch_size]]
            if self.flip:
                mirrored = torch.rand(len(clean)) < 0.5
                clean = torch.where(mirrored[:, None, None, None], clean.flip(-1), clean)
            yield corrupt(clean, self.noise, self.noise_level), clean


def mse_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
    """Mean squared error between the output face and the clean target (PSNR is reported from it)."""
    inputs, targets = batch
    out = torch.sigmoid(model.decode_logits(model.encode(inputs)).float())
    loss = F.mse_loss(out, targets)
    return loss, {"mse": float(loss.detach())}


@dataclass
class FaceSplits:
    """Face tensors (N, 1, 64, 64) of the three parts of the person split, and who is in each."""

    train: torch.Tensor
    val: torch.Tensor
    test: torch.Tensor
    people: dict[str, list[int]]


def load_splits(task: FacesTaskConfig, data_dir: Path | None = None) -> FaceSplits:
    """Load the faces (``data_dir`` overrides the task's) and split them by person."""
    folder = data_dir if data_dir is not None else (Path(task.data_dir) if task.data_dir else None)
    faces = load_faces(folder, verify=task.verify)
    images, people = faces.images, faces.people
    if task.people:
        chosen = people < task.people
        images, people = images[chosen], people[chosen]
    train, val, test = split_people(people, task.test_people, task.val_people, task.split_seed)
    who = {name: sorted({int(p) for p in people[idx]})
           for name, idx in (("train", train), ("val", val), ("test", test))}
    return FaceSplits(to_tensor(images[train]), to_tensor(images[val]), to_tensor(images[test]), who)


def train_faces(task: FacesTaskConfig, fit_config: FitConfig, *, callbacks: list[Callback] | None = None,
                should_stop: StopHook | None = None) -> FitResult:
    """Train one faces autoencoder into ``fit_config.out_dir``; draws ``loss.png`` and
    ``reconstructions.png`` (test faces of unseen people: noisy input, reconstruction, original).
    Raises DataError when the data is missing or corrupt and ValueError for bad options."""
    from training.suite.faces_eval import reconstruction_picture
    from training.suite.plots import RUN_OUTPUTS, plot_loss_curves

    task = task.resolved()
    splits = load_splits(task)
    if task.data_dir is None:  # found through $DOCCLEAN_DATA or the cache: kept, so eval finds it later too
        task = replace(task, data_dir=str(resolve_data_dir(None).resolve()))
    torch.manual_seed(fit_config.seed)  # the initial weights depend on the seed alone
    model = build_faces_model(ARCH, task.model_config())
    info = {"task": asdict(task), "people": splits.people,
            "data": {"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)}}
    result = fit(model, mse_loss,
                 FaceBatches(splits.train, task.batch_size, task.noise, task.noise_level, flip=task.flip),
                 fit_config, arch=ARCH, model_config=task.model_config(),
                 val_data=FaceBatches(splits.val, 64, task.noise, task.noise_level, fixed=True),
                 info=info, callbacks=callbacks, should_stop=should_stop, derived_files=RUN_OUTPUTS)
    if result.stopped:
        return result  # pictures are drawn when the run finishes
    kind = f"denoising ({task.noise} {task.noise_level:g})" if task.noise else "autoencoder"
    plot_loss_curves(result.history, result.out_dir / "loss.png", title=f"faces {kind}: MSE")
    reconstruction_picture(result.out_dir)
    return result
