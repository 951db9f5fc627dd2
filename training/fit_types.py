"""What a training run is configured with and what it ends with (``FitConfig``, ``FitResult``), the
progress hooks (``Callback``), and the pieces of an optimisation that are not the loop itself:
seeding, optimizers by name, the learning-rate schedule and its fitting into a time limit
(``TimeBudget``, ``FittedSchedule``, ``plan_epoch``), an epoch stopped part way (``PartialEpoch``)
and the mean loss over validation batches (``evaluate_loss``). ``training.loop.fit`` uses them and
re-exports them, so tasks import everything from ``training.loop``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from training.device import Precision, batch_size, move_to, resolve_precision

__all__ = ["Callback", "FitConfig", "FitResult", "FittedSchedule", "LossFn", "PartialEpoch", "TimeBudget",
           "evaluate_loss", "lr_at", "make_optimizer", "plan_epoch", "seed_everything"]

LossFn = Callable[[nn.Module, Any], "tuple[torch.Tensor, dict[str, float]]"]
"""``loss_fn(model, batch) -> (loss, parts)``: a scalar to minimise and named floats to log.
The batch arrives on the model's device."""


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
    keep_every: int = 0
    """Also keep every this many epochs' weights as ``epochs/epoch_NNN.safetensors`` (NNN: the
    epoch counted from 0, as the metadata's ``epoch``), for averaging or choosing after the run
    (0: only best and last)."""
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
    def on_resume_in_epoch(self, epoch: int, batches_done: int) -> None:
        """Before ``on_train_start``, when the run goes on part way through ``epoch`` (counted from
        0), ``batches_done`` of its batches trained before it stopped. Optional: ``fit`` calls it only
        on callbacks that have it."""
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
    stopped_at: tuple[int, int] | None = None
    """(epoch counted from 0, batches it had trained) when the stop came part way through an epoch:
    the run's ``last.safetensors`` then holds those weights, and a resume goes on from that batch."""
    unused: str | None = None
    """Set when a resumed run trained nothing (all its epochs done, its patience spent, stopped at
    once): the options given that differ from those config.json keeps, which went unused, in one
    line for the caller to show; None when there were none, or the run trained."""

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


def lr_at(config: FitConfig, epoch: int, position: float | None = None) -> float:
    """The learning rate of ``epoch``: cosine from ``lr`` down to 2% of it, or constant. ``position``
    (0: the peak, 1: the floor) replaces ``epoch / epochs`` where a :class:`TimeBudget` lays the
    cosine out over the epochs a time limit leaves instead."""
    if config.lr_schedule == "cosine" and config.epochs > 1:
        p = epoch / config.epochs if position is None else position
        return config.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * p)))
    return config.lr


@dataclass
class PartialEpoch:
    """An epoch stopped part way: how many batches ran and the sums of their logged values."""

    epoch: int
    batches: int = 0
    sums: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    """Training time the epoch had taken before it stopped (absent from older checkpoints' state: 0),
    so a resumed epoch's ``epoch_seconds`` counts all of it, not only the part after the restart."""
    position: float | None = None
    """Where in the cosine a :class:`TimeBudget` had put the epoch (None: at ``epoch / epochs``), so
    a resumed epoch finishes at the learning rate it began with."""
    rng: dict[str, Any] | None = None
    """The random generators' state when it stopped (``training.rng_state``), restored once the
    batches it had trained are replayed; None in older checkpoints' state: the draws the model made
    between those batches are then not repeated."""

    @classmethod
    def saved(cls, state: dict[str, Any]) -> PartialEpoch:
        """The stopped epoch saved in a trainer state; fields it does not know (a newer version's)
        are left out, and those it lacks (an older version's) take their defaults."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in state.items() if k in known})


#: Epoch lengths a :class:`TimeBudget` averages: recent ones, as the first may include warming up.
_RECENT = 3


@dataclass
class FittedSchedule:
    """The cosine as a :class:`TimeBudget` fitted it, kept in the run's trainer state so that a resume
    goes on along it instead of going back to ``epoch / epochs`` (a jump back up towards the peak):
    epoch ``epoch`` trained at ``position``, and the positions rise evenly from there to the floor
    (1) at epoch ``end``, the fitted total epoch count; None: at the run's ``epochs``, where the time
    last left room for them all. Epochs past ``end`` train at the floor."""

    epoch: int
    position: float
    end: int | None = None

    def position_of(self, epoch: int, epochs: int) -> float:
        """Where in the cosine ``epoch`` trains on this schedule, for a run of ``epochs``."""
        end = epochs if self.end is None else self.end
        if end <= self.epoch:
            return 1.0
        return min(1.0, self.position + (1.0 - self.position) * (epoch - self.epoch) / (end - self.epoch))

    @classmethod
    def saved(cls, state: dict[str, Any] | None) -> FittedSchedule | None:
        """The schedule a trainer state holds; None for a run that followed the plain one (and for
        states written before schedules were kept)."""
        if not state:
            return None
        end = state.get("end")
        return cls(int(state["epoch"]), float(state["position"]), None if end is None else int(end))


@dataclass
class TimeBudget:
    """A time limit that ends a run before its ``epochs`` would: the cosine schedule is fitted into
    it, so the run ends annealed instead of being cut near its peak rate.

    The first epoch of a call trains where the schedule the run follows puts it (``epoch / epochs``,
    or a :class:`FittedSchedule` an earlier call left: :func:`plan_epoch`); from then on, before
    each epoch, the whole epochs still fitting before ``deadline`` are estimated from the recent
    epochs' lengths (training, validation and saving), and the positions left up to
    the cosine's floor are spread evenly over them, so the last epoch that fits trains near the
    floor, as the last of ``epochs`` does. Estimated anew before every epoch (epochs speed up or
    slow down); a limit that leaves room for all of ``epochs`` gives the plain schedule. The clock
    is the caller's (``now`` in the clock's seconds), so tests can drive it."""

    deadline: float
    epochs: int
    lengths: list[float] = field(default_factory=list)

    def spent(self, now: float) -> bool:
        """Whether the time is up."""
        return now > self.deadline

    def position(self, epoch: int, now: float, previous: float | None) -> float:
        """Where in the cosine (0 peak, 1 floor) ``epoch`` trains; ``previous`` is where the epoch
        before it in this call trained (None for the first one)."""
        return self.fit(epoch, now, previous)[0]

    def fit(self, epoch: int, now: float, previous: float | None) -> tuple[float, int | None]:
        """:meth:`position`, and the epoch at which the cosine so fitted reaches its floor (the fitted
        total epoch count); None when nothing was fitted: the time leaves room for all of ``epochs``,
        or no epoch of this call has been timed yet."""
        if previous is None or not self.lengths:
            return epoch / self.epochs, None
        recent = self.lengths[-_RECENT:]
        fitting = max(0, int((self.deadline - now) // (sum(recent) / len(recent))))
        left = min(fitting, self.epochs - epoch)  # this epoch included
        # Evenly spaced from ``previous`` to the floor, the last at one step short of it, as the
        # plain schedule's last epoch is: with every epoch left fitting, exactly ``epoch / epochs``.
        position = min(1.0, previous + (1.0 - previous) / (left + 1))
        return position, (epoch + left if left < self.epochs - epoch else None)


def plan_epoch(epoch: int, epochs: int, schedule: FittedSchedule | None, budget: TimeBudget | None, now: float,
               previous: float | None) -> tuple[float | None, FittedSchedule | None]:
    """Where in the cosine ``epoch`` trains (None: ``epoch / epochs``, the plain schedule), and the
    schedule the run follows from it on (None: the plain one), to keep in its trainer state.

    Until ``budget`` (this call's time limit, if any) has timed an epoch of this call, the epoch
    trains where ``schedule``, the one the run was following when it stopped, puts it: a resume
    without a time limit finishes the cosine an earlier limit fitted. Then the budget fits what is
    left of the cosine from ``previous`` (where the epoch before trained) into the time it leaves."""
    follow = None if schedule is None else schedule.position_of(epoch, epochs)
    if budget is None:
        return follow, schedule
    if previous is None or not budget.lengths:  # a number: the next epoch's fitting starts from it
        return (epoch / epochs if follow is None else follow), schedule
    position, end = budget.fit(epoch, now, previous)
    if end is None and schedule is None:  # the time has never bound: the plain schedule, nothing to keep
        return position, None
    return position, FittedSchedule(epoch, position, end)


@torch.inference_mode()
def evaluate_loss(model: nn.Module, loss_fn: LossFn, data: Iterable, prefix: str = "val",
                  bf16: bool = False, precision: Precision | None = None) -> dict[str, float]:
    """Mean loss and loss parts over ``data``, weighted by batch size, as ``{prefix}_{name}``.
    Batches go to the model's device; ``precision`` (default: float32, or bf16 as resolved for the
    model's device when ``bf16``) sets the autocast."""
    model.eval()
    device = next(model.parameters()).device
    precision = precision or resolve_precision(device, "bf16" if bf16 else "fp32")
    sums: dict[str, float] = {}
    total = 0
    for batch in data:
        n = batch_size(batch)
        with precision.autocast():
            loss, parts = loss_fn(model, move_to(batch, device))
        for key, part in {"loss": float(loss), **parts}.items():
            sums[key] = sums.get(key, 0.0) + float(part) * n
        total += n
    return {f"{prefix}_{k}": v / max(total, 1) for k, v in sums.items()}
