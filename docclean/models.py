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
