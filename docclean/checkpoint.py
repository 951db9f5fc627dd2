"""Save and load models as a single safetensors file whose header carries JSON metadata.

The metadata describes the checkpoint completely (architecture name, the config that rebuilds the
network, the training command, data and metrics), so loading needs no guesswork; and because
safetensors stores only tensors and strings, loading a file from a stranger cannot run code
(no pickle anywhere).
"""

from __future__ import annotations

import errno
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from docclean import safefile
from docclean.atomic import atomic_path, output_mode
from docclean.errors import ModelError
from docclean.model import build_model

METADATA_KEY = safefile.METADATA_KEY
FORMAT_VERSION = 1
#: The largest network a checkpoint may describe (the shipped one has about 1.4 million).
MAX_PARAMETERS = 50_000_000

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
    """Write a safetensors file atomically (see ``docclean.atomic``), with the permissions of any
    other output: ``save_file`` puts a new, private file (0600) in the temporary one's place, which
    no one else sharing a run could read."""
    with atomic_path(path) as tmp:
        try:
            save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp), metadata=metadata)
        except SafetensorError as exc:
            raise _as_os_error(exc) from None
        os.chmod(tmp, output_mode())


def _as_os_error(exc: Exception) -> OSError:
    """safetensors' own I/O error (its Rust writer's: "... No space left on device (os error 28)") as
    the OSError it stands for, so that a full disk is one line like any other write's, not a traceback."""
    found = re.search(r"os error (\d+)", str(exc))
    if found is None:
        return OSError(errno.EIO, " ".join(str(exc).split()))
    number = int(found.group(1))
    return OSError(number, os.strerror(number))


def save_model(model: nn.Module, path: str | Path, arch: str, config: dict[str, Any],
               info: dict[str, Any] | None = None) -> Path:
    """Save ``model`` weights with metadata ``{"arch", "config", "format", **info}``."""
    meta = {"format": FORMAT_VERSION, "arch": arch, "config": config, **(info or {})}
    path = Path(path)
    atomic_save_tensors(model.state_dict(), path, {METADATA_KEY: json.dumps(meta)})
    return path


def read_metadata(path: str | Path) -> dict[str, Any]:
    """Return the JSON metadata of a checkpoint without loading its tensors (header checked by
    ``docclean.safefile``)."""
    return safefile.read_metadata(path)


def _build_checked(path: Path, meta: dict[str, Any], header: safefile.Header) -> nn.Module:
    """Build the described network only after a dry build on the meta device (which allocates
    nothing) shows that its parameters fit the file's tensors and a sane size."""
    arch, config = meta["arch"], meta.get("config")
    try:
        with torch.device("meta"):
            dry = build_architecture(arch, config)
    except (ValueError, TypeError, KeyError) as exc:
        raise ModelError(f"cannot build the model it describes ({exc})", path) from None
    expected = dry.state_dict()
    count = sum(t.numel() for t in expected.values())
    if count > MAX_PARAMETERS:
        raise ModelError(f"field 'config' declares {count:,} parameters (more than {MAX_PARAMETERS:,}); refusing "
                         "to build it", path)
    for name, tensor in expected.items():
        info = header.tensors.get(name)
        if info is None:
            raise ModelError(f"weights do not fit the architecture (tensor {name!r} is missing)", path)
        if tuple(tensor.shape) != info.shape:
            raise ModelError(f"weights do not fit the architecture (tensor {name!r} has shape {list(info.shape)}, "
                             f"the architecture needs {list(tensor.shape)})", path)
    extra = sorted(set(header.tensors) - set(expected))
    if extra:
        raise ModelError(f"weights do not fit the architecture (unexpected tensor {extra[0]!r})", path)
    return build_architecture(arch, config)


def load_model(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the network a checkpoint describes and load its weights; returns (model in eval
    mode, metadata). Any registered architecture works (see :func:`register_architecture`).

    Safe on files from strangers: the header is checked by hand before anything is mapped, the
    network is dry-built first so a config cannot make it allocate gigabytes, and weights that are
    NaN or infinite are refused. Every failure is a ModelError naming the field or tensor."""
    path = Path(path)
    header = safefile.read_header(path)
    meta = safefile.read_metadata(path)
    model = _build_checked(path, meta, header)
    try:
        tensors = load_file(str(path))
    except (RuntimeError, SafetensorError, OSError) as exc:
        raise ModelError(f"cannot read the weights ({str(exc).splitlines()[0]})", path) from None
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ModelError(f"tensor {name!r} holds NaN or infinite values; the model is broken", path)
    try:
        model.load_state_dict(tensors)
    except RuntimeError as exc:
        raise ModelError(f"weights do not fit the architecture ({str(exc).splitlines()[0]})", path) from None
    return model.eval(), meta
