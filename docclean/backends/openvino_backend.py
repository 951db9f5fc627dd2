"""The OpenVINO backend (CPU): the cached ONNX export of a checkpoint, compiled by OpenVINO.

``precision`` auto runs float32, or bfloat16 where the CPU computes it natively (AVX-512 BF16,
AMX: OpenVINO's own default there); ``bf16`` asks for it anyway, ``fp32`` forbids it. The
compiled network is cached by OpenVINO itself (``CACHE_DIR``, in a folder per OpenVINO version
inside ``docclean.backends.convert.cache_dir``, where it can be written), so later starts skip
compilation.

OpenVINO is imported without its usage telemetry (:func:`import_openvino`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from docclean.backends.convert import cache_dir, open_converted, pad_to_multiple
from docclean.errors import UsageError
from docclean.settings import CleanSettings


def import_openvino() -> Any:
    """The ``openvino`` module, imported without its usage telemetry.

    ``import openvino`` imports OpenVINO's model converter, which reports the import to Google
    Analytics unless the user has opted out, from a process it forks. A tool for private archives
    must not report home, and offline that process waits on the network: a ``docclean clean`` run
    hung at exit waiting for it. docclean never uses the converter, so the telemetry package is
    hidden while OpenVINO is first imported; the converter then binds its own no-op stub."""
    if "openvino" not in sys.modules and "openvino_telemetry" not in sys.modules:
        sys.modules["openvino_telemetry"] = None  # type: ignore[assignment]  # import raises ImportError
        try:
            import openvino  # noqa: F401
        finally:
            del sys.modules["openvino_telemetry"]
    import openvino

    return openvino


def cpu_has_native_bf16(core: Any) -> bool:
    """True where OpenVINO's CPU plugin computes bfloat16 natively."""
    try:
        return "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception:  # an old plugin without the property: assume not
        return False


class OpenVinoBackend:
    """Runs the ONNX export on OpenVINO's CPU plugin, one synchronous request per batch."""

    name = "openvino"
    device = "cpu"

    def __init__(self, onnx_path: Path, info: dict[str, Any], *, precision: str = "auto",
                 threads: int | None = None, use_cache: bool = True) -> None:
        ov = import_openvino()
        core = ov.Core()
        if use_cache:
            folder = cache_dir() / f"openvino-{ov.__version__.split('-')[0]}"
            try:
                folder.mkdir(parents=True, exist_ok=True)
                if os.access(folder, os.W_OK | os.X_OK):  # else compiled at every start, said nowhere
                    core.set_property({"CACHE_DIR": str(folder)})
            except OSError:  # a cache that cannot be written: convert.writable_cache_dir says it
                pass
        bf16 = precision == "bf16" or (precision == "auto" and cpu_has_native_bf16(core))
        config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32",
                                  "PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        self.compiled = core.compile_model(str(onnx_path), "CPU", config)
        self.request = self.compiled.create_infer_request()
        self.precision = "bf16" if bf16 else "fp32"
        self.multiple = int(info["multiple"])
        self.metadata: dict[str, Any] = dict(info.get("metadata") or {})
        self.onnx_path = onnx_path
        self.runtime_version = ov.__version__

    @classmethod
    def open(cls, model_path: Path, settings: CleanSettings) -> OpenVinoBackend:
        if settings.device not in ("auto", "cpu"):
            raise UsageError(f"backend 'openvino' runs on the CPU here, not on device {settings.device!r}",
                             settings=("backend", "device"))
        if settings.precision == "fp16":
            raise UsageError("backend 'openvino' runs fp32 or bf16 on the CPU, not fp16",
                             settings=("backend", "precision"))
        return open_converted(model_path, lambda onnx_path, info: cls(
            onnx_path, info, precision=settings.precision, threads=settings.effective_threads))

    def run(self, tiles: np.ndarray) -> np.ndarray:
        """Clean a float32 ``(N, H, W)`` batch; returns float32 ``(N, H, W)`` in 0..1."""
        tiles = np.ascontiguousarray(tiles, dtype=np.float32)
        n, h, w = tiles.shape
        x = pad_to_multiple(tiles, self.multiple)[:, None]
        y = self.request.infer({0: x})[0]
        return np.clip(y[:, 0, :h, :w], 0.0, 1.0)
