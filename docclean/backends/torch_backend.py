"""The PyTorch backend: CPU (bfloat16 on CPUs with AVX-512 BF16 / AMX), CUDA and Apple MPS.

On CPUs with native bf16 the network runs under bfloat16 autocast (oneDNN), several times faster
than float32 at the same quality (``bench/clean_speed.py``); on CUDA in bf16 (fp16 where bf16 is
missing). Tiles cross to the GPU through pinned memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from docclean.checkpoint import load_model
from docclean.errors import UsageError
from docclean.settings import CleanSettings


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then Apple MPS, then the CPU; an explicit device must be available."""
    mps = getattr(torch.backends, "mps", None)
    mps_ok = bool(mps is not None and mps.is_available())
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if mps_ok else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise UsageError("device 'cuda' requested but no CUDA GPU is available (device 'cpu' works everywhere)",
                         settings=("device",))
    if device == "mps" and not mps_ok:
        raise UsageError("device 'mps' requested but Apple MPS is not available (device 'cpu' works everywhere)",
                         settings=("device",))
    if device not in ("cpu", "cuda", "mps"):
        raise UsageError(f"unknown device {device!r}; choose auto, cpu, cuda or mps", settings=("device",))
    return torch.device(device)


def cpu_has_fast_bf16() -> bool:
    """True where oneDNN runs bfloat16 natively (AVX-512 BF16 or AMX), so bf16 is a speed-up."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``precision`` on ``device``, or None for plain float32.
    ``auto``: bf16 on CPUs with native bf16 and on CUDA (fp16 where bf16 is missing), else fp32."""
    if precision == "fp32":
        return None
    if precision in ("bf16", "fp16"):
        return torch.bfloat16 if precision == "bf16" else torch.float16
    if device.type == "cpu":
        return torch.bfloat16 if cpu_has_fast_bf16() else None
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return None


class TorchBackend:
    """Runs a loaded ``nn.Module`` on batches of tiles."""

    name = "torch"

    def __init__(self, model: nn.Module, metadata: dict[str, Any] | None = None, *, device: str = "auto",
                 precision: str = "auto", threads: int | None = None) -> None:
        self.torch_device = resolve_device(device)
        self.autocast_dtype = resolve_precision(precision, self.torch_device)
        if threads is not None and self.torch_device.type == "cpu":
            torch.set_num_threads(threads)
        self.model = model.eval().to(self.torch_device)
        if self.torch_device.type == "cpu":
            self.model = self.model.to(memory_format=torch.channels_last)
        self.metadata = metadata or {}
        self.multiple = int(getattr(model, "multiple", lambda: 1)())

    @classmethod
    def open(cls, model_path: Path, settings: CleanSettings) -> TorchBackend:
        """Load a checkpoint with the device, precision and threads of ``settings``."""
        net, meta = load_model(model_path)
        return cls(net, meta, device=settings.device, precision=settings.precision, threads=settings.effective_threads)

    @property
    def device(self) -> str:
        return self.torch_device.type

    @property
    def precision(self) -> str:
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.autocast_dtype]

    @torch.inference_mode()
    def run(self, tiles: np.ndarray) -> np.ndarray:
        """Clean a float32 ``(N, H, W)`` batch; returns float32 ``(N, H, W)`` in 0..1."""
        x = torch.from_numpy(np.ascontiguousarray(tiles, dtype=np.float32)[:, None])
        if self.torch_device.type == "cuda":
            x = x.pin_memory().to(self.torch_device, non_blocking=True)
        else:
            x = x.to(self.torch_device)
        if self.torch_device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(self.torch_device.type, dtype=self.autocast_dtype or torch.float32,
                            enabled=self.autocast_dtype is not None):
            y = self.model(x)
        return y.float().clamp_(0, 1)[:, 0].cpu().numpy()
