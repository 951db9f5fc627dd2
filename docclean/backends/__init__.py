"""Inference backends: each runs a batch of tiles through the network, nothing more.

Tiling, padding and blending live in ``docclean.tiling`` and ``docclean.engine`` (numpy), so a
backend only implements :class:`Backend`: ``run(tiles) -> tiles`` on a float32 ``(N, H, W)``
array in 0..1, and says the size multiple its network needs. :func:`open_backend` picks one from
the settings (``auto``: the fastest installed for the device; torch is always there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from docclean.errors import UsageError
from docclean.settings import CleanSettings


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


def installed_backends() -> list[str]:
    """Names of the backends that can run here, fastest first."""
    return ["torch"]


def open_backend(model_path: Path, settings: CleanSettings) -> Backend:
    """Load ``model_path`` into the backend ``settings.backend`` asks for (``auto``: the fastest
    installed one for ``settings.device``). UsageError for a backend that is not installed."""
    name = settings.backend
    if name == "auto":
        name = installed_backends()[0]
    if name == "torch":
        from docclean.backends.torch_backend import TorchBackend

        return TorchBackend.open(model_path, settings)
    raise UsageError(f"backend {name!r} is not installed here (installed: {', '.join(installed_backends())})",
                     settings=("backend",))
