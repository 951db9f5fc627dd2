"""A run's trainer state beside its weights: ``state.safetensors`` (the optimizer's tensors, with
the epoch, the best metric, the early-stopping count, an epoch stopped part way and a schedule a time
limit fitted in its metadata), loading the last weights to resume from, and spotting a save that was
cut between the two. ``training.loop.fit`` writes and reads them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from docclean.checkpoint import atomic_save_tensors, read_metadata
from docclean.errors import DataError, DocCleanError, UsageError
from docclean.models import TRAINER_STATE
from training.resume_guard import resume_hint
from training.run_folder import optimizer_tensors


def save_state(path: Path, opt: torch.optim.Optimizer, scaler: torch.amp.GradScaler, state: dict[str, Any]) -> None:
    """Write the trainer ``state`` (epoch, best, early-stopping count, a stopped epoch, a fitted
    schedule) with the optimizer's tensors and the gradient scaler's state, atomically."""
    opt_tensors, opt_info = optimizer_tensors(opt)
    state = {**state, "optimizer": opt_info, "scaler": scaler.state_dict() if scaler.is_enabled() else None}
    atomic_save_tensors(opt_tensors or {"empty": torch.zeros(1)}, path,
                        {"docclean": json.dumps({"arch": TRAINER_STATE, "trainer": state})})


def load_last(model: nn.Module, path: Path, arch: str, device: torch.device, start_over: str | None) -> None:
    """Load a run's last weights to resume from them: UsageError when they are of another network
    (a run folder whose config.json is gone: the options ask for another run, exit 2 as every refused
    resume), DataError when the file cannot be read (cut short), one line each, not the loader's
    traceback."""
    hint = resume_hint(start_over)
    try:
        there = read_metadata(path).get("arch")
    except DocCleanError as exc:  # cut short, garbled: safefile's reason
        raise DataError(f"cannot resume from this checkpoint ({exc.reason}); {hint}", path) from None
    if there is not None and there != arch:  # overwriting it would lose a run of another kind
        raise UsageError(f"cannot resume: the run folder holds a different model ({there!r}, not {arch!r}); "
                         "choose another --out", path)
    try:
        model.load_state_dict(load_file(str(path), device=str(device)))
    except Exception as exc:  # noqa: BLE001 - safetensors' and torch's own errors, in their words
        text = " ".join(str(exc).split())
        raise DataError(f"cannot resume from this checkpoint ({type(exc).__name__}: {text[:160]}); {hint}",
                        path) from None


def cut_save(state: dict[str, Any], last: dict[str, Any]) -> dict[str, float] | None:
    """The metrics of the ended epoch whose save was cut short after its weights (``last``'s
    metadata) and before its trainer ``state``, which is then an epoch behind; None when they agree."""
    if state.get("partial") or "partial_epoch" in last or last.get("epoch") != state["epoch"] + 1:
        return None
    metrics = last.get("metrics")
    return metrics if isinstance(metrics, dict) and "train_loss" in metrics else None
