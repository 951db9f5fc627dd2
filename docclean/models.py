"""Where models come from: the built-in ones inside the package, or a checkpoint file.

Pure Python (no torch): the CLI and GUI list and resolve models without loading a framework.
"""

from __future__ import annotations

from pathlib import Path

from docclean.errors import ModelError

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


def describe_model(model: str | Path) -> dict[str, object]:
    """What a model file says about itself, read from its header (no torch): name, path, size,
    architecture and config, parameter count, training data and command, validation metrics, and
    the model it was fine-tuned from."""
    import math

    from docclean import safefile

    path = resolve_model_path(model)
    header = safefile.read_header(path)
    meta = safefile.read_metadata(path)
    metrics = meta.get("metrics") or {}
    return {
        "name": str(model) if str(model) in builtin_models() else path.stem,
        "path": str(path),
        "builtin": path.parent == WEIGHTS_DIR,
        "bytes": header.file_size,
        "arch": meta.get("arch"),
        "config": meta.get("config"),
        "parameters": sum(math.prod(t.shape) for t in header.tensors.values()),
        "epoch": meta.get("epoch"),
        "data": meta.get("data"),
        "command": meta.get("command"),
        "val_metrics": {k: v for k, v in metrics.items() if k.startswith(("val", "test"))},
        "init_from": (meta.get("init_from") or {}).get("path") if isinstance(meta.get("init_from"), dict)
        else meta.get("init_from"),
    }
