"""The ONNX Runtime backend (CPU): the cached ONNX export of a checkpoint in float32.

Loading needs no torch once the model is converted (``docclean.backends.convert``). Tiles are
edge-padded to the network's multiple, run in one call per batch and cropped back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from docclean.backends.convert import open_converted, pad_to_multiple
from docclean.errors import UsageError
from docclean.settings import CleanSettings


class OnnxBackend:
    """Runs the ONNX export on ONNX Runtime's CPU execution provider."""

    name = "onnx"
    device = "cpu"
    precision = "fp32"

    def __init__(self, onnx_path: Path, info: dict[str, Any], *, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.multiple = int(info["multiple"])
        self.metadata: dict[str, Any] = dict(info.get("metadata") or {})
        self.onnx_path = onnx_path
        self.runtime_version = ort.__version__

    @classmethod
    def open(cls, model_path: Path, settings: CleanSettings) -> OnnxBackend:
        if settings.device not in ("auto", "cpu"):
            raise UsageError(f"backend 'onnx' runs on the CPU only, not on device {settings.device!r}",
                             settings=("backend", "device"))
        if settings.precision not in ("auto", "fp32"):
            raise UsageError(f"backend 'onnx' runs in fp32 only, not {settings.precision}",
                             settings=("backend", "precision"))
        return open_converted(model_path, lambda onnx_path, info: cls(onnx_path, info,
                                                                      threads=settings.effective_threads))

    def run(self, tiles: np.ndarray) -> np.ndarray:
        """Clean a float32 ``(N, H, W)`` batch; returns float32 ``(N, H, W)`` in 0..1."""
        tiles = np.ascontiguousarray(tiles, dtype=np.float32)
        n, h, w = tiles.shape
        x = pad_to_multiple(tiles, self.multiple)[:, None]
        y = self.session.run(None, {self.input_name: x})[0]
        return np.clip(y[:, 0, :h, :w], 0.0, 1.0)
