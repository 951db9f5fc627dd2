"""The PyTorch backend: CPU (bfloat16 on CPUs with AVX-512 BF16 / AMX), CUDA and Apple MPS.

On CPUs with native bf16 the network runs under bfloat16 autocast (oneDNN), several times faster
than float32 at the same quality (``bench/clean_speed.py``); elsewhere on the CPU in float32.

On CUDA: bf16 autocast (fp16 where bf16 is missing), channels-last weights, cuDNN autotuning for
the page's tile shape, a batch of :data:`CUDA_BATCH` tiles per call by default, tiles in and out
through pinned host buffers on the backend's own stream (copies are asynchronous; the one sync is
the end of the batch); fp32, when asked for, without TF32. Tested on an H200 (README: GPU).
"""

from __future__ import annotations

import platform
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from docclean.checkpoint import load_model
from docclean.errors import UsageError
from docclean.settings import CleanSettings

#: Tiles per network call on CUDA when the user kept the default batch size (a GPU needs more work
#: per call than a CPU to be busy; 16 tiles of 1024 x 1024 need about 3 GB of activations in bf16).
CUDA_BATCH = 16


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
    """True where oneDNN runs bfloat16 natively (AVX-512 BF16 or AMX on x86; oneDNN's own answer
    elsewhere), so bf16 is a speed-up. On x86 oneDNN also reports bf16 as "supported" on CPUs with
    only AVX-512 (emulated there, and slower than float32: 2.1 s against 0.95 s for two 1024-pixel
    tiles of the default model on an AVX-512 Xeon without BF16), so the instructions decide."""
    cpu = getattr(torch, "cpu", None)
    native = [getattr(cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    if platform.machine().lower() in ("x86_64", "amd64", "i386", "i686") and all(map(callable, native)):
        return any(bool(check()) for check in native)
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch build without oneDNN
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


@contextmanager
def _true_fp32(on: bool) -> Iterator[None]:
    """fp32 on CUDA means fp32: cuDNN would otherwise run convolutions in TF32 (10-bit mantissa)
    on Ampere and newer GPUs. The flag is global, so it is put back afterwards."""
    if not on:
        yield
        return
    before = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32 = before


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
        self.default_batch_size = CUDA_BATCH if self.torch_device.type == "cuda" else None
        self.stream = None
        if self.torch_device.type == "cuda":
            self.model = self.model.to(memory_format=torch.channels_last)
            torch.backends.cudnn.benchmark = True  # one tile shape per page: autotune once
            self.stream = torch.cuda.Stream(self.torch_device)

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
            return self._run_cuda(x)
        x = x.to(self.torch_device)
        if self.torch_device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        with self._autocast():
            y = self.model(x)
        return y.float().clamp_(0, 1)[:, 0].cpu().numpy()

    def _autocast(self) -> torch.autocast:
        return torch.autocast(self.torch_device.type, dtype=self.autocast_dtype or torch.float32,
                              enabled=self.autocast_dtype is not None)

    def _run_cuda(self, x: torch.Tensor) -> np.ndarray:
        """Pinned host -> GPU copy, network and GPU -> pinned host copy queued on our stream, then
        one synchronisation; the result is copied out of the pinned buffer (it is reused)."""
        assert self.stream is not None
        host_in = self._pinned("in", x.shape)
        host_in.copy_(x)
        host_out = self._pinned("out", (x.shape[0], x.shape[2], x.shape[3]))
        # Work queued on the current stream (the weights' copy, above all) comes first: PyTorch's
        # streams do not wait for the default one by themselves.
        self.stream.wait_stream(torch.cuda.current_stream(self.torch_device))
        with torch.cuda.stream(self.stream), _true_fp32(self.autocast_dtype is None):
            dev = host_in.to(self.torch_device, non_blocking=True).contiguous(memory_format=torch.channels_last)
            with self._autocast():
                y = self.model(dev)
            host_out.copy_(y[:, 0].float().clamp_(0, 1), non_blocking=True)
        self.stream.synchronize()
        return host_out.numpy().copy()

    def _pinned(self, key: str, shape: tuple[int, ...]) -> torch.Tensor:
        """A page-locked host buffer of ``shape``, kept while the shape stays the same."""
        buffers = self.__dict__.setdefault("_buffers", {})
        buf = buffers.get(key)
        if buf is None or tuple(buf.shape) != tuple(shape):
            buf = torch.empty(tuple(shape), dtype=torch.float32, pin_memory=True)
            buffers[key] = buf
        return buf
