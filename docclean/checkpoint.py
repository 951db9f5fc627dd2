"""Save and load models as a single safetensors file whose header carries JSON metadata.

The metadata describes the checkpoint completely (architecture name, the config that rebuilds the
network, the training command, data and metrics), so loading needs no guesswork; and because
safetensors stores only tensors and strings, loading a file from a stranger cannot run code
(no pickle anywhere).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from docclean.atomic import atomic_path
from docclean.errors import ModelError
from docclean.model import build_model

METADATA_KEY = "docclean"
FORMAT_VERSION = 1

Builder = Callable[[dict[str, Any] | None], nn.Module]
_REGISTRY: dict[str, Builder] = {}


def register_architecture(name: str, build: Builder) -> None:
    """Make ``load_model`` able to rebuild checkpoints whose metadata names ``name``.

    docclean's own networks (``docclean.model.ARCHITECTURES``) are always known; the training
    suites register theirs when they are imported (``training.suite``)."""
    _REGISTRY[name] = build


def architectures() -> list[str]:
    """Every architecture name ``load_model`` can rebuild right now."""
    from docclean import model as own

    return sorted({*own.ARCHITECTURES, *_REGISTRY})


def build_architecture(arch: str, config: dict[str, Any] | None = None) -> nn.Module:
    """Build the network ``arch`` from a plain config dict (ValueError for an unknown name)."""
    if arch in _REGISTRY:
        return _REGISTRY[arch](config)
    from docclean import model as own

    if arch in own.ARCHITECTURES:
        return build_model(arch, config)
    raise ValueError(f"unknown architecture {arch!r}; known: {', '.join(architectures())}")


def atomic_save_tensors(tensors: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> None:
    """Write a safetensors file atomically (see ``docclean.atomic``)."""
    with atomic_path(path) as tmp:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp), metadata=metadata)


def save_model(model: nn.Module, path: str | Path, arch: str, config: dict[str, Any],
               info: dict[str, Any] | None = None) -> Path:
    """Save ``model`` weights with metadata ``{"arch", "config", "format", **info}``."""
    meta = {"format": FORMAT_VERSION, "arch": arch, "config": config, **(info or {})}
    path = Path(path)
    atomic_save_tensors(model.state_dict(), path, {METADATA_KEY: json.dumps(meta)})
    return path


def read_metadata(path: str | Path) -> dict[str, Any]:
    """Return the JSON metadata of a checkpoint without loading its tensors."""
    path = Path(path)
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            raw = (f.metadata() or {}).get(METADATA_KEY)
    except FileNotFoundError:
        raise ModelError("model file not found", path) from None
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"not a readable safetensors model ({exc})", path) from None
    if raw is None:
        raise ModelError("safetensors file has no docclean metadata", path)
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ModelError(f"metadata is not valid JSON ({exc})", path) from None
    if "arch" not in meta:
        raise ModelError("metadata names no architecture", path)
    return meta


def load_model(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the network a checkpoint describes and load its weights; returns (model in eval
    mode, metadata). Any registered architecture works (see :func:`register_architecture`)."""
    path = Path(path)
    meta = read_metadata(path)
    try:
        model = build_architecture(meta["arch"], meta.get("config"))
    except (ValueError, TypeError) as exc:
        raise ModelError(f"cannot build the model it describes ({exc})", path) from None
    try:
        model.load_state_dict(load_file(str(path)))
    except (RuntimeError, SafetensorError) as exc:
        raise ModelError(f"weights do not fit the architecture ({str(exc).splitlines()[0]})", path) from None
    return model.eval(), meta
