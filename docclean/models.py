"""Where models come from: the built-in ones inside the package, or a checkpoint file.

Pure Python (no torch): the CLI and GUI list and resolve models without loading a framework.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from docclean.errors import DocCleanError, ModelError
from docclean.fileid import version_of
from docclean.places import user_path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_MODEL = "default"
#: What each built-in model is for, in a line (`docclean models`, the app's model list); docs/quality.md
#: gives the figures behind each.
BUILTIN_USES = {
    "default": "every kind of page: office paper, forms, receipts, historical pages",
    "fast": "a network 5x cheaper that cleans office paper less well: large batches bound for OCR or 1-bit archives",
    "marks": "office pages, forms and receipts with pen marks, signatures and stamps across the print, which it "
             "keeps; keeps more of a scanner's border band and of show-through, and binarizes historical pages a "
             "little less well than the default",
}


def builtin_models() -> dict[str, Path]:
    """Models shipped inside the package, by name (the file name without ``.safetensors``)."""
    return {p.stem: p for p in sorted(WEIGHTS_DIR.glob("*.safetensors"))}


def resolve_model_path(model: str | Path | None) -> Path:
    """A built-in model name or a file path -> the checkpoint's path (ModelError if neither; for a
    folder, naming the ``best.safetensors`` a training run keeps there)."""
    name = DEFAULT_MODEL if model is None else str(model)
    builtins = builtin_models()
    if name in builtins:
        return builtins[name]
    path = user_path(name)
    if path.is_file():
        return path
    if path.is_dir():  # most often a training run's folder: its model is the file inside
        best = path / "best.safetensors"
        hint = f"use {best}" if best.is_file() else "give a .safetensors file"
        raise ModelError(f"a folder, not a model file; {hint}", path)
    known = ", ".join(builtins) or "none installed"
    raise ModelError(f"no such model file or built-in model name (built-in: {known})", path)


def model_stamp(model: str) -> tuple[Any, ...]:
    """Which file a model is: its path and version (``docclean.fileid.file_version``: size, mtime,
    inode, ctime), so a file retrained in place, or replaced by another of the same size with its
    times kept (``cp -p``), counts as another model (caches of loaded models key on it); the name
    alone where no file is found (loading it will say why)."""
    try:
        return _file_stamp(resolve_model_path(model))
    except (DocCleanError, OSError):
        return (model,)


def model_identity(model: str) -> str:
    """What weights a model holds: the digest of its file, so a file retrained in place or a
    built-in model changed by an upgrade is another model, while the same weights under another
    path (a cluster worker's copy) are the same; the name itself where the file cannot be read.
    Resumed work keys on it."""
    stamp = model_stamp(model)
    return "sha256:" + _digest(*stamp) if len(stamp) > 1 else model


def weights_digest(path: Path) -> str:
    """sha256 (hex) of a model file, read once per path and file version (a batch asks for it once
    per multi-page file; converted-model caches key on it too, so a file replaced by another of the
    same size and mtime must not keep the old digest: its version's ctime tells them apart)."""
    return _digest(*_file_stamp(Path(path)))


def _file_stamp(path: Path) -> tuple[Any, ...]:
    """(path, size, mtime, inode, ctime) of a model file; OSError where it cannot be looked at."""
    return (str(path), *version_of(path.stat()))


@functools.lru_cache(maxsize=8)
def _digest(path: str, *_version: int) -> str:
    from docclean.digest import file_digest

    return file_digest(path, "sha256")


#: The ``arch`` of a training run's optimizer state (``state.safetensors``), which is no model.
TRAINER_STATE = "trainer-state"


def check_not_trainer_state(meta: object, path: Path) -> None:
    """ModelError, saying which file to use instead, when ``meta`` is a run's optimizer state."""
    if isinstance(meta, dict) and meta.get("arch") == TRAINER_STATE:
        raise ModelError("this is a training run's saved optimizer state, not a model: use best.safetensors "
                         "(or last.safetensors) beside it", path)


#: The data set each teaching-suite network is trained on, by the prefix of its ``arch``. The suite's
#: checkpoints record their image counts and data folder, not the set's name: the network implies it.
SUITE_DATA = {"fashion-": "Fashion-MNIST", "vae-": "Fashion-MNIST", "faces-": "Olivetti faces"}


def training_data(meta: dict[str, Any]) -> object:
    """What a checkpoint records of its training data: its ``data`` as stored (a retrained model's
    folders, the denoiser's set), or for a teaching-suite model a dict of the data set (``set``),
    the image counts of each split and the data folder (``folder``; None: the default one). A VAE
    records its counts and folder outside ``data``, which read "not recorded" before."""
    arch = str(meta.get("arch") or "")
    name = next((name for prefix, name in SUITE_DATA.items() if arch.startswith(prefix)), None)
    if name is None:
        return meta.get("data")
    data = meta.get("data")
    counts = data if isinstance(data, dict) else {"train": meta.get("train_images"), "val": meta.get("val_images")}
    task = meta.get("task") if isinstance(meta.get("task"), dict) else meta.get("task_config")
    folder = task.get("data_dir") if isinstance(task, dict) else None
    return {"set": f"{name} (teaching suite)", **{k: v for k, v in counts.items() if v is not None}, "folder": folder}


def _data_line(data: object) -> str:
    """The text of :func:`training_data`'s answer for ``describe_lines``."""
    if isinstance(data, dict) and "set" in data:  # a teaching-suite model
        counts = ", ".join(f"{k} {v}" for k, v in data.items() if k not in ("set", "folder"))
        where = f" from {data['folder']}" if data.get("folder") else ""
        return f"{data['set']}: {counts or 'counts not recorded'} images{where}"
    if isinstance(data, dict):  # a retrained model's folders: {"noisy": ..., "clean": ...}
        return ", ".join(f"{k} {v}" for k, v in data.items()) or "not recorded"
    return str(data) if data else "not recorded"


def describe_model(model: str | Path) -> dict[str, object]:
    """What a model file says about itself, read from its header (no torch): name, path, size,
    architecture and config, parameter count, training data (:func:`training_data`) and command,
    validation metrics, the model it was fine-tuned from, and what it averages (``training.average``)."""
    import math

    from docclean import safefile

    path = resolve_model_path(model)
    header = safefile.read_header(path)
    meta = safefile.read_metadata(path)
    check_not_trainer_state(meta, path)
    metrics = meta.get("metrics") or {}
    builtin = path.parent == WEIGHTS_DIR
    return {
        "name": str(model) if str(model) in builtin_models() else path.stem,
        "path": str(path),
        "builtin": builtin,
        "use": BUILTIN_USES.get(path.stem) if builtin else None,
        "bytes": header.file_size,
        "arch": meta.get("arch"),
        "config": meta.get("config"),
        "parameters": sum(math.prod(t.shape) for t in header.tensors.values()),
        "epoch": meta.get("epoch"),
        # Weights saved part way through an epoch (a training run stopped there, to resume from):
        # (epoch, batches trained, batches an epoch or None); never validated.
        "partial": ([meta["partial_epoch"], meta.get("partial_batches"), meta.get("batches_per_epoch")]
                    if isinstance(meta.get("partial_epoch"), int) else None),
        "data": training_data(meta),
        "command": meta.get("command"),
        # Each `docclean train --resume` that continued the run: later options (another --lr, more
        # --epochs) made the model too, which the first command alone does not say.
        "resumed": [str(c) for c in meta["resumed"]] if isinstance(meta.get("resumed"), list) else [],
        "val_metrics": {k: v for k, v in metrics.items() if k.startswith(("val", "test"))},
        "init_from": (meta.get("init_from") or {}).get("path") if isinstance(meta.get("init_from"), dict)
        else meta.get("init_from"),
        # A weight-by-weight average of a start and its fine-tune (training/average.py).
        "averaged": meta.get("averaged") if isinstance(meta.get("averaged"), dict) else None,
    }


def describe_lines(info: dict[str, object]) -> list[str]:
    """:func:`describe_model`'s answer as text: a heading line (the name, or the file), then one
    indented line per fact. ``docclean models`` prints it; the desktop app's About box shows it."""
    import json

    lines = [f"{info['name']} (built-in)" if info["builtin"] else str(info["path"])]
    if info.get("use"):
        lines.append(f"  for           {info['use']}")
    lines += [f"  architecture  {info['arch']} {json.dumps(info['config'])}",
              f"  parameters    {info['parameters']:,}; file {info['bytes'] / 1e6:.1f} MB"]  # type: ignore[operator]
    metrics = ", ".join(f"{k} {v:.4f}" for k, v in dict(info["val_metrics"]).items()) or "none recorded"  # type: ignore[call-overload]
    epoch, partial = info["epoch"], info.get("partial")
    if partial:
        at, batches, per_epoch = partial  # type: ignore[misc]
        of = f" of {per_epoch}" if per_epoch else ""
        lines.append(f"  validation    none: weights stopped in epoch {int(at) + 1} at batch {batches}{of}, "
                     "saved to resume from (not validated)")
    else:
        lines.append(f"  validation    {metrics}" + (f" (epoch {int(epoch) + 1})" if epoch is not None else ""))  # type: ignore[call-overload]
    lines.append(f"  data          {_data_line(info['data'])}")
    lines.append(f"  command       {info['command'] or 'not recorded'}")
    lines += [f"  resumed       {command}" for command in info.get("resumed") or []]  # type: ignore[union-attr]
    if info["init_from"]:
        lines.append(f"  fine-tuned from {info['init_from']}")
    averaged = info.get("averaged")
    if isinstance(averaged, dict) and isinstance(averaged.get("of"), list):
        lines.append(_mean_line(averaged))
    elif isinstance(averaged, dict):
        # The fine-tune may itself be the mean of a run's kept epochs (training.average --mean).
        if isinstance(averaged.get("tuned_averaged"), dict) and isinstance(averaged["tuned_averaged"].get("of"), list):
            lines.append(_mean_line(averaged["tuned_averaged"]))
        w = averaged.get("weight")
        lines.append(f"  averaged      {averaged.get('start')} and the fine-tune above"
                     + (f" ({w:g} of it)" if isinstance(w, (int, float)) else "")
                     + (f": {averaged['command']}" if averaged.get("command") else ""))
    return lines


def _mean_line(averaged: dict) -> str:
    """The ``averaged`` line of a plain mean of checkpoints (``training.average --mean``)."""
    epochs = [e for e in averaged.get("epochs") or [] if isinstance(e, int)]
    return (f"  averaged      the mean of {len(averaged['of'])} checkpoints"
            + (f" (epochs {', '.join(str(e + 1) for e in epochs)})" if epochs else "")
            + (f": {averaged['command']}" if averaged.get("command") else ""))
