"""Where and in what precision the training loop runs: device choice, autocast per device type, and
moving batches (tensors, or tuples/lists/dicts of them) to the device.

Precision is a request that each device type answers as well as it can:

* ``fp32``: no autocast anywhere.
* ``bf16`` (or ``auto``): bfloat16 autocast on CPUs with native bfloat16 (oneDNN reports AVX-512
  BF16 or AMX), float32 on other CPUs, where emulated bfloat16 is slower than float32; on CUDA,
  bfloat16 where the GPU supports it, else float16 with a gradient scaler; on MPS, float16 with a
  gradient scaler.
* ``fp16``: float16 autocast with a gradient scaler on CUDA and MPS (refused on a CPU).

The resolved choice is written to the run folder, so a run records what it really trained in.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import torch

# the engine's test: oneDNN's bf16 is native (AVX-512 BF16 or AMX), not emulated
from docclean.backends.torch_backend import cpu_has_fast_bf16 as cpu_has_native_bf16

DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def resolve_device(name: str) -> torch.device:
    """``auto`` -> cuda if available, else mps if available, else cpu; ``cpu``, ``cuda``,
    ``cuda:N`` and ``mps`` are checked for availability (ValueError naming the device if absent)."""
    name = str(name).lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu")
    kind = name.split(":", 1)[0]
    if kind not in DEVICES[1:]:
        raise ValueError(f"unknown device {name!r}; choose {', '.join(DEVICES)}")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} was asked for but torch sees no CUDA GPU; use cpu or auto")
    if kind == "mps" and not _mps_available():
        raise ValueError(f"device {name!r} was asked for but torch sees no MPS (Apple GPU); use cpu or auto")
    return torch.device(name)


@dataclass(frozen=True)
class Precision:
    """The resolved precision of a run: autocast dtype (None: float32) and whether losses are scaled."""

    device_type: str
    dtype: torch.dtype | None
    scaled: bool = False

    @property
    def name(self) -> str:
        """``fp32``, ``bf16`` or ``fp16``."""
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]

    def autocast(self) -> AbstractContextManager:
        """The autocast context for this device type (a disabled one for float32)."""
        return torch.autocast(self.device_type, dtype=self.dtype or torch.float32, enabled=self.dtype is not None)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A gradient scaler, enabled only for float16 (whose small range underflows gradients)."""
        return torch.amp.GradScaler(self.device_type, enabled=self.scaled)


def resolve_precision(device: torch.device, requested: str) -> Precision:
    """Answer a precision request for ``device`` (see the module docstring)."""
    requested = requested.lower()
    if requested not in PRECISIONS:
        raise ValueError(f"unknown precision {requested!r}; choose {', '.join(PRECISIONS)}")
    kind = device.type
    if requested == "fp32":
        return Precision(kind, None)
    if kind == "cpu":
        if requested == "fp16":
            raise ValueError("fp16 training is for GPUs; on a CPU use bf16 or fp32")
        return Precision(kind, torch.bfloat16 if cpu_has_native_bf16() else None)
    if kind == "cuda" and requested != "fp16" and torch.cuda.is_bf16_supported():
        return Precision(kind, torch.bfloat16)
    return Precision(kind, torch.float16, scaled=True)


def move_to(batch: Any, device: torch.device) -> Any:
    """``batch`` with every tensor in it (nested in tuples, lists and dicts) on ``device``;
    anything else is returned as it is. Pinned CPU tensors are copied to a GPU asynchronously."""
    if torch.is_tensor(batch):
        return batch.to(device, non_blocking=batch.is_pinned())
    if isinstance(batch, dict):
        return {k: move_to(v, device) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):  # a namedtuple keeps its type
        return type(batch)(*(move_to(v, device) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(move_to(v, device) for v in batch)
    return batch


def batch_size(batch: Any) -> int:
    """The number of samples in a batch: the length of its first tensor."""
    if torch.is_tensor(batch):
        return len(batch)
    if isinstance(batch, Mapping):
        return batch_size(next(iter(batch.values())))
    if isinstance(batch, (list, tuple)):
        return batch_size(batch[0])
    return len(batch)
