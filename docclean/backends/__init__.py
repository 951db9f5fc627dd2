"""Inference backends: each runs a batch of tiles through the network, nothing more.

Tiling, padding and blending live in ``docclean.tiling`` and ``docclean.engine`` (numpy), so a
backend only implements :class:`Backend`: ``run(tiles) -> tiles`` on a float32 ``(N, H, W)``
array in 0..1, and says the size multiple its network needs. :func:`open_backend` picks one from
the settings (``auto``: the fastest installed for the device; torch is always there).

Backends: ``torch`` (cpu, cuda, mps), ``openvino`` and ``onnx`` (ONNX Runtime), both CPU-only and
both running a cached ONNX export of the checkpoint (``docclean.backends.convert``). The order of
:data:`CPU_ORDER` is measured (``bench/clean_speed.py``, docs/backends.md). Nothing here imports a
framework until a backend is opened; a cached conversion opens without torch.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from docclean.errors import DocCleanError, UsageError
from docclean.settings import CleanSettings

if TYPE_CHECKING:  # the CLI's help reads AUTO_CPU_ORDER: importing this package loads no numpy
    import numpy as np

#: CPU backends, fastest first on the machines we measured (docs/backends.md); torch is always last.
CPU_ORDER = ("openvino", "onnx", "torch")
#: The Python module each backend needs.
RUNTIME_MODULES = {"openvino": "openvino", "onnx": "onnxruntime", "torch": "torch"}
#: How help texts name each backend's runtime.
RUNTIME_NAMES = {"openvino": "OpenVINO", "onnx": "ONNX Runtime", "torch": "torch"}
#: The order ``auto`` tries the backends on a CPU, for help texts: "OpenVINO, then ONNX Runtime, then
#: torch" (the first installed that loads the model is used).
AUTO_CPU_ORDER = ", then ".join(RUNTIME_NAMES[name] for name in CPU_ORDER)
#: How to install a runtime that is missing: what a refusal to use it says.
INSTALL_HINTS = {"openvino": "pip install 'docclean[fast]'", "onnx": "pip install onnxruntime onnx"}
#: The architectures a backend can clean pages with (``docclean.model.ARCHITECTURES``, named here
#: without importing torch); the teaching suite's networks take other inputs.
PAGE_ARCHITECTURES = ("docunet",)


class Backend(Protocol):
    """A loaded network that cleans batches of tiles."""

    name: str
    device: str
    precision: str
    multiple: int
    metadata: dict[str, Any]

    def run(self, tiles: np.ndarray) -> np.ndarray:
        """Clean a float32 ``(N, H, W)`` batch (values 0..1); returns the same shape, clamped to 0..1."""
        ...


def _importable(module: str) -> bool:
    """True when ``module`` can be imported (found without importing it; a module set to None in
    ``sys.modules`` counts as missing, as ``import`` itself treats it)."""
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def installed_backends(device: str = "cpu") -> list[str]:
    """Names of the backends that can run on ``device`` here, fastest first (torch is always
    there; only torch runs on cuda and mps, so anything but ``cpu`` gets ``["torch"]``)."""
    if device != "cpu":
        return ["torch"]
    return [name for name in CPU_ORDER if name == "torch" or _importable(RUNTIME_MODULES[name])]


def gpu_may_exist() -> bool:
    """Cheap, torch-free guess whether torch could find a GPU: an NVIDIA or ROCm driver, or an
    Apple-silicon Mac. False means ``device`` auto is surely the CPU."""
    if sys.platform == "darwin":
        return os.uname().machine == "arm64"
    return any(os.path.exists(p) for p in ("/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd", "/dev/dxg"))


def resolve_auto_device(device: str) -> str:
    """``auto`` -> cuda, mps or cpu (importing torch only where a GPU may exist); others unchanged."""
    if device != "auto":
        return device
    if not gpu_may_exist():
        return "cpu"
    from docclean.backends.torch_backend import resolve_device

    return resolve_device("auto").type


def _open_named(name: str, model_path: Path, settings: CleanSettings) -> Backend:
    if name == "torch":
        from docclean.backends.torch_backend import TorchBackend

        return TorchBackend.open(model_path, settings)
    if name == "onnx":
        from docclean.backends.onnx_backend import OnnxBackend

        return OnnxBackend.open(model_path, settings)
    from docclean.backends.openvino_backend import OpenVinoBackend

    return OpenVinoBackend.open(model_path, settings)


def check_installed(name: str) -> None:
    """UsageError for a backend that is unknown or whose runtime is not installed here (``auto`` is
    always there). Only looks the runtime up: nothing is imported or loaded."""
    if name == "auto":
        return
    if name not in RUNTIME_MODULES:
        raise UsageError(f"unknown backend {name!r}", settings=("backend",))
    if name not in installed_backends("cpu"):
        raise UsageError(f"backend {name!r} is not installed here (installed: "
                         f"{', '.join(installed_backends())}; {INSTALL_HINTS.get(name, 'pip install torch')})",
                         settings=("backend",))


def check_page_model(model_path: Path) -> None:
    """ModelError unless ``model_path`` is a readable checkpoint of a page-cleaning network (read
    from its header: no torch). A teaching-suite model is named as one."""
    from docclean.errors import ModelError
    from docclean.models import check_not_trainer_state
    from docclean.safefile import read_metadata

    meta = read_metadata(model_path)  # the header checked and read once
    check_not_trainer_state(meta, model_path)
    arch = meta.get("arch")
    if isinstance(arch, str) and arch not in PAGE_ARCHITECTURES:
        raise ModelError(f"a {arch!r} network, not a page-cleaning model (pages are cleaned by "
                         f"{' or '.join(PAGE_ARCHITECTURES)} models such as 'default'; 'docclean models' lists them)",
                         model_path)


def open_backend(model_path: Path, settings: CleanSettings) -> Backend:
    """Load ``model_path`` into the backend ``settings.backend`` asks for (``auto``: the fastest
    installed one for ``settings.device``). UsageError for a backend that is not installed.

    With ``auto``, a runtime that fails to import or to convert this model is skipped with a
    warning and the next one is tried; torch, last, always runs."""
    name = settings.backend
    if name != "auto":
        check_installed(name)
    # A missing or broken file (a truncated download included) or a model that does not clean
    # pages (a teaching-suite network) is the user's error, not a runtime's: said once, not as
    # each runtime's failure in turn.
    check_page_model(model_path)
    if name != "auto":
        return _open_named(name, model_path, settings)
    device = resolve_auto_device(settings.device)
    # An explicit half precision is torch's to honour (or refuse); the CPU runtimes run fp32.
    candidates = installed_backends(device) if settings.precision in ("auto", "fp32") else ["torch"]
    for candidate in candidates:
        if candidate == "torch":
            break
        try:
            return _open_named(candidate, model_path, settings.replace(device=device))
        except (ImportError, OSError, RuntimeError, DocCleanError) as exc:
            warnings.warn(f"backend {candidate!r} could not load {model_path.name} ({exc}); trying the next one",
                          RuntimeWarning, stacklevel=2)
    return _open_named("torch", model_path, settings)
