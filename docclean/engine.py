"""The Denoiser: load a model, pick device and precision, and clean one page array at a time.

A page of any size is cut into overlapping tiles (``docclean.tiling``), tiles are run through the
network in small batches under ``torch.inference_mode``, and the results are blended back, so
memory depends on the tile size, not on the page size. On CPUs with AVX-512 BF16 / AMX units the
network runs in bfloat16 (several times faster than float32 at the same quality, measured in
``bench/clean_speed.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from docclean.checkpoint import load_model
from docclean.errors import ModelError
from docclean.tiling import Blender, plan_tiles

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_MODEL = "default"


def builtin_models() -> dict[str, Path]:
    """Models shipped inside the package, by name (the file name without ``.safetensors``)."""
    return {p.stem: p for p in sorted(WEIGHTS_DIR.glob("*.safetensors"))}


def resolve_model_path(model: str | Path | None) -> Path:
    """A built-in model name or a file path -> the checkpoint's path (ModelError if neither)."""
    name = DEFAULT_MODEL if model is None else str(model)
    builtins = builtin_models()
    if name in builtins:
        return builtins[name]
    path = Path(name).expanduser()
    if path.is_file():
        return path
    known = ", ".join(builtins) or "none installed"
    raise ModelError(f"no such model file or built-in model name (built-in: {known})", path)


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then Apple MPS, then the CPU; an explicit device must be available."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelError("device 'cuda' requested but no CUDA GPU is available (try --device cpu)")
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ModelError("device 'mps' requested but Apple MPS is not available (try --device cpu)")
    if device not in ("cpu", "cuda", "mps"):
        raise ModelError(f"unknown device {device!r}; choose auto, cpu, cuda or mps")
    return torch.device(device)


def cpu_has_fast_bf16() -> bool:
    """True where oneDNN runs bfloat16 natively (AVX-512 BF16 or AMX), so bf16 is a speed-up."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """``auto``: bfloat16 on CPUs with native bf16 and on CUDA, float32 elsewhere. Returns the
    autocast dtype, or None for plain float32."""
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if precision != "auto":
        raise ModelError(f"unknown precision {precision!r}; choose auto, fp32 or bf16")
    if device.type == "cpu":
        return torch.bfloat16 if cpu_has_fast_bf16() else None
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return None


class Denoiser:
    """Cleans page arrays with a trained network. ``Denoiser.load()`` gives the shipped default."""

    def __init__(self, model: nn.Module, metadata: dict[str, Any] | None = None, *, device: str = "auto",
                 tile_size: int = 1024, overlap: int = 64, batch_size: int = 2, precision: str = "auto") -> None:
        self.device = resolve_device(device)
        self.autocast_dtype = resolve_precision(precision, self.device)
        self.model = model.eval().to(self.device)
        if self.device.type == "cpu":
            self.model = self.model.to(memory_format=torch.channels_last)
        self.metadata = metadata or {}
        multiple = getattr(model, "multiple", lambda: 1)()
        if tile_size < 2 * overlap + multiple:
            raise ValueError(f"tile size {tile_size} is too small for an overlap of {overlap}")
        self.tile_size, self.overlap, self.batch_size = tile_size, overlap, max(1, batch_size)
        self.multiple = multiple

    @classmethod
    def load(cls, model: str | Path | None = None, **options: Any) -> Denoiser:
        """Load a built-in model by name (default: the shipped ``default``) or a checkpoint file.
        Options: ``device``, ``tile_size``, ``overlap``, ``batch_size``, ``precision``."""
        net, meta = load_model(resolve_model_path(model))
        return cls(net, meta, **options)

    @property
    def precision(self) -> str:
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.autocast_dtype]

    @torch.inference_mode()
    def _run(self, batch: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(batch[:, None]).to(self.device)
        if self.device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(self.device.type, dtype=self.autocast_dtype or torch.float32,
                            enabled=self.autocast_dtype is not None):
            y = self.model(x)
        return y.float().clamp_(0, 1)[:, 0].cpu().numpy()

    def clean(self, page: np.ndarray, progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Clean one grey page: (H, W) float in 0..1 or uint8 -> float32 (H, W) in 0..1.
        ``progress(done, total)`` is called after each batch of tiles."""
        if page.ndim != 2:
            raise ValueError(f"expected a 2-D grey page, got shape {page.shape}")
        if page.dtype == np.uint8:
            page = page.astype(np.float32) / 255.0
        page = np.ascontiguousarray(page, dtype=np.float32)
        h, w = page.shape
        tiles = plan_tiles(h, w, self.tile_size, self.overlap, self.multiple)
        if len(tiles) == 1:
            return self._run(page[None])[0]
        blender = Blender(h, w, self.overlap)
        for start in range(0, len(tiles), self.batch_size):
            group = tiles[start:start + self.batch_size]
            out = self._run(np.stack([page[t.slices] for t in group]))
            for tile, values in zip(group, out):
                blender.add(tile, values)
            if progress is not None:
                progress(min(start + self.batch_size, len(tiles)), len(tiles))
        return blender.result()
